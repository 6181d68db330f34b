"""The README's first screen shows a real finding: keep it true."""

import re
from pathlib import Path

from loopholes import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_finding_is_what_the_search_prints(capsys):
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```console\n\$ (loopholes [^\n]+)\n(.*?)```", text, re.S)
    assert block, "the README's first code block must be a console session"
    command, shown = block.group(1).split()[1:], block.group(2)
    assert cli.main(command) == 0
    printed = capsys.readouterr().out
    for line in shown.splitlines():
        if line.strip() and line.strip() != "...":
            assert line in printed, f"README line no longer printed: {line!r}"


def test_readme_test_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = "pip install -e '.[test]' && pytest -n 2"
    assert command in README.read_text(encoding="utf-8") and command in ci


def test_readme_amendment_figures_are_the_committed_report():
    """The README quotes reports/eu-ai-act-amendments.json; regenerating the reports must
    not leave it telling another story."""
    import json

    from loopholes.render import fmt

    doc = json.loads((README.parent / "reports" / "eu-ai-act-amendments.json").read_text(encoding="utf-8"))
    text = " ".join(README.read_text(encoding="utf-8").split())
    by_id = {c["id"]: c for c in doc["candidates"]}
    base = doc["baseline"]
    assert f"as written {len(base['material_loopholes'])} strategies take part in material evasions" in text
    assert f"≥ {fmt(base['worst_material']['leakage'])}x the target" in text
    one, two, rec = by_id["eu-ai-act.count-integer"], by_id["eu-ai-act.count-integer.count-executed"], \
        by_id[doc["recommended"]]
    assert doc["recommended"] == "eu-ai-act.count-integer.lower-line-x0.1"
    assert f"closes {len(one['closed'])} of them ({', '.join(one['closed'])})" in text
    assert f"({base['burden']['recent_mean']:.1f} a year before and after), but leaves ≥ {fmt(one['worst_material_leakage'])}x" in text
    assert one["burden"] == two["burden"] == base["burden"]["recent_mean"]
    assert f"closes {len(two['closed'])} and leaves ≥ {fmt(two['worst_material_leakage'])}x" in text
    assert f"Closing all {len(rec['closed'])} takes" in text and rec["worst_material_leakage"] == 0
    assert f"covers {rec['burden']:.1f} real models a year" in text
    assert f"≥ {fmt(rec['result']['over_inclusion']['over_inclusion'])}x less capable" in text
