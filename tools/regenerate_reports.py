"""Regenerate reports/: the loophole report of every bundled rule and their comparison,
the historical diffs (what SB 53 changed from SB 1047, what RAISE 2026 changed from
RAISE 2025), and the amendments report of every bundled rule written as data.

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

    status = loopholes(["report", "--compare", "--out", args.out, "--seed", str(SEED), "--max-evals", str(MAX_EVALS),
                        "--jobs", str(args.jobs)])
    return status or write_history(Path(args.out)) or write_amendments(Path(args.out), args.jobs)


HISTORY = (("history/ca_sb1047.yaml", "ca-sb53"), ("history/ny_raise_2025.yaml", "ny-raise"))
"""Earlier texts and the rule that replaced them (issue 15: diffs that show historical fixes)."""


def write_history(out: Path) -> int:
    """history-<earlier>-vs-<later>.md and .json for each pair, each file written atomically."""
    import json

    from loopholes.cli.diff import text
    from loopholes.diff import diff
    from loopholes.files import write_atomic

    for earlier, later in HISTORY:
        result = diff(REPO / earlier, later, seed=SEED)
        name = f"history-{result.a.id}-vs-{result.b.id}"
        body = (f"# {result.a.title} against {result.b.title}\n\n"
                f"What the later text covers that the earlier did not, and the reverse, as `loopholes diff "
                f"{earlier} {later}` prints it (seed {SEED}). Each lifecycle was re-checked against both rules; "
                "the relations hold only over what was tried.\n\n```\n" + text(result) + "\n```\n")
        write_atomic(out / f"{name}.md", body)
        write_atomic(out / f"{name}.json", json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {out / name}.md")
    return 0


AMENDED = ("eu-ai-act", "us-eo-14110", "ca-sb53", "ny-raise", "kr-ai-basic-act")
"""The bundled static rules (rule files); the two dynamic proposals are Python rules."""
MAX_EDITS = 2


def write_amendments(out: Path, jobs: int) -> int:
    """<policy>-amendments.md/.html/.json/.png and <policy>-amended.yaml for each static rule,
    as `loopholes amend POLICY --max-edits 2 --out reports` writes them."""
    from loopholes.cli import main as loopholes

    for policy in AMENDED:
        status = loopholes(["amend", policy, "--max-edits", str(MAX_EDITS), "--seed", str(SEED), "--max-evals",
                            str(MAX_EVALS), "--jobs", str(jobs), "--out", str(out)])
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
