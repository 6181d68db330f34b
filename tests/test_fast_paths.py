"""The search's caches and fast paths agree with the slow paths they replace.

- `strategies.plan.build` reuses steps between builds (`_STEPS`) and copies a plan's
  core run under other ids (`_renamed`): the lifecycles must be the ones make_step
  builds, field by field and type by type (a step keeps an integer count exact);
- `capability.effective_compute` shares one walk between views of a lifecycle
  (`rooted`, `frontier.the_model`): every view's capability must be a fresh walk's;
- the search memoises capability by step identity (`_Engine._capability`);
- `accounting.total`, `accounting.domain_share` and `Lifecycle.model_inputs` /
  `data_inputs` are plain loops now: the same numbers as the comprehensions they replace;
- the search's probes skip a rule's `Note` (its text cannot change a verdict): the trace
  without notes is the trace with them, text aside, and coverage never reads the text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopholes import accounting, load_policy  # the package root: stays put when modules move
from loopholes.capability import default_coefficients, effective_compute
from loopholes.rules.frontier import the_model
from loopholes.lifecycle import Lifecycle, Step, rooted
from loopholes.search import _Budget, _Engine, honest_target
from loopholes.sensitivity import joint_draws
from loopholes.strategies import plan as plan_module
from loopholes.strategies.plan import Plan, build
from loopholes.testing import lifecycles

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fields(lc: Lifecycle) -> list:
    """Every field of every step with its type, so 10**22 and 1e22 differ."""
    return [[(f.name, getattr(s, f.name), type(getattr(s, f.name))) for f in dataclasses.fields(s)] for s in lc.steps]


class _NoCache(dict):
    """A `_STEPS` that never keeps anything: every step is made afresh."""

    def __setitem__(self, key, value) -> None:
        pass


def _slow_build(plan: Plan) -> Lifecycle:
    """build() with no step reused and every core run made by make_step's own __init__."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(plan_module, "_STEPS", _NoCache())
        m.setattr(plan_module, "_renamed", lambda values, step_id, kind, inputs: Step(
            **{**dict(zip(plan_module._FIELDS, values)), "id": step_id, "kind": kind, "inputs": inputs}))
        return build(plan)


# Knob values: round integers and their float twins (10**22 == 1e22 exactly), 3-digit grid values
# and arbitrary floats, as placements and predicted crossings give them.
_knob = st.one_of(st.sampled_from([10 ** 22, 1e22, 2 ** 83, float(2 ** 83), 10 ** 25, 1e25, 3 * 10 ** 22, 3e22]),
                  st.floats(1e18, 1e27), st.integers(10 ** 18, 10 ** 27))

_plans = st.builds(
    Plan,
    domain=st.sampled_from(["general", "bio"]),
    released=st.sampled_from([dt.date(2023, 6, 1), dt.date(2024, 7, 8), dt.date(2025, 6, 1)]),
    core_flop=_knob, teacher_flop=_knob, modifier_flop=_knob,
    data=st.sampled_from([None, {"bio": 0.6}, {"bio": 1}, {"general": 0.5, "bio": 0.5}]),
    precision=st.sampled_from(["bf16", "fp8", "int8"]),
    curated_data=st.booleans(),
    sparsity=st.sampled_from([0.0, 0, 0.5]),
    form=st.sampled_from(["flop", "params", "hardware"]),
    peak_precision=st.sampled_from([None, "bf16"]),
    split_sites=st.sampled_from([1, 3]),
    core=st.sampled_from(["pretrain", "distill", "moe", "split"]),
    experts=st.sampled_from([2, 8]), parts=st.sampled_from([2, 3]),
    members=st.sampled_from([1, 2, 5]), system=st.sampled_from([None, "ensemble", "cascade"]),
    honest_finetune=st.booleans(), modifiers=st.sampled_from([0, 1, 2]),
    boost=st.sampled_from([None, ("best_of_n", 8), ("best_of_n", 8.0), ("cot", 1)]),
    profile=st.sampled_from(["standard", "bare"]),
)


@FAST
@given(st.lists(st.tuples(_plans, st.sampled_from(["core_flop", "teacher_flop", "modifier_flop"]), _knob),
                min_size=1, max_size=6))
def test_build_with_reused_steps_is_the_build_without(probes):
    """Probes as the search makes them (one plan, one knob moved at a time, integer and
    float twins among the values): the cached build equals the uncached one exactly."""
    for plan, knob, value in probes:
        for current in (plan, dataclasses.replace(plan, **{knob: value})):
            assert _fields(build(current)) == _fields(_slow_build(current))


def test_an_integer_count_is_not_taken_from_its_float_twin():
    """10**22 == 1e22 (exactly) and they hash alike: a key without types would hand the
    float step to the integer plan, whose count would then no longer be exact."""
    assert 10 ** 22 == 1e22
    as_float, as_int = build(Plan(core_flop=1e22)), build(Plan(core_flop=10 ** 22))
    assert type(as_float.step("base").flop) is float and type(as_int.step("base").flop) is int


def test_unchanged_steps_are_shared_between_probes():
    """What the cache is for: moving the core run leaves the boosts' step objects as they were."""
    plan = Plan(boost=("best_of_n", 8), modifiers=1)
    first = build(plan).index
    plan.core_flop = 2e25
    second = build(plan).index
    assert second["boosted"] is first["boosted"] and second["tune-1"] is first["tune-1"]
    assert second["base"] is not first["base"]


_tables = [default_coefficients(), *joint_draws(default_coefficients(), 2, seed=5)]


def _fresh(lc: Lifecycle) -> Lifecycle:
    """The same steps in a lifecycle of its own (no shared memo)."""
    return Lifecycle.trusted(lc.name, lc.released, lc.deploy, lc.steps, lc.reach)


@FAST
@given(lifecycles(max_steps=6), st.randoms(use_true_random=False))
def test_views_sharing_one_walk_get_fresh_walks_values(lc, rng):
    """Every model in a lifecycle (rooted views, the GPAI model view) under tables taken in
    any order: the shared walk gives what a walk of its own gives."""
    views = [lc, the_model(lc)] + [rooted(lc, step.id) for step in lc.steps if step.kind != "synthetic_data"]
    reference = dt.date(2024, 7, 8)
    calls = [(view, table) for view in views for table in _tables]
    rng.shuffle(calls)
    for view, table in calls:
        assert effective_compute(view, reference, table) == effective_compute(_fresh(view), reference, table)


def test_the_model_view_shares_the_walk():
    """The GPAI model view of a boosted artifact reads the artifact's walk (no second walk)."""
    lc = build(Plan(boost=("best_of_n", 8)))
    effective_compute(lc, dt.date(2024, 7, 8))
    model = the_model(lc)
    assert model.deploy == "instruct" and model._memo is lc._memo
    assert effective_compute(model, dt.date(2024, 7, 8)) == effective_compute(_fresh(model), dt.date(2024, 7, 8))


def test_search_capability_memo_agrees_with_a_fresh_walk():
    """_Engine._capability keys by step identity: a plan built again hits, a plan that
    differs only in the type of a knob (10**22 vs 1e22) does not share its entry, and
    every answer is effective_compute's."""
    policy = load_policy("us-eo-14110")
    targets = {"general": honest_target(policy, "general")}
    engine = _Engine(policy, targets, [], random.Random(0), _Budget(10 ** 6, None), 1)
    for flop in (1e22, 10 ** 22, 1e22, 3.3e24, 10 ** 22):
        lc = build(Plan(core_flop=flop, released=policy.reference_date, boost=("best_of_n", 4)))
        expected = effective_compute(_fresh(lc), policy.reference_date, policy.coefficients)
        assert engine._capability(lc) == expected
    assert len(engine.capabilities) == 3  # 1e22 and 10**22 kept apart, repeats found


def _total_reference(steps, counting):
    values = [accounting.counted(step, counting) for step in steps]
    return sum(values) if all(type(v) is int for v in values) else math.fsum(values)


def _share_reference(steps, domain):
    runs = [step for step in steps if step.kind in accounting.TRAINING_KINDS]
    if not runs:
        return 0.0
    use_tokens = all(step.tokens for step in runs)
    weights = [(step.tokens if use_tokens else step.flop) or 0.0 for step in runs]
    whole = math.fsum(weights)
    if whole <= 0:
        return max(step.share(domain) for step in runs)
    return math.fsum(w * step.share(domain) for w, step in zip(weights, runs)) / whole


@FAST
@given(lifecycles(max_steps=6))
def test_total_and_inputs_are_the_comprehensions_they_replace(lc):
    for counting in (accounting.Counting(), accounting.Counting(integer=False, estimate="executed"),
                     accounting.Counting(estimate="dense")):
        got, want = accounting.total(lc.steps, counting), _total_reference(lc.steps, counting)
        assert got == want and type(got) is type(want)
    for domain in ("general", "bio"):
        assert accounting.domain_share(lc.steps, domain) == _share_reference(lc.steps, domain)
    for step in lc.steps:
        inputs = [lc.index[i] for i in step.inputs]
        assert lc.model_inputs(step) == tuple(s for s in inputs if s.kind != "synthetic_data")
        assert lc.data_inputs(step) == tuple(s for s in inputs if s.kind == "synthetic_data")


def test_a_fixed_coefficient_is_what_replace_gives():
    from loopholes.sensitivity import _fixed

    for c in default_coefficients().values():
        for value in (c.low, c.central, c.high, 0.0):
            assert _fixed(c, value) == dataclasses.replace(c, low=value, central=value, high=value)


@FAST
@given(_plans, st.sampled_from(["core_flop", "teacher_flop", "modifier_flop"]))
def test_plan_key_is_the_generator_it_replaced(plan, knob):
    from loopholes.search import _PLAN_FIELDS, _plan_key

    expected = tuple(tuple(sorted(value.items())) if isinstance(value, dict) else value
                     for name, value in ((f, getattr(plan, f)) for f in _PLAN_FIELDS) if name != knob)
    assert _plan_key(plan, knob) == expected


# -- notes: text the probes skip -----------------------------------------------------------

NOTED_RULES = ("dynamic-percentile", "risk-index")
"""The bundled rules whose line comes with a `Note` (where the computed line came from)."""


@pytest.mark.parametrize("pid", NOTED_RULES)
@FAST
@given(lc=lifecycles(max_steps=5), index=st.integers(0, 10))
def test_a_trace_without_notes_is_the_trace_with_them_text_aside(pid, lc, index):
    from loopholes.rules.framework import Note

    policy = load_policy(pid)
    assert any(type(rule.condition) is Note for rule in policy.rules)
    reading = policy.readings[index % len(policy.readings)]
    full = policy.evaluate_rules(lc, reading)
    bare = policy.evaluate_rules(lc, reading, notes=False)
    assert [dataclasses.replace(c, note="") for c in full] == list(bare)
    noted = [c for c, rule in zip(full, policy.rules) if type(rule.condition) is Note]
    assert all(c.note for c in noted)  # the text is there when a trace is asked for
    assert policy.is_covered(lc, reading) == any(c.triggered and c.tier in policy.covered_tiers for c in full)


def test_coverage_and_bare_traces_never_read_a_notes_text_and_full_traces_do():
    from loopholes.errors import PolicyError
    from loopholes.rules.framework import Note, Rule

    calls = []

    def text(ctx):
        calls.append(ctx)
        raise RuntimeError("the note's text was read")

    policy = load_policy("us-eo-14110")
    rule = dataclasses.replace(policy.rules[0], threshold=1, condition=Note(text))
    draft = policy.replace(rules=(rule,) + tuple(policy.rules[1:]))
    lc = build(plan_module.honest_plan("general", policy.reference_date, 1e24))
    reading = draft.readings[0]
    assert draft.is_covered(lc, reading)  # past a line of 1 operation, the note unread
    assert draft.evaluate_rules(lc, reading, notes=False)[0].triggered and calls == []
    with pytest.raises(PolicyError, match=r"text\(\) at .*test_fast_paths.py:\d+ raised RuntimeError"):
        draft.evaluate_rules(lc, reading)  # a trace reads it, and a failure names the function and line
    assert isinstance(rule, Rule) and len(calls) == 1


def test_a_note_that_returns_anything_but_text_is_a_policy_error():
    from loopholes.errors import PolicyError
    from loopholes.rules.framework import Note

    def judged(ctx):
        return False, "looks like a test, but a Note cannot fail"

    policy = load_policy("us-eo-14110")
    rule = dataclasses.replace(policy.rules[0], threshold=1, condition=Note(judged))
    draft = policy.replace(rules=(rule,) + tuple(policy.rules[1:]))
    lc = build(plan_module.honest_plan("general", policy.reference_date, 1e24))
    with pytest.raises(PolicyError, match=r"judged\(\) .*must return its text"):
        draft.evaluate_rules(lc, draft.readings[0])


def test_a_trace_without_notes_still_judges_every_real_condition():
    """Only a Note's text is left out: a share test that fails still fails."""
    policy = load_policy("us-eo-14110")
    lc = build(plan_module.honest_plan("general", policy.reference_date, 1e24))  # past the bio line, no bio data
    for reading in policy.readings:
        bare = policy.evaluate_rules(lc, reading, notes=False)
        full = policy.evaluate_rules(lc, reading)
        bio = [c for c in bare if c.threshold == 10**23]
        assert bio and all(c.measured > c.threshold and not c.triggered for c in bio)
        assert [c.triggered for c in bare] == [c.triggered for c in full]


def test_a_note_is_equal_to_its_copies():
    import copy
    import pickle

    policy = load_policy("risk-index")
    assert pickle.loads(pickle.dumps(policy)) == policy and copy.deepcopy(policy) == policy
    assert "Note(_note)" in repr(policy.rules[0].condition)
