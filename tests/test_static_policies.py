"""Verdicts of the three bundled static instruments, per reading, on real models and on
small lifecycles built here (docs/legal-sources.md).

Real-model figures are Epoch AI's (loopholes/data/EPOCH_DATA.md), kept in
`examples/*.yaml`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopholes import Lifecycle, check, load_lifecycle, load_policy, make_step
from loopholes.cli import main
from loopholes.lifecycle import Hardware

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EO, EU, SB53 = "us-eo-14110", "eu-ai-act", "ca-sb53"
READINGS = {EO: ("single-run", "cumulative"), EU: ("float-only", "all-operations"),
            SB53: ("developer-only", "include-upstream")}
ALL = [(policy, reading) for policy, readings in READINGS.items() for reading in readings]
DAY = dt.date(2025, 9, 1)


def lifecycle(*steps, deploy: str | None = None, revenue: dict[str, float] | None = None) -> Lifecycle:
    """A lifecycle of `steps` deploying the last one (or `deploy`)."""
    return Lifecycle(name="t", released=DAY, deploy=deploy or steps[-1].id, steps=steps, revenue_usd=revenue or {})


def pretrain(flop: float, developer: str = "A", **options) -> Lifecycle:
    return lifecycle(make_step("base", "pretrain", developer, flop=flop, **options))


def fine_tune(base_flop: float, tune_flop: float, *, base_dev: str = "A", tune_dev: str = "B",
              disclosed: bool = True) -> Lifecycle:
    """Developer `base_dev` pretrains; `tune_dev` fine-tunes that base and deploys."""
    return lifecycle(make_step("base", "pretrain", base_dev, flop=base_flop, disclosed=disclosed),
                     make_step("tuned", "finetune", tune_dev, ["base"], flop=tune_flop))


def clause(verdict, rule: str):
    return next(c for c in verdict.clauses if c.rule == rule)


def example(name: str) -> Path:
    return EXAMPLES / f"{name}.yaml"


# -- real models ------------------------------------------------------------------------

@pytest.mark.parametrize("reading", READINGS[EO])
def test_llama_405b_is_below_the_eo_line(reading):
    """Llama 3.1 405B (3.8e25) is under EO 14110's 1e26 under both readings."""
    verdict = check(EO, example("llama-3.1-405b"), reading)
    assert not verdict.covered and verdict.tier is None
    assert clause(verdict, "general").measured == pytest.approx(3.8e25, rel=0.01)


@pytest.mark.parametrize("reading", READINGS[EU])
def test_llama_405b_is_presumed_systemic_risk_in_the_eu(reading):
    """Llama 3.1 405B passes the AI Act's 1e25 presumption (Art. 51(2)) under both readings."""
    verdict = check(EU, example("llama-3.1-405b"), reading)
    assert verdict.covered and verdict.tier == "systemic-risk"


@pytest.mark.parametrize("reading", READINGS[SB53])
def test_llama_405b_is_not_an_sb53_frontier_model(reading):
    """Llama 3.1 405B is under SB 53's 1e26 frontier line."""
    assert not check(SB53, example("llama-3.1-405b"), reading).covered


@pytest.mark.parametrize("policy, reading", ALL)
def test_grok_3_is_covered_by_all_three(policy, reading):
    """Grok 3 (3.5e26, Epoch) passes every instrument's top line under every reading."""
    verdict = check(policy, example("grok-3"), reading)
    assert verdict.covered
    assert verdict.tier in {"dual-use-foundation-model", "systemic-risk", "frontier-model"}


@pytest.mark.parametrize("reading", READINGS[EO])
@pytest.mark.parametrize("model", ["xtrimopglm-100b", "esm3-98b", "evo2-40b"])
def test_bio_models_above_1e23_meet_the_eo_bio_clause(model, reading):
    """xTrimoPGLM-100B (6.2e23), ESM3 98B (1.07e24) and Evo 2 40B (2.25e24) are caught by
    the bio clause (> 1e23, primarily biological data), not by the general 1e26 line."""
    verdict = check(EO, example(model), reading)
    assert verdict.covered and verdict.tier == "dual-use-foundation-model"
    assert clause(verdict, "bio").triggered and not clause(verdict, "general").triggered


@pytest.mark.parametrize("reading", READINGS[EO])
@pytest.mark.parametrize("model, flop", [("evo", 2.0e22), ("esm2-15b", 7.35e22)])
def test_bio_models_below_1e23_escape_the_eo(model, flop, reading):
    """Evo (2.0e22) and ESM-2 15B (7.35e22) are below the EO bio line."""
    verdict = check(EO, example(model), reading)
    assert not verdict.covered
    assert clause(verdict, "bio").measured == pytest.approx(flop)


def test_every_example_loads_and_cites_its_figures():
    """Each example spec loads and opens with a comment saying where its figures come from."""
    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert len(paths) >= 10
    for path in paths:
        load_lifecycle(path)
        assert path.read_text().startswith("#"), f"{path.name} cites no source"


# -- where the lines sit: strict or not --------------------------------------------------

# Every bundled compute line, exactly on it and one operation either side, as integers
# (a float literal moves the line: int(1e25) is 10^25 + 905,969,664). (policy, reading,
# rule, line, data, covered exactly on the line)
BOUNDARIES = [
    (EO, "single-run", "general", 10**26, None, False),
    (EO, "single-run", "bio", 10**23, {"bio": 1.0}, False),
    (EU, "presumption-only", "systemic", 10**25, None, False),
    (EU, "presumption-only", "gpai", 10**23, None, False),
    (SB53, "developer-only", "frontier", 10**26, None, False),
    ("ny-raise", "developer-only", "frontier", 10**26, None, False),
    ("kr-ai-basic-act", "all-operations", "cumulative", 10**26, None, True),
]


def _triggers(policy_id, reading, rule, flop, data):
    options = {"data": data} if data else {}
    return clause(load_policy(policy_id).evaluate(pretrain(flop, **options), reading), rule).triggered


@pytest.mark.parametrize("policy_id, reading, rule, line, data, on_line", BOUNDARIES)
def test_every_bundled_line_is_exact_on_both_sides(policy_id, reading, rule, line, data, on_line):
    """One operation under the line never triggers, one over always does, and the line itself
    follows the comparator: '>' for EO 14110, the EU, SB 53 and RAISE; '>=' for Korea."""
    assert not _triggers(policy_id, reading, rule, line - 1, data)
    assert _triggers(policy_id, reading, rule, line, data) is on_line
    assert _triggers(policy_id, reading, rule, line + 1, data)


def test_just_over_1e25_as_an_integer_is_over_the_eu_line():
    """10^25 + 10^8 given as an integer is above 10^25 (as a float it rounds to 1e25)."""
    verdict = load_policy(EU).evaluate(pretrain(10**25 + 10**8), "presumption-only")
    assert verdict.covered and clause(verdict, "systemic").measured == 10**25 + 10**8


def test_exactly_1e23_is_not_over_the_eo_bio_line():
    """The float 1e23 is 10^23 - 8,388,608; the integer 10^23 is exactly on the line and not above it."""
    eo = load_policy(EO)
    assert not clause(eo.evaluate(pretrain(10**23, data={"bio": 1.0})), "bio").triggered
    assert clause(eo.evaluate(pretrain(10**23 + 1, data={"bio": 1.0})), "bio").triggered


def test_integer_specs_keep_their_exact_count(tmp_path):
    """A spec's integer flop reaches the verdict unrounded (JSON and YAML alike)."""
    spec = tmp_path / "just-over.json"
    spec.write_text(json.dumps({"name": "just over", "released": "2025-09-01", "deploy": "base",
                                "steps": [{"id": "base", "kind": "pretrain", "developer": "A",
                                           "flop": 10**25 + 10**8}]}))
    verdict = check(EU, spec, reading="presumption-only")
    assert verdict.covered and clause(verdict, "systemic").measured == 10**25 + 10**8


def test_korea_covers_exactly_1e26_and_new_york_does_not():
    assert check("kr-ai-basic-act", pretrain(10**26)).covered
    assert not check("ny-raise", pretrain(10**26)).covered


def test_eu_modifier_share_is_exact_at_one_third():
    """A modification of exactly a third of the original is not 'more than' a third."""
    eu = load_policy(EU)
    assert clause(eu.evaluate(fine_tune(3 * 10**22, 10**22), "presumption-only"), "modifier").triggered is False
    assert clause(eu.evaluate(fine_tune(3 * 10**22, 10**22 + 1), "presumption-only"), "modifier").triggered


def test_a_cluster_of_exactly_1e20_ops_per_second_is_covered():
    """EO §4.2(b)(ii) gives no comparator; encoded as 'at least': 1e20 ops/s is covered."""
    eo = load_policy(EO)
    on_line = eo.evaluate(pretrain(1e22, sites=[(1e20, True)]))
    assert on_line.covered and on_line.tier == "computing-cluster"
    assert clause(on_line, "cluster").measured == 1e20
    assert not eo.evaluate(pretrain(1e22, sites=[(math.nextafter(1e20, 0), True)])).covered


def test_a_cluster_that_is_not_co_located_does_not_count():
    """The cluster trigger is about machines co-located in one datacenter."""
    assert not load_policy(EO).evaluate(pretrain(1e22, sites=[(5e20, False), (5e19, True)])).covered


@pytest.mark.parametrize("bio, covered", [(0.49, False), (0.5, False), (0.51, True)])
def test_primarily_biological_means_more_than_half(bio, covered):
    """A 5e23 run is caught by the EO bio clause only when bio data is over half the tokens."""
    lc = pretrain(5e23, data={"bio": bio, "general": 1 - bio})
    for reading in READINGS[EO]:
        assert load_policy(EO).evaluate(lc, reading).covered is covered


@pytest.mark.parametrize("steps, covered", [
    ((("pretrain", 9e25, 0.0), ("continued_pretrain", 8e25, 0.9), ("continued_pretrain", 8e25, 0.9)), True),
    ((("pretrain", 9.9e23, 1.0), ("finetune", 5e23, 0.0), ("finetune", 5e23, 0.0)), True),
    ((("pretrain", 9e25, 0.0), ("continued_pretrain", 8e25, 0.4), ("continued_pretrain", 8e25, 0.4)), False),
])
def test_under_single_run_either_the_counted_runs_or_the_models_bio_share_decides(steps, covered):
    """Only the largest run's compute counts, and "trained primarily on biological data"
    holds when that run's data or all the model's runs' data are mostly biological: a
    mostly-biological model cannot hide behind a larger general run (58 %; Hypothesis drew
    such models when only the counted run's share was read), nor an all-biological
    counted run behind smaller general ones (49.7 % over the model), while biological data
    under half in both senses still escapes the bio line."""
    made, previous = [], []
    for i, (kind, flop, bio) in enumerate(steps):
        made.append(make_step(f"s{i}", kind, "A", previous, flop=flop, data={"bio": bio, "general": 1 - bio}))
        previous = [f"s{i}"]
    lc = lifecycle(*made)
    for reading in ("single-run", "networking-shown"):
        verdict = load_policy(EO).evaluate(lc, load_policy(EO).reading(reading))
        assert verdict.covered is covered, reading
        bio = clause(verdict, "bio")
        assert bio.measured == steps[0][1] and "over the model's runs" in bio.note and "in its largest run" in bio.note


# -- integer operations ----------------------------------------------------------------

def test_int8_training_escapes_the_eu_float_only_reading():
    """2e25 int8 operations are not 'floating-point operations' (Art. 3(67)) under
    float-only, but count under all-operations."""
    path = example("int8-student")
    assert not check(EU, path, "float-only").covered
    assert check(EU, path, "float-only").tier is None
    verdict = check(EU, path, "all-operations")
    assert verdict.covered and clause(verdict, "systemic").measured == 2e25


@pytest.mark.parametrize("reading", READINGS[EO])
def test_eo_counts_integer_operations(reading):
    """EO 14110 says 'integer or floating-point operations': 2e26 int8 is covered."""
    verdict = load_policy(EO).evaluate(pretrain(2e26, precision="int8"), reading)
    assert verdict.covered and clause(verdict, "general").measured == 2e26


# -- hardware estimates ----------------------------------------------------------------

def test_hardware_estimate_is_chips_times_hours_times_peak_times_utilization():
    """count x hours x 3600 x peak x utilization, with the cited H100 BF16 dense peak."""
    with resources.files("loopholes.data").joinpath("chips.toml").open("rb") as handle:
        peak = tomllib.load(handle)["H100"]["bf16"]
    assert peak == 989.4e12
    step = load_lifecycle(example("hardware-h100")).artifact
    assert step.flop == pytest.approx(16384 * 1882.3 * 3600 * peak * 0.346, rel=1e-12)
    assert step.flop == pytest.approx(3.8e25, rel=0.01)  # Epoch's figure for Llama 3.1 405B


def test_fp8_run_estimated_at_the_bf16_peak_reports_half():
    """An fp8 run whose estimate uses the bf16 peak reports about half the operations it ran,
    and the EO measures the reported figure (the measured-vs-theoretical gap)."""
    hw = Hardware(chip="H100", count=16384, hours=2000.0, utilization=0.4, peak_precision="bf16")
    step = make_step("base", "pretrain", "A", hardware=hw, precision="fp8")
    assert step.flop == pytest.approx(16384 * 2000 * 3600 * 1978.9e12 * 0.4)
    assert step.reported_flop == pytest.approx(step.flop / 2, rel=1e-3)
    verdict = load_policy(EO).evaluate(lifecycle(step))
    assert clause(verdict, "general").measured == step.reported_flop
    assert verdict.total_flop == step.flop


# -- whose compute counts --------------------------------------------------------------

@pytest.mark.parametrize("reading", READINGS[SB53])
def test_own_rl_on_own_base_counts_under_sb53(reading):
    """SB 53 adds the developer's own RL (2e25) to its own 9e25 base: 1.1e26 is covered."""
    verdict = check(SB53, example("rl-on-own-base"), reading)
    assert verdict.covered and clause(verdict, "frontier").measured == pytest.approx(1.1e26)


def test_own_rl_on_own_base_under_the_eo_depends_on_the_reading():
    """EO single-run sees the 9e25 pretrain only; the cumulative reading adds the RL run."""
    single = check(EO, example("rl-on-own-base"), "single-run")
    assert not single.covered and clause(single, "general").measured == 9e25
    assert check(EO, example("rl-on-own-base"), "cumulative").covered


def test_third_party_fine_tune_under_sb53_depends_on_the_reading():
    """B's 2e24 fine-tune of A's 9.9e25 base: B's own compute is under 1e26, base plus
    fine-tune is over it."""
    lc = fine_tune(9.9e25, 2e24)
    sb53 = load_policy(SB53)
    assert not sb53.evaluate(lc, "developer-only").covered
    upstream = sb53.evaluate(lc, "include-upstream")
    assert upstream.covered and clause(upstream, "frontier").measured == pytest.approx(1.01e26)


def test_eu_fine_tune_under_a_third_leaves_the_original_provider():
    """B's 2.9e24 on A's 9e24 is under one third: A stays provider, 9e24 is not systemic."""
    verdict = load_policy(EU).evaluate(fine_tune(9e24, 2.9e24))
    assert not verdict.covered and verdict.tier == "general-purpose"
    assert clause(verdict, "modifier").measured == pytest.approx(2.9 / 9)
    assert clause(verdict, "systemic").note == "provider: A"
    assert clause(verdict, "systemic").measured == 9e24


def test_eu_fine_tune_over_a_third_makes_a_new_provider():
    """B's 4e24 on A's 9e24 is over one third: B becomes provider of 1.3e25, systemic."""
    verdict = load_policy(EU).evaluate(fine_tune(9e24, 4e24))
    assert verdict.covered and verdict.tier == "systemic-risk"
    assert clause(verdict, "modifier").triggered
    assert clause(verdict, "systemic").note == "provider: B"
    assert clause(verdict, "systemic").measured == pytest.approx(1.3e25)


def test_eu_original_providers_own_fine_tune_always_counts():
    """The one-third test is for downstream actors only: A's own 2e24 joins its 9e24."""
    verdict = load_policy(EU).evaluate(fine_tune(9e24, 2e24, tune_dev="A"))
    assert verdict.covered and clause(verdict, "systemic").measured == pytest.approx(1.1e25)


@pytest.mark.parametrize("base, tune, ratio, new_provider", [
    (9e24, 3e22, 0.3, False),   # not systemic: one third of 1e23
    (9e24, 4e22, 0.4, True),
    (2e25, 3e24, 0.3, False),   # systemic original: one third of 1e25
    (2e25, 4e24, 0.4, True),
])
def test_eu_fallback_when_the_original_compute_is_not_disclosed(base, tune, ratio, new_provider):
    """With `disclosed: false` the modifier compares with 1e23 (or 1e25 for a systemic-risk
    original), not with the base's real compute (GPAI Guidelines para ~61)."""
    verdict = load_policy(EU).evaluate(fine_tune(base, tune, disclosed=False))
    assert clause(verdict, "modifier").measured == pytest.approx(ratio)
    assert clause(verdict, "systemic").note == f"provider: {'B' if new_provider else 'A'}"


@pytest.mark.parametrize("revenue, tier", [
    (None, "frontier-model"), (6e8, "large-frontier-developer"), (5e8, "frontier-model")])
def test_sb53_large_developer_tier_needs_revenue_over_500m(revenue, tier):
    """A frontier model's developer is 'large' only with revenue over $500M (strict)."""
    lc = pretrain(3.5e26, developer="X")
    if revenue is not None:
        lc = lifecycle(*lc.steps, revenue={"X": revenue})
    verdict = load_policy(SB53).evaluate(lc)
    assert verdict.covered and verdict.tier == tier


def test_sb53_revenue_alone_does_not_cover():
    """A large company's sub-frontier model is not covered: the revenue tier needs the model tier."""
    verdict = load_policy(SB53).evaluate(lifecycle(*pretrain(3.8e25, developer="X").steps, revenue={"X": 6e8}))
    assert not verdict.covered and verdict.tier is None


# -- the command line ------------------------------------------------------------------

@pytest.mark.parametrize("policy", list(READINGS))
def test_check_json_has_the_design_fields(policy, capsys):
    """`check --json` carries its stable fields with the right types."""
    assert main(["check", policy, str(example("grok-3")), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["policy"] == policy and out["reading"] == READINGS[policy][0]
    assert out["artifact"] == "model" and out["covered"] is True and isinstance(out["tier"], str)
    assert out["clauses"]
    for item in out["clauses"]:
        assert {"clause", "measured", "threshold", "comparator", "triggered"} <= set(item)
        assert item["comparator"] in (">", ">=") and isinstance(item["triggered"], bool)
        for number in (item["measured"], item["threshold"]):
            assert isinstance(number, (int, float)) and not isinstance(number, bool)
    for domain in ("general", "bio"):
        bands = out["capability"][domain]
        assert set(bands) >= {"low", "central", "high"}
        assert bands["low"] <= bands["central"] <= bands["high"]
    assert out["compute"]["total_flop"] == 3.5e26


@pytest.mark.parametrize("policy", list(READINGS))
def test_unknown_reading_exits_2_listing_the_valid_ones(policy, capsys):
    """A reading the policy does not offer is a usage error that lists the valid readings."""
    assert main(["check", policy, str(example("grok-3")), "--reading", "strictest"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "strictest" in err
    assert all(reading in err for reading in READINGS[policy])


def test_check_works_from_another_folder(tmp_path):
    """Bundled ids resolve from any folder, and a relative spec path is read from the cwd."""
    shutil.copy(example("grok-3"), tmp_path / "grok.yaml")
    exe = Path(sys.executable).with_name("loopholes")  # the console script, where it is installed beside
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "loopholes"]  # never from PATH
    done = subprocess.run([*command, "check", SB53, "grok.yaml", "--json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "LOOPHOLES_NO_PLUGINS": "1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["covered"] is True


@settings(max_examples=30, deadline=None)
@given(row=st.sampled_from(BOUNDARIES), offset=st.integers(-10**12, 10**12))
def test_integer_counts_near_a_line_are_judged_exactly(row, offset):
    """Property: within 10^12 operations of any bundled line (well inside one float step at
    10^26), the verdict is the comparator applied to exact integers."""
    policy_id, reading, rule, line, data, _ = row
    comparator = next(r.comparator for r in load_policy(policy_id).rules if r.id == rule)
    expected = line + offset > line if comparator == ">" else line + offset >= line
    assert _triggers(policy_id, reading, rule, line + offset, data) is expected
