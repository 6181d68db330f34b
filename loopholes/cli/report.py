"""`loopholes report`: a loophole report per rule (Markdown, JSON, figures), written atomically."""

from __future__ import annotations

from ..errors import UsageError
from ..extras import require

DEFAULT_OUT = "loopholes-report"
"""Not `reports`: run from a checkout, that default overwrote the committed reports of the
bundled rules (tools/regenerate_reports.py writes those, with --out reports)."""


def add_parser(sub) -> None:
    from ..reporting.analysis import DEFAULT_MAX_EVALS

    parser = sub.add_parser("report", help="write a loophole report per rule: Markdown with diagrams, HTML, JSON, "
                            "CSV, figures")
    parser.add_argument("policies", nargs="*", metavar="POLICY",
                        help="bundled policy id or path to a policy module (default: every bundled policy)")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"folder to write into (default: {DEFAULT_OUT} in the current folder)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the searches (default 0)")
    parser.add_argument("--max-evals", type=int, default=DEFAULT_MAX_EVALS,
                        help=f"evaluation budget per rule (default {DEFAULT_MAX_EVALS})")
    add_executor_options(parser)
    parser.add_argument("--compare", action="store_true",
                        help="also write the comparison of these rules (compare.md, .html, .json, CSV, figures)")
    parser.set_defaults(run=run)


def add_executor_options(parser) -> None:
    """Who runs the searches: local processes (--jobs), or Dask (--workers, --scheduler);
    one of them. Every choice gives the same results, byte for byte."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--jobs", type=int, metavar="N",
                       help="rules searched in parallel by local worker processes (default 2; 1: in this process)")
    group.add_argument("--workers", type=int, metavar="N",
                       help="search on a local Dask cluster of N worker processes (needs the 'dask' extra)")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="search on a running Dask cluster, e.g. tcp://HOST:8786; its workers need the same "
                       "loopholes and the rule files at the same paths (needs the 'dask' extra)")


def executor_of(args):
    """The executor `add_executor_options` asked for, to use as a context manager."""
    from ..executor import make_executor

    return make_executor(jobs=args.jobs, workers=args.workers, scheduler=args.scheduler)


def chosen_policies(names: list[str]) -> list[str]:
    """The policies named on the command line, or every bundled one."""
    from ..rules.bundled import BUNDLED

    return list(names) if names else list(BUNDLED)


def run(args) -> int:
    from ..reporting.analysis import analyse_longest_first
    from ..reporting.report import ProgressBar, write_reports

    if args.max_evals < 1:
        raise UsageError("--max-evals must be at least 1")
    require("reports", "loopholes report")
    from ..files import check_output_folder

    check_output_folder(args.out, "--out")  # before the searches, not after them
    with executor_of(args) as executor, ProgressBar("searching rules") as bar:
        analyses = analyse_longest_first(chosen_policies(args.policies), seed=args.seed, max_evals=args.max_evals,
                                         jobs=executor, progress=bar.update)
    comparison = None
    if args.compare:
        from ..reporting.compare import comparison as compare_doc

        comparison = compare_doc([a.measures for a in analyses], seed=args.seed, max_evals=args.max_evals)
    written = write_reports(analyses, args.out, comparison=comparison)
    for path in written:
        if path.suffix == ".md":
            print(f"wrote {path}")
    print(f"{len(written)} files in {args.out}")
    return 0
