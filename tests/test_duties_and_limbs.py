"""Developer-level duties, the EU capability limb and modifier walk, the EO networking
condition, statuses, and the two new bundled rules (docs/legal-sources.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from loopholes import Lifecycle, check, load_policy, make_step
from loopholes.backtest import backtest
from loopholes.capability import Coefficients, default_coefficients
from loopholes.cli import main
from loopholes.errors import PolicyError
from loopholes.rules.framework import Reading, handed_over
from loopholes.spec import json_schema

DAY = dt.date(2025, 9, 1)


def lifecycle(*steps, deploy=None, released=DAY, revenue=None) -> Lifecycle:
    return Lifecycle(name="t", released=released, deploy=deploy or steps[-1].id, steps=steps, revenue_usd=revenue or {})


def clause(verdict, rule):
    return next(c for c in verdict.clauses if c.rule == rule)


def handed_base(base_flop=5 * 10**26, tune_flop=10**22):
    """The adversary trains a base and hands it to a third party, who fine-tunes and deploys."""
    return lifecycle(make_step("base", "pretrain", "Adversary", flop=base_flop),
                     make_step("tune", "finetune", "Third Party", ["base"], flop=tune_flop))


# -- developer-level duties ---------------------------------------------------------------

@pytest.mark.parametrize("policy_id", ["ca-sb53", "ny-raise"])
@pytest.mark.parametrize("reading", ["developer-only", "include-upstream"])
def test_a_base_handed_to_a_third_party_carries_the_frontier_duty(policy_id, reading):
    """§22757.11: whoever trained a >1e26 frontier model is a frontier developer, whoever
    deploys the fine-tune. The finding of issue 9 (a 5e26 base handed on) is no escape."""
    verdict = load_policy(policy_id).evaluate(handed_base(), reading)
    assert verdict.covered
    frontier = clause(verdict, "frontier")
    if reading == "developer-only":  # the third party's own 1e22 is far under: the base binds
        assert frontier.artifact == "base" and frontier.party == "Adversary" and frontier.measured == 5 * 10**26
    obligations = {o.artifact: o for o in verdict.obligated}
    assert obligations["base"].covered and obligations["base"].handed_to == ("Third Party",)
    assert not obligations["tune"].covered or reading == "include-upstream"


def test_the_obligations_are_in_check_json(tmp_path, capsys):
    spec = tmp_path / "handed.json"
    spec.write_text(json.dumps(handed_base().to_spec()))
    assert main(["check", "ca-sb53", str(spec), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["covered"] is True and out["artifact"] == "tune"
    assert {o["artifact"]: o["party"] for o in out["obligated"]} == {"tune": "Third Party", "base": "Adversary"}
    assert next(c for c in out["clauses"] if c["rule"] == "frontier")["party"] == "Adversary"


def test_an_artifact_only_reading_judges_the_deployed_model_alone():
    """The framework keeps the narrower reading available to drafters (no bundled rule uses it)."""
    sb53 = load_policy("ca-sb53")
    narrow = Reading("artifact-only", "q", "a", {"scope": "developer", "duty": "artifact"})
    assert not sb53.evaluate(handed_base(), narrow).covered
    with pytest.raises(PolicyError, match="duty 'nobody'"):
        sb53.is_covered(handed_base(), Reading("x", "q", "a", {"duty": "nobody"}))


def test_a_teacher_that_only_generates_data_is_not_handed_over():
    """A teacher's weights stay with its developer: the student escapes SB 53 on its own runs."""
    lc = lifecycle(make_step("teacher", "pretrain", "Frontier Co", flop=5e26),
                   make_step("data", "synthetic_data", "Adversary", ["teacher"], flop=1e23),
                   make_step("student", "distill", "Adversary", ["data"], flop=9e25))
    assert handed_over(lc) == ()
    assert not check("ca-sb53", lc).covered


def test_is_covered_agrees_with_evaluate_under_developer_duties():
    for policy_id in ("ca-sb53", "ny-raise", "kr-ai-basic-act", "us-eo-14110", "eu-ai-act"):
        policy = load_policy(policy_id)
        for lc in (handed_base(), handed_base(9 * 10**25), handed_base(2 * 10**24, 10**24)):
            for reading in policy.readings:
                assert policy.is_covered(lc, reading) == policy.evaluate(lc, reading).covered, (policy_id, reading.id)


# -- EU: capability limb, integer readings, modifier walk -----------------------------------

def int8_frontier_run(released=dt.date(2025, 8, 2)):
    return lifecycle(make_step("base", "pretrain", "Adversary", flop=5 * 10**26, precision="int8"), released=released)


def test_eu_frontier_int8_run_is_covered_by_the_capability_limb(tmp_path, capsys):
    """Art. 51(1)(a): high-impact capability classifies a model whatever its FLOP count.
    The README's 5e26 INT8 run is covered under the default reading and escapes only when
    the compute presumption stands alone."""
    spec = tmp_path / "int8.json"
    spec.write_text(json.dumps(int8_frontier_run().to_spec()))
    assert main(["check", "eu-ai-act", str(spec), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reading"] == "float-only" and out["covered"] and out["tier"] == "systemic-risk"
    limb = next(c for c in out["clauses"] if c["rule"] == "high-impact")
    assert limb["triggered"] and limb["measured"] >= limb["threshold"]
    presumption = check("eu-ai-act", int8_frontier_run(), "presumption-only")
    assert not presumption.covered and clause(presumption, "systemic").measured == 0


def test_eu_capability_limb_reads_the_policys_coefficients():
    """Drawn coefficients move the artifact and the real models alike (no cached global)."""
    eu = load_policy("eu-ai-act")
    table = dict(default_coefficients())
    table["algorithmic_halving_months"] = dataclasses.replace(table["algorithmic_halving_months"], central=4.0)
    table["training_8bit"] = dataclasses.replace(table["training_8bit"], central=0.5)
    drawn = eu.with_coefficients(Coefficients(table, "test"))
    lc = int8_frontier_run(dt.date(2025, 12, 1))
    default, other = clause(eu.evaluate(lc), "high-impact"), clause(drawn.evaluate(lc), "high-impact")
    assert other.measured != default.measured and other.threshold != default.threshold


def test_eu_a_small_model_is_not_high_impact():
    assert not clause(check("eu-ai-act", lifecycle(make_step("b", "pretrain", "A", flop=10**24))), "high-impact").triggered


def test_eu_undisclosed_fallback_follows_the_originals_designation():
    """The modifier cannot see an undisclosed original's compute; it can see that the
    original is a listed systemic-risk model (here by capability, with 0 FLOP counted
    under float-only). Its 1e24 fine-tune is under a third of 1e25, so it stays a modifier."""
    lc = lifecycle(make_step("base", "pretrain", "A", flop=10**27, precision="int8", disclosed=False),
                   make_step("tune", "finetune", "B", ["base"], flop=10**24))
    verdict = check("eu-ai-act", lc, "float-only")
    assert clause(verdict, "modifier").measured == pytest.approx(0.1)  # 1e24 / 1e25, against one third
    assert not clause(verdict, "modifier").triggered
    # without the capability limb the original is not listed: the 1e23 fallback makes B a provider
    assert clause(check("eu-ai-act", lc, "presumption-only"), "modifier").triggered


def test_eu_modifier_walk_reading_decides_whether_the_base_counts():
    lc = lifecycle(make_step("base", "pretrain", "A", flop=9 * 10**24), make_step("tune", "finetune", "B", ["base"], flop=4 * 10**24))
    assert check("eu-ai-act", lc, "float-only").covered
    eu = load_policy("eu-ai-act")
    own = eu.evaluate(lc, "modifier-own-compute")
    assert not own.covered
    reading = eu.reading("modifier-own-compute")
    deployed_only = Reading(reading.id, reading.question, reading.answer, {**reading.options, "duty": "artifact"})
    verdict = eu.evaluate(lc, deployed_only)
    assert clause(verdict, "systemic").note == "provider: B" and clause(verdict, "systemic").measured == 4 * 10**24


def test_eu_lists_designation_as_a_backstop():
    assert any("designation" in a.lower() and "cannot model" in a for a in load_policy("eu-ai-act").ambiguities)


# -- EO: networking of a cluster -------------------------------------------------------------

def site_run(networking):
    return lifecycle(make_step("b", "pretrain", "A", flop=1e22, sites=[(2e20, True)], site_networking=[networking]))


@pytest.mark.parametrize("networking, default, shown", [(None, True, False), (100, False, False), (400, True, True)])
def test_eo_cluster_needs_networking_over_100_gbit(networking, default, shown):
    eo = load_policy("us-eo-14110")
    assert clause(eo.evaluate(site_run(networking), "single-run"), "cluster").triggered is default
    assert clause(eo.evaluate(site_run(networking), "networking-shown"), "cluster").triggered is shown


def test_site_networking_is_in_the_spec_and_round_trips(tmp_path):
    assert "networking_gbps" in json.dumps(json_schema())
    spec = tmp_path / "site.json"
    spec.write_text(json.dumps(site_run(400).to_spec()))
    assert '"networking_gbps": 400' in spec.read_text()
    assert check("us-eo-14110", spec, "networking-shown").covered


# -- statuses --------------------------------------------------------------------------------

def test_superseded_and_draft_statuses():
    eo = load_policy("us-eo-14110")
    assert eo.in_force_until == dt.date(2025, 1, 20)
    draft = eo.replace(id="d", status="draft", in_force_until=None)
    assert draft.status == "draft"
    replaced = eo.replace(id="old", status="superseded", superseded_by="EO 14999", dates={})
    assert replaced.describe()["superseded_by"] == "EO 14999"
    with pytest.raises(PolicyError, match="superseded_by"):
        eo.replace(status="superseded")
    with pytest.raises(PolicyError, match="in_force_until"):
        eo.replace(in_force_until=None)


def test_release_cap_does_not_depend_on_date_key_names():
    from loopholes.search import _latest_date

    eo = load_policy("us-eo-14110")
    renamed = eo.replace(dates={"withdrawn by EO 14148": "2025-01-20"})
    assert _latest_date(renamed) == _latest_date(eo) == dt.date(2025, 1, 20)


# -- New York RAISE and Korea ----------------------------------------------------------------

def test_new_rules_are_listed(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ny-raise" in out and "kr-ai-basic-act" in out


def test_ny_raise_has_no_cost_test():
    ny = load_policy("ny-raise")
    assert [r.unit for r in ny.rules] == ["operations", "USD"]  # the USD rule is revenue, not training cost
    assert "revenue" in ny.rules[1].measures and ny.status == "enacted"


def test_korea_counts_pre_processing_and_others_fine_tunes():
    lc = lifecycle(make_step("gen", "pretrain", "G", flop=10**24),
                   make_step("data", "synthetic_data", "A", ["gen"], flop=10**24),
                   make_step("base", "pretrain", "A", ["data"], flop=98 * 10**24),
                   make_step("tune", "finetune", "B", ["base"], flop=10**24))
    verdict = check("kr-ai-basic-act", lc)
    assert verdict.covered and clause(verdict, "cumulative").measured == 10**26  # the teacher's 1e24 is not counted


def test_korea_qualitative_conditions_are_parameters():
    kr = load_policy("kr-ai-basic-act")
    params = dict(kr.parameters)
    params["broad_rights_impact"] = dataclasses.replace(params["broad_rights_impact"], value=False)
    narrower = kr.replace(parameters=params)
    lc = lifecycle(make_step("b", "pretrain", "A", flop=2 * 10**26))
    assert kr.evaluate(lc).covered and not narrower.evaluate(lc).covered


@pytest.mark.parametrize("policy_id", ["ny-raise", "kr-ai-basic-act"])
def test_new_rules_backtest(policy_id):
    result = backtest(policy_id)
    covered = {p.model for p in result.covered_models}
    assert "Grok 4" in covered and "GPT-4.5" in covered and "Llama 3.1-405B" not in covered
