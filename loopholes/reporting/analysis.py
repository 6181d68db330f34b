"""Search and backtest rules and reduce them to report data (`analyse`), through an
executor (loopholes.executor: worker processes, or Dask) when there are several, started
longest first (`analyse_longest_first`): the work `loopholes report` and `loopholes
compare` share. Each analysis is seeded on its own, so scheduling changes when a rule
finishes, never what it holds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import UsageError
from .measures import COMMON_TARGETS

if TYPE_CHECKING:
    from ..executor import Executor

DEFAULT_MAX_EVALS = 400_000
"""The search's own default budget (search.DEFAULT_MAX_EVALS, not imported to keep the CLI's
start light): reports show what `loopholes search` shows."""


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


def analyse_all(refs: Sequence[Any], *, seed: int = 0, max_evals: int = DEFAULT_MAX_EVALS, jobs: "int | Executor" = 2,
                progress: Callable[[int, int], None] | None = None, common: bool = True,
                costs: Sequence[float] | None = None) -> list[Analysis]:
    """`analyse` every policy, in input order. Policies are loaded first so a bad id fails
    before any search. `jobs` is a number of local worker processes (1: this process) or
    an Executor (loopholes.executor: a pool, Dask) that the caller opened and closes;
    `costs` let it start the longest analyses first. Each analysis is seeded on its own,
    so the result does not depend on who ran it or when. Policies given as loaded objects
    (not ids or paths) do not pickle and are analysed in this process."""
    from ..executor import Executor, LocalExecutor, SerialExecutor
    from ..rules.registry import load_policy, shipped

    policies = [load_policy(ref) for ref in refs]
    _check_unique(policies)
    if not isinstance(jobs, Executor) and jobs < 1:
        raise UsageError("--jobs must be at least 1")
    shippable = len(refs) > 1 and all(isinstance(ref, (str, os.PathLike)) for ref in refs)
    if not shippable or jobs == 1 or isinstance(jobs, SerialExecutor):
        return SerialExecutor().map(_analyse_task, [(policy, seed, max_evals, common) for policy in policies],
                                    progress=progress or False, label="rules")
    tasks = [(shipped(ref), seed, max_evals, common) for ref in refs]
    if isinstance(jobs, Executor):
        return jobs.map(_analyse_task, tasks, costs=costs, progress=progress or False, label="rules")
    with LocalExecutor(jobs) as executor:
        return executor.map(_analyse_task, tasks, costs=costs, progress=progress or False, label="rules")


def _analyse_task(task: tuple[Any, int, int, bool]) -> Analysis:
    """One analysis as an executor task: (rule id, path or loaded policy; seed; budget; common)."""
    ref, seed, max_evals, common = task
    return analyse(ref, seed=seed, max_evals=max_evals, common=common)


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


def analyse_longest_first(refs: Sequence[Any], *, jobs: "int | Executor" = 2, common: bool = True,
                          **options: Any) -> list[Any]:
    """`analyse_all`, with the searches started longest first (`search_cost`) when they
    run in workers, and the analyses returned in input order. Each analysis is seeded on
    its own, so the order changes when each one finishes, never what it holds."""
    from ..rules.registry import load_policy

    costs = [search_cost(load_policy(ref), common=common) for ref in refs] if len(refs) > 1 else None
    return analyse_all(refs, jobs=jobs, common=common, costs=costs, **options)
