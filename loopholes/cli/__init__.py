"""The `loopholes` command (docs/design.md §9). Exit 0 on success, 2 on a usage or input error
with one line on stderr. Heavy modules (search, plotting) are imported per command so
`loopholes check` stays fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from ..errors import LoopholesError, UsageError, one_line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as every other input error
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loopholes", description="Red-team compute-threshold AI rules: find model lifecycles "
                     "that keep the capability a rule targets while escaping it.")
    parser.add_argument("--version", action="version", version=f"loopholes {__import__('loopholes').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("list", help="bundled policies (with status and dates) and gaming strategies")

    schema = sub.add_parser("schema", help="print the JSON Schema of a lifecycle spec (or, with --rule, of a rule file)")
    schema.add_argument("--rule", action="store_true", help="the schema of a YAML/TOML rule file instead")

    check = sub.add_parser("check", help="the verdict of a policy on one lifecycle spec")
    check.add_argument("policy", help="bundled policy id, or the path of a rule file (.yaml, .toml) or module (.py)")
    check.add_argument("spec", help="lifecycle spec (.json, .yaml, .yml or .toml)")
    check.add_argument("--reading", help="named reading of the policy (default: its first)")
    check.add_argument("--coefficients", help="TOML file of capability coefficients to lay over the bundled ones")
    check.add_argument("--json", action="store_true", help="machine-readable output (docs/design.md §9 fields)")

    _add_later_commands(sub)
    return parser


def _add_later_commands(sub: Any) -> None:
    """Commands whose engines live in their own modules; each module adds its parser."""
    for module in ("search", "backtest", "report", "compare", "validate", "diff", "amend"):
        try:
            mod = __import__(f"loopholes.cli.{module}", fromlist=["add_parser"])
        except ModuleNotFoundError as error:
            if error.name != f"loopholes.cli.{module}":
                raise
            continue
        mod.add_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    from ..guard import Terminated, terminate_cleanly

    try:
        with terminate_cleanly():
            return _main(argv)
    except Terminated:
        print("loopholes: terminated", file=sys.stderr)
        return 143


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 0
        if args.command == "list":
            return _cmd_list()
        if args.command == "schema":
            if args.rule:
                from ..rules.rulefile import json_schema
            else:
                from ..spec import json_schema

            print(json.dumps(json_schema(), indent=2))
            return 0
        if args.command == "check":
            return _cmd_check(args)
        return args.run(args)
    except LoopholesError as error:
        print(f"loopholes: error: {one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("loopholes: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (RecursionError, MemoryError, OverflowError) as error:  # input the validation let through
        if os.environ.get("LOOPHOLES_TRACEBACK"):
            raise
        print(f"loopholes: error: the input is beyond what the tool can evaluate ({type(error).__name__}: "
              f"{one_line(str(error), 200)}); see docs/input-envelope.md", file=sys.stderr)
        return 2


def _cmd_list() -> int:
    from tabulate import tabulate

    from ..rules.registry import load_policy, policy_ids

    rows = []
    for pid in policy_ids():
        try:
            policy = load_policy(pid)
        except LoopholesError as error:
            rows.append([pid, f"(cannot load: {error})", "", "", ""])
            continue
        dates = "; ".join(f"{k} {v}" for k, v in policy.dates.items())
        rows.append([pid, policy.title, policy.status, dates, ", ".join(r.id for r in policy.readings)])
    print("Policies")
    print(tabulate(rows, headers=["id", "title", "status", "dates", "readings"], maxcolwidths=[None, 40, None, 40, None]))
    try:
        from ..strategies import registry as strategy_registry
    except ModuleNotFoundError:
        return 0
    print("\nGaming strategies")
    print(tabulate([[s.id, s.title, s.cites] for s in strategy_registry().values()],
                   headers=["id", "what it does", "described in"], maxcolwidths=[None, 50, 40]))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .. import check
    from ..guard import watch_rules

    with watch_rules():  # a rule stuck on this lifecycle is named, not waited on forever
        verdict = check(args.policy, args.spec, args.reading, coefficients=args.coefficients)
    if args.json:
        from ..files import json_text

        print(json_text(verdict.to_json(), indent=2))
    else:
        print(render_verdict(verdict))
    return 0


def render_verdict(verdict) -> str:
    """A short readable trace: each clause, measured against threshold, and why."""
    from tabulate import tabulate

    from ..render import fmt as _fmt

    head = (f"{verdict.policy} (reading: {verdict.reading}) on '{verdict.lifecycle.name}', artifact '{verdict.artifact}': "
            f"{'COVERED' if verdict.covered else 'NOT COVERED'}" + (f" (tier: {verdict.tier})" if verdict.tier else " (no tier)"))
    rows = [[("TRIGGERED" if c.triggered else "-"), c.clause, c.measures,
             f"{_fmt(c.measured)} {c.comparator} {_fmt(c.threshold)}?", c.note]
            for c in verdict.clauses]
    table = tabulate(rows, headers=["", "clause", "measures", "measured vs line", "why"], maxcolwidths=[None, 30, 34, None, 40])
    cap = "; ".join(f"{d} {' / '.join(_fmt(v) for v in bands)}" for d, bands in verdict.capability.values.items())
    return f"{head}\n{table}\ncapability (effective FLOP, low / central / high): {cap}\ncompute: {_fmt(verdict.total_flop)} operations in the lineage"


if __name__ == "__main__":
    sys.exit(main())
