"""`loopholes amend POLICY`: amendments that close a rule's loopholes, each verified by the
search and the backtest, with the trade-off between leakage left and real models covered."""

from __future__ import annotations


def add_parser(sub) -> None:
    from .report import add_executor_options
    from ..amend import DEFAULT_MAX_EDITS
    from ..reporting.analysis import DEFAULT_MAX_EVALS

    parser = sub.add_parser("amend", help="propose edits of a rule file that close its loopholes; verify each by "
                            "search and backtest (what it closes, leaves, opens; real models covered)")
    parser.add_argument("policy", metavar="POLICY", help="bundled policy id or path of a .yaml/.toml rule file")
    parser.add_argument("--max-edits", type=int, default=DEFAULT_MAX_EDITS,
                        help=f"most edits combined in the sweep's combinations, 1-4 (default {DEFAULT_MAX_EDITS}); when none "
                        "closes everything, one more candidate joins the closing edits (one per kind)")
    parser.add_argument("--out", metavar="DIR", help="write the amendments report (Markdown, HTML, JSON, figure, "
                        "the lightest amended rule that closes everything closable) into DIR")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the searches (default 0)")
    parser.add_argument("--max-evals", type=int, default=DEFAULT_MAX_EVALS,
                        help=f"search budget per candidate (default {DEFAULT_MAX_EVALS})")
    add_executor_options(parser)  # --jobs, --workers, --scheduler, as compare and report
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..amend import amend
    from ..reporting.report import ProgressBar
    from .report import executor_of

    if args.out:
        from ..extras import require
        from ..files import check_output_folder

        require("reports", "loopholes amend --out")
        check_output_folder(args.out, "--out")  # before the searches, not after them
    with executor_of(args) as executor, \
            ProgressBar("amended rules searched") as bar:
        result = amend(args.policy, max_edits=args.max_edits, seed=args.seed, max_evals=args.max_evals,
                       executor=executor, progress=bar.update)
    if args.out:
        from ..reporting.amend_report import write

        for path in write(result, args.out):
            print(f"wrote {path}")
    if args.json:
        from ..reporting.wording import dumps

        print(dumps(result.to_json()), end="")
    elif not args.out:
        print(text(result))
    return 0


def text(result) -> str:
    """The answer on a terminal: what leaks, the recommendation, each single edit."""
    from ..reporting.amend_report import burden_text, as_code, worst_text

    base = result.baseline
    lines = [f"{result.policy}: material loopholes as written: {', '.join(base['material_loopholes']) or 'none'} "
             f"(worst material leakage {worst_text(base)}; {result.burden(result.policy):.1f} covered real models a year)"]
    rec = result.recommended
    if rec is not None:
        lines.append(f"lightest amendment found closing everything an edit closed (releases up to "
                     f"{result.baseline['horizon']}): {' + '.join(rec.edit_ids)}: closes {', '.join(result.closed(rec.id))}; worst "
                     f"material leakage after {worst_text(result.results[rec.id])}; covered models a year "
                     f"{burden_text(result, rec.id)}")
    elif result.closable:
        lines.append(f"no candidate of at most {result.max_edits} edits closes all of {', '.join(result.closable)} "
                     "without leaving another material loophole (try --max-edits 3)")
    if result.unclosable:
        lines.append(f"no edit in the catalogue closes: {', '.join(result.unclosable)}")
    lines.append(f"{len(result.amended)} amended rules searched; single edits:")
    for c in [c for c in result.amended if len(c.edits) == 1]:
        lines.append(f"  {c.edit_ids[0]:<20} closes {as_code(result.closed(c.id)).replace('`', ''):<40} "
                     f"worst after {worst_text(result.results[c.id]):<18} covered/yr {burden_text(result, c.id)}")
    lines.append("(--out DIR writes the report with every combination and the frontier figure; --json the data)")
    return "\n".join(lines)
