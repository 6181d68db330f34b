"""Issue 14: the EU capability limb judged under many coefficient draws reads numbers
computed in bulk (`frontier.prepare_draws`: one column pass per lifecycle instead of 201
walks per table). The verdict under every draw must be the one each table gives on its
own, bit for bit, and a sensitivity result must not depend on whether the bulk numbers
were there."""

from __future__ import annotations

import datetime as dt

import pytest

from loopholes import capability, load_policy
from loopholes.capability import Coefficients, load_coefficients
from loopholes.loading import parse_lifecycle
from loopholes.rules import frontier
from loopholes.rules.framework import Context
from loopholes.search import search
from loopholes.sensitivity import Analyser, joint_draws

POLICY = load_policy("eu-ai-act")
TABLE = POLICY.coefficients or load_coefficients()


@pytest.fixture(scope="module")
def limb_findings():
    """Findings judged under a reading that applies the capability limb (under the others
    the limb reads nothing, so they would test nothing here)."""
    found = [f for f in search(POLICY, draws=5).findings if POLICY.reading(f.reading).options.get("capability_limb")]
    assert len(found) >= 3
    return found


def _forget_bulk_numbers(lc) -> None:
    frontier._CENTRAL.clear()
    frontier._SERIES.clear()
    model = frontier.the_model(lc)
    for key in [k for k in model._memo if type(k) is tuple and k[0] == "frontier-central"]:
        del model._memo[key]


def _limb_numbers(lc, reading, policy, tables):
    out = []
    for table in tables:
        ctx = Context(lc, reading, policy.with_coefficients(table))
        out.append((frontier.capability_of(ctx), frontier.frontier_line(ctx)))
    return out


def test_prepared_numbers_are_what_each_table_gives(limb_findings):
    tables = joint_draws(TABLE, 25, seed=3)
    columns = Coefficients.columns(tables, "25 draws")
    for finding in limb_findings[:4]:
        lc, reading = finding.lifecycle, POLICY.reading(finding.reading)
        _forget_bulk_numbers(lc)
        frontier._TABLES.clear()
        alone = _limb_numbers(lc, reading, POLICY, tables)
        _forget_bulk_numbers(lc)
        frontier.prepare_draws(POLICY, lc, tables, columns)
        assert len(frontier._CENTRAL) >= len(tables)
        assert _limb_numbers(lc, reading, POLICY, tables) == alone  # exact: the column pass is bit for bit


def test_prepared_numbers_are_used(limb_findings, monkeypatch):
    """After prepare_draws, judging under a draw walks neither a frontier candidate nor
    the artifact's model."""
    tables = joint_draws(TABLE, 10, seed=4)
    lc, reading = limb_findings[0].lifecycle, POLICY.reading(limb_findings[0].reading)
    _forget_bulk_numbers(lc)
    frontier.prepare_draws(POLICY, lc, tables, Coefficients.columns(tables, "10 draws"))

    def no_walks(*args, **kwargs):
        raise AssertionError("walked table by table")

    monkeypatch.setattr(frontier, "_candidates", no_walks)
    monkeypatch.setattr(frontier, "effective_compute", no_walks)
    monkeypatch.setattr(capability, "effective_compute", no_walks)
    for table in tables:
        POLICY.with_coefficients(table).is_covered(lc, reading)


def test_another_reference_date_never_reads_them(limb_findings):
    """The numbers are kept on the lifecycle per table and reference date: a draft with
    another reference date judging the same lifecycle object under the same tables gets
    what a fresh copy of the lifecycle gets."""
    later = POLICY.replace(reference_date=POLICY.reference_date + dt.timedelta(days=730))
    tables = joint_draws(TABLE, 20, seed=6)
    finding = limb_findings[0]
    lc, reading = finding.lifecycle, POLICY.reading(finding.reading)
    fresh = parse_lifecycle(lc.to_spec())
    _forget_bulk_numbers(lc)
    frontier.prepare_draws(POLICY, lc, tables, Coefficients.columns(tables, "20 draws"))
    assert _limb_numbers(lc, reading, later, tables) == _limb_numbers(fresh, reading, later, tables)


def test_sensitivity_is_the_same_with_and_without_bulk_numbers(limb_findings, monkeypatch):
    analysed = []
    for prepare in (True, False):
        if not prepare:
            monkeypatch.setattr("loopholes.sensitivity.prepare_draws", lambda *args: None)
        frontier._TABLES.clear()
        analyser = Analyser(POLICY, 2.0, seed=11, draws=30)
        results = []
        for finding in limb_findings[:4]:
            _forget_bulk_numbers(finding.lifecycle)
            results.append(analyser.analyse(finding.lifecycle, finding.target, finding.domain,
                                            POLICY.reading(finding.reading)).to_json())
        analysed.append(results)
    assert analysed[0] == analysed[1]


def test_a_rule_without_the_limb_is_left_alone(limb_findings):
    sb53 = load_policy("ca-sb53")
    tables = joint_draws(TABLE, 5, seed=5)
    _forget_bulk_numbers(limb_findings[0].lifecycle)
    frontier.prepare_draws(sb53, limb_findings[0].lifecycle, tables, Coefficients.columns(tables, "5 draws"))
    assert len(frontier._CENTRAL) == 0


def test_rejudging_only_the_limb_gives_each_tables_verdict(limb_findings):
    """`Policy.central_verdict` re-judges only the rules that read capability (here the
    limb); on findings at the frontier, where draws do flip verdicts, that is each whole
    rule's verdict under each table, with the bulk numbers and without them."""
    tables = joint_draws(TABLE, 60, seed=3)
    columns = Coefficients.columns(list(tables), "60 draws")
    flips = 0
    for finding in limb_findings:
        lc, reading = finding.lifecycle, POLICY.reading(finding.reading)
        central = POLICY.central_verdict(lc, reading)
        assert central.moving and central.covered == POLICY.is_covered(lc, reading)
        for prepared in (False, True):
            _forget_bulk_numbers(lc)
            if prepared:
                frontier.prepare_draws(POLICY, lc, tables, columns)
            for table in tables:
                drawn = POLICY.with_coefficients(table)
                whole = drawn.is_covered(lc, reading)
                assert central.under(drawn) == whole
                flips += whole != central.covered
    assert flips >= 10  # the check can fail: draws move these verdicts
