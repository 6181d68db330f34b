"""Evaluations to the first evading lifecycle and to the best leakage, per (rule, domain)
cell: the search against Hypothesis generating lifecycles from `loopholes.testing`, plain
and with `hypothesis.target()` on leakage.

The unit is the same on both sides: one verdict (is this lifecycle covered under this
reading?) or one capability (its effective compute) of one lifecycle, so a lifecycle that
gets both costs two.

- Search: `SearchResult.evaluated`, the engine's budget counter. `_Budget.spend()` is called
  once per verdict of a built lifecycle while knobs are placed (`_clauses`, `_covered`),
  once per capability (`_capability`), and while steps are dropped once for the verdict and
  once more for the capability of an uncovered candidate (`_leakage_if_uncovered`). The
  counter leaves out the honest target's capability and the sanity check before the
  search, and the re-check of each finding under every reading after it; `unit_check()`
  meters every call to show how much that is.
- Hypothesis: every generated lifecycle gets a verdict under a drawn reading (1); when
  uncovered, its capability (1 more): the rule the search follows in
  `_leakage_if_uncovered`. Generating the lifecycle is not counted, as the search's plan
  edits are not.

A lifecycle *evades* a cell when the rule does not cover it under the reading and its
leakage (central effective compute in the domain over the honest target's,
`loopholes.search.honest_target`) is at least 1. The search's evaluations to an event are
those of the smallest `max_evals` budget whose run reports it, found by bisection on the
budget (to within BUDGET_PRECISION); the count is that run's own counter. Its first event
is a finding or, where the rule does not reach the target even without gaming, the
no-gaming baseline (marked *), which Hypothesis may hit too.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import math
import multiprocessing
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

import loopholes.capability
import loopholes.search
from loopholes.rules.framework import Policy
from loopholes.rules.registry import load_policy
from loopholes.search import DATA_HORIZON, FULL_COVERAGE, honest_target, search
from loopholes.testing import lifecycles

BEST_TOLERANCE = 0.01
"""An event "reaches the best leakage" at or above (1 - this) x the search's best in the cell."""
BUDGET_PRECISION = 0.05
"""Bisection on the search's budget stops when the bracket is within 5 %."""
MAX_STEPS = 8
"""Hypothesis draws up to eight steps, the size of what the search builds on average."""


# -- the search side -----------------------------------------------------------------------

def _run(policy_id: str, domain: str, seed: int, max_evals: int | None = None):
    kwargs = {} if max_evals is None else {"max_evals": max_evals}
    # one sensitivity draw: draws come after the search, count nothing and change no leakage
    return search(policy_id, domain=domain, seed=seed, draws=1, **kwargs)


def _evades(result, domain: str) -> bool:
    return any(f.domain == domain for f in result.findings) or result.unreached(domain) is not None


def _smallest_budget(policy_id: str, domain: str, seed: int, holds, low: int, high: int, at_high):
    """The run at the smallest budget in (low, high] for which `holds(run)` (low is known
    not to, high to), bisected geometrically to within BUDGET_PRECISION."""
    best = at_high
    while high - low > 1 and high > low * (1 + BUDGET_PRECISION):
        middle = int(math.sqrt(max(low, 1) * high))
        middle = min(max(middle, low + 1), high - 1)
        run = _run(policy_id, domain, seed, middle)
        if holds(run):
            high, best = middle, run
        else:
            low = middle
    return best


@dataclass
class SearchCell:
    first: int | None
    """Evaluations to the first evading lifecycle (None: nothing evades)."""
    best: int | None
    """Evaluations to the best leakage (within BEST_TOLERANCE)."""
    leakage: float
    """The best leakage of the full search in the cell."""
    total: int
    """Evaluations of the full search of the cell."""
    baseline_first: bool = False
    """The first evading lifecycle is the no-gaming baseline, not a strategy's finding."""
    first_found: int | None = None
    """The counter when a strategy first evaded (`SearchResult.first_found`), for comparison."""


def search_cell(policy_id: str, domain: str, seed: int) -> SearchCell:
    full = _run(policy_id, domain, seed)
    best = full.leakage()[domain]
    found = min(full.first_found.values(), default=None)
    if best < 1.0:
        return SearchCell(None, None, best, full.evaluated, first_found=found)
    high = 2 * (found or full.evaluated)
    at_high = full if high >= full.evaluated else _run(policy_id, domain, seed, high)
    if not _evades(at_high, domain):
        high, at_high = full.evaluated, full
    first = _smallest_budget(policy_id, domain, seed, lambda r: _evades(r, domain), 0, high, at_high)
    aim = best * (1 - BEST_TOLERANCE)
    reaches = lambda r: r.leakage()[domain] >= aim  # noqa: E731
    at_best = first if reaches(first) else _smallest_budget(
        policy_id, domain, seed, reaches, first.evaluated, full.evaluated, full)
    baseline = first.unreached(domain) is not None and not any(f.domain == domain for f in first.findings)
    return SearchCell(first.evaluated, at_best.evaluated, best, full.evaluated, baseline, found)


# -- the Hypothesis side -------------------------------------------------------------------

def latest_release(policy: Policy):
    """The latest release date the search allows (its data horizon, the last fully covered
    year for rules that rank real models, the rule's end): Hypothesis draws within it too."""
    latest = FULL_COVERAGE if policy.population_based else DATA_HORIZON
    if policy.in_force_until is not None:
        latest = min(latest, policy.in_force_until)
    return max(latest, policy.reference_date)


@functools.lru_cache(maxsize=None)
def _largest_run(when) -> float:
    from loopholes.population import load_population

    return load_population().largest_flop_by(when)


def ceiling(policy: Policy, released) -> float:
    """The search's bound on one run's compute: the larger of twice the rule's highest line
    and the largest training run that existed by the release date. A lifecycle with a step
    above it is outside the space the search explores (it would be a run nobody had done),
    so Hypothesis is held to it too."""
    return max(2 * max(policy.target_lines.values()), _largest_run(released))


def within_bounds(policy: Policy, lc) -> bool:
    top = ceiling(policy, lc.released)
    return all(step.flop <= top for step in lc.steps)


@dataclass
class HypothesisCell:
    budget: int = 0
    examples: int = 0
    evaluations: int = 0
    first: int | None = None
    """Evaluations when a lifecycle first evaded."""
    reached: int | None = None
    """Evaluations when a lifecycle first reached the search's best leakage (within tolerance)."""
    best: float = 0.0
    """The largest leakage of an uncovered lifecycle it drew before the run ended: a lower
    bound on what it would have found with its whole budget when `stopped_early`."""
    aim: float = math.inf
    """The leakage it aims at (the search's best, within tolerance; inf: nothing to reach)."""
    stopped_early: bool = False
    """The run ended before its budget because both counts were settled (`done`)."""
    best_spec: dict | None = None
    """The lifecycle spec of the leakiest uncovered lifecycle it drew (`Lifecycle.to_spec`),
    so a draw above the search's best can be replayed with `loopholes check` (bench `--keep`)."""
    best_reading: str | None = None
    """The reading under which that lifecycle was judged uncovered."""
    best_at: int | None = None
    """Evaluations when it was drawn."""

    @property
    def done(self) -> bool:
        """Both events happened, or the first did and the aim cannot be reached (the search
        found nothing to reach): further draws cannot change either count."""
        return self.first is not None and (self.reached is not None or self.aim == math.inf)


class _Spent(Exception):
    """Raised inside a Hypothesis run when its evaluation budget is spent: ends the run."""


def judge(policy: Policy, lc, reading, domain: str, target_capability: float, cell: HypothesisCell) -> float:
    """Leakage of an uncovered lifecycle (0 when covered), charging one evaluation for the
    verdict and one for the capability, which is computed only when uncovered."""
    cell.evaluations += 1
    if policy.is_covered(lc, reading):
        return 0.0
    cell.evaluations += 1
    capability = loopholes.capability.effective_compute(lc, policy.reference_date, policy.coefficients)
    return capability[domain][1] / target_capability


def hypothesis_cell(policy_id: str, domain: str, seed: int, budget: int, targeted: bool,
                    aim: float = math.inf) -> HypothesisCell:
    """Hypothesis draws lifecycles from `loopholes.testing.lifecycles` (up to MAX_STEPS steps,
    released between the rule's reference date and the latest date the search allows, no
    run above the search's ceiling) and a reading each, until `budget` evaluations are
    spent or both counts are settled (`HypothesisCell.done`); with
    `targeted` it also runs its target phase, climbing on the leakage of
    uncovered lifecycles (`hypothesis.target`)."""
    policy = load_policy(policy_id)
    goal = honest_target(policy, domain).bands[1]
    cell = HypothesisCell(budget=budget, aim=aim)
    latest = latest_release(policy)
    top_exponent = int(math.floor(math.log10(ceiling(policy, latest))))
    generated = lifecycles(max_steps=MAX_STEPS, released=(policy.reference_date, latest), max_exponent=top_exponent)
    generated = generated.filter(lambda lc: within_bounds(policy, lc))
    phases = [Phase.generate, Phase.target] if targeted else [Phase.generate]

    @hypothesis_seed(seed)
    @settings(max_examples=budget, phases=phases, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(generated, st.sampled_from(policy.readings))
    def draw(lc, reading):
        if cell.evaluations >= budget or cell.done:
            cell.stopped_early = cell.stopped_early or cell.evaluations < budget
            raise _Spent
        cell.examples += 1
        leakage = judge(policy, lc, reading, domain, goal, cell)
        if leakage >= 1.0 and cell.first is None:
            cell.first = cell.evaluations
        if leakage >= aim and cell.reached is None:
            cell.reached = cell.evaluations
        if leakage > cell.best:
            cell.best, cell.best_spec, cell.best_reading, cell.best_at = leakage, lc.to_spec(), reading.id, cell.evaluations
        if targeted:
            target(leakage, label="leakage of an uncovered lifecycle")

    try:
        draw()
    except (_Spent, FlakyFailure) as stop:
        # target() replays earlier examples: one replayed after the budget ran out raises
        # _Spent where it passed before, which Hypothesis reports as flaky
        if isinstance(stop, FlakyFailure) and not all(isinstance(e, _Spent) for e in stop.exceptions):
            raise
    return cell


# -- counting check ---------------------------------------------------------------------------

@contextlib.contextmanager
def metered() -> Iterator[dict[str, int]]:
    """Count every top-level verdict (`Policy.is_covered`, `evaluate_rules`, `evaluate`)
    and capability (`effective_compute`, as the search and the capability module name it)
    made inside the block; calls nested in another counted call are not counted again."""
    counts = {"verdicts": 0, "capabilities": 0}
    depth = [0]

    def counting(fn, key):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if depth[0] == 0:
                counts[key] += 1
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
        return wrapper

    original = loopholes.capability.effective_compute
    patches = [(Policy, name, getattr(Policy, name), "verdicts") for name in ("is_covered", "evaluate_rules", "evaluate")]
    patches += [(m, "effective_compute", original, "capabilities") for m in (loopholes.capability, loopholes.search)
                if getattr(m, "effective_compute", None) is original]
    for owner, name, fn, key in patches:
        setattr(owner, name, counting(fn, key))
    try:
        yield counts
    finally:
        for owner, name, fn, _ in patches:
            setattr(owner, name, fn)


def unit_check(policy_id: str, domain: str, max_evals: int, budget: int) -> dict[str, Any]:
    """Both sides' own counts beside a meter of every verdict and capability they made."""
    with metered() as searched:
        result = _run(policy_id, domain, 0, max_evals)
    with metered() as generated:
        cell = hypothesis_cell(policy_id, domain, 0, budget, targeted=False)
    return {"search_counter": result.evaluated, "search_metered": searched["verdicts"] + searched["capabilities"],
            "search_findings": len(result.findings),
            "hypothesis_counter": cell.evaluations,
            "hypothesis_metered": generated["verdicts"] + generated["capabilities"]}


# -- summaries --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    """An evaluation count, or a lower bound when the event never happened within `value`."""

    value: float
    censored: bool = False

    def __str__(self) -> str:
        return f">{self.value:,.0f}" if self.censored else f"{self.value:,.0f}"


def median_range(counts: Sequence[Count]) -> str:
    """'median (min-max)'; the median is a lower bound (>=) when a censored count sits at or
    below it, since that count's true value could be anywhere above its bound."""
    if not counts:
        return "-"
    if all(c.censored for c in counts):
        return f">{min(c.value for c in counts):,.0f}"  # never happened: only the smallest bound is known
    ordered = sorted(counts, key=lambda c: (c.value, c.censored))
    n = len(ordered)
    upper = n // 2
    median = statistics.median(c.value for c in ordered)
    bound = any(c.censored for c in ordered[:upper + 1])
    text = ("≥" if bound else "") + (f"{median:,.0f}" if median >= 10 else f"{median:.3g}")
    if n > 1:
        text += f" ({ordered[0]}–{ordered[-1]})"
    return text


@dataclass
class Ratio:
    """A per-cell ratio of medians; `bound` when it rests on a censored count."""

    value: float
    bound: bool = False

    @property
    def decided(self) -> bool:
        """A lower bound under 1 says nothing: Hypothesis' budget was below the search's count."""
        return not (self.bound and self.value < 1)

    def __str__(self) -> str:
        if not self.decided:
            return "undecided (Hypothesis' budget was below the search's count)"
        return ("≥" if self.bound else "") + (f"{self.value:,.1f}x" if self.value < 100 else f"{self.value:,.0f}x")


def ratio(numerator: Sequence[Count], denominator: Sequence[Count]) -> Ratio | None:
    """median(numerator) / median(denominator), a lower bound if the numerator's median is."""
    if not numerator or not denominator or any(d.censored for d in denominator):
        return None
    top = statistics.median(c.value for c in numerator)
    ordered = sorted(numerator, key=lambda c: (c.value, c.censored))
    bound = any(c.censored for c in ordered[:len(ordered) // 2 + 1])
    return Ratio(top / statistics.median(c.value for c in denominator), bound)


def median_ratio(ratios: Sequence[Ratio]) -> Ratio | None:
    if not ratios:
        return None
    ordered = sorted(ratios, key=lambda r: (r.value, r.bound))
    bound = any(r.bound for r in ordered[:len(ordered) // 2 + 1])
    return Ratio(statistics.median(r.value for r in ordered), bound)


@dataclass
class CellReport:
    policy: str
    domain: str
    search: list[SearchCell] = field(default_factory=list)
    plain: list[HypothesisCell] = field(default_factory=list)
    targeted: list[HypothesisCell] = field(default_factory=list)


def hypothesis_budget(ours: SearchCell, factor: float, cap: int | None, floor: int = 1000) -> int:
    """Evaluations Hypothesis gets in a cell: `factor` times what the search needed for its
    best leakage (so never reaching it shows a ratio of at least `factor`), within
    [floor, cap] (no cap: None)."""
    budget = int(max(floor, factor * (ours.best or ours.total)))
    return budget if cap is None else min(cap, budget)


def race_seed(policy_id: str, domain: str, seed: int, factor: float,
              cap: int | None) -> tuple[SearchCell, HypothesisCell, HypothesisCell]:
    """One cell under one seed: the search, then Hypothesis plain and with target(), aiming
    at the search's best leakage of the same seed."""
    ours = search_cell(policy_id, domain, seed)
    aim = ours.leakage * (1 - BEST_TOLERANCE) if ours.first is not None else math.inf
    budget = hypothesis_budget(ours, factor, cap)
    return (ours, hypothesis_cell(policy_id, domain, seed, budget, False, aim),
            hypothesis_cell(policy_id, domain, seed, budget, True, aim))


def _race_unit(unit: tuple[str, str, int, float, int | None]):
    return race_seed(*unit)


def race(cells: Sequence[tuple[str, str]], seeds: Sequence[int], factor: float, cap: int | None,
         progress=None, jobs: int = 1) -> list[CellReport]:
    """Every cell over every seed (`race_seed`), in `jobs` worker processes when more than
    one; the counts do not depend on how the runs are spread, only the wall time does."""
    units = [(policy_id, domain, seed, factor, cap) for policy_id, domain in cells for seed in seeds]
    reports = {cell: CellReport(*cell) for cell in cells}
    with contextlib.ExitStack() as stack:
        if jobs > 1:
            pool = stack.enter_context(concurrent.futures.ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn")))
            results = pool.map(_race_unit, units)
        else:
            results = map(_race_unit, units)
        for (policy_id, domain, seed, _, _), (ours, plain, targeted) in zip(units, results):
            report = reports[(policy_id, domain)]
            report.search.append(ours)
            report.plain.append(plain)
            report.targeted.append(targeted)
            if progress:
                progress(policy_id, domain, seed, ours, plain, targeted)
    return list(reports.values())


def counts(cells: Sequence[Any], attribute: str) -> list[Count]:
    """Per seed, the count at an event; never reached counts as a lower bound at everything
    the run spent (Hypothesis) or is left out (the search found nothing to reach)."""
    out = []
    for c in cells:
        value = getattr(c, attribute)
        if value is not None:
            out.append(Count(value))
        elif isinstance(c, HypothesisCell):
            out.append(Count(c.evaluations, censored=True))
    return out
