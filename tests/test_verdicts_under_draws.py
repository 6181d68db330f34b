"""Issue 14: a verdict under a drawn coefficient table judges again only the rules whose
verdict read capability (`Policy.central_verdict`, `CentralVerdict.under`). That must
give, for every rule, reading, lifecycle and table, what judging the whole rule under
that table gives -- with and without the EU limb's numbers computed in bulk first."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datetime as dt

from loopholes import load_policy
from loopholes.capability import Coefficients, TableReads, load_coefficients
from loopholes.lifecycle import Lifecycle, make_step
from loopholes.rules import frontier
from loopholes.rules.framework import Context, Rule, training_compute
from loopholes.rules.registry import policy_ids
from loopholes.sensitivity import joint_draws
from loopholes.testing import lifecycles

POLICIES = {pid: load_policy(pid) for pid in policy_ids()}
TABLE = load_coefficients()
DRAWS = joint_draws(TABLE, 12, seed=11)
COLUMNS = Coefficients.columns(list(DRAWS), "12 draws")


@pytest.mark.parametrize("pid", sorted(POLICIES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lc=lifecycles(max_steps=6), data=st.data())
def test_rejudging_the_rules_that_read_capability_is_judging_the_whole_rule(pid, lc, data):
    policy = POLICIES[pid]
    reading = data.draw(st.sampled_from(policy.readings))
    central = policy.central_verdict(lc, reading)
    assert central.covered == policy.is_covered(lc, reading)
    if data.draw(st.booleans()):
        frontier.prepare_draws(policy, lc, DRAWS, COLUMNS)
    for table in data.draw(st.lists(st.sampled_from(DRAWS), min_size=1, max_size=3, unique_by=id)):
        drawn = policy.with_coefficients(table)
        assert central.under(drawn) == drawn.is_covered(lc, reading)


def test_a_value_memoised_from_the_table_counts_as_reading_it_when_reused():
    """A rule that reuses a memoised value computed from capability by an earlier rule of
    the same model must be judged again under another table, though it never asked for
    capability itself."""
    policy = POLICIES["eu-ai-act"]
    ctx = Context(None, policy.readings[0], policy)  # type: ignore[arg-type]
    ctx.memo("plain", lambda: 1.0)

    def from_capability() -> float:
        TableReads.count += 1
        return 2.0

    ctx.memo("read", from_capability)
    before = TableReads.count
    ctx.memo("plain", lambda: 0.0)
    assert TableReads.count == before
    ctx.memo("read", lambda: 0.0)
    assert TableReads.count == before + 1


# -- near the EU frontier, where draws flip verdicts -----------------------------------------

EU = POLICIES["eu-ai-act"]
SIXTY = joint_draws(TABLE, 60, seed=3)
SIXTY_COLUMNS = Coefficients.columns(list(SIXTY), "60 draws")
WHEN = dt.date(2025, 9, 1)


def _frontier_flop(policy, reading) -> float:
    """The training compute of an int8 run whose capability sits at the central frontier
    (int8, so that a reading counting floating-point operations only leaves the compute
    presumption to the limb)."""
    probe = Lifecycle("probe", WHEN, "p", (make_step("p", "pretrain", "A", flop=1e25, precision="int8"),))
    ctx = Context(probe, reading, policy)
    return 1e25 * frontier.frontier_line(ctx) / frontier.capability_of(ctx)


def _near_frontier(flop: float) -> list[Lifecycle]:
    """An int8 run near the frontier deployed by its developer, and one handed to another
    developer who quantizes it to int4 (below the frontier): under a developer-level duty
    only the handed-over model's verdict can move with the draws."""
    own = Lifecycle("own", WHEN, "p", (make_step("p", "pretrain", "A", flop=flop, precision="int8"),))
    handed = Lifecycle("handed", WHEN, "q", (make_step("p", "pretrain", "A", flop=flop, precision="int8"),
                                             make_step("q", "quantize", "B", ["p"], flop=0.0, precision="int4")))
    return [own, handed]


def _agree(policy, lc, reading, prepared: bool, tables=SIXTY) -> tuple[int, int, int]:
    """(tables checked, verdicts that differ from the central one, of which in lifecycles
    covered centrally), asserting the re-judged verdict is the whole rule's each time."""
    central = policy.central_verdict(lc, reading)
    assert central.covered == policy.is_covered(lc, reading)
    if prepared:
        frontier.prepare_draws(policy, lc, SIXTY, SIXTY_COLUMNS)
    flips = flips_covered = 0
    for table in tables:
        drawn = policy.with_coefficients(table)
        whole = drawn.is_covered(lc, reading)
        assert central.under(drawn) == whole, (lc.name, reading.id, table.origin)
        flips += whole != central.covered
        flips_covered += central.covered and not whole
    return len(tables), flips, flips_covered


@pytest.mark.parametrize("reading_id", ["float-only", "frontier-top-1"])
def test_verdicts_near_the_frontier_under_draws(reading_id):
    """Runs from 0.5x to 2x the frontier's compute, deployed by their developer or handed
    over: the re-judged verdicts are the whole rule's, and the check bites (verdicts
    covered centrally flip, and so do handed-over models')."""
    reading = EU.reading(reading_id)
    line = _frontier_flop(EU, reading)
    flips = {"own": [0, 0], "handed": [0, 0]}
    for factor in (0.5, 0.7, 0.85, 0.93, 0.97, 1.0, 1.03, 1.08, 1.15, 1.3, 1.6, 2.0):
        for lc in _near_frontier(line * factor):
            for prepared in (False, True):
                _, moved, moved_covered = _agree(EU, lc, reading, prepared)
                flips[lc.name][0] += moved
                flips[lc.name][1] += moved_covered
    assert flips["own"][1] > 0 and flips["handed"][1] > 0, flips


def test_a_line_read_from_the_table_is_judged_again_beside_the_limb():
    """A drafter's rule whose line is the frontier (a number that depends on the table)
    and whose measure is compute: judged again under every draw, though its measure reads
    no capability (the reviewer's reproducer: 152 of 300 draws were wrong)."""
    limb = next(r for r in EU.rules if r.id == "high-impact")
    line_rule = Rule("compute-vs-frontier", "draft", "lineage compute vs the frontier", 0.0, ">=", "systemic-risk",
                     training_compute("lineage"), line=frontier.frontier_line)
    policy = EU.replace(rules=(limb, line_rule), duty="artifact")
    reading = policy.reading("all-operations")
    probe = Lifecycle("x", WHEN, "p", (make_step("p", "pretrain", "A", flop=1e25),))
    line = frontier.frontier_line(Context(probe, reading, policy))
    lc = Lifecycle("int8-at-the-line", WHEN, "p", (make_step("p", "pretrain", "A", flop=line * 1.02,
                                                             precision="int8"),))
    assert policy.central_verdict(lc, reading).moving
    _, moved, _ = _agree(policy, lc, reading, prepared=False)
    assert moved > 0


def test_a_backtested_model_keeps_its_series_value_and_is_judged_again():
    """A real model judged as a backtest member takes its capability from the frontier's
    series, which depends on the table: that counts as reading it. Its rank among the
    real models moves only under tables wider than the draws (found by the reviewer)."""
    import dataclasses

    from loopholes.probes import member_reading, record_lifecycle

    central = {name: dataclasses.replace(c, low=c.central, high=c.central) for name, c in TABLE.items()}
    wide = []  # one coefficient at a time at a quarter of its smallest end or 4x its largest, the rest central
    for name, c in sorted(TABLE.items()):
        for value in (min(c.bands) / 4, max(c.bands) * 4):
            entries = dict(central, **{name: dataclasses.replace(c, low=value, central=value, high=value)})
            wide.append(Coefficients(entries, f"{name} at {value:g}"))
    policy = EU.replace(duty="artifact")
    checked = moved = 0
    for record in frontier._candidate_records("language")[:60]:
        lc = record_lifecycle(record, record.flop())
        for reading_id in ("float-only", "frontier-top-1"):
            reading = member_reading(policy.reading(reading_id), record)
            n, flips, _ = _agree(policy, lc, reading, prepared=False, tables=wide)
            checked += n
            moved += flips
    assert checked and moved > 0
