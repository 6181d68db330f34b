"""`loopholes search`: findings best first, or the DESIGN §9 JSON."""

from __future__ import annotations

import json
import sys

from .errors import UsageError


def add_parser(sub) -> None:
    parser = sub.add_parser("search", help="find lifecycles that escape a policy while keeping the target capability")
    parser.add_argument("policy", help="bundled policy id or path to a policy module")
    parser.add_argument("--strategy", action="append", dest="strategies", metavar="S",
                        help="only this strategy (repeatable; default: all; see 'loopholes list')")
    parser.add_argument("--domain", help="target domain (default: every domain the rule draws a line in)")
    parser.add_argument("--target-flop", type=float,
                        help="target = capability of an honest dense model trained with this many FLOP")
    parser.add_argument("--target-profile", choices=("standard", "bare"), default="standard",
                        help="the honest target's practices: 'standard' (the reference date's standard recipe and "
                        "deployment: instruction tuning, curated data, chain-of-thought, tools where standard; default) "
                        "or 'bare' (instruction tuning only)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same findings)")
    parser.add_argument("--max-evals", type=int, default=400_000, help="evaluation budget (default 400000)")
    parser.add_argument("--max-seconds", type=float, help="time budget; results are deterministic only when the "
                        "evaluation budget, not time, ends the search")
    parser.add_argument("--depth", type=int, default=3, help="largest number of strategies composed (1-4, default 3)")
    parser.add_argument("--coefficients", help="TOML file of capability coefficients to lay over the bundled ones")
    parser.add_argument("--save", metavar="DIR", help="write every finding as a replayable spec (.json) into DIR")
    parser.add_argument("--json", action="store_true", help="machine-readable output (DESIGN §9 fields)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from .search import search

    if args.max_seconds is not None and args.max_seconds <= 0:
        raise UsageError("--max-seconds must be positive")
    bar = _progress_bar(args.json)
    try:
        result = search(args.policy, strategies=args.strategies, domain=args.domain, target_flop=args.target_flop,
                        seed=args.seed, max_evals=args.max_evals, max_seconds=args.max_seconds, depth=args.depth,
                        coefficients=args.coefficients, progress=bar.update if bar else None,
                        target_profile=args.target_profile)
    finally:
        if bar:
            bar.close()
    paths = save_findings(result, args.save) if args.save else {}
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(summary_text(result, paths, policy_ref=args.policy))
    return 0


def save_findings(result, folder) -> dict[str, str]:
    """Write each finding's lifecycle as <folder>/<policy>--<finding>.json; returns id -> path."""
    from pathlib import Path

    from .files import write_atomic

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for finding in result.findings:
        path = out / f"{result.policy.id}--{finding.id.replace('/', '--').replace('+', '_')}.json"
        write_atomic(path, json.dumps(finding.lifecycle.to_spec(), indent=2) + "\n")
        paths[finding.id] = str(path)
    return paths


def summary_text(result, paths=None, policy_ref: str | None = None) -> str:
    from .render import finding_text, fmt

    paths = paths or {}
    policy = result.policy
    lines = [f"{policy.id}: {policy.title}"]
    for target in result.targets.values():
        lines.append(f"target ({target.domain}): an honest dense model at {fmt(target.honest_flop)} FLOP on "
                     f"{policy.reference_date.isoformat()} ({target.profile} profile) -> {fmt(target.effective_flop)} effective FLOP (central)")
    evaded = [s for s in result.strategies if result.evading(s)]
    blocked = [s for s in result.strategies if not result.evading(s)]
    lines.append(f"{len(result.findings)} findings; strategies that evade: {', '.join(evaded) or 'none'}")
    lines.append(f"strategies that found nothing: {', '.join(blocked) or 'none'}")
    lines.append(f"({result.evaluated} evaluations in {result.seconds:.1f} s, seed {result.seed}"
                 + ("; budget exhausted" if result.exhausted else "") + ")\n")
    for finding in result.findings:
        lines.append(finding_text(finding, spec_path=paths.get(finding.id), policy=result.policy,
                                  policy_ref=policy_ref) + "\n")
    return "\n".join(lines)


def _progress_bar(quiet: bool):
    """A progress bar on stderr for interactive runs (never in JSON mode or when piped)."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    class Bar:
        def __init__(self):
            self.bar = tqdm(total=None, unit="job", desc="searching", file=sys.stderr, leave=False)

        def update(self, done, total):
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

        def close(self):
            self.bar.close()

    return Bar()
