"""Issue 10: each point of the scaling-laws review, as a test that failed on the old
capability model and passes on the new one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from loopholes.capability import default_coefficients, effective_compute
from loopholes.lifecycle import Lifecycle, make_step
from loopholes.strategies.plan import Plan, build

REF = dt.date(2025, 8, 2)
CO = default_coefficients()


def lifecycle(*steps, released: dt.date = REF) -> Lifecycle:
    return Lifecycle(name="t", released=released, deploy=steps[-1].id, steps=steps)


def cap(lc: Lifecycle, step_id: str | None = None, ref: dt.date = REF):
    return effective_compute(lc if step_id is None else dataclasses.replace(lc, deploy=step_id), ref)


def ratios(a, b, domain="general"):
    return [a[domain][i] / b[domain][i] for i in range(3)]


# 1. distillation --------------------------------------------------------------------

def test_a_70b_student_keeps_about_a_third_of_its_teacher_in_compute_units():
    """R1's 70B student trails R1 by 6.3 points on GPQA: at 12 points per 10x that is 0.30 of
    the teacher's compute, not the 0.88 of a score ratio. Even at the high end <= 0.30."""
    teacher = make_step("teacher", "pretrain", "T", flop=1e25)
    student = make_step("student", "distill", "S", ["teacher"], params=70e9, tokens=1e25 / (6 * 70e9))
    lc = lifecycle(teacher, student)
    kept = ratios(cap(lc), cap(lc, "teacher"))
    assert kept[2] <= 0.30 + 1e-9 and 0.1 <= kept[1] <= 0.3


def test_a_7b_student_keeps_about_one_percent():
    """R1's 7B student trails by 22 GPQA points: ~0.013 of the teacher's compute."""
    teacher = make_step("teacher", "pretrain", "T", flop=1e25)
    student = make_step("student", "distill", "S", ["teacher"], params=7e9, tokens=1e25 / (6 * 7e9))
    lc = lifecycle(teacher, student)
    kept = ratios(cap(lc), cap(lc, "teacher"))
    assert kept[1] == pytest.approx(0.013, rel=0.05) and kept[2] <= 0.05


def test_the_distillation_gain_fades_with_student_compute():
    """Gemma 2's 2.5x was measured at 200M-1B parameters; per Busbridge et al. 2025 it is
    gone at frontier scale: a 1e25 student with a huge teacher gets no gain at central."""
    def gain(flop):
        distilled = lifecycle(make_step("teacher", "pretrain", "T", flop=1e30),
                              make_step("student", "distill", "S", ["teacher"], flop=flop))
        plain = lifecycle(make_step("student", "pretrain", "S", flop=flop))
        return ratios(cap(distilled), cap(plain))

    assert gain(1e20)[1] == pytest.approx(CO["distill_gain"].central)
    assert gain(1e25)[1] == pytest.approx(1.0)
    assert gain(1e25)[2] == pytest.approx(1.0)
    assert 1.0 < gain(1e23)[1] < CO["distill_gain"].central


def test_the_teachers_forward_passes_are_charged_on_the_synthetic_data_step():
    """EU finding f43334: a 5e26 teacher over a 9.36e24 student's tokens is ~2.3e25 FLOP of
    generation (2 N_teacher D_student), not 1e-3 of the teacher's pre-training (5e23)."""
    lc = build(Plan(core="distill", teacher_flop=5e26, core_flop=9.36e24, released=REF))
    generation = next(s for s in lc.steps if s.kind == "synthetic_data")
    assert generation.flop == pytest.approx(2.3e25, rel=0.05)
    assert "teacher-data" in next(s for s in lc.steps if s.kind == "distill").inputs


def test_finetuning_a_distilled_model_does_not_escape_the_teacher_ceiling():
    """EO bio/distillation/276881 reached 1.24e24 from a 6.2e23 teacher by fine-tuning the
    student. Every later step (fine-tune, RL, boost, ensemble) stays under the ceiling plus
    the later steps' own training compute."""
    teacher = make_step("teacher", "pretrain", "T", flop=6.2e23, data={"bio": 1.0})
    steps = [teacher, make_step("student", "distill", "S", ["teacher"], flop=9.9e22, data={"bio": 1.0}),
             make_step("tune", "finetune", "S", ["student"], flop=3e20, data={"bio": 1.0}),
             make_step("rl", "rl", "S", ["tune"], flop=3e20),
             make_step("cot", "inference_boost", "S", ["rl"], boost=("cot", 1)),
             make_step("tools", "inference_boost", "S", ["cot"], boost=("tool_use", 1))]
    lc = lifecycle(*steps)
    ceiling = cap(lc, "teacher")
    retention = CO["distill_retention_small" if math.sqrt(9.9e22 / 120) < 10e9 else "distill_retention_large"].bands
    final = cap(lc)
    for b in range(3):
        assert final["bio"][b] <= ceiling["bio"][b] * retention[b] + 1e21
        assert final["bio"][b] < ceiling["bio"][b]


def test_an_ensemble_of_distilled_students_stays_under_the_teacher_ceiling():
    teacher = make_step("teacher", "pretrain", "T", flop=1e25)
    students = [make_step(f"s{i}", "distill", "S", ["teacher"], params=70e9, tokens=1e25 / (6 * 70e9)) for i in range(5)]
    lc = lifecycle(teacher, *students, make_step("vote", "ensemble", "S", [s.id for s in students]),
                   make_step("bon", "inference_boost", "S", ["vote"], boost=("best_of_n", 250)))
    kept = ratios(cap(lc), cap(lc, "teacher"))
    assert all(k <= r + 1e-9 for k, r in zip(kept, CO["distill_retention_large"].bands))


# 2. inference-time compute -------------------------------------------------------------

def test_best_of_250_is_worth_little_for_bio():
    """The exchange rates were measured with verifiers on math and code; bio gets a small
    J band (old model: 10x at central in bio too)."""
    plain = lifecycle(make_step("m", "pretrain", "A", flop=1e23, data={"bio": 1.0}))
    boosted = lifecycle(*plain.steps, make_step("b", "inference_boost", "A", ["m"], boost=("best_of_n", 250)))
    gain = ratios(cap(boosted), cap(plain), "bio")
    assert gain[1] <= 2.0 and gain[2] <= 4.0


def test_the_exchange_rate_comes_from_the_inference_for_training_direction():
    """0.7 was the pruning trade (training bought to cut inference); the sampling rates are
    1/1.5 (repeated sampling) and at most 4/5 (verifiable tasks)."""
    assert CO["inference_exchange_rate"].central == pytest.approx(1 / 1.5, rel=0.01)
    assert CO["inference_exchange_rate"].high != pytest.approx(0.7)


def test_a_voting_ensemble_and_best_of_n_count_sampling_once():
    """Li et al.'s voting is sampling; best-of-n on top of it must not multiply (the SB 53
    evasion got 78x from 6.57e24 members this way)."""
    members = [make_step(f"m{i}", "pretrain", "A", flop=6.57e24) for i in range(15)]
    vote = make_step("vote", "ensemble", "A", [m.id for m in members])
    both = lifecycle(*members, vote, make_step("bon", "inference_boost", "A", ["vote"], boost=("best_of_n", 250)))
    single = lifecycle(members[0])
    only_bon = lifecycle(members[0], make_step("bon", "inference_boost", "A", ["m0"], boost=("best_of_n", 250)))
    only_vote = lifecycle(*members, vote)
    for b in range(3):
        assert cap(both)["general"][b] == pytest.approx(max(cap(only_bon)["general"][b], cap(only_vote)["general"][b]))
    assert cap(both).get("general") / cap(single).get("general") < 20


def test_the_standard_honest_target_already_has_cot_and_tools():
    """A standard deployment practice is not a loophole: under the "standard" profile a
    chain-of-thought or tool-use boost adds nothing over the honest plan (EU date)."""
    honest = effective_compute(build(Plan(released=REF)), REF)
    for method in ("cot", "tool_use"):
        boosted = effective_compute(build(Plan(released=REF, boost=(method, 1))), REF)
        assert boosted.values == honest.values
    bare = effective_compute(build(Plan(released=REF, profile="bare")), REF)
    assert honest.get("general") > bare.get("general")


# 3. measured vs theoretical ---------------------------------------------------------------

def test_a_bf16_peak_estimate_of_an_fp8_run_is_not_a_fixed_2x_undercount():
    """DeepSeek-V3 ran at ~16.5 % of its FP8 peak: estimated at the BF16 peak with a standard
    utilisation there is hardly any undercount (low 1x); FP8-LM's speed-up bounds it (1.75x)."""
    hardware = build(Plan(released=REF, form="hardware", precision="fp8", peak_precision="bf16", profile="bare"))
    step = next(s for s in hardware.steps if s.kind == "pretrain")
    same = build(Plan(released=REF, core_flop=step.reported_flop, precision="fp8", profile="bare"))
    gain = ratios(effective_compute(hardware, REF), effective_compute(same, REF))
    assert step.flop / step.reported_flop == pytest.approx(2.0, rel=1e-3)  # the peak ratio the lifecycle records
    assert gain[0] == pytest.approx(1.0, rel=0.02) and gain[1] < 1.5 and gain[2] <= 1.76


# 4. throttling + curated data vs algorithmic progress ------------------------------------

def test_curated_data_is_not_stacked_on_algorithmic_progress():
    """Ho et al.'s rate already includes better data: judged against a reference date when
    curated data was not yet standard (EO 14110's), a curated run released a year later
    gets the larger of the two factors, not their product."""
    ref = dt.date(2023, 10, 30)
    later = ref + dt.timedelta(days=365)

    def run(curated, released):
        return cap(lifecycle(make_step("m", "pretrain", "A", flop=1e24, curated_data=curated), released=released), ref=ref)

    plain, both, only_later, only_data = run(False, ref), run(True, later), run(False, later), run(True, ref)
    for b in range(3):
        assert both["general"][b] == pytest.approx(max(only_later["general"][b], only_data["general"][b]))
    assert both.get("general") < only_later.get("general") * only_data.get("general") / plain.get("general")


def test_once_curated_data_is_standard_progress_comes_on_top_of_it():
    """Against a reference date when curated data was already standard (the EU's), the
    honest recipe has it, and a year's progress multiplies it: no free gain, no lost one."""
    later = REF + dt.timedelta(days=365)
    now = lifecycle(make_step("m", "pretrain", "A", flop=1e24, curated_data=True))
    then = lifecycle(make_step("m", "pretrain", "A", flop=1e24, curated_data=True), released=later)
    months = 365 / (365.25 / 12)
    assert cap(then).get("general") / cap(now).get("general") == pytest.approx(2 ** (months / 8.0))


def test_bio_models_use_their_own_halving_time():
    """The language-model halving time (8 months) is not applied to biological models."""
    later = REF + dt.timedelta(days=365)
    now = lifecycle(make_step("m", "pretrain", "A", flop=1e23, data={"bio": 1.0}))
    then = lifecycle(make_step("m", "pretrain", "A", flop=1e23, data={"bio": 1.0}), released=later)
    months = 365 / (365.25 / 12)
    assert cap(then).get("bio") / cap(now).get("bio") == pytest.approx(2 ** (months / CO["algorithmic_halving_months_bio"].central))
    assert CO["algorithmic_halving_months_bio"].central != CO["algorithmic_halving_months"].central


def test_the_target_profile_is_chosen_and_recorded():
    """`--target-profile bare` keeps the old target; the JSON says which profile was used."""
    from loopholes.errors import UsageError
    from loopholes.rules.registry import load_policy
    from loopholes.search import honest_target

    policy = load_policy("eu-ai-act")
    standard, bare = honest_target(policy, "general"), honest_target(policy, "general", profile="bare")
    assert standard.to_json()["profile"] == "standard" and bare.to_json()["profile"] == "bare"
    assert standard.effective_flop > bare.effective_flop
    assert {s.boost_method for s in standard.lifecycle.steps} >= {"cot", "tool_use"}
    assert not any(s.kind == "inference_boost" for s in bare.lifecycle.steps)
    with pytest.raises(UsageError, match="target profile"):
        honest_target(policy, "general", profile="fancy")


def test_the_bio_standard_target_gets_no_language_model_affordances():
    """No chain-of-thought, tools or curated data count as standard for bio sequence models."""
    lc = build(Plan(domain="bio", released=REF))
    assert not any(s.kind == "inference_boost" for s in lc.steps) and not any(s.curated_data for s in lc.steps)
