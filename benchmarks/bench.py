"""Speed of loopholes, measured (issue 4 'Speed'). Run: python benchmarks/bench.py [--quick]

1. Lifecycle evaluations per second on one core: verdict + capability of lifecycles the
   search produced (a realistic mix), without building them.
2. Wall time of a full default search of each bundled rule (one process).
3. Evaluations to the first finding, per strategy that evades alone: the search vs plain
   Hypothesis generation, and their ratio, over two spaces:
   a. that strategy's own space (its variants and the same knob ranges, knobs drawn
      log-uniformly) — the strict comparison;
   b. the space the full search explores (compositions of up to three of the sixteen
      strategies, any variants, same knob ranges), counting draws until a lifecycle
      evades and needs the strategy; the search side is then a full default search.
   The plain side is charged every evaluation its counterfactual check spends too.
4. Wall time of `loopholes compare` over every bundled rule (own lines, common targets,
   sensitivity draws, backtests), two worker processes.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time

from hypothesis import Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from loopholes.capability import effective_compute
from loopholes.registry import load_policy, policy_ids
from loopholes.search import _Budget, _Engine, _frontier, honest_target, search
from loopholes.strategies import Setting, get_strategy, registry
from loopholes.strategies.plan import build


def evaluation_rate(policies, seconds: float = 3.0) -> float:
    lifecycles = []
    for pid in policies:
        result = search(pid, max_evals=20_000)
        lifecycles += [(result.policy, r, f.lifecycle) for f in result.findings for r in result.policy.readings]
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for policy, reading, lc in lifecycles:
            policy.is_covered(lc, reading)
            effective_compute(lc, policy.reference_date, policy.coefficients)
            count += 1
    return count / (time.perf_counter() - start)


def plain_generation(pid: str, strategy_id: str, limit: int, runs: int, composed: bool = False) -> float | None:
    """Mean evaluations Hypothesis needs to draw a first evading lifecycle using
    `strategy_id`, over `runs` seeded runs (a run that finds nothing counts as `limit`)."""
    counts = [_plain_once(pid, strategy_id, limit, seed, composed) for seed in range(runs)]
    if all(c is None for c in counts):
        return None
    return statistics.mean(limit if c is None else c for c in counts)


def _plain_once(pid: str, strategy_id: str, limit: int, seed: int, composed: bool = False) -> int | None:
    policy = load_policy(pid)
    strategy = get_strategy(strategy_id)
    everything = list(registry().values())
    targets = {d: honest_target(policy, d) for d in policy.target_lines}
    engine = _Engine(policy, targets, everything, random.Random(0), _Budget(10**9, None), 3)
    calls = {"n": 0}

    @st.composite
    def candidates(draw):
        domain = draw(st.sampled_from(sorted(d for d in targets if strategy.applies(policy, d))))
        reading = draw(st.sampled_from(policy.readings))
        setting = Setting(policy, reading, domain, policy.reference_date, engine.latest, random.Random(0))
        if composed:
            pool = [s for s in everything if s.applies(policy, domain)]
            combo = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique_by=lambda s: s.group))
            combo = tuple(sorted(combo, key=everything.index))
        else:
            combo = (strategy,)
        params = {s.id: draw(st.sampled_from(list(s.variants(setting)) or [{}])) for s in combo}
        plan = engine._plan(combo, params, domain)
        line = policy.target_lines[domain]
        ceiling = max(2 * max(policy.target_lines.values()), _frontier(plan.released, "general"))
        log = lambda lo, hi: math.exp(draw(st.floats(math.log(lo), math.log(hi))))  # noqa: E731
        plan.core_flop = log(line * 1e-4, ceiling)
        if plan.core == "distill":
            plan.teacher_flop = log(line * 1e-3, max(line * 1e-3 * 1.0001, _frontier(plan.released, domain)))
        if plan.modifiers:
            plan.modifier_flop = log(line * 1e-6, ceiling)
        return domain, reading, combo, params, plan

    def evades(candidate) -> bool:
        domain, reading, combo, params, plan = candidate
        calls["n"] += 1
        lc = build(plan)
        if policy.is_covered(lc, reading):
            return False
        leakage = effective_compute(lc, policy.reference_date, policy.coefficients)[domain][1] / targets[domain].bands[1]
        if leakage < 1.0 or strategy not in combo:
            return False
        before = engine.budget.used  # the counterfactual check costs evaluations too: count them
        credited = all(engine._adds(s, combo, leakage, domain, reading, params) is not None for s in combo)
        calls["n"] += engine.budget.used - before
        return credited

    try:
        find(candidates(), evades, settings=settings(max_examples=limit, phases=[Phase.generate], database=None,
                                                     deadline=None), random=random.Random(seed))
    except NoSuchExample:
        return None
    return calls["n"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer policies and a lower generation limit")
    args = parser.parse_args()
    static = ["us-eo-14110", "eu-ai-act", "ca-sb53"]

    print("1. evaluations per second (verdict + capability, one core)")
    print(f"   {evaluation_rate(static, 1.0 if args.quick else 3.0):,.0f} evaluations/s")

    print("2. full default search per bundled rule (one process)")
    for pid in (static if args.quick else policy_ids()):
        start = time.perf_counter()
        result = search(pid)
        print(f"   {pid:<20} {time.perf_counter() - start:6.2f} s  {result.evaluated:>7,} evaluations  "
              f"{len(result.findings):>3} findings  ({result.evaluated / result.seconds:,.0f} evals/s)")

    print("3. evaluations to the first finding: search vs plain Hypothesis generation")
    limit = 2_000 if args.quick else 20_000
    ratios = []
    for pid in (["eu-ai-act"] if args.quick else static):
        for sid in ("throttling", "inference-boost", "distillation", "decentralized-finetune", "integer-precision",
                    "measured-vs-theoretical", "algorithmic-progress", "bio-dilution"):
            ours = search(pid, strategies=[sid], depth=1).first_found.get(sid)
            if ours is None:
                continue
            theirs = plain_generation(pid, sid, limit, 3 if args.quick else 10)
            ratio = (theirs if theirs is not None else limit) / ours
            ratios.append(ratio)
            shown = f"{theirs:>6.0f}" if theirs is not None else f">{limit}"
            print(f"   {pid:<12} {sid:<26} search {ours:>5}   plain {shown}   ratio {'>' if theirs is None else ''}{ratio:,.1f}x")
    if ratios:
        print(f"   (a) median ratio {statistics.median(ratios):,.1f}x (a '>' ratio is a lower bound: plain generation "
              f"found nothing within {limit} draws)")
    print("   (b) over the full composition space: full default search vs plain generation of compositions")
    composed_ratios = []
    for pid in (["eu-ai-act"] if args.quick else static):
        full = search(pid)
        for sid in ("throttling", "inference-boost", "distillation", "decentralized-finetune", "integer-precision",
                    "measured-vs-theoretical", "algorithmic-progress", "bio-dilution"):
            ours = full.first_found.get(sid)
            if ours is None:
                continue
            theirs = plain_generation(pid, sid, limit, 3 if args.quick else 10, composed=True)
            ratio = (theirs if theirs is not None else limit) / ours
            composed_ratios.append(ratio)
            shown = f"{theirs:>6.0f}" if theirs is not None else f">{limit}"
            print(f"   {pid:<12} {sid:<26} search {ours:>5}   plain {shown}   ratio {'>' if theirs is None else ''}{ratio:,.1f}x")
    if composed_ratios:
        print(f"   (b) median ratio {statistics.median(composed_ratios):,.1f}x")

    print("4. loopholes compare over every bundled rule (own lines + common targets + sensitivity), 2 workers")
    from loopholes.compare import compare

    start = time.perf_counter()
    compare(policy_ids(), jobs=2)
    print(f"   {time.perf_counter() - start:6.1f} s wall for {len(policy_ids())} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
