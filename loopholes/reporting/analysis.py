"""Search and backtest rules and reduce them to report data (`analyse`), in worker
processes when there are several, started longest first (`analyse_longest_first`): the
work `loopholes report` and `loopholes compare` share. Each analysis is seeded on its
own, so scheduling changes when a rule finishes, never what it holds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..errors import UsageError
from .measures import COMMON_TARGETS

DEFAULT_MAX_EVALS = 400_000
"""The search's own default budget: reports show what `loopholes search` shows."""


@dataclass
class Analysis:
    """Everything a report and a comparison need about one rule, as picklable data."""

    policy: str
    report: dict[str, Any]
    measures: dict[str, Any]
    backtest: Any
    """The BacktestResult, kept whole for its figure."""


def analyse(ref: Any, *, seed: int = 0, max_evals: int = DEFAULT_MAX_EVALS, common: bool = True) -> Analysis:
    """Search and backtest one policy, search what it over-includes (loopholes.overinclusion,
    its own budget), and reduce all of it to report data; with `common`, also measure it
    against the common targets (compare.COMMON_TARGETS)."""
    from ..backtest import backtest
    from ..overinclusion import over_inclusion
    from .measures import common_results, policy_measures
    from .report import report_model
    from ..search import Placements, search

    placements = Placements()  # the common-target searches reuse the own search's knob placements
    result = search(ref, seed=seed, max_evals=max_evals, placements=placements)
    commons = common_results(result, seed=seed, max_evals=max_evals, material=result.material_factor,
                             placements=placements) if common else None
    bt = backtest(result.policy)
    over = over_inclusion(result.policy, seed=seed, material=result.material_factor)  # the other error
    measures = policy_measures(result, bt, commons, over)
    return Analysis(result.policy.id, report_model(result, bt, measures, max_evals), measures, bt)


def analyse_all(refs: Sequence[Any], *, seed: int = 0, max_evals: int = DEFAULT_MAX_EVALS, jobs: int = 2,
                progress: Callable[[int, int], None] | None = None, common: bool = True) -> list[Analysis]:
    """`analyse` every policy, in input order. Policies are loaded first so a bad id fails
    before any search; with jobs > 1 the searches run in worker processes (each is seeded
    on its own, so the result does not depend on scheduling)."""
    from ..rules.registry import load_policy

    policies = [load_policy(ref) for ref in refs]
    _check_unique(policies)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    parallel = jobs > 1 and len(refs) > 1 and all(isinstance(ref, (str, os.PathLike)) for ref in refs)
    if not parallel:
        out = []
        for i, policy in enumerate(policies):
            out.append(analyse(policy, seed=seed, max_evals=max_evals, common=common))
            if progress:
                progress(i + 1, len(policies))
        return out
    return _analyse_parallel([str(ref) for ref in refs], seed, max_evals, jobs, progress, common)


def _analyse_parallel(refs: list[str], seed: int, max_evals: int, jobs: int, progress, common: bool) -> list[Analysis]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..guard import stop_pool, worker_init

    pool = ProcessPoolExecutor(max_workers=min(jobs, len(refs)), initializer=worker_init, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(analyse, ref, seed=seed, max_evals=max_evals, common=common): i
                   for i, ref in enumerate(refs)}
        results: list[Analysis | None] = [None] * len(refs)
        for done, future in enumerate(as_completed(futures)):
            results[futures[future]] = future.result()
            if progress:
                progress(done + 1, len(refs))
    except BaseException:  # Ctrl-C, SIGTERM or a failed rule: stop the other searches now
        stop_pool(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [r for r in results if r is not None]


def _check_unique(policies) -> None:
    seen: set[str] = set()
    for policy in policies:
        if policy.id in seen:
            raise UsageError(f"policy '{policy.id}' is named twice (two arguments load the same id); "
                             "give each rule once, with a distinct id")
        seen.add(policy.id)


def search_cost(policy: Any, *, common: bool = False) -> int:
    """A deterministic guess at how long a rule's search takes, only to start the longest
    first: a search judges its compositions under every reading, in every domain it
    searches, clause by clause, so its work grows with readings x domains x clauses.
    With `common`, the searches on the common targets that differ from the rule's own
    lines (compare, reports) count as more domains. Speed never changes a result, so a
    wrong guess costs wall time, not correctness."""
    lines = dict(policy.target_lines)
    searches = len(lines)
    if common:
        searches += sum(1 for domain, flop in COMMON_TARGETS.items() if lines.get(domain) != flop)
    return max(len(policy.readings), 1) * max(len(policy.rules), 1) * max(searches, 1)


def longest_first(policies: Sequence[Any], *, common: bool = False) -> list[int]:
    """Indices of `policies` (loaded rules) by decreasing `search_cost`, input order among
    equals: the order in which a pool of workers should start them (longest processing
    time first), so that no worker is left alone with a long search at the end."""
    costs = [search_cost(policy, common=common) for policy in policies]
    return sorted(range(len(policies)), key=lambda i: (-costs[i], i))


def analyse_longest_first(refs: Sequence[Any], *, jobs: int = 2, common: bool = True, **options: Any) -> list[Any]:
    """`report.analyse_all`, with the searches started longest first when they run in
    worker processes, and the analyses returned in input order. Each analysis is seeded
    on its own, so the order changes when each one finishes, never what it holds."""
    from ..rules.registry import load_policy

    if jobs <= 1 or len(refs) <= 1:
        return analyse_all(refs, jobs=jobs, common=common, **options)
    order = longest_first([load_policy(ref) for ref in refs], common=common)
    analyses = analyse_all([refs[i] for i in order], jobs=jobs, common=common, **options)
    if len(analyses) != len(refs):  # not reached: analyse_all returns one analysis per rule or raises
        raise RuntimeError("analyse_all returned fewer analyses than rules")
    out: list[Any] = [None] * len(refs)
    for position, analysis in zip(order, analyses):
        out[position] = analysis
    return out
