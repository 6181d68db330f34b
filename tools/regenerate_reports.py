"""Regenerate reports/: the loophole report of every bundled rule and their comparison.

    python tools/regenerate_reports.py [--out reports] [--jobs 2]

One run searches every bundled policy once (fixed seed and budget, so the output is the
same byte for byte), then writes <policy>.md/.json/-*.png and compare.md/.json/-*.png.
Everything is produced in a hidden folder next to the output first and moved in only
when all of it exists: a failed or interrupted run leaves the previous reports as they
were. It is the same as `loopholes report --compare --out reports --seed 0`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 0
MAX_EVALS = 400_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "reports"), help="output folder (default: the repository's reports/)")
    parser.add_argument("--jobs", type=int, default=2, help="rules searched in parallel (default 2)")
    args = parser.parse_args(argv)
    from loopholes.cli import main as loopholes

    return loopholes(["report", "--compare", "--out", args.out, "--seed", str(SEED), "--max-evals", str(MAX_EVALS),
                      "--jobs", str(args.jobs)])


if __name__ == "__main__":
    sys.exit(main())
