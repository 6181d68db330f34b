"""`loopholes diff A B`: where two rules disagree, with re-verified minimal lifecycles."""

from __future__ import annotations

import json

from ..errors import UsageError

SHOWN = 3
"""Counterexamples printed per direction (the JSON has them all)."""


def add_parser(sub) -> None:
    from .report import add_executor_options

    parser = sub.add_parser("diff", help="where two rules disagree: lifecycles one covers and the other does not, "
                            "real models, and whether one implies the other")
    parser.add_argument("a", metavar="A", help="bundled policy id or path of a rule file or module")
    parser.add_argument("b", metavar="B", help="the rule to compare it with")
    parser.add_argument("--reading-a", help="reading of A (default: its first)")
    parser.add_argument("--reading-b", help="reading of B (default: its first)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the searches and generation (default 0)")
    parser.add_argument("--max-evals", type=int, default=20_000, help="search budget per rule (default 20000)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_executor_options(parser)  # the two searches: local processes or Dask, as compare and report
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..diff import diff
    from .report import executor_of

    if args.max_evals < 1:
        raise UsageError("--max-evals must be at least 1")
    with executor_of(args) as executor:
        result = diff(args.a, args.b, reading_a=args.reading_a, reading_b=args.reading_b, seed=args.seed,
                      max_evals=args.max_evals, executor=executor)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        print(text(result))
    return 0


def text(result) -> str:
    from ..render import lifecycle_lines

    a, b = f"{result.a.id} ({result.reading_a})", f"{result.b.id} ({result.reading_b})"
    lines = [f"{a} vs {b}"]
    for label, examples in ((f"{a} covers, {b} does not", result.a_not_b), (f"{b} covers, {a} does not", result.b_not_a)):
        lines.append(f"{label}: {len(examples)} lifecycle{'s' if len(examples) != 1 else ''} found"
                     + (", smallest first" if examples else ""))
        if examples:
            lines.append("  by clause: " + "; ".join(f"{clause}: {n}" for clause, n in result.by_clause(examples).items()))
        for example in examples[:SHOWN]:
            lines.append(f"  [{example.source}] caught by: {'; '.join(example.clauses)}")
            lines.extend("    " + line for line in lifecycle_lines(example.lifecycle))
        if len(examples) > SHOWN:
            lines.append(f"  ... {len(examples) - SHOWN} more (--json lists them all)")
    pop = result.population
    lines.append(f"real models (Epoch data): {len(pop['both'])} covered by both; only {result.a.id}: "
                 f"{', '.join(pop['a_only']) or 'none'}; only {result.b.id}: {', '.join(pop['b_only']) or 'none'}")
    tried = result.tried
    lines.append(f"relations, over {tried['search_a'] + tried['search_b']} search findings, {tried['generated']} "
                 f"generated lifecycles and {tried['population']} real models (not a proof):")
    words = {"a_implies_b": f"everything {result.a.id} covers, {result.b.id} covers",
             "b_implies_a": f"everything {result.b.id} covers, {result.a.id} covers",
             "equivalent": "they cover the same lifecycles", "disjoint": "nothing is covered by both"}
    for name, relation in result.relations.items():
        counter = relation["counterexample"] or {}
        shown = f"real model {counter['model']}" if "model" in counter else f"a lifecycle from {counter.get('source')}"
        lines.append(f"  {words[name]}: {'holds' if relation['holds'] else f'no ({shown})'}")
    return "\n".join(lines)
