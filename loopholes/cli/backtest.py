"""`loopholes backtest POLICY [--reading R] [--json] [--out DIR] [--include-imputed]` (docs/design.md §9).

Text output: a per-year table (models, with compute, covered, unknown), then the covered
models. `--out DIR` also writes backtest-<policy>.png and backtest-<policy>.json, each
atomically. matplotlib is imported only when a figure is asked for.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from ..files import write_atomic
from ..render import fmt

TABLE_FROM = 2010
"""Years before this are summed into one row of the text table (the JSON keeps each)."""


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("backtest", help="which real models (Epoch AI data) a policy covers, year by year",
                            description="Evaluate a policy on every model in the vendored Epoch AI population "
                            "(one-step lifecycles through the same path as 'check') and report, per year, how many "
                            "models have a compute estimate, how many the rule covers and how many cannot be judged.")
    parser.add_argument("policy", help="bundled policy id or path to a policy module")
    parser.add_argument("--reading", help="named reading of the policy (default: its first)")
    parser.add_argument("--json", action="store_true", help="machine-readable output (docs/design.md §9 fields)")
    parser.add_argument("--out", metavar="DIR", help="also write backtest-<policy>.png (figure) and .json to DIR")
    parser.add_argument("--include-imputed", action="store_true",
                        help="also judge the closed models whose compute Epoch imputed from benchmarks only")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..backtest import backtest

    if args.out:
        from ..extras import require
        from ..files import check_output_folder

        require("reports", "loopholes backtest --out")
        check_output_folder(args.out, "--out")  # before the work, not after it
    result = backtest(args.policy, args.reading, include_imputed=args.include_imputed)
    written = write_outputs(result, args.out) if args.out else []
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(render(result))
        for path in written:
            print(f"wrote {path}")
    return 0


def output_stem(policy_id: str) -> str:
    """backtest-<policy id>, with anything unsafe in a file name replaced."""
    return "backtest-" + re.sub(r"[^A-Za-z0-9._-]+", "-", policy_id).strip("-.")


def write_outputs(result: Any, out: str) -> list[Path]:
    """The figure and the JSON in `out` (created if missing), each written atomically."""
    from ..errors import OutputError
    from ..reporting.figures import backtest_figure
    from ..files import check_output_folder

    folder = check_output_folder(out, "--out")
    stem = output_stem(result.policy)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        figure = backtest_figure(result, folder / f"{stem}.png")
        data = folder / f"{stem}.json"
        write_atomic(data, json.dumps(result.to_json(), indent=2) + "\n")
    except OSError as error:
        raise OutputError(f"--out {out}: cannot write ({error.strerror or error})") from None
    return [figure, data]


def render(result: Any) -> str:
    """Header, per-year table, covered models: what a drafter reads in a terminal."""
    from tabulate import tabulate

    known = sum(r.with_compute for r in result.years)
    unknown = sum(r.unknown for r in result.years)
    covered = result.covered_models
    head = (f"{result.policy} (reading: {result.reading}): backtest on Epoch AI's models - "
            f"{len(covered)} covered of {known} with a compute estimate; {unknown} dated models have no estimate "
            f"and cannot be judged" + (f"; {result.undated} undated models not judged" if result.undated else "")
            + ("; benchmark-imputed compute included" if result.include_imputed else ""))
    rows = []
    early = [r for r in result.years if r.year < TABLE_FROM]
    if early:
        rows.append([f"{early[0].year}-{TABLE_FROM - 1}", sum(r.models for r in early),
                     sum(r.with_compute for r in early), sum(r.covered for r in early),
                     _share(sum(r.covered for r in early), sum(r.with_compute for r in early)),
                     sum(r.unknown for r in early), sum(r.unknown_flagged for r in early)])
    for r in result.years:
        if r.year >= TABLE_FROM:
            rows.append([r.year, r.models, r.with_compute, r.covered, _share(r.covered, r.with_compute), r.unknown,
                         r.unknown_flagged])
    years = tabulate(rows, headers=["year", "models", "with compute", "covered", "share", "unknown",
                                    "unknown, possibly >1e23"], colalign=("left",) + ("right",) * 6)
    models = tabulate([[p.model, p.published.isoformat(), _organization(p.organization), p.reference_class,
                        fmt(p.flop) + (" (imputed)" if p.imputed else ""), ", ".join(p.clauses)] for p in covered],
                      headers=["covered model", "published", "developer", "class", "FLOP", "clauses"],
                      maxcolwidths=[40, None, 34, None, None, 24], disable_numparse=True,
                      colalign=("left", "left", "left", "left", "right", "left")) if covered else "No model is covered."
    return f"{head}\n\n{years}\n\n{models}\n\nData: {result.source}"


def _organization(text: str) -> str:
    """Epoch's comma-separated developers, shortened to two and "et al."."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    return ", ".join(names[:2]) + (" et al." if len(names) > 2 else "")


def _share(covered: int, known: int) -> str:
    return f"{covered / known:.0%}" if known else "-"
