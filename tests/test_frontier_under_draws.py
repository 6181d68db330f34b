"""Issue 14: the EU capability limb judged under many coefficient draws reads numbers
computed in bulk (`frontier.prepare_draws`: one column pass per lifecycle instead of 201
walks per table). The verdict under every draw must be the one each table gives on its
own, bit for bit, and a sensitivity result must not depend on whether the bulk numbers
were there."""

from __future__ import annotations

import pytest

from loopholes import load_policy
from loopholes.capability import Coefficients, load_coefficients
from loopholes.rules import frontier
from loopholes.rules.framework import Context
from loopholes.search import search
from loopholes.sensitivity import Analyser, joint_draws

POLICY = load_policy("eu-ai-act")
TABLE = POLICY.coefficients or load_coefficients()


@pytest.fixture(scope="module")
def findings():
    return search(POLICY, draws=5).findings


def _forget_bulk_numbers(lc) -> None:
    frontier._CENTRAL.clear()
    model = frontier.the_model(lc)
    for key in [k for k in model._memo if type(k) is tuple and k[0] == "frontier-central"]:
        del model._memo[key]


def test_prepared_numbers_are_what_each_table_gives(findings):
    tables = joint_draws(TABLE, 25,
                         seed=3)
    columns = Coefficients.columns(tables, "25 draws")
    checked = 0
    for finding in findings[:6]:
        lc, reading = finding.lifecycle, POLICY.reading(finding.reading)
        _forget_bulk_numbers(lc)
        frontier._TABLES.clear()
        frontier._SERIES.clear()
        alone = []
        for table in tables:
            ctx = Context(lc, reading, POLICY.with_coefficients(table))
            alone.append((frontier.capability_of(ctx), frontier.frontier_line(ctx)))
        frontier._SERIES.clear()
        frontier.prepare_draws(POLICY, lc, tables, columns)
        assert len(frontier._CENTRAL) >= len(tables)
        bulk = []
        for table in tables:
            ctx = Context(lc, reading, POLICY.with_coefficients(table))
            bulk.append((frontier.capability_of(ctx), frontier.frontier_line(ctx)))
        assert bulk == alone  # exact equality: the column pass is bit for bit
        checked += 1
    assert checked >= 3


def test_prepared_numbers_are_used(findings, monkeypatch):
    """After prepare_draws, judging under a draw walks no frontier candidate."""
    tables = joint_draws(TABLE, 10,
                         seed=4)
    lc, reading = findings[0].lifecycle, POLICY.reading(findings[0].reading)
    frontier._SERIES.clear()
    frontier.prepare_draws(POLICY, lc, tables, Coefficients.columns(tables, "10 draws"))

    def no_walks(*args, **kwargs):
        raise AssertionError("a frontier candidate was walked table by table")

    monkeypatch.setattr(frontier, "_candidates", no_walks)
    for table in tables:
        POLICY.with_coefficients(table).is_covered(lc, reading)


def test_sensitivity_is_the_same_with_and_without_bulk_numbers(findings, monkeypatch):
    analysed = []
    for prepare in (True, False):
        if not prepare:
            monkeypatch.setattr("loopholes.sensitivity.prepare_draws", lambda *args: None)
        frontier._CENTRAL.clear()
        frontier._SERIES.clear()
        frontier._TABLES.clear()
        analyser = Analyser(POLICY, 2.0, seed=11, draws=30)
        results = []
        for finding in findings[:5]:
            _forget_bulk_numbers(finding.lifecycle)
            results.append(analyser.analyse(finding.lifecycle, finding.target, finding.domain,
                                            POLICY.reading(finding.reading)).to_json())
        analysed.append(results)
    assert analysed[0] == analysed[1]
    # the comparison means something only if some of these verdicts read the limb
    assert any(POLICY.reading(f.reading).options.get("capability_limb") for f in findings[:5])


def test_a_rule_without_the_limb_is_left_alone(findings):
    sb53 = load_policy("ca-sb53")
    tables = joint_draws(TABLE, 5,
                         seed=5)
    before = len(frontier._CENTRAL)
    frontier.prepare_draws(sb53, findings[0].lifecycle, tables, Coefficients.columns(tables, "5 draws"))
    assert len(frontier._CENTRAL) == before
