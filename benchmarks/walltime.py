"""Wall time of the jobs a user waits for: a full default search of one rule, and
`loopholes compare` over every bundled rule (own lines, common targets, sensitivity draws
and backtests) in worker processes."""

from __future__ import annotations

import inspect
import time
from typing import Sequence

from loopholes.reporting.compare import compare
from loopholes.search import search


def full_search(policy_id: str, seed: int = 0) -> dict:
    """One `loopholes.search.search(policy_id)` with its defaults (budget, depth, 300
    sensitivity draws), timed from outside."""
    start = time.perf_counter()
    result = search(policy_id, seed=seed)
    seconds = time.perf_counter() - start
    return {"policy": policy_id, "seconds": seconds, "evaluated": result.evaluated, "findings": len(result.findings),
            "exhausted": result.exhausted}


def compare_wall(policy_ids: Sequence[str], jobs: int = 2) -> float:
    """Seconds of `loopholes.reporting.compare.compare(policy_ids, jobs=jobs)` with its defaults."""
    if "jobs" not in inspect.signature(compare).parameters:
        raise TypeError("loopholes.reporting.compare.compare() no longer takes jobs=; update benchmarks/walltime.py")
    start = time.perf_counter()
    compare(list(policy_ids), jobs=jobs)
    return time.perf_counter() - start
