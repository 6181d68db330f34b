"""`loopholes validate`: the capability model against published model pairs it was not
fitted on. Exit 1 when a pair is outside its tolerance without a stated reason."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    parser = sub.add_parser("validate", help="check the capability model against published model pairs (out of sample)")
    parser.add_argument("--coefficients", help="TOML file of capability coefficients to lay over the bundled ones")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..capability import load_coefficients
    from ..validate import run as validate, status, to_text

    rows = validate(load_coefficients(args.coefficients))
    if args.json:
        print(json.dumps({"pairs": rows, "unexplained_misses": [r["id"] for r in rows if status(r) == "MISS"]}, indent=2))
    else:
        print(to_text(rows))
    return 1 if any(status(r) == "MISS" for r in rows) else 0
