"""Evaluations per second on one core, over the lifecycles a search builds.

One evaluation is what the search pays for a lifecycle it keeps: a verdict
(`Policy.is_covered`) and a capability (`effective_compute`). Every timed lifecycle is a
fresh object: a `Lifecycle` memoises its lineage and index, the search evaluates freshly
built ones, so timing the same objects twice would measure warm caches. Each figure is the
best of a few repeats, the usual way to read through a shared machine's noise, timed at
the garbage collector's pace a search runs at (`loopholes.collector.relaxed`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import loopholes.capability
from loopholes.collector import relaxed
from loopholes.lifecycle import Lifecycle
from loopholes.sensitivity import joint_draws
from loopholes.strategies.plan import build


def fresh(lc: Lifecycle) -> Lifecycle:
    """The same lifecycle as a new object with no memoised lineage (steps are immutable and
    shared)."""
    out = Lifecycle.trusted(lc.name, lc.released, lc.deploy, lc.steps, lc.reach)
    object.__setattr__(out, "revenue_usd", lc.revenue_usd)
    return out


def _best_of(repeats: int, prepare: Callable[[], Any], run: Callable[[Any], None]) -> float:
    """Shortest wall time of `run(prepare())` over `repeats` runs (prepare is not timed)."""
    best = float("inf")
    for _ in range(repeats):
        data = prepare()
        with relaxed():
            start = time.perf_counter()
            run(data)
            best = min(best, time.perf_counter() - start)
    return best


@dataclass(frozen=True)
class Rate:
    lifecycles: int
    verdict_us: float
    capability_us: float
    pair_us: float
    build_us: float

    @property
    def per_second(self) -> float:
        """Evaluations (verdict + capability) per second."""
        return 1e6 / self.pair_us


def object_rate(policy: Any, lifecycles: Sequence[Lifecycle], plans: Sequence[Any] = (), repeats: int = 3) -> Rate:
    """Per-lifecycle cost of a verdict, a capability, both, and (given plans) of building
    the lifecycle, over the captured mix; readings taken in turn."""
    readings = policy.readings
    jobs = [(lc, readings[i % len(readings)]) for i, lc in enumerate(lifecycles)]
    date, table = policy.reference_date, policy.coefficients
    effective_compute = loopholes.capability.effective_compute

    def clones():
        return [(fresh(lc), reading) for lc, reading in jobs]

    def verdicts(data):
        for lc, reading in data:
            policy.is_covered(lc, reading)

    def capabilities(data):
        for lc, _ in data:
            effective_compute(lc, date, table)

    def pairs(data):
        for lc, reading in data:
            policy.is_covered(lc, reading)
            effective_compute(lc, date, table)

    def builds(data):
        for plan in data:
            build(plan)

    n = len(jobs)
    build_s = _best_of(repeats, lambda: list(plans), builds) if plans else float("nan")
    return Rate(n, 1e6 * _best_of(repeats, clones, verdicts) / n, 1e6 * _best_of(repeats, clones, capabilities) / n,
                1e6 * _best_of(repeats, clones, pairs) / n, 1e6 * build_s / max(len(plans), 1))


def _drawn_setup(policy: Any, lifecycles: Sequence[Lifecycle], draws: int, seed: int):
    """The joint draws of the rule's table, and a maker of fresh copies of the lifecycles
    with the rule's readings taken in turn (what both draw benchmarks time)."""
    table = policy.coefficients or loopholes.capability.load_coefficients()
    readings = policy.readings

    def clones():
        return [(fresh(lc), readings[i % len(readings)]) for i, lc in enumerate(lifecycles)]

    return joint_draws(table, draws, seed), clones


def sensitivity_rate(policy: Any, lifecycles: Sequence[Lifecycle], draws: int, repeats: int = 2,
                     seed: int = 0) -> tuple[int, float]:
    """(evaluations, evaluations per second) of every lifecycle under every joint
    coefficient draw (`loopholes.sensitivity.joint_draws`): a verdict by the rule with the
    drawn table (it matters when a clause reads capability) and a capability with it.
    Evaluations = lifecycles x draws; drawn rules are made before timing, as a search
    makes them once."""
    tables, clones = _drawn_setup(policy, lifecycles, draws, seed)
    drawn = [(policy.with_coefficients(t), t) for t in tables]
    date, effective_compute = policy.reference_date, loopholes.capability.effective_compute

    def run(data):
        for lc, reading in data:
            for rule, coefficients in drawn:
                rule.is_covered(lc, reading)
                effective_compute(lc, date, coefficients)

    n = len(lifecycles) * len(drawn)
    return n, n / _best_of(repeats, clones, run)


# -- draws as columns (issue 14, Deliver 1) ------------------------------------------------

def column_rate(policy: Any, lifecycles: Sequence[Lifecycle], draws: int, repeats: int = 2,
                seed: int = 0) -> tuple[int, float]:
    """(evaluations, evaluations per second) of the same lifecycles x draws as
    `sensitivity_rate`, the way the search's sensitivity pass evaluates them
    (loopholes.sensitivity.Analyser): capability under every draw in one pass with the
    draws as columns (`Coefficients.columns`, `loopholes.capability_columns`), and the
    verdict once, then under every drawn table for the rules whose verdict read the
    coefficient table (`Policy.central_verdict`), after the numbers such a verdict reads are
    computed for every table in one pass (`frontier.prepare_draws`, the EU capability
    limb). Every draw gets its verdict (the sensitivity pass skips the draws whose
    leakage could not count; this does not)."""
    from loopholes.capability import Coefficients, MixedColumns
    from loopholes.capability_columns import effective_compute_columns
    from loopholes.rules.frontier import prepare_draws

    tables, clones = _drawn_setup(policy, lifecycles, draws, seed)
    columns = Coefficients.columns(tables, "benchmark draws")
    drawn = [policy.with_coefficients(t) for t in tables]
    date, effective_compute = policy.reference_date, loopholes.capability.effective_compute

    def run(data):
        for lc, reading in data:
            central = policy.central_verdict(lc, reading)
            if central.moving:
                prepare_draws(policy, lc, tables, columns)
                for rule in drawn:
                    central.under(rule)
            try:
                effective_compute_columns(lc, date, columns)
            except MixedColumns:
                for t in tables:
                    effective_compute(lc, date, t)

    n = len(lifecycles) * len(tables)
    return n, n / _best_of(repeats, clones, run)
