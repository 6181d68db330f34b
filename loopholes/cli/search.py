"""`loopholes search`: findings best first, or the docs/design.md §9 JSON."""

from __future__ import annotations

import json
import sys

from ..errors import UsageError


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
    parser.add_argument("--material", type=float, default=2.0, metavar="X",
                        help="leakage from which an evasion counts as material (default 2: see docs/findings.md)")
    parser.add_argument("--draws", type=int, default=300, metavar="N",
                        help="joint coefficient draws per finding for P(evades) and P(material) (default 300)")
    parser.add_argument("--save", metavar="DIR", help="write every finding as a replayable spec (.json) into DIR")
    parser.add_argument("--json", action="store_true", help="machine-readable output (docs/design.md §9 fields)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..search import search

    if args.max_seconds is not None and args.max_seconds <= 0:
        raise UsageError("--max-seconds must be positive")
    if args.save:
        from ..files import check_output_folder

        check_output_folder(args.save, "--save")  # before the search, not after it
    bar = _progress_bar(args.json)
    try:
        result = search(args.policy, strategies=args.strategies, domain=args.domain, target_flop=args.target_flop,
                        seed=args.seed, max_evals=args.max_evals, max_seconds=args.max_seconds, depth=args.depth,
                        coefficients=args.coefficients, progress=bar.update if bar else None,
                        material=args.material, draws=args.draws, target_profile=args.target_profile)
    finally:
        if bar:
            bar.close()
    paths = save_findings(result, args.save, whole_set=True) if args.save else {}
    if args.json:
        from ..files import json_text

        print(json_text(result.to_json(), indent=2))  # strict: an unbounded ratio is null
    else:
        print(summary_text(result, paths, policy_ref=args.policy))
    return 0


def save_findings(result, folder, *, whole_set: bool = False) -> dict[str, str]:
    """Write each finding's lifecycle as <folder>/<policy>--<finding>.json; returns id -> path.
    With `whole_set`, the rule's earlier findings in `folder` are replaced as one set (a
    killed or failed run leaves the old set or the new one, never a mix)."""
    import glob
    from pathlib import Path

    from ..files import StagedSet, write_atomic

    out = Path(folder)
    paths = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = StagedSet(out) if whole_set else None
        try:
            for finding in result.findings:
                name = f"{result.policy.id}--{finding.id.replace('/', '--').replace('+', '_')}.json"
                text = json.dumps(finding.lifecycle.to_spec(), indent=2) + "\n"
                if stage:
                    stage.text(name, text)
                else:
                    write_atomic(out / name, text)
                paths[finding.id] = str(out / name)
            if stage:
                earlier = {p.name for p in out.glob(f"{glob.escape(result.policy.id)}--*.json")}
                stage.commit(earlier | set(stage.names))
        finally:
            if stage:
                stage.discard()
    except OSError as error:
        from ..errors import OutputError

        raise OutputError(f"cannot write the findings into {folder}: {error.strerror or error}") from None
    return paths


def summary_text(result, paths=None, policy_ref: str | None = None) -> str:
    from ..render import finding_text, fmt

    paths = paths or {}
    policy = result.policy
    lines = [f"{policy.id}: {policy.title}"]
    for target in result.targets.values():
        lines.append(f"target ({target.domain}): an honest dense model at {fmt(target.honest_flop)} FLOP on "
                     f"{policy.reference_date.isoformat()} ({target.profile} profile) -> {fmt(target.effective_flop)} "
                     "effective FLOP (central)")
        bare = result.unreached(target.domain)
        if bare is not None:
            lines.append(f"  the rule never reaches this target: an honest run placed under its lines already leaks "
                         f"{fmt(bare.leakage)}x with no gaming at all")
    from ..reporting.measures import strategy_state

    # the same per-strategy state as the report and the comparison: judged by the finding
    # where the strategy itself adds most, so riding along in another's evasion is not enough
    states: dict[str, list[str]] = {}
    for strategy in result.strategies:
        states.setdefault(strategy_state(result, strategy)[0], []).append(strategy)
    lines.append(f"{len(result.findings)} findings; leakage = capability over an honest model at the line, material "
                 f"from {fmt(result.material_factor)}x")
    for label, names in (("evade materially", states.get("robust", []) + states.get("material", [])),
                         ("evade only marginally", states.get("marginal", [])),
                         ("evade only under some readings", states.get("reading", [])),
                         ("found nothing", states.get("blocked", []) + states.get("n/a", []))):
        lines.append(f"strategies that {label}: {', '.join(names) or 'none'}")
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
