"""Vendor Epoch AI's model data into the package as a trimmed CSV.

The shared merged table has 32 columns, some of them long free text. The package only
needs the columns below, so this script keeps those, in this order, and every row in
the upstream order. Values are copied unchanged: cleaning (whitespace, parsing,
de-duplication of versions) happens in ``loopholes.population`` where it is documented
and tested. Running it twice on the same input gives a byte-identical file.

    python tools/vendor_epoch.py [SOURCE_CSV] [--out loopholes/data/epoch_models.csv]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO / ".." / "shared" / "data" / "epoch_models_merged_for_backtest.csv"
DEFAULT_OUT = REPO / "loopholes" / "data" / "epoch_models.csv"

COLUMNS = (
    "model",
    "organization",
    "publication_date",
    "domain",
    "task",
    "parameters",
    "training_compute_flop",
    "training_compute_flop_benchmark_imputed",
    "confidence",
    "training_compute_estimation_method",
    "possibly_over_1e23_flop",
    "model_accessibility",
    "open_model_weights",
    "notability_criteria",
    "frontier_model",
    "base_model",
    "finetune_compute_flop",
    "training_hardware",
    "hardware_quantity",
    "training_compute_cost_2023_usd",
)


def trim(source: Path) -> tuple[str, int]:
    """Return the vendored CSV text (COLUMNS only, all rows, upstream order) and its row count."""
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise SystemExit(f"{source}: missing column(s) {', '.join(missing)}")
        rows = [[row[c] for c in COLUMNS] for row in reader]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue(), len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"vendor_epoch: no such file: {args.source}", file=sys.stderr)
        return 2
    text, n_rows = trim(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_bytes(text.encode("utf-8"))  # bytes: no platform newline translation
    tmp.replace(args.out)
    print(f"wrote {args.out}: {n_rows} rows, {len(COLUMNS)} columns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
