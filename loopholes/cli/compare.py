"""`loopholes compare`: rules ranked by robustness on the same attacks (docs/design.md §8, §9)."""

from __future__ import annotations

import sys

from ..errors import UsageError
from ..extras import require


def add_parser(sub) -> None:
    from ..reporting.analysis import DEFAULT_MAX_EVALS
    from .report import add_executor_options

    parser = sub.add_parser("compare", help="rank rules by robustness on the same attacks: strategies x rules, "
                            "leakage, evasion cost, burden")
    parser.add_argument("policies", nargs="*", metavar="POLICY",
                        help="bundled policy id or path to a policy module (default: every bundled policy)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (docs/design.md §9 fields)")
    parser.add_argument("--out", metavar="DIR",
                        help="also write compare.md, compare.html, compare.json, CSV and figures into DIR")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the searches (default 0)")
    parser.add_argument("--max-evals", type=int, default=DEFAULT_MAX_EVALS,
                        help=f"evaluation budget per rule (default {DEFAULT_MAX_EVALS})")
    add_executor_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from ..reporting.compare import compare, compare_text, stage_comparison
    from ..reporting.report import ProgressBar, publish, safe_name
    from ..reporting.wording import dumps
    from .report import chosen_policies, executor_of

    if args.max_evals < 1:
        raise UsageError("--max-evals must be at least 1")
    if args.out:
        from ..files import check_output_folder

        require("reports", "loopholes compare --out")
        check_output_folder(args.out, "--out")  # before the searches, not after them
    with executor_of(args) as executor, ProgressBar("searching rules") as bar:
        doc, _ = compare(chosen_policies(args.policies), seed=args.seed, max_evals=args.max_evals, jobs=executor,
                         progress=bar.update)
    if args.out:
        out = Path(args.out)
        linked = all((out / f"{safe_name(p)}.md").is_file() for p in doc["policies"])
        written = publish(out, lambda stage: stage_comparison(stage, doc, reports=linked))
    if args.json:
        sys.stdout.write(dumps(doc))
    else:
        print(compare_text(doc))
        if args.out:
            print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0
