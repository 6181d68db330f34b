"""The search finds what the papers describe, and every finding is sound, minimal and
reproducible (docs/design.md §7, issue 4)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopholes import cli, load_policy, parse_lifecycle
from loopholes.errors import StrategyError, UsageError
from loopholes.search import _one_step_smaller, search
from loopholes.strategies import registry


FULL = {"seed": 0, "max_evals": 400_000, "depth": 3}
"""`search`'s defaults, which are also the pytest plugin's: through the `loopholes` fixture
these searches are the ones `pytest policies` runs in the same session, searched once."""


@pytest.fixture(scope="module")
def results(loopholes):
    """One full default search per bundled static rule, shared by the tests below."""
    return {pid: loopholes.search(pid, **FULL) for pid in ("us-eo-14110", "eu-ai-act", "ca-sb53")}


def evading(result, strategy, domain=None, reading=None):
    return [f for f in result.findings if strategy in f.strategies
            and (domain is None or f.domain == domain)
            and (reading is None or reading in f.evades_under)]


@pytest.mark.parametrize("strategy", ["bio-dilution", "cascade", "inference-boost", "throttling",
                                      "algorithmic-progress"])
def test_finds_the_papers_loopholes_in_eo_14110(results, strategy):
    assert evading(results["us-eo-14110"], strategy), f"no finding needs {strategy} against EO 14110"


def test_distillation_alone_no_longer_escapes_with_the_target_capability(results):
    """Issue 10: in compute units a student keeps at most ~0.3 of its teacher and the
    distillation gain has faded at these scales, so the papers' distillation route does not
    reach the standard target by itself (the EO bio and EU/SB 53 findings of the old model)."""
    for pid in ("us-eo-14110", "eu-ai-act", "ca-sb53"):
        assert not [f for f in evading(results[pid], "distillation") if f.strategies == ("distillation",)], pid


def test_eo_bio_dilution_sits_just_under_primarily(results):
    """Essay §3.1.5: 49 % biological data escapes the 1e23 line."""
    finding = evading(results["us-eo-14110"], "bio-dilution", domain="bio")[0]
    bio = next(c for c in finding.verdict.clauses if c.rule == "bio")
    assert not bio.triggered and ("does not pass" in bio.note or "neither passes" in bio.note)
    assert finding.capability.get("bio") >= finding.target.effective_flop


def test_eu_integer_precision_escapes_the_presumption_not_the_capability_limb(results):
    """Art. 3(67) defines floating-point operations: INT8 training escapes the compute
    presumption only where integer operations are not counted, and a frontier-scale INT8
    run escapes only when the capability limb (Art. 51(1)(a)) is set aside (issue 11)."""
    findings = [f for f in evading(results["eu-ai-act"], "integer-precision") if f.strategies == ("integer-precision",)]
    assert findings and all("all-operations" in f.covered_under for f in findings)
    assert all(f.lifecycle.step(s.id).integer for f in findings for s in f.lifecycle.steps if s.kind == "pretrain")
    frontier = [f for f in findings if f.leakage > 20]
    assert frontier and all("float-only" in f.covered_under for f in frontier)  # the default reading has both limbs
    assert any("presumption-only" in f.evades_under for f in frontier)


def test_eu_decentralized_finetune_keeps_each_modifier_under_one_third(results):
    finding = evading(results["eu-ai-act"], "decentralized-finetune")[0]
    modifier = next(c for c in finding.verdict.clauses if c.rule == "modifier")
    assert modifier.measured <= 1 / 3 and not modifier.triggered
    assert finding.lifecycle.artifact.developer.startswith("Modifier")


@pytest.mark.parametrize("strategy", ["algorithmic-progress", "measured-vs-theoretical"])
def test_eu_other_loopholes(results, strategy):
    """(Issue 10: inference-boost and distillation no longer beat the standard target.)"""
    assert evading(results["eu-ai-act"], strategy)


def test_sb53_third_party_finetunes(results):
    result = results["ca-sb53"]
    third_party = evading(result, "decentralized-finetune", reading="developer-only")
    assert third_party and all("include-upstream" in f.covered_under for f in third_party)


def test_a_strategy_that_cannot_work_comes_back_empty():
    """EU has no biological line, so bio-dilution has nothing to attack."""
    result = search("eu-ai-act", strategies=["bio-dilution"])
    assert result.findings == []
    assert result.evaluated <= 2 * 2 * 20  # only the no-strategy baseline per reading was placed


def test_integer_precision_is_blocked_where_integer_operations_count(results):
    assert not evading(results["us-eo-14110"], "integer-precision")
    assert not evading(results["ca-sb53"], "integer-precision")


def test_every_finding_replays_through_check(results, tmp_path, capsys):
    """Soundness through the public path: the saved spec, `loopholes check --json`."""
    for result in results.values():
        assert result.rejected == 0
        for finding in result.findings:
            path = tmp_path / "f.json"
            path.write_text(json.dumps(finding.lifecycle.to_spec()))
            assert cli.main(["check", result.policy.id, str(path), "--reading", finding.reading, "--json"]) == 0
            verdict = json.loads(capsys.readouterr().out)
            assert verdict["covered"] is False
            central = verdict["capability"][finding.domain]["central"]
            assert central == pytest.approx(finding.capability.get(finding.domain))
            assert central >= finding.target.effective_flop


def test_findings_are_minimal(results):
    """No step can be dropped while the artifact stays uncovered and keeps its leakage
    (within the search's SAME_LEAKAGE tolerance)."""
    from loopholes.search import SAME_LEAKAGE

    for result in results.values():
        policy = result.policy
        for finding in result.findings:
            reading = policy.reading(finding.reading)
            for smaller in _one_step_smaller(finding.lifecycle):
                if policy.is_covered(smaller, reading):
                    continue
                kept = policy.evaluate(smaller, reading).capability.get(finding.domain) / finding.target.effective_flop
                placed = finding.margins["placed_leakage"]  # what the minimiser keeps within SAME_LEAKAGE of
                assert finding.leakage >= placed * (1 - SAME_LEAKAGE)
                assert kept < placed * (1 - SAME_LEAKAGE), f"{finding.id}: a step could be dropped"


def test_findings_are_deduplicated(results):
    from loopholes.search import _graph_key

    for result in results.values():
        keys = [(f.domain, _graph_key(f.lifecycle)) for f in result.findings]
        assert len(keys) == len(set(keys))


def test_same_seed_same_output():
    first = search("ca-sb53", seed=7).to_json(timing=False)
    second = search("ca-sb53", seed=7).to_json(timing=False)
    assert json.dumps(first) == json.dumps(second)


def test_budget_is_respected():
    result = search("us-eo-14110", max_evals=500)
    assert result.exhausted and result.evaluated <= 500 + 200  # one combination may finish its placement


def scaled(policy, factor):
    """The same rule with every line lowered (a stricter rule), targets unchanged."""
    rules = tuple(dataclasses.replace(r, threshold=r.threshold * factor) if r.unit != "share of original compute" else r
                  for r in policy.rules)
    return policy.replace(id=f"{policy.id}-x{factor:g}", rules=rules)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pid=st.sampled_from(["us-eo-14110", "eu-ai-act", "ca-sb53"]),
       factor=st.sampled_from([0.5, 0.1, 0.01]))
def test_a_stricter_rule_never_has_more_loopholes(pid, factor):
    """Monotonicity: lowering the lines never adds findings for the same target."""
    policy = load_policy(pid)
    strategies = ["throttling", "inference-boost", "decentralized-finetune", "integer-precision", "split-runs"]
    kwargs = dict(strategies=strategies, depth=2, seed=1, domain="general", target_flop=policy.target_lines["general"])
    loose = {(r, s) for f in search(policy, **kwargs).findings for r in f.evades_under for s in f.strategies}
    strict = {(r, s) for f in search(scaled(policy, factor), **kwargs).findings for r in f.evades_under
              for s in f.strategies}
    assert strict <= loose


def test_target_flop_and_domain_override():
    result = search("eu-ai-act", strategies=["throttling"], target_flop=1e24)
    assert result.targets["general"].honest_flop == 1e24
    with pytest.raises(UsageError, match="draws no line for domain 'bio'"):
        search("eu-ai-act", domain="bio")


def test_bad_arguments_are_clear_errors(capsys):
    with pytest.raises(StrategyError, match="unknown strategy 'nope'; valid: distillation"):
        search("eu-ai-act", strategies=["nope"])
    assert cli.main(["search", "eu-ai-act", "--max-evals", "0"]) == 2
    assert cli.main(["search", "eu-ai-act", "--target-flop", "-5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("loopholes: error:") for line in err)


def test_search_cli_text_and_json(capsys, tmp_path):
    assert cli.main(["search", "eu-ai-act", "--strategy", "integer-precision", "--save", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "integer-precision" in text and "slipped past" in text and "loopholes check eu-ai-act" in text
    saved = list(tmp_path.glob("*.json"))
    assert saved and parse_lifecycle(json.loads(saved[0].read_text()))
    assert cli.main(["search", "ca-sb53", "--strategy", "measured-vs-theoretical", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"policy", "target", "findings", "stats"}
    assert set(data["target"]) >= {"domain", "effective_flop"}  # docs/design.md §9: an object, the first domain
    assert [t["domain"] for t in data["targets"]] == ["general"]
    assert set(data["stats"]) >= {"evaluated", "seconds"}
    finding = data["findings"][0]
    assert set(finding) >= {"id", "strategies", "lifecycle", "verdict", "capability", "robust", "margins", "cost"}
    assert set(finding["cost"]) == {"flop", "ratio_to_honest"}


def test_every_strategy_cites_and_bounds():
    for strategy in registry().values():
        assert strategy.cites and strategy.bounds and strategy.attacks
        assert all(isinstance(v, str) and v for v in strategy.bounds.values())


@pytest.fixture(scope="module")
def dynamic_results(loopholes):
    return {pid: loopholes.search(pid, **FULL) for pid in ("dynamic-percentile", "risk-index")}


@pytest.mark.parametrize("pid, strategy", [("dynamic-percentile", "reference-class"),
                                           ("dynamic-percentile", "release-timing"),
                                           ("risk-index", "index-underreporting")])
def test_finds_the_dynamic_rules_loopholes(dynamic_results, pid, strategy):
    """Essay §5.2-5.3: a percentile rule can be gamed by the class, the date and the inputs."""
    result = dynamic_results[pid]
    assert result.rejected == 0
    assert evading(result, strategy), f"no finding needs {strategy} against {pid}"


def test_dynamic_rule_reference_class_ranks_a_bio_model_among_language_models(dynamic_results):
    finding = evading(dynamic_results["dynamic-percentile"], "reference-class", domain="bio")[0]
    assert "language" in finding.verdict.clauses[0].note
    assert finding.capability.get("bio") >= finding.target.effective_flop


def test_static_only_strategies_stay_off_dynamic_rules(dynamic_results):
    """Algorithmic progress is the static-line attack (docs/design.md §7); moving the date against
    a dynamic rule is release-timing; there is no share test to dilute."""
    for result in dynamic_results.values():
        assert not evading(result, "algorithmic-progress") and not evading(result, "bio-dilution")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pid=st.sampled_from(["us-eo-14110", "eu-ai-act", "ca-sb53", "dynamic-percentile"]),
       strategies=st.lists(st.sampled_from(sorted(registry())), min_size=1, max_size=3, unique=True),
       seed=st.integers(0, 2**16))
def test_soundness_every_finding_reverifies(pid, strategies, seed):
    """Whatever the seed and the strategies, a reported finding is uncovered under its
    reading through the check path, reaches the target, and nothing was rejected."""
    result = search(pid, strategies=strategies, seed=seed, depth=2, max_evals=20_000)
    assert result.rejected == 0
    for finding in result.findings:
        replayed = parse_lifecycle(json.loads(json.dumps(finding.lifecycle.to_spec())))
        verdict = result.policy.evaluate(replayed, finding.reading)
        assert not verdict.covered
        assert verdict.capability.get(finding.domain) >= finding.target.effective_flop
        assert set(finding.strategies) <= set(strategies)


def test_the_search_summary_states_each_strategy_as_the_report_does():
    """Was: `loopholes search` called a strategy material when it only rode along in another
    strategy's material finding, while the report (and compare) called it marginal."""
    from loopholes.cli.search import summary_text
    from loopholes.reporting.measures import strategy_state
    from loopholes.search import search

    result = search("ca-sb53", seed=0, max_evals=20_000)
    lines = {line.split(": ")[0]: line.split(": ", 1)[1] for line in summary_text(result).splitlines()
             if line.startswith("strategies that ")}
    material = lines["strategies that evade materially"].split(", ")
    marginal = lines["strategies that evade only marginally"].split(", ")
    for strategy in result.strategies:
        state = strategy_state(result, strategy)[0]
        assert (strategy in material) == (state in ("robust", "material")), strategy
        assert (strategy in marginal) == (state == "marginal"), strategy
    assert "sparsity" in marginal  # it adds a material gain only together with algorithmic-progress


# -- evasions drawn outside the search (the benchmark's race): the search must reach each --

RACE_FINDS_DIR = Path(__file__).resolve().parent / "race_finds"


def _leakage_of(policy, lc, domain: str) -> float:
    from loopholes.capability import effective_compute
    from loopholes.search import honest_target

    return effective_compute(lc, policy.reference_date, policy.coefficients)[domain][1] / honest_target(policy, domain).bands[1]


RACE_FINDS = {  # file -> (rule, domain, reading it evades under, what the capability model scores it at now)
    "ny-raise-general.yaml": ("ny-raise", "general", "developer-only", 1.51),
    "us-eo-14110-bio.yaml": ("us-eo-14110", "bio", "networking-shown", 575),
    "dynamic-percentile-bio.yaml": ("dynamic-percentile", "bio", "lineage", 350),
    "dynamic-percentile-bio-moe.yaml": ("dynamic-percentile", "bio", "model", 135),
    "dynamic-percentile-bio-moe-pooled.yaml": ("dynamic-percentile", "bio", "pooled", 198),
}
RACE_FINDS_OPEN = {  # finds that lead through a practice no strategy builds: (as above, and its coefficient)
    "dynamic-percentile-bio-moe-pretrain.yaml": ("dynamic-percentile", "bio", "pooled", 548, "moe_gain"),
}
ALL_RACE_FINDS = {**RACE_FINDS, **RACE_FINDS_OPEN}


@pytest.fixture(scope="module")
def race_finds(loopholes):
    from loopholes.loading import load_lifecycle

    out, searched = {}, {}
    for name, (pid, domain, reading_id, *_) in ALL_RACE_FINDS.items():
        policy = load_policy(pid)
        reading = next(r for r in policy.readings if r.id == reading_id)
        if (pid, domain) not in searched:
            searched[pid, domain] = loopholes.search(pid, domain=domain, **FULL)
        out[name] = (policy, domain, reading, load_lifecycle(RACE_FINDS_DIR / name), searched[pid, domain])
    return out


@pytest.mark.parametrize("name", sorted(ALL_RACE_FINDS))
def test_race_finds_evade_their_rule(race_finds, name):
    """Hypothesis drew them in the benchmark's race (section 3) with more leakage than the
    search then found; `check` confirms each is still not covered."""
    policy, domain, reading, lc, _ = race_finds[name]
    assert not policy.is_covered(lc, reading)
    assert cli.main(["check", policy.id, str(RACE_FINDS_DIR / name), "--reading", reading.id]) == 0
    assert _leakage_of(policy, lc, domain) == pytest.approx(ALL_RACE_FINDS[name][3], rel=0.01)


def _published_best(pid: str, domain: str) -> float:
    """The search's best leakage in reports/<rule>.json: what the reports publish."""
    doc = json.loads((Path(__file__).resolve().parent.parent / "reports" / f"{pid}.json").read_text())
    return max(f["leakage"] for f in doc["findings"] if f["domain"] == domain)


@pytest.mark.parametrize("name", sorted(RACE_FINDS))
def test_no_race_find_leaks_more_than_the_searchs_best(race_finds, name):
    """What settled each (docs/findings.md): on ny-raise the search now reaches it (a
    modifier trains on the core run's curated data, as the other party's run in the find
    did); on us-eo-14110 the find was scored again, lower, once RL stopped crediting
    biological-sequence capability with a gain measured on text (rl_gain_bio, a
    judgement); on dynamic-percentile the search now climbs from its sampled variants
    (it had missed a December release with half-biological data), and mixture-of-experts
    credit, a pre-training figure, no longer goes to fine-tunes and RL runs (moe_gain).
    Checked against this search and against the figure the reports publish. A new find
    that leaks more goes in tests/race_finds/ too."""
    policy, domain, reading, lc, result = race_finds[name]
    leakage = _leakage_of(policy, lc, domain)
    assert result.leakage()[domain] >= leakage
    assert _published_best(policy.id, domain) >= leakage * (1 - 1e-4)


@pytest.mark.parametrize("name", sorted(RACE_FINDS_OPEN))
def test_an_open_race_find_needs_its_practice_to_lead(race_finds, name):
    """The find leaks more than the search's best, and needs one practice no strategy
    builds to do so (native mixture-of-experts pre-training, an open question in
    docs/findings.md): with that practice's coefficient at 1, central coefficients
    otherwise, it leaks no more than the search's best. This shows the practice is
    necessary for the lead at central values, not that it is all the find does."""
    from loopholes.capability import Coefficients, default_coefficients, effective_compute
    from loopholes.search import honest_target

    policy, domain, reading, lc, result = race_finds[name]
    best = result.leakage()[domain]
    assert best == pytest.approx(_published_best(policy.id, domain), rel=1e-4)
    assert _leakage_of(policy, lc, domain) > best
    base = policy.coefficients or default_coefficients()
    coefficient = RACE_FINDS_OPEN[name][4]
    table = {n: base[n] for n in base}
    table[coefficient] = dataclasses.replace(table[coefficient], low=1.0, central=1.0, high=1.0)
    without = Coefficients(table, f"{coefficient} at 1")
    target = honest_target(policy, domain).bands[1]  # a dense honest model: the coefficient does not reach it
    assert effective_compute(lc, policy.reference_date, without)[domain][1] / target <= best


RACE_FINDS_COVERED = {  # file -> rule: finds that escaped only through how the encoding read the text, now mended
    "us-eo-14110-bio-share-plain.yaml": "us-eo-14110",
    "us-eo-14110-bio-share-target.yaml": "us-eo-14110",
}


@pytest.mark.parametrize("name", sorted(RACE_FINDS_COVERED))
def test_race_finds_that_exposed_a_reading_gap_are_covered(name, capsys):
    """Each hid a run mostly of biological data behind a larger (or equally large) run,
    while a single-run reading read the "primarily" share from the largest run alone."""
    from loopholes.loading import load_lifecycle

    policy, lc = load_policy(RACE_FINDS_COVERED[name]), load_lifecycle(RACE_FINDS_DIR / name)
    for reading in policy.readings:
        assert policy.is_covered(lc, reading), reading.id
    assert cli.main(["check", policy.id, str(RACE_FINDS_DIR / name), "--reading", "single-run"]) == 0
    assert ": COVERED (tier: dual-use-foundation-model)" in capsys.readouterr().out


def test_a_modifier_trains_on_the_core_runs_data_recipe():
    from loopholes.strategies.plan import Plan, build

    for curated in (False, True):
        lc = build(Plan(released=dt.date(2023, 1, 1), curated_data=curated, modifiers=2, modifier_flop=1e24))
        tunes = [s for s in lc.steps if s.id.startswith("tune-")]
        assert len(tunes) == 2 and all(s.curated_data is curated for s in tunes)
    late = build(Plan(released=dt.date(2025, 1, 1), modifiers=1, modifier_flop=1e24))  # curated data standard by then
    assert all(s.curated_data for s in late.steps if s.kind in ("pretrain", "finetune") and s.id != "instruct")


def test_a_sampled_composition_climbs_to_the_variant_pair_its_sample_missed(monkeypatch):
    """reference-class x release-timing has 48 variant sets; the search samples 8, none of
    them a half-biological model released in the last month the rule is judged. From the
    best sample it changes one strategy's variant at a time (`_Engine._climb`) and reaches
    that pair, which leaks far more; without the climb it stays at the sample's best."""
    import loopholes.search as engine

    def pair(result):
        return max((f for f in result.findings if f.strategies == ("reference-class", "release-timing")
                    and "model" in f.evades_under), key=lambda f: f.leakage)

    run = lambda: engine.search("dynamic-percentile", domain="bio", seed=0, draws=1,  # noqa: E731
                                strategies=["reference-class", "release-timing"])
    climbed = pair(run())
    assert climbed.lifecycle.released == engine.FULL_COVERAGE
    assert dict(climbed.lifecycle.steps[0].data) == {"bio": 0.49, "general": 0.51}
    monkeypatch.setattr(engine._Engine, "_climb", lambda *args: None)
    sampled = pair(run())
    assert sampled.lifecycle.released < engine.FULL_COVERAGE
    assert climbed.leakage > 2 * sampled.leakage
