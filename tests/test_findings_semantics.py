"""What a finding means (docs/design.md §12, issue 9): counterfactual attribution, leakage as a
size, bounds labelled as bounds, probabilities over joint coefficient draws."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopholes import load_policy, parse_lifecycle
from loopholes.capability import load_coefficients
from loopholes.rules.framework import Policy, Reading, cluster_rate, compute_threshold
from loopholes.search import SAME_LEAKAGE, search
from loopholes.sensitivity import Analyser, joint_draws


# -- the review's two examples (risk-index report, 2026-11) ------------------------------

OLD_INT8_FINDING = {  # reports/risk-index.md before the fix: inference-boost + integer-precision
    "name": "risk-index-general-inference-boost+integer-precision", "released": "2024-07-08", "deploy": "boosted",
    "steps": [
        {"id": "base", "kind": "pretrain", "developer": "Adversary Labs", "flop": 8.99e23, "precision": "int8",
         "sites": [{"ops_per_second": 2.89e17, "colocated": True}]},
        {"id": "instruct", "kind": "finetune", "developer": "Adversary Labs", "flop": 2.69e21, "inputs": ["base"]},
        {"id": "boosted", "kind": "inference_boost", "developer": "Adversary Labs", "flop": 0.0, "inputs": ["instruct"],
         "boost": {"method": "best_of_n", "samples": 250}}]}


def _bf16_at(spec: dict, factor: float) -> dict:
    out = copy.deepcopy(spec)
    for step in out["steps"]:
        if step.get("precision") == "int8":
            step["precision"] = "bf16"
        if step["kind"] == "pretrain":
            step["flop"] *= factor
    return out


def test_the_review_example_reproduces_an_int8_run_is_no_better_than_bf16():
    """The reproduction behind the fix: a plain bf16 run at 0.95x the compute with the same
    boost is just as capable (central) and just as uncovered."""
    policy = load_policy("risk-index")
    reading = policy.readings[0]
    old = parse_lifecycle(OLD_INT8_FINDING)
    plain = parse_lifecycle(_bf16_at(OLD_INT8_FINDING, 0.95))
    assert not policy.evaluate(plain, reading).covered
    assert policy.evaluate(plain, reading).capability.get("general") >= \
        policy.evaluate(old, reading).capability.get("general") * (1 - SAME_LEAKAGE)


@pytest.fixture(scope="module")
def risk_three():
    return search("risk-index", strategies=["inference-boost", "integer-precision", "split-runs"], depth=2, draws=10)


@pytest.mark.parametrize("pair", [("inference-boost", "integer-precision"), ("inference-boost", "split-runs")])
def test_strategies_that_do_not_cause_the_evasion_are_not_credited(risk_three, pair):
    """Both examples of the review: with integer precision (or the split) removed and the
    knobs re-placed, the boost alone reaches the same leakage, so the pair is not a finding."""
    assert not [f for f in risk_three.findings if set(f.strategies) == set(pair)]


def test_splitting_a_cluster_buys_speed_not_capability():
    """EO 14110's cluster clause binds only fast runs; an honest 90-day run at the same
    compute is as capable, so cluster-split is never credited on its own."""
    result = search("us-eo-14110", strategies=["cluster-split"], depth=1, domain="general")
    assert result.findings == []


def test_every_credited_strategy_adds_more_than_the_tolerance():
    result = search("us-eo-14110", strategies=["throttling", "inference-boost", "decentralized-finetune"], depth=3)
    assert result.findings
    for finding in result.findings:
        assert set(finding.adds) == set(finding.strategies)
        assert all(factor > 1 / (1 - SAME_LEAKAGE) - 1e-9 for factor in finding.adds.values())


# -- the property: removing a credited strategy never gives an equally leaky finding -----

SCOPES = ("single-run", "model", "lineage", "developer")
STATIC = ["throttling", "inference-boost", "decentralized-finetune", "split-runs", "integer-precision",
          "measured-vs-theoretical", "sparsity", "cascade"]


def generated_rule(threshold: float, comparator: str, scope: str, count_integer: bool) -> Policy:
    return Policy(
        id=f"generated-{scope}", title="generated rule", jurisdiction="test", source="test", status="proposal",
        dates={}, reference_date=dt.date(2025, 1, 1),
        readings=(Reading("only", "generated", "generated", {"count_integer": count_integer}),),
        rules=(compute_threshold("line", "generated §1", threshold, tier="covered", comparator=comparator, scope=scope),),
        tiers=("covered",), covered_tiers=frozenset({"covered"}), target_lines={"general": threshold})


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(threshold=st.sampled_from([1e24, 3e24, 1e25, 1e26]), comparator=st.sampled_from([">", ">="]),
       scope=st.sampled_from(SCOPES), count_integer=st.booleans(),
       strategies=st.lists(st.sampled_from(STATIC), min_size=2, max_size=3, unique=True))
def test_removing_a_credited_strategy_never_gives_an_equally_leaky_finding(threshold, comparator, scope,
                                                                          count_integer, strategies):
    policy = generated_rule(threshold, comparator, scope, count_integer)
    result = search(policy, strategies=strategies, depth=len(strategies), max_evals=60_000, draws=5)
    for finding in result.findings:
        for credited in finding.strategies:
            rest = [s for s in finding.strategies if s != credited]
            rivals = [result.baseline[finding.domain][finding.reading].leakage]  # nothing at all
            if rest:  # every composition of what remains, searched afresh through the public API
                counterfactual = search(policy, strategies=rest, depth=len(rest), domain=finding.domain,
                                        max_evals=60_000, draws=5)
                rivals += [g.leakage for g in counterfactual.findings if finding.reading in g.evades_under]
            assert max(rivals) < finding.leakage, (finding.id, credited, max(rivals))


# -- leakage is a size, and bounds are labelled -------------------------------------------

def test_leakage_is_capability_over_the_honest_target():
    result = search("us-eo-14110", strategies=["bio-dilution"], depth=1, domain="bio")
    finding = result.findings[0]
    assert finding.leakage == pytest.approx(finding.capability.get("bio") / finding.target.effective_flop)
    assert finding.material == (finding.leakage >= 2.0)
    honest = result.baseline["bio"][finding.reading]
    assert honest.leakage < 1.0 <= finding.leakage  # an honest run under the line does not evade


def test_marginal_evasions_are_listed_and_labelled():
    result = search("us-eo-14110", strategies=["sparsity"], depth=1, domain="general", material=2.0)
    assert result.findings and all(1.0 <= f.leakage < 2.0 and not f.material for f in result.findings)
    doc = result.to_json(timing=False)
    assert all(f["material"] is False and f["material_factor"] == 2.0 for f in doc["findings"])


def cluster_only_rule() -> Policy:
    """A rule with only a cluster clause: a slow run never trips it, so every knob runs to
    the search's own ceiling."""
    return Policy(
        id="cluster-only", title="cluster clause only", jurisdiction="test", source="test", status="proposal", dates={},
        reference_date=dt.date(2024, 1, 1), readings=(Reading("only", "q", "a"),),
        rules=(cluster_rate("cluster", "test §1", 1e20, tier="covered"),), tiers=("covered",),
        covered_tiers=frozenset({"covered"}), target_lines={"general": 1e26})


def test_a_figure_stopped_by_a_search_bound_is_labelled_a_lower_bound():
    from loopholes.reporting.compare import leak_text

    result = search(cluster_only_rule(), strategies=["throttling"], depth=1)
    baseline = result.baseline["general"]["only"]
    assert baseline.leakage >= 1.0 and baseline.bounded_by and "search ceiling" in baseline.bounded_by[0]
    detail = result.leakage_detail()["general"]
    assert detail["bounded_by"]
    assert leak_text(dict(detail, bounded=True)).startswith("≥")
    for finding in result.findings:
        assert finding.bounded_by and finding.to_json()["bounded_by"]


# -- probabilities over joint draws -----------------------------------------------------------

def test_draws_stay_inside_every_band_and_are_reproducible():
    table = load_coefficients()
    from loopholes.sensitivity import _draw

    first = joint_draws(table, 40, seed=3)
    again = _draw(table, 40, 3)  # drawn afresh, not the shared copy
    assert first is joint_draws(table, 40, seed=3) and len(again) == len(first) == 40
    for a, b in zip(first, again):
        assert {n: a[n].central for n in a} == {n: b[n].central for n in b}
    for draw in first:
        for name, c in table.items():
            lo, hi = min(c.low, c.high), max(c.low, c.high)
            assert lo - 1e-12 <= draw[name].central <= hi + 1e-12
            assert draw[name].low == draw[name].central == draw[name].high


def test_changing_one_coefficient_leaves_the_others_draws_alone():
    """A table that gains a coefficient, or a drafter's file that fixes one at a single
    value (which draws nothing), must not reshuffle every other coefficient's draws: the
    probabilities then move by what changed, not by noise. Seeds and names still give
    distinct streams."""
    import dataclasses

    from loopholes.capability import Coefficients
    from loopholes.sensitivity import _draw

    table = load_coefficients()
    entries = dict(table.items())
    entries["rl_gain_bio"] = dataclasses.replace(entries["rl_gain_bio"], low=2.0, central=2.0, high=2.0)
    entries["zz_extra"] = dataclasses.replace(entries["rl_gain"], name="zz_extra")
    changed = Coefficients(entries, "changed")
    before, after, other_seed = _draw(table, 30, 0), _draw(changed, 30, 0), _draw(table, 30, 1)

    def column(draws, name):
        return [d[name].central for d in draws]

    for name in table:
        if name != "rl_gain_bio":
            assert column(after, name) == column(before, name), name
    assert column(after, "rl_gain_bio") != column(before, "rl_gain_bio")
    assert column(after, "zz_extra") != column(after, "rl_gain")  # same band, its own stream
    assert column(other_seed, "rl_gain") != column(before, "rl_gain")


def test_target_and_finding_share_each_draw():
    """An artifact identical to the honest target has leakage exactly 1 in every draw: it
    evades in all of them (when uncovered) and is material in none."""
    from loopholes.search import honest_target

    policy = load_policy("us-eo-14110").with_coefficients(load_coefficients())
    target = honest_target(policy, "general", 1e25)  # under the 1e26 line: uncovered
    sens = Analyser(policy, 2.0, seed=0, draws=50).analyse(target.lifecycle, target, "general", policy.readings[0])
    assert sens.p_evades == 1.0 and sens.p_material == 0.0


def test_robust_means_material_in_nine_draws_of_ten():
    result = search("us-eo-14110", strategies=["throttling", "sparsity"], depth=1)
    assert result.findings
    for finding in result.findings:
        assert finding.robust == (finding.p_material >= 0.9)
        assert 0.0 <= finding.p_material <= finding.p_evades <= 1.0
        doc = finding.to_json()
        assert {"p_evades", "p_material", "hinge", "assumptions", "leakage", "bounded_by", "adds"} <= set(doc)
        if finding.sensitivity.hinge:
            assert finding.sensitivity.hinge["status"] is not None


def test_same_seed_same_probabilities():
    a = search("ca-sb53", strategies=["throttling", "inference-boost"], seed=5).to_json(timing=False)
    b = search("ca-sb53", strategies=["throttling", "inference-boost"], seed=5).to_json(timing=False)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_material_factor_is_validated():
    from loopholes.errors import UsageError

    with pytest.raises(UsageError, match="material"):
        search("ca-sb53", strategies=["throttling"], material=0.5)
    assert math.isfinite(search("ca-sb53", strategies=["throttling"], material=5.0).material_factor)
