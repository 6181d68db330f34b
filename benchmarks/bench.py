"""Speed of loopholes, measured honestly (issue 14). Run: python benchmarks/bench.py [--quick]

1. Evaluations per second, one process (one core), on the lifecycles a real search
   builds (captured while it runs), per rule; the same under joint coefficient draws
   (evaluations = lifecycles x draws), one table at a time and with the draws as columns
   (`Coefficients.columns`, what the search's sensitivity pass does).
2. Wall time of a full default search per rule, and of `loopholes compare` over the
   bundled rules with sensitivity draws, two worker processes.
3. Evaluations to the first evading lifecycle and to the best leakage per (rule, domain)
   cell: the search against Hypothesis drawing from `loopholes.testing`, plain and with
   `target()` on leakage, counted in the same unit, over several seeds (median, min-max).
4. Sweep: 206 candidate amendments of a bundled rule, each evaluated as `amend` does,
   through the local process pool and Dask distributed (a LocalCluster of 1, then 2
   workers): wall time per executor, the speed-up from 1 to 2 workers, and whether every
   output is byte-identical (the section fails if not).

`--quick` runs a subset (named in the output) in about three minutes on a quiet 2-core
machine, plus one for the sweep at a smaller budget; without it, everything. Same seed, same counts; only times vary.

Section 3 in full is long (deciding a cell takes a Hypothesis run of 10x the search's count:
the six cheapest cells, one seed, took 89 minutes on two cores), so it can be run in parts: `--cells`
and `--seeds` choose the runs, `--cap 0` lifts the cap on Hypothesis' budget so every cell
run is decided, and `--jobs 2` spreads the (cell, seed) runs over two processes. The
section names every Hypothesis draw that leaks more than the search's best in its cell;
`--keep DIR` writes each run's leakiest evading draw as a lifecycle spec, so a find can
be replayed with `loopholes check` and kept as a test (tests/race_finds/).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import hypothesis
import yaml

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import capture as capture_mod  # noqa: E402
from benchmarks import machine, race, rates, sweep, walltime  # noqa: E402
from loopholes.rules.registry import load_policy, policy_ids  # noqa: E402

QUICK = {
    "capture_evals": 20_000, "keep": 1000, "sensitivity": (50, 300),
    "searches": ["kr-ai-basic-act", "risk-index"], "compare": ["kr-ai-basic-act", "ca-sb53"],
    "cells": [("kr-ai-basic-act", "general"), ("ca-sb53", "general")],
    "seeds": [0, 1, 2], "factor": 10, "cap": 4_000, "sweep_evals": 2_000,
}
FULL = {
    "capture_evals": None, "keep": 3000, "sensitivity": (300, 100),
    "searches": None, "compare": None, "cells": None, "seeds": [0, 1, 2], "factor": 10, "cap": 50_000,
    "sweep_evals": 10_000,
}


def all_cells() -> list[tuple[str, str]]:
    return [(pid, domain) for pid in policy_ids() for domain in load_policy(pid).target_lines]


# -- 1 ------------------------------------------------------------------------------------------

def section_rates(config: dict) -> dict:
    """Capture each rule's search mix, then time verdict + capability over it."""
    budget = config["capture_evals"]
    print("1. Evaluations per second on the lifecycles a search builds (object path; one process = one core)")
    print(f"   mix: every lifecycle built during a {'full default' if budget is None else f'{budget:,}-evaluation'} "
          f"search of each rule (`build` wrapped), {config['keep']:,} sampled per rule; one evaluation = one verdict "
          "(is_covered, readings in turn) + one capability (effective_compute) of a fresh lifecycle; best of 3")
    total_steps, finding_steps, mixes, out = collections.Counter(), collections.Counter(), {}, {}
    for pid in policy_ids():
        captured, result = capture_mod.search_mix(pid, max_evals=budget, keep=config["keep"])
        total_steps.update(captured.steps)
        finding_steps.update(len(f.lifecycle.steps) for f in result.findings)
        mixes[pid] = captured
    built = capture_mod.distribution(total_steps)
    findings = capture_mod.distribution(finding_steps)
    print(f"   built during the searches ({built['n']:,} lifecycles): {capture_mod.format_distribution(built)}")
    print(f"   for contrast, their minimised findings ({findings['n']} lifecycles): mean {findings['mean']:.1f} steps, "
          f"median {findings['median']:g}")
    print(f"   {'rule':<20} {'sampled':>7} {'steps':>5} {'verdict':>9} {'capab.':>9} {'both':>9} {'evals/s':>9} "
          f"{'build':>9}")
    for pid, captured in mixes.items():
        policy = load_policy(pid)
        rate = rates.object_rate(policy, captured.lifecycles, captured.plans)
        mean_steps = statistics.mean(len(lc.steps) for lc in captured.lifecycles)
        out[pid] = rate.per_second
        print(f"   {pid:<20} {rate.lifecycles:>7,} {mean_steps:>5.1f} {rate.verdict_us:>7.0f}µs {rate.capability_us:>7.0f}µs "
              f"{rate.pair_us:>7.0f}µs {rate.per_second:>9,.0f} {rate.build_us:>7.0f}µs")
    fastest, slowest = max(out, key=out.get), min(out, key=out.get)
    print(f"   range: {out[slowest]:,.0f} ({slowest}) to {out[fastest]:,.0f} ({fastest}) evaluations/s, "
          f"{out[fastest] / out[slowest]:.1f}x apart; building a lifecycle from its plan costs extra (last column)")

    lifecycles, draws = config["sensitivity"]
    print(f"1b. With sensitivity: {lifecycles} lifecycles of each mix x {draws} joint coefficient draws "
          "(loopholes.sensitivity.joint_draws); verdict by the rule with the drawn table + capability with it;")
    print("   one fresh lifecycle per lifecycle, shared by its draws as the sensitivity pass shares it")
    sens = {}
    for pid, captured in mixes.items():
        n, per_second = rates.sensitivity_rate(load_policy(pid), captured.lifecycles[:lifecycles], draws)
        sens[pid] = per_second
        print(f"   {pid:<20} {n:>7,} evaluations  {per_second:>9,.0f} evaluations/s")
    print(f"1c. The same {lifecycles} x {draws} with the draws as columns, as the search's sensitivity pass runs them "
          "(one numpy capability pass per lifecycle; the verdict once, then under every draw for the rules whose "
          "verdict read the coefficient table; every draw judged)")
    columns = {}
    for pid, captured in mixes.items():
        n, per_second = rates.column_rate(load_policy(pid), captured.lifecycles[:lifecycles], draws)
        columns[pid] = per_second
        print(f"   {pid:<20} {n:>7,} evaluations  {per_second:>9,.0f} evaluations/s  "
              f"({per_second / sens[pid]:.1f}x one table at a time)")
    return {"rates": out, "sensitivity": sens, "columns": columns}


# -- 2 ------------------------------------------------------------------------------------------

def section_wall(config: dict) -> dict:
    searches = config["searches"] or policy_ids()
    print("2. Wall time of a full default search per rule (one process; default budget, 300 sensitivity draws)")
    times = {}
    for pid in searches:
        run = walltime.full_search(pid)
        times[pid] = run["seconds"]
        print(f"   {pid:<20} {run['seconds']:6.1f} s  {run['evaluated']:>8,} evaluations  {run['findings']:>3} findings"
              f"{'  (budget exhausted)' if run['exhausted'] else ''}")
    if len(times) > 1:
        fastest, slowest = min(times, key=times.get), max(times, key=times.get)
        print(f"   slowest/fastest: {times[slowest] / times[fastest]:.1f}x ({slowest} vs {fastest})")
    compared = config["compare"] or policy_ids()
    print(f"2b. loopholes compare over {len(compared)} rule(s) ({', '.join(compared)}): own lines, common targets, "
          "sensitivity, backtests; 2 worker processes")
    seconds = walltime.compare_wall(compared, jobs=2)
    print(f"   {seconds:6.1f} s wall")
    return {"searches": times, "compare": seconds}


# -- 3 ------------------------------------------------------------------------------------------

def _progress(policy_id, domain, seed, ours, plain, targeted) -> None:
    print(f"   ... {policy_id}/{domain} seed {seed}: search best at {ours.best}, Hypothesis budget {plain.budget:,}: "
          f"plain reached {plain.reached}, target() reached {targeted.reached}", file=sys.stderr, flush=True)


def _best_text(cells) -> str:
    """The largest leakage Hypothesis drew over the seeds; '≥' when a run that stopped once
    its counts were settled is among them (it could have drawn more with its whole budget)."""
    top = max(cells, key=lambda c: c.best)
    return ("≥" if any(c.stopped_early for c in cells) else "") + f"{top.best:.3g}"


def section_race(config: dict) -> dict:
    cells = config["cells"] or all_cells()
    seeds, factor, cap = config["seeds"], config["factor"], config["cap"]
    print("3. Evaluations to the first evading lifecycle and to the best leakage: the search vs Hypothesis "
          "drawing from loopholes.testing.lifecycles")
    print(f"   {len(cells)} cell(s), seeds {', '.join(map(str, seeds))}; Hypothesis: up to {race.MAX_STEPS} steps, a "
          "reading drawn each, within the search's dates and compute ceiling; plain, or with target() on the leakage")
    print(f"   of uncovered ones; its budget per run: {factor:g}x the search's evaluations to its best leakage, "
          + ("no cap" if cap is None else f"at most {cap:,} evaluations") + "; a run ends once its counts are settled (both events; the first alone when the search had "
          "no best to reach)")
    print("   unit, both sides: 1 per verdict + 1 per capability of one lifecycle (capability only when uncovered);")
    print(f"   best = within {race.BEST_TOLERANCE:.0%} of the search's best leakage in the cell; search counts are its "
          f"counter at the smallest budget that reports the event (bisection to {race.BUDGET_PRECISION:.0%});")
    print("   median (min–max) over seeds; '>N': not reached in N evaluations; '≥': the median rests on such a bound "
          "(or, for Hypothesis' best leakage, a run stopped once its counts were settled)")
    check = race.unit_check(*cells[0], max_evals=2000, budget=200)
    print(f"   counting check ({'/'.join(cells[0])}): search counter {check['search_counter']:,} vs "
          f"{check['search_metered']:,} verdict+capability calls metered (the rest: target, sanity check, "
          f"re-checks of {check['search_findings']} findings); Hypothesis {check['hypothesis_counter']:,} vs "
          f"{check['hypothesis_metered']:,} metered (the rest: the target's capability)")
    reports = race.race(cells, seeds, factor, cap, progress=_progress, jobs=config.get("jobs", 1))
    first_ratios, best_ratios, target_first = [], [], []
    header = (f"   {'cell':<26} {'leak':>7} | {'search first':>16} {'search best':>20} | {'plain first':>20} "
              f"{'plain best':>20} | {'target first':>20} {'target best':>20}")
    print(header)
    for rep in reports:
        s_first, s_best = race.counts(rep.search, "first"), race.counts(rep.search, "best")
        p_first, p_best = race.counts(rep.plain, "first"), race.counts(rep.plain, "reached")
        t_first, t_best = race.counts(rep.targeted, "first"), race.counts(rep.targeted, "reached")
        leak = statistics.median(c.leakage for c in rep.search)
        star = "*" if any(c.baseline_first for c in rep.search) else ""
        print(f"   {rep.policy + '/' + rep.domain:<26} {leak:>7.3g} | {race.median_range(s_first) + star:>16} "
              f"{race.median_range(s_best):>20} | {race.median_range(p_first):>20} {race.median_range(p_best):>20} | "
              f"{race.median_range(t_first):>20} {race.median_range(t_best):>20}")
        for bucket, top, bottom in ((first_ratios, p_first, s_first), (best_ratios, t_best, s_best),
                                    (target_first, t_first, s_first)):
            value = race.ratio(top, bottom)
            if value is not None:
                bucket.append((f"{rep.policy}/{rep.domain}", value))
        found = [c.first_found for c in rep.search if c.first_found is not None]
        print(f"   {'':<26} {'':>7}   Hypothesis budget {race.median_range([race.Count(c.budget) for c in rep.plain])}; "
              f"its best leakage: plain {_best_text(rep.plain)}, target {_best_text(rep.targeted)}"
              f"; the full search's counter when a strategy first evaded: {race.median_range([race.Count(v) for v in found])}")
    above = above_the_search(reports, seeds)
    for line in above:
        print(f"   Hypothesis drew above the search's best: {line}")
    if config.get("keep_dir"):
        for path in keep_draws(reports, seeds, Path(config["keep_dir"])):
            print(f"   kept {path}")
    elif above:
        print("   (--keep DIR writes those lifecycles as specs `loopholes check` reads)")
    summary = {}
    for label, bucket in (("plain Hypothesis / search, evaluations to a first evading lifecycle", first_ratios),
                          ("Hypothesis with target() / search, evaluations to a first evading lifecycle", target_first),
                          ("Hypothesis with target() / search, evaluations to the search's best leakage", best_ratios)):
        values = [r for _, r in bucket]
        middle = race.median_ratio(values)
        if middle is None:
            continue
        summary[label] = middle
        decided = [item for item in bucket if item[1].decided]
        smallest = ""
        if middle.decided and decided:
            low = min(decided, key=lambda item: item[1].value)
            smallest = f"; smallest {low[1]} ({low[0]})"
        print(f"   {label}: median over cells {middle}{smallest}")
    return {"reports": reports, "summary": summary}


def _sides(reports, seeds):
    """(report, seed, search cell, side name, Hypothesis cell) for every Hypothesis run."""
    for rep in reports:
        for index, seed in enumerate(seeds):
            for side, cells in (("plain", rep.plain), ("target", rep.targeted)):
                yield rep, seed, rep.search[index], side, cells[index]


def _above(ours, cell) -> bool:
    return cell.best >= 1.0 and cell.best > ours.leakage * (1 + race.BEST_TOLERANCE)


def above_the_search(reports, seeds) -> list[str]:
    """One line per Hypothesis run that drew an evading lifecycle leakier than the search's
    best in its cell: a search fault, a capability question or a reading gap to settle."""
    return [f"{rep.policy}/{rep.domain} seed {seed} {side}: {cell.best:.3g}x (reading {cell.best_reading}, "
            f"evaluation {cell.best_at:,}) against the search's {ours.leakage:.3g}x"
            for rep, seed, ours, side, cell in _sides(reports, seeds) if _above(ours, cell)]


def keep_draws(reports, seeds, directory: Path) -> list[Path]:
    """Write each Hypothesis run's leakiest evading lifecycle as a spec file, its header
    naming the cell, the seed, the reading, the count and the search's best, so a race
    find can be replayed (`loopholes check RULE FILE --reading R`) and kept as a test."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    commit = machine.commit()
    for rep, seed, ours, side, cell in _sides(reports, seeds):
        if cell.best_spec is None or cell.best < 1.0:
            continue
        path = directory / f"{rep.policy}-{rep.domain}-seed{seed}-{side}.yaml"
        verdict = "ABOVE" if _above(ours, cell) else "not above"
        header = [f"Drawn by Hypothesis ({'with target() on leakage' if side == 'target' else 'plain'}) in the "
                  f"benchmark's race, cell {rep.policy}/{rep.domain}, seed {seed}, code {commit}, Hypothesis "
                  f"{hypothesis.__version__} (its draws for a seed differ between versions):",
                  f"uncovered under reading {cell.best_reading} at its {cell.best_at:,}th evaluation, leakage "
                  f"{cell.best:.4g}x, {verdict} the search's best of {ours.leakage:.4g}x."]
        body = yaml.safe_dump(cell.best_spec, sort_keys=False)
        path.write_text("".join(f"# {line}\n" for line in header) + body)
        written.append(path)
    return written


# -- 4 ------------------------------------------------------------------------------------------

class SweepMismatch(AssertionError):
    """Two executors returned different outputs for the same sweep: a bug, never noise."""


def section_sweep(config: dict) -> dict:
    """The same sweep through every executor; times, speed-up, and a byte-for-byte check."""
    from loopholes.executor import DaskExecutor, LocalExecutor

    rules, budget = sweep.candidates(), config["sweep_evals"]
    print(f"4. Sweep: {len(rules)} candidate amendments of {sweep.BASE} (frontier line 1e24-1e27, "
          f"{sweep.STEPS_PER_DECADE} per decade, '>' and '>='), each evaluated as amend does")
    print(f"   (search of {budget:,} evaluations, backtest, over-inclusion search), seed 0;")
    print("   wall time of Executor.map over all of them (a Dask cluster's start is timed apart)")
    runs: dict[str, tuple[float, list[str]]] = {}
    with LocalExecutor(jobs=2) as pool:
        runs["local pool, 2 processes"] = sweep.run(pool, rules, max_evals=budget)
    starts = {}
    for workers in (1, 2):
        start = time.perf_counter()
        with DaskExecutor(workers=workers) as dask:
            starts[workers] = time.perf_counter() - start
            runs[f"Dask LocalCluster, {workers} worker{'s' if workers > 1 else ''}"] = sweep.run(dask, rules,
                                                                                                 max_evals=budget)
    reference = runs["local pool, 2 processes"][1]
    for name, (seconds, outputs) in runs.items():
        same = outputs == reference
        print(f"   {name:<30} {seconds:7.1f} s  {len(rules) / seconds:6.2f} rules/s  outputs {sweep.digest(outputs)}"
              f"  {'identical' if same else 'DIFFERENT'}")
    one, two = runs["Dask LocalCluster, 1 worker"][0], runs["Dask LocalCluster, 2 workers"][0]
    print(f"   Dask cluster start: {starts[1]:.1f} s (1 worker), {starts[2]:.1f} s (2 workers); speed-up from 1 to 2 "
          f"workers: {one / two:.2f}x ({one:.1f} s -> {two:.1f} s)")
    differ = [name for name, (_, outputs) in runs.items() if outputs != reference]
    if differ:
        first = next(i for i, text in enumerate(runs[differ[0]][1]) if text != reference[i])
        raise SweepMismatch(f"the sweep's outputs differ between executors ({', '.join(differ)} vs the local pool), "
                            f"first at candidate {rules[first]['id']}")
    print(f"   all {len(runs)} executors: {len(rules)} outputs byte-identical "
          f"({sum(len(text) for text in reference):,} bytes of JSON)")
    return {"seconds": {name: seconds for name, (seconds, _) in runs.items()}, "speedup": one / two}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset, about four minutes on a quiet 2-core machine")
    parser.add_argument("--sections", default="1234", help="which sections to run, e.g. 13 (default: 1234)")
    parser.add_argument("--cells", help="section 3: which (rule/domain) cells, comma-separated, e.g. "
                        "ca-sb53/general,ny-raise/general (default: the mode's)")
    parser.add_argument("--seeds", help="section 3: which seeds, comma-separated (default: 0,1,2)")
    parser.add_argument("--cap", type=int, help="section 3: most evaluations a Hypothesis run gets; 0 for no cap, so "
                        "a run gets the full factor x the search's count and every cell is decided (default: the mode's)")
    parser.add_argument("--jobs", type=int, default=1, help="section 3: worker processes for the (cell, seed) runs; "
                        "counts are the same for any number, only the wall time changes (Hypothesis' counts also depend on "
                        "its version, printed in the header) (default: 1)")
    parser.add_argument("--keep", metavar="DIR", help="section 3: write each Hypothesis run's leakiest evading "
                        "lifecycle to DIR as a spec `loopholes check` reads, its header naming the cell, seed, "
                        "reading and whether it beat the search")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL, jobs=max(1, args.jobs), keep_dir=args.keep)
    if args.cells:
        known = set(all_cells())
        chosen = [tuple(cell.strip().split("/", 1)) for cell in args.cells.split(",") if cell.strip()]
        unknown = [cell for cell in chosen if cell not in known]
        if unknown:
            parser.error(f"unknown cell(s) {', '.join('/'.join(c) for c in unknown)}; known: "
                         + ", ".join("/".join(c) for c in sorted(known)))
        config["cells"] = list(dict.fromkeys(chosen))
    if args.seeds:
        try:
            config["seeds"] = list(dict.fromkeys(int(seed) for seed in args.seeds.split(",")))
        except ValueError:
            parser.error(f"--seeds takes whole numbers separated by commas, e.g. 0,1,2; got {args.seeds!r}")
    if args.cap is not None:
        config["cap"] = None if args.cap == 0 else args.cap
    print(__doc__.splitlines()[0].split(". Run:")[0])
    for line in machine.describe():
        print(line)
    print(f"mode: {'--quick (a subset; each section names what it ran)' if args.quick else 'full'}")
    start = time.perf_counter()
    for key, section in (("1", section_rates), ("2", section_wall), ("3", section_race), ("4", section_sweep)):
        if key in args.sections:
            section(config)
            sys.stdout.flush()
    print(f"benchmark wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
