"""Issue 14: a placement whose straddle spans a grid point probes that point instead of
the value under the guess (`search._deciding_point`), which saves a probe when a crossing
sits on a round number. The placement must still be the largest value on the 3-digit
grid (after the 1 % back-off) that the rule leaves uncovered: uncovered where it is
placed, covered one grid step higher."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopholes import load_policy
from loopholes.search import BACKOFF, _Budget, _deciding_point, _Engine, honest_target
from loopholes.strategies import registry
from loopholes.strategies.plan import build, next_grid, round_down


def _engine(policy):
    targets = {d: honest_target(policy, d) for d in policy.target_lines}
    return _Engine(policy, targets, list(registry().values()), random.Random(0), _Budget(10**9, None), 3)


@given(st.floats(1e18, 1e28), st.floats(1e-6, 1e-3))
def test_the_deciding_point_is_the_grid_value_between_the_two(value, width):
    below, above = value, value * (1 + width)
    point = _deciding_point(below, above)
    if round_down(below * BACKOFF) == round_down(above * BACKOFF):
        assert point is None
        return
    grid = next_grid(round_down(below * BACKOFF)) / BACKOFF
    if not below * (1 + 1e-8) < grid < above * (1 - 1e-8):
        return  # at the edge of round_down's tolerance: the point may fall outside (below, above)
    assert point is not None and below < point < above
    assert round_down(point * BACKOFF * (1 + 1e-12)) == next_grid(round_down(below * BACKOFF))


@pytest.mark.parametrize("pid", ["us-eo-14110", "risk-index"])
def test_every_single_strategy_is_placed_tight(pid):
    """Every strategy's first variant under every reading (generated placements are
    checked the same way in test_bulk_evaluation)."""
    policy = load_policy(pid)
    engine = _engine(policy)
    checked = 0
    for domain in sorted(policy.target_lines):
        for reading in policy.readings:
            for strategy in [s for s in registry().values() if s.applies(policy, domain)]:
                variants = list(strategy.variants(engine._setting(domain, reading))) or [{}]
                placed = engine._placed_plan((strategy,), {strategy.id: variants[0]}, domain, reading)
                if placed is None or placed[1]:
                    continue
                plan = placed[0]
                assert not policy.is_covered(build(plan), reading)
                last = "modifier_flop" if plan.modifiers else "core_flop"
                setattr(plan, last, next_grid(getattr(plan, last)) / BACKOFF * (1 + 1e-9))
                assert policy.is_covered(build(plan), reading), (strategy.id, reading.id)
                checked += 1
    assert checked >= 10


def test_a_crossing_on_a_round_number_takes_two_probes():
    """EO 14110 under `single-run` counts the largest run: an honest plan without its
    instruction tune crosses at exactly 10^26, whose backed-off value 9.9e25 is a grid
    point. Told the exact crossing, the placement settles it with two evaluations (before
    the grid point was probed in place of a value under the guess it took three)."""
    from loopholes.strategies.plan import Plan

    policy = load_policy("us-eo-14110")
    reading = policy.reading("single-run")
    engine = _engine(policy)
    plan = Plan(domain="general", released=policy.reference_date, honest_finetune=False)
    plan.core_flop = 1e22
    shape = ("round-number test",)
    engine.plan_crossings[shape] = 1e26
    before = engine.budget.used
    placed = engine._place(plan, "core_flop", 1e22, 2e26, reading, shape)
    assert engine.budget.used - before == 2
    assert placed == round_down(1e26 * BACKOFF) and float(placed) == 9.9e25
