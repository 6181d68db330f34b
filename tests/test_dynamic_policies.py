"""The papers' dynamic rules: a percentile of recent models per reference class, and a
percentile on an index of Annex XIII measures. Checked on the vendored Epoch population."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from loopholes import check
from loopholes.backtest import backtest
from loopholes.cli import main
from loopholes.lifecycle import Lifecycle, make_step
from loopholes.rules import percentile as cutting
from loopholes.rules.bundled import dynamic_percentile as dp
from loopholes.rules.bundled import risk_index as ri
from loopholes.rules.registry import load_policy

REFERENCE = dt.date(2024, 7, 8)


def plain(flop: float, released: dt.date = REFERENCE, data: dict | None = None, reach=None) -> Lifecycle:
    """One pretrain run: the honest model a rule is written for."""
    step = make_step("base", "pretrain", "Lab", flop=flop, data=data)
    return Lifecycle("plain", released, "base", (step,), reach=reach)


@pytest.fixture(scope="module")
def percentile():
    return load_policy("dynamic-percentile")


@pytest.fixture(scope="module")
def index():
    return load_policy("risk-index")


# -- both policies: the policy contract ------------------------------------------------

@pytest.mark.parametrize("policy_id", ["dynamic-percentile", "risk-index"])
def test_policy_metadata(policy_id):
    policy = load_policy(policy_id)
    assert policy.status == "proposal" and policy.population_based
    assert policy.reference_date == REFERENCE
    assert "2407.05694" in policy.source and "2024-07-08" in policy.dates["essay"] and "primer" in policy.dates
    assert len(policy.readings) >= 3 and len({r.id for r in policy.readings}) == len(policy.readings)
    assert set(policy.target_lines) == {"general", "bio"}
    assert 1e22 < policy.target_lines["bio"] < policy.target_lines["general"] < 1e26
    for name, parameter in policy.parameters.items():
        assert parameter.clause.strip(), name
    assert all(rule.line is not None and rule.comparator == ">=" for rule in policy.rules)
    json.dumps(policy.describe())


def test_percentile_target_lines_are_the_lines_at_the_reference_date(percentile):
    assert percentile.target_lines["general"] == dp.line_at(REFERENCE, "language") == 4.8e24
    assert math.isclose(percentile.target_lines["bio"], dp.line_at(REFERENCE, "biology"))


# -- dynamic-percentile ----------------------------------------------------------------------

def test_trace_shows_measured_compute_against_the_computed_line(percentile):
    verdict = percentile.evaluate(plain(6e24))
    clause = verdict.clauses[0]
    assert verdict.covered and clause.measured == 6e24 and clause.threshold == 4.8e24 and clause.comparator == ">="
    assert "class language" in clause.note and "top 5% = 12 of 222" in clause.note


def test_check_cli_text_and_json(tmp_path, capsys):
    spec = tmp_path / "frontier.yaml"
    spec.write_text("name: frontier-2025\nreleased: 2025-03-01\ndeploy: base\n"
                    "steps:\n  - {id: base, kind: pretrain, developer: Lab, flop: 3.0e+25}\n")
    assert main(["check", "dynamic-percentile", str(spec)]) == 0
    assert "COVERED" in capsys.readouterr().out
    assert main(["check", "dynamic-percentile", str(spec), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    clause = data["clauses"][0]
    assert data["covered"] is True and data["tier"] == "top-percentile" and data["reading"] == "model"
    assert clause["threshold"] == dp.line_at(dt.date(2025, 3, 1), "language") and clause["measured"] == 3e25
    assert main(["check", "dynamic-percentile", str(spec), "--reading", "pooled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reading"] == "pooled"


def test_later_release_faces_a_higher_line():
    # Facts of the data, not a law: the language line rose every mid-year from 2019 to
    # 2025 (it fell in 2018, and the biology line is not monotone either).
    lines = [dp.line_at(dt.date(year, 7, 1), "language") for year in range(2019, 2026)]
    assert lines == sorted(lines) and lines[-1] / lines[0] > 1e3
    early, late = plain(3e24, dt.date(2023, 7, 1)), plain(3e24, dt.date(2025, 7, 1))
    percentile = load_policy("dynamic-percentile")
    assert percentile.evaluate(early).covered and not percentile.evaluate(late).covered


def test_reference_class_changes_the_line(percentile):
    bio = percentile.evaluate(plain(1e24, data={"bio": 1.0}))
    general = percentile.evaluate(plain(1e24))
    assert bio.clauses[0].threshold == dp.line_at(REFERENCE, "biology") < general.clauses[0].threshold
    assert bio.covered and not general.covered


def test_diluting_bio_data_under_half_moves_a_model_to_the_general_class(percentile):
    # The reference-class strategy: the same run with 49 % instead of 50 % sequence data.
    assert percentile.evaluate(plain(1e24, data={"bio": 0.5})).covered
    diluted = percentile.evaluate(plain(1e24, data={"bio": 0.49}))
    assert not diluted.covered and "class language" in diluted.clauses[0].note


@pytest.mark.parametrize("data, cls", [({"vision": 1.0}, "vision"), ({"video": 0.7}, "vision"),
                                       ({"audio": 1.0}, "speech"), ({"code": 1.0}, "language"),
                                       ({"bio": 0.3, "vision": 0.3}, "language")])
def test_data_domains_map_to_reference_classes(data, cls):
    step = make_step("base", "pretrain", "Lab", flop=1e22, data=data)
    assert cutting.data_class((step,), cutting.DATA_CLASSES, 0.5) == cls


def test_comparator_is_at_least_the_kth_peer(percentile):
    """An artifact equal to the k-th largest peer shares its rank and is covered."""
    line = dp.line_at(REFERENCE, "language")
    assert percentile.evaluate(plain(line)).covered
    assert not percentile.evaluate(plain(math.nextafter(line, 0))).covered


def test_places_round_up_so_every_class_covers_its_largest():
    assert cutting.places(0.05, 222) == 12 and cutting.places(0.1, 30) == 3 and cutting.places(0.05, 3) == 1
    assert cutting.top_line((1.0, 2.0, 3.0), 0.05, joins=True) == (3.0, 1)
    assert cutting.top_line((), 0.05, joins=True) == (0.0, 1)  # alone in its class: covered


def test_readings_lineage_and_imputed(percentile):
    teacher = make_step("teacher", "pretrain", "Big Lab", flop=4e25)
    student = make_step("student", "distill", "Small Lab", ["teacher"], flop=1e24)
    lc = Lifecycle("distilled", REFERENCE, "student", (teacher, student))
    assert percentile.evaluate(lc, "model").clauses[0].measured == 1e24
    assert percentile.evaluate(lc, "lineage").clauses[0].measured == pytest.approx(4.1e25)
    assert percentile.evaluate(lc, "lineage").covered and not percentile.evaluate(lc, "model").covered
    # Closed models whose compute Epoch imputed from benchmarks raise the line where they sit.
    imputed = percentile.evaluate(plain(6e24), "with-imputed")
    assert imputed.clauses[0].threshold > dp.line_at(REFERENCE, "language") and not imputed.covered


def test_pooled_reading_ranks_against_every_class(percentile):
    pooled = percentile.evaluate(plain(1e24, data={"bio": 1.0}), "pooled")
    assert pooled.clauses[0].threshold == dp.line_at(REFERENCE, None) and not pooled.covered
    assert "all classes" in pooled.clauses[0].note


def test_is_covered_agrees_with_evaluate(percentile, index):
    for policy in (percentile, index):
        for flop in (1e22, 3e24, 5e24, 3e25):
            for data in (None, {"bio": 1.0}):
                lc = plain(flop, data=data)
                reading = policy.reading()
                assert policy.is_covered(lc, reading) == policy.evaluate(lc, reading).covered


def test_custom_percentile_parameter_changes_the_line(percentile):
    from loopholes.rules.framework import Parameter

    wider = percentile.replace(parameters={**percentile.parameters, "percentile": Parameter(0.10, "draft")})
    assert wider.evaluate(plain(1e24)).clauses[0].threshold < percentile.evaluate(plain(1e24)).clauses[0].threshold


# -- risk-index ------------------------------------------------------------------------------

def test_underreporting_reach_lowers_the_index_under_presumed_reach(index):
    def value(reach):
        return index.evaluate(plain(5e24, reach=reach), "presumed-reach").clauses[0].measured

    assert value((1_000_000, 10_000_000)) > value(None) > value((100, 100)) > value((0, 0))
    presumed = index.evaluate(plain(5e24), "presumed-reach")
    assert presumed.covered, presumed.clauses[0]
    assert not index.evaluate(plain(5e24, reach=(100, 100)), "presumed-reach").covered  # the index-underreporting loophole


def test_reach_is_treated_alike_for_the_artifact_and_the_population(index):
    """At release every model has no registered users: an artifact that reports none and
    one that reports zero get the same index, and the population is not presumed either."""
    silent, zero = index.evaluate(plain(5e24)), index.evaluate(plain(5e24, reach=(0, 0)))
    assert silent.clauses[0].measured == zero.clauses[0].measured and silent.covered == zero.covered
    assert "0.00 B*" in silent.clauses[0].note
    presumed = index.evaluate(plain(5e24), "presumed-reach")
    # presuming 10,000 users for everyone moves the artifact and its peers alike: the line rises with them
    assert presumed.clauses[0].threshold > silent.clauses[0].threshold


def test_index_trace_names_its_measures(index):
    clause = index.evaluate(plain(5e24)).clauses[0]
    assert clause.unit == "index points" and clause.comparator == ">="
    assert "* imputed" in clause.note and "N*" in clause.note and "D*" in clause.note and "class language" in clause.note
    measures = ri.measures(index_ctx(index, plain(5e24)))
    assert measures["parameters"] == (pytest.approx(math.sqrt(5e24 / 120)), True)
    assert measures["data_tokens"] == (pytest.approx(5e24 / (6 * math.sqrt(5e24 / 120))), True)
    assert measures["business_users"] == (0.0, True)


def index_ctx(policy, lc):
    from loopholes.rules.framework import Context

    return Context(lc, policy.reading(), policy)


def test_the_index_reads_only_observable_measures(index):
    """No effective compute: an inference-time boost, which no outsider can measure, leaves
    the index where it was, and so does a different coefficient table."""
    base = make_step("base", "pretrain", "Lab", flop=3e24)
    boosted = make_step("boost", "inference_boost", "Lab", ["base"], boost=("best_of_n", 64))
    lc = Lifecycle("boosted", REFERENCE, "boost", (base, boosted))
    assert index.evaluate(lc).clauses[0].measured == index.evaluate(plain(3e24)).clauses[0].measured
    assert set(ri.MEASURES) == {"training_compute", "parameters", "data_tokens", "business_users", "end_users"}
    assert "effective_compute" not in index.parameters["weights"].value


def test_model_params_walks_bases_and_members():
    a = make_step("a", "pretrain", "Lab", params=7e9, tokens=1e12)
    b = make_step("b", "pretrain", "Lab", params=8e9, tokens=1e12)
    tuned = make_step("t", "finetune", "Lab", ["a"], flop=1e20)
    ensemble = make_step("e", "ensemble", "Lab", ["t", "b"], flop=0.0)
    lc = Lifecycle("ens", REFERENCE, "e", (a, b, tuned, ensemble))
    assert ri.model_params(lc, lc.step("t")) == 7e9 and ri.model_params(lc, lc.artifact) == 15e9


def test_risk_index_member_verdicts_match_a_hand_count(index):
    """A population model is ranked once: its own index is in its window, and it is
    covered when fewer than ceil(5 % x n) of the window's indices exceed it."""
    from loopholes.backtest import member_reading, record_lifecycle
    from loopholes.rules.framework import Context
    from loopholes.population import load_population, months_before

    days, values = ri.series(Context(plain(1e20), index.reading(), index), "language")
    members = [r for r in load_population() if r.reference_class == "language" and r.training_flop
               and r.published and r.published.year == 2024]
    for rec in members[:80]:
        verdict = index.evaluate(record_lifecycle(rec, rec.training_flop), member_reading(index.reading(), rec))
        own = verdict.clauses[0].measured
        start, end = months_before(rec.published, 12).toordinal(), rec.published.toordinal()
        window = [v for d, v in zip(days, values) if start < d <= end]
        assert own in window, rec.model
        assert verdict.covered == (sum(v > own for v in window) < math.ceil(round(0.05 * len(window), 9))), rec.model


def test_risk_index_backtest_covers_a_bounded_share():
    result = backtest("risk-index")
    for year in range(2019, 2026):
        assert 0.05 < result.year(year).share < 0.25, year
    assert {"Grok 4", "GPT-4.5", "Llama 3.1-405B", "Evo 2 40B"} <= {p.model for p in result.covered_models}


def test_check_accepts_a_lifecycle_object():
    verdict = check("risk-index", plain(5e24, reach=(50_000, 2_000_000)))
    assert verdict.covered and verdict.policy == "risk-index"
