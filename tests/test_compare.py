"""`loopholes compare`: the DESIGN §9 fields, the §8 measures, the ranking rule, the
files it writes, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from loopholes import compare, report
from loopholes.cli import main

BUDGET = 2000


@pytest.fixture(scope="module")
def doc():
    comparison, _ = compare.compare(["us-eo-14110", "eu-ai-act", "ca-sb53"], max_evals=BUDGET, jobs=1)
    return comparison


def test_cli_json_has_the_design_fields():
    """The command exactly as a drafter types it, with the default budget."""
    run = subprocess.run([sys.executable, "-m", "loopholes.cli", "compare", "us-eo-14110", "eu-ai-act", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    data = json.loads(run.stdout)
    assert data["policies"] == ["us-eo-14110", "eu-ai-act"]
    assert len(data["strategies"]) == 16
    assert len(data["matrix"]) == 2 * len(data["strategies"])
    for cell in data["matrix"]:
        assert {"policy", "strategy", "evaded", "finding"} <= set(cell)
        assert cell["evaded"] == (cell["finding"] is not None)
    for metrics in data["metrics"]:
        assert {"policy", "leakage", "evasion_cost", "strategies_blocked", "burden"} <= set(metrics)
    eo = next(m for m in data["metrics"] if m["policy"] == "us-eo-14110")
    assert set(eo["leakage"]) == {"general", "bio"}
    assert eo["burden"]["reading"] == "single-run" and eo["burden"]["per_year"]["2025"] >= 1
    assert "most robust" in data["ranking_rule"]


def test_matrix_states_agree_with_the_search(doc):
    from loopholes.search import search

    result = search("eu-ai-act", max_evals=BUDGET)
    for cell in (c for c in doc["matrix"] if c["policy"] == "eu-ai-act"):
        evading = result.evading(cell["strategy"])
        assert cell["evaded"] == bool(evading)
        assert cell["state"] in compare.STATES
        if evading:
            assert cell["finding"] in {f.id for f in evading}
    assert {c["state"] for c in doc["matrix"] if c["strategy"] == "cluster-split" and c["policy"] != "us-eo-14110"} \
        == {"n/a"}


def test_measures_follow_design_section_8(doc):
    from loopholes.search import search

    result = search("us-eo-14110", max_evals=BUDGET)
    metrics = next(m for m in doc["metrics"] if m["policy"] == "us-eo-14110")
    assert metrics["leakage"] == pytest.approx(result.leakage())
    assert metrics["evasion_cost"] == pytest.approx(min(f.cost["ratio_to_honest"] for f in result.findings))
    quiet = [s for s in result.strategies if not result.evading(s)]
    assert metrics["strategies_blocked"] == pytest.approx(len(quiet) / len(result.strategies))
    assert metrics["applicable"] == len(result.strategies) - len(metrics["states"]["n/a"])
    assert metrics["burden"]["recent_years"] == [2023, 2024, 2025]


def test_ranking_follows_the_stated_rule(doc):
    by_policy = {m["policy"]: m for m in doc["metrics"]}
    keys = [compare.rank_key({**by_policy[e["policy"]]}) for e in doc["ranking"]]
    assert keys == sorted(keys)
    assert [e["rank"] for e in doc["ranking"]] == list(range(1, len(doc["policies"]) + 1))


def test_rank_key_orders_robust_then_breadth_then_leakage():
    def metrics(name, robust, evaded, reading, leak):
        states = {s: [] for s in compare.STATES}
        states["robust"], states["evaded"], states["reading"] = ["x"] * robust, ["y"] * evaded, ["z"] * reading
        return {"policy": name, "states": states, "leakage_max": leak}

    rules = [metrics("a", 3, 0, 0, 1.0), metrics("b", 1, 5, 0, 90.0), metrics("c", 1, 2, 2, 9.0),
             metrics("d", 1, 2, 2, 3.0)]
    assert [m["policy"] for m in sorted(rules, key=compare.rank_key)] == ["d", "c", "b", "a"]


def test_text_summary_has_tables_and_a_verdict(doc):
    text = compare.compare_text(doc)
    assert text.startswith("Ranking (most robust =")
    assert "Strategies x rules" in text and "Capability leakage" in text and "Burden" in text
    assert "Most robust: " in text and "Ranking rule:" in text


def test_out_writes_markdown_json_and_three_figures(tmp_path, capsys):
    code = main(["compare", "us-eo-14110", "eu-ai-act", "--out", str(tmp_path), "--max-evals", str(BUDGET)])
    assert code == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"compare.md", "compare.json", "compare-matrix.png", "compare-leakage.png", "compare-burden.png"}
    md = (tmp_path / "compare.md").read_text()
    for section in ("## The answer", "## Ranking", "## Which strategy gets past which rule", "## How much capability leaks",
                    "## What evasion costs", "## Burden", "## The papers' questions"):
        assert section in md
    assert "Most robust: " in md and "(compare-matrix.png)" in md
    assert "[us-eo-14110](us-eo-14110.md)" not in md  # no report next to it to link
    assert json.loads((tmp_path / "compare.json").read_text())["policies"] == ["us-eo-14110", "eu-ai-act"]
    assert "wrote" in capsys.readouterr().out


def test_worker_processes_do_not_change_the_result():
    serial, _ = compare.compare(["us-eo-14110", "ca-sb53"], max_evals=BUDGET, jobs=1)
    parallel, _ = compare.compare(["us-eo-14110", "ca-sb53"], max_evals=BUDGET, jobs=2)
    assert report.dumps(serial) == report.dumps(parallel)


def test_unknown_policy_is_one_line_and_exit_2(capsys):
    assert main(["compare", "us-eo-14110", "nope", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "unknown policy 'nope'" in captured.err


def test_a_policy_named_twice_is_refused(capsys):
    assert main(["compare", "eu-ai-act", "eu-ai-act"]) == 2
    assert "named twice" in capsys.readouterr().err
