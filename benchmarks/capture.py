"""Record the lifecycles a real search builds, so evaluation rates are measured on what the
search evaluates (6-8-step lifecycles on average) rather than on its minimised findings
(2-4 steps), which flatters every rate.

The search is run unchanged; only the `build` it calls is wrapped. Every build is counted
by step count; a fixed-size sample (reservoir sampling from a seeded RNG, so the same
search gives the same sample) keeps the lifecycles and a copy of the plan each came from.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import random
from dataclasses import dataclass, field
from typing import Any, Iterator

import loopholes.search
import loopholes.strategies.plan


@dataclass
class Capture:
    keep: int
    seed: int = 0
    steps: collections.Counter = field(default_factory=collections.Counter)
    """Step count of every lifecycle built, not only the sampled ones."""
    lifecycles: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    """The plan of each sampled lifecycle, copied as it was built (the search mutates plans)."""

    def __post_init__(self) -> None:
        self._rng = random.Random(f"capture-{self.seed}")

    @property
    def built(self) -> int:
        return sum(self.steps.values())

    def record(self, plan: Any, lc: Any) -> None:
        seen = self.built
        self.steps[len(lc.steps)] += 1
        if seen < self.keep:
            slot = seen
            self.lifecycles.append(None)
            self.plans.append(None)
        else:
            slot = self._rng.randrange(seen + 1)
            if slot >= self.keep:
                return
        self.lifecycles[slot] = lc
        plan_copy = copy.copy(plan)
        plan_copy.external = set(plan.external)
        self.plans[slot] = plan_copy


@contextlib.contextmanager
def capturing(keep: int = 2000, seed: int = 0) -> Iterator[Capture]:
    """Wrap `build` where the search looks it up (loopholes.search imports it by name) and
    in its own module, for code that calls it through the module; restored on exit."""
    capture = Capture(keep, seed)
    original = loopholes.strategies.plan.build

    def recording_build(plan, *args, **kwargs):
        lc = original(plan, *args, **kwargs)
        capture.record(plan, lc)
        return lc

    patched = [(m, "build") for m in (loopholes.search, loopholes.strategies.plan) if getattr(m, "build", None) is original]
    for module, name in patched:
        setattr(module, name, recording_build)
    try:
        yield capture
    finally:
        for module, name in patched:
            setattr(module, name, original)


def search_mix(policy_id: str, *, max_evals: int | None = None, keep: int = 2000, seed: int = 0):
    """(Capture, SearchResult) of one search of `policy_id` with the capture on. Sensitivity
    draws are cut to one: they build nothing, and only the engine's builds are wanted."""
    kwargs = {} if max_evals is None else {"max_evals": max_evals}
    with capturing(keep, seed) as capture:
        result = loopholes.search.search(policy_id, seed=seed, draws=1, **kwargs)
    return capture, result


def distribution(steps: collections.Counter) -> dict[str, Any]:
    """Mean, median and shares by step count (2 .. 8, 9-12, 13-24, 25+) of a step counter."""
    total = sum(steps.values())
    if not total:
        return {"n": 0, "mean": 0.0, "median": 0.0, "shares": {}}
    buckets = collections.Counter()
    for n, count in steps.items():
        label = str(n) if n <= 8 else "9-12" if n <= 12 else "13-24" if n <= 24 else "25+"
        buckets[label] += count
    order = [str(n) for n in range(1, 9)] + ["9-12", "13-24", "25+"]
    return {"n": total, "mean": sum(n * c for n, c in steps.items()) / total, "median": _median(steps),
            "shares": {k: buckets[k] / total for k in order if buckets[k]}}


def _median(steps: collections.Counter) -> float:
    total, running = sum(steps.values()), 0
    for n in sorted(steps):
        running += steps[n]
        if running * 2 >= total:
            return float(n)
    return 0.0


def format_distribution(dist: dict[str, Any]) -> str:
    shares = "  ".join(f"{k}:{v:.0%}" for k, v in dist["shares"].items())
    return f"mean {dist['mean']:.1f} steps, median {dist['median']:g}; by step count {shares}"
