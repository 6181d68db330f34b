"""CSV beside the reports: one row per finding, per matrix cell, per rule; the same values as
the JSON; every column documented in docs/report-files.md."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from loopholes.reporting import report_csv

DOCS = Path(__file__).resolve().parent.parent / "docs" / "report-files.md"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float | None:
    return float(text) if text else None


def test_findings_csv_has_one_row_per_finding_with_the_json_values(written_reports):
    for policy in ("us-eo-14110", "eu-ai-act"):
        doc = json.loads((written_reports / f"{policy}.json").read_text(encoding="utf-8"))
        rows = _rows(written_reports / f"{policy}-findings.csv")
        assert list(rows[0]) == [name for name, _, _ in report_csv.FINDING_COLUMNS]
        assert [r["id"] for r in rows] == [f["id"] for f in doc["findings"]] and rows
        for row, finding in zip(rows, doc["findings"]):
            assert int(row["number"]) == finding["number"]
            assert row["strategies"].split("; ") == finding["strategies"]
            assert _number(row["leakage"]) == pytest.approx(finding["leakage"])
            assert _number(row["cost_ratio"]) == pytest.approx(finding["cost"]["ratio_to_honest"])
            assert _number(row["p_material"]) == pytest.approx(finding["p_material"])
            assert row["material"] == ("true" if finding["material"] else "false")
            assert row["bounded_by"] == "; ".join(finding["bounded_by"])
            assert row["hinge"] == (finding["hinge"] or {}).get("coefficient", "")
            assert _number(row["capability_central"]) == pytest.approx(
                finding["capability"][finding["domain"]]["central"])
            assert int(row["steps"]) == len(finding["lifecycle"]["steps"])


def test_compare_csv_holds_the_matrix_and_the_metrics(written_reports):
    doc = json.loads((written_reports / "compare.json").read_text(encoding="utf-8"))
    matrix = _rows(written_reports / "compare-matrix.csv")
    assert [(r["policy"], r["strategy"], r["state"]) for r in matrix] == [
        (c["policy"], c["strategy"], c["state"]) for c in doc["matrix"]]
    for row, cell in zip(matrix, doc["matrix"]):
        assert _number(row["leakage"]) == (pytest.approx(cell["leakage"]) if cell["leakage"] is not None else None)
        assert row["evaded"] == ("true" if cell["evaded"] else "false")
    metrics = _rows(written_reports / "compare-metrics.csv")
    assert [r["policy"] for r in metrics] == [e["policy"] for e in doc["ranking"]]
    by_policy = {m["policy"]: m for m in doc["metrics"]}
    for row in metrics:
        m = by_policy[row["policy"]]
        assert _number(row["evasion_cost"]) == pytest.approx(m["evasion_cost"])
        for domain, value in m["common"].items():
            assert _number(row[f"common_leakage_{domain}"]) == pytest.approx(value["leakage"])
        for year in m["burden"]["recent_years"]:
            assert int(row[f"covered_{year}"]) == m["burden"]["per_year"][str(year)]
    assert metrics[0]["line_general"] in ("1e+26", "1e+25")  # thresholds read as numbers, not 27-digit integers


def test_cells_are_flat_and_stable():
    assert report_csv.cell(None) == "" and report_csv.cell(True) == "true" and report_csv.cell(False) == "false"
    assert report_csv.cell(["a", "b"]) == "a; b" and report_csv.cell([]) == ""
    assert report_csv.cell(0.1 + 0.2) == "0.3" and report_csv.cell(float("inf")) == ""
    assert report_csv.cell(10**25) == "1e+25" and report_csv.cell(12) == "12"
    text = report_csv.table([{"x": 'a "quoted", text'}], [("x", "", lambda r: r["x"])])
    assert text == 'x\n"a ""quoted"", text"\n'


def test_every_column_is_documented(written_reports):
    doc = json.loads((written_reports / "compare.json").read_text(encoding="utf-8"))
    documented = set(re.findall(r"^\| `([a-z_0-9<>]+)` \|", DOCS.read_text(encoding="utf-8"), re.M))
    names = [name for name, _, _ in report_csv.FINDING_COLUMNS + report_csv.MATRIX_COLUMNS
             + report_csv.metric_columns(doc)]
    general = {re.sub(r"(general|bio)", "<domain>", re.sub(r"\d{4}$", "<year>", n)) for n in names}
    assert general - documented == set()
