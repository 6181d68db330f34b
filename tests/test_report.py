"""Loophole reports: what the Markdown holds, that regeneration is byte for byte the same,
and that a failed run leaves the previous reports untouched."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loopholes.reporting import report, report_figures, wording
from loopholes.cli import main
from loopholes.lifecycle import Lifecycle, make_step

from conftest import REPORT_BUDGET

BUDGET = str(REPORT_BUDGET)


@pytest.fixture
def analyses(report_analyses):
    return report_analyses


@pytest.fixture
def written(written_reports):
    """The two reports and their comparison, as `loopholes report --compare` writes them."""
    return written_reports


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_writes_markdown_json_html_csv_and_figures_per_rule(written):
    names = {p.name for p in written.iterdir()}
    for policy in ("us-eo-14110", "eu-ai-act"):
        assert {f"{policy}.md", f"{policy}.json", f"{policy}.html", f"{policy}-findings.csv",
                f"{policy}-findings.png", f"{policy}-backtest.png"} <= names
    assert {"compare.md", "compare.json", "compare.html", "compare-matrix.csv", "compare-metrics.csv"} <= names
    assert not [n for n in names if n.startswith(".")]


def test_markdown_has_summary_table_per_strategy(written, analyses):
    md = (written / "us-eo-14110.md").read_text()
    assert "## Strategies" in md
    header = next(line for line in md.splitlines() if line.startswith("| strategy"))
    for column in ("result", "leakage", "this strategy adds", "P(evades) / P(material)", "hinges on",
                   "cost (x honest)", "slipped past", "evades under"):
        assert column in header
    for strategy in analyses[0].report["strategies"]:
        assert f"| `{strategy['strategy']}`" in md


def test_markdown_has_one_mermaid_diagram_per_finding(written, analyses):
    for analysis in analyses:
        md = (written / f"{analysis.policy}.md").read_text()
        findings = analysis.report["findings"]
        assert findings, "the budget should find loopholes in both static rules"
        assert md.count("```mermaid\nflowchart LR\n") == len(findings)
        for f in findings:
            assert f"### F{f['number']} {f['id']}" in md
        assert md.count("**Verdict trace**") == len(findings)
        assert md.count("**Compute accounting**") == len(findings)


def test_markdown_lists_ambiguities_by_reading_and_the_backtest(written, analyses):
    md = (written / "eu-ai-act.md").read_text()
    assert "## Ambiguities of the text" in md
    for reading in ("float-only", "all-operations"):
        assert f"| `{reading}`" in md
    assert "Art. 3(67) defines floating-point operations only" in md
    assert "## Backtest: which real models the rule covers" in md
    assert "](eu-ai-act-backtest.png)" in md and "](eu-ai-act-findings.png)" in md
    assert re.search(r"^\| 2024 +\| \d+", md, re.M)


def test_internal_links_point_at_finding_headings(written):
    md = (written / "us-eo-14110.md").read_text()
    slugs = {report.anchor(int(n), fid) for n, fid in re.findall(r"^### F(\d+) (\S+)$", md, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", md))
    assert links and links <= slugs


def test_json_holds_the_same_content(written, analyses):
    doc = json.loads((written / "us-eo-14110.json").read_text())
    assert doc["policy"]["id"] == "us-eo-14110"
    assert [f["id"] for f in doc["findings"]] == [f["id"] for f in analyses[0].report["findings"]]
    assert {"years", "covered_models"} <= set(doc["backtest"])
    assert doc["search"]["seconds"] is None  # no wall-clock time in a written file
    assert list(doc) == sorted(doc)


def test_mermaid_escapes_characters_mermaid_parses():
    steps = (make_step('base "v1"', "pretrain", "Lab <A> & #1; |x|", flop=1e24),
             make_step("tuned", "finetune", "Other; party", ["base \"v1\""], flop=1e22))
    lc = Lifecycle("odd", __import__("datetime").date(2024, 1, 1), "tuned", steps)
    text = report.mermaid(lc)
    labels = re.findall(r'^    s\d+\["(.*)"\]$', text, re.M)
    assert len(labels) == 2
    for label in labels:
        bare = re.sub(r"#\w+;", "", label.replace("<br/>", ""))  # entity codes are how mermaid takes them
        assert not set(bare) & set('"<>;|`#')
    assert "#quot;v1#quot;" in labels[0] and "#lt;A#gt; #amp; #35;1#59;" in labels[0]
    assert "    s0 --> s1" in text and "    class s1 deploy" in text and "    class s0 party" in text


def test_two_regenerations_are_byte_identical(written, tmp_path):
    """Same seed, same bytes: the command in a fresh process, its rules searched in two
    worker processes, writes exactly what this process wrote searching them one by one."""
    second = tmp_path / "b"
    run = subprocess.run([sys.executable, "-m", "loopholes", "report", "us-eo-14110", "eu-ai-act", "--compare",
                          "--out", str(second), "--max-evals", BUDGET, "--jobs", "2"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    a, b = _snapshot(written), _snapshot(second)
    assert a.keys() == b.keys() and len(a) == 21
    assert [name for name in a if a[name] != b[name]] == []


def test_failed_regeneration_leaves_previous_reports_intact(written, tmp_path, monkeypatch, capsys):
    out = tmp_path / "reports"
    shutil.copytree(written, out)  # the previous reports: this module's regeneration
    (out / "README.md").write_text("hand-written\n")
    before = _snapshot(out)
    capsys.readouterr()

    real, calls = report_figures.findings_figure, []

    def failing(model, path):  # the second rule's figure fails, after the first rule's files exist
        calls.append(path)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(model, path)

    monkeypatch.setattr(report_figures, "findings_figure", failing)
    code = main(["report", "us-eo-14110", "eu-ai-act", "--compare", "--out", str(out), "--max-evals", "1500"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "disk on fire" in err and "nothing in" in err
    assert len(calls) == 2
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]  # the staging folder is gone


def test_stale_files_of_a_rule_are_removed_only_after_success(tmp_path, analyses):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "us-eo-14110-findings.png").write_bytes(b"old")
    (out / "notes.md").write_text("kept\n")
    analysed = analyses[0]  # analysis.analyse("us-eo-14110", max_evals=REPORT_BUDGET), shared
    assert analysed.policy == "us-eo-14110"
    report.write_reports([analysed], out)
    assert (out / "us-eo-14110-findings.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "notes.md").read_text() == "kept\n"


def test_unknown_policy_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["report", "no-such-rule", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown policy 'no-such-rule'" in err
    assert not (tmp_path / "r").exists()


def test_bad_budget_is_a_usage_error(capsys):
    assert main(["report", "us-eo-14110", "--max-evals", "0"]) == 2
    assert "--max-evals" in capsys.readouterr().err


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, capsys):
    assert main(["report", "ca-sb53", "--out", str(tmp_path), "--max-evals", "500"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "wrote" in captured.out


def test_tidy_rounds_floats_and_drops_non_finite():
    assert wording.tidy({1: 0.1 + 0.2, "x": float("inf"), "t": (1.23456789e25,)}) == {"1": 0.3, "x": None,
                                                                                     "t": [1.23457e25]}


@pytest.mark.full_search
def test_committed_report_is_up_to_date(tmp_path):
    """reports/ must show what the engine finds today: the EU report is regenerated (with
    the same seed and budget as tools/regenerate_reports.py) and compared byte for byte.
    If this fails, run `python tools/regenerate_reports.py` and commit reports/."""
    from pathlib import Path

    from loopholes.cli import main

    committed = Path(__file__).resolve().parent.parent / "reports" / "eu-ai-act.md"
    assert main(["report", "eu-ai-act", "--out", str(tmp_path), "--seed", "0", "--max-evals", "400000"]) == 0
    fresh, old = (tmp_path / "eu-ai-act.md").read_text(encoding="utf-8"), committed.read_text(encoding="utf-8")
    assert fresh == old


def test_the_default_folder_is_not_the_bundled_reports(tmp_path, monkeypatch, capsys):
    """Was: `--out` defaulted to `reports`, so a run from the checkout overwrote the
    committed reports of the bundled rules."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "ca-sb53.md").write_text("the committed report\n")
    assert main(["report", "ca-sb53", "--max-evals", "500"]) == 0
    assert (tmp_path / "reports" / "ca-sb53.md").read_text() == "the committed report\n"
    assert (tmp_path / "loopholes-report" / "ca-sb53.md").is_file()
    assert capsys.readouterr().out.splitlines()[-1].endswith(" files in loopholes-report")


def test_regenerating_the_bundled_reports_names_their_folder(monkeypatch):
    """tools/regenerate_reports.py passes --out to `loopholes report`: the default moved away.
    The history diffs and the amendments it writes after the reports go to the same folder
    (the diffs are recorded, not run: run here, they rewrote the committed reports/ on
    every test run)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "tools"))
    import regenerate_reports

    seen, history = [], []
    monkeypatch.setattr("loopholes.cli.main", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(regenerate_reports, "write_history", lambda out: history.append(out) or 0)
    assert regenerate_reports.main([]) == 0
    reports = Path(__file__).resolve().parents[1] / "reports"
    argv = seen[0]
    assert argv[0] == "report" and Path(argv[argv.index("--out") + 1]) == reports
    assert history == [reports]
    amended = seen[1:]
    assert [a[:2] for a in amended] == [["amend", p] for p in regenerate_reports.AMENDED]
    assert all(Path(a[a.index("--out") + 1]) == reports for a in amended)
