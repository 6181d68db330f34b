"""Optional dependencies: `pip install loopholes` (no extras) runs check, search, list and
the terminal compare; report files need the 'reports' extra and say so in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from loopholes import extras
from loopholes.cli import main

ROOT = Path(__file__).resolve().parent.parent
REPORTS = extras.EXTRAS["reports"]

# Runs in a fresh interpreter in which every module of the reports extra is refused (as if
# not installed), recording each attempt to import one, even one a caller would catch.
WITHOUT_EXTRA = """
import json, sys
BLOCKED, tried = set(sys.argv[2].split(",")), []

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            tried.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Refuse())
import loopholes
from loopholes.cli import main
codes = [main(args) for args in json.loads(sys.argv[3])]
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
with open(sys.argv[1], "w") as out:
    json.dump({"codes": codes, "tried": tried, "loaded": loaded}, out)
"""


def _run_without_extra(tmp_path: Path, commands: list[list[str]], blocked=REPORTS) -> tuple[dict, str]:
    result = tmp_path / "result.json"
    run = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, str(result), ",".join(blocked), json.dumps(commands)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    return json.loads(result.read_text()), run.stderr


def test_the_terminal_commands_never_import_the_reports_extra(tmp_path):
    spec = str(ROOT / "examples" / "int8-student.yaml")
    commands = [["check", "eu-ai-act", spec], ["check", "eu-ai-act", spec, "--json"],
                ["search", "eu-ai-act", "--max-evals", "2000"], ["list"], ["schema"], ["validate"],
                ["backtest", "us-eo-14110"], ["compare", "ca-sb53", "--max-evals", "300", "--jobs", "1"]]
    facts, stderr = _run_without_extra(tmp_path, commands)
    assert facts == {"codes": [0] * len(commands), "tried": [], "loaded": []}, stderr


@pytest.mark.parametrize("command, blocked", [
    (["report", "us-eo-14110"], "matplotlib"),
    (["report", "us-eo-14110", "--compare"], "markdown_it"),
    (["compare", "us-eo-14110", "--out", "{out}"], "mdit_py_plugins"),
    (["backtest", "us-eo-14110", "--out", "{out}"], "matplotlib"),
])
def test_a_command_that_needs_the_missing_extra_says_so_in_one_line_before_any_work(
        command, blocked, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.setitem(sys.modules, blocked, None)  # as if not installed
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{out}", str(out)) for a in command]
    assert main(args) == 2
    captured = capsys.readouterr()
    verb = " ".join(["loopholes", args[0]] + (["--out"] if "--out" in args and args[0] != "report" else []))
    assert captured.err == f"loopholes: error: {verb} needs the 'reports' extra: pip install 'loopholes[reports]'\n"
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the default reports/ folder


def test_the_extra_message_in_a_fresh_interpreter(tmp_path):
    facts, stderr = _run_without_extra(tmp_path, [["report", "ca-sb53", "--out", str(tmp_path / "r")]])
    assert facts["codes"] == [2] and facts["loaded"] == []
    assert stderr == "loopholes: error: loopholes report needs the 'reports' extra: pip install 'loopholes[reports]'\n"
    assert not (tmp_path / "r").exists()


def test_the_extra_in_code_is_the_extra_in_pyproject():
    """extras.EXTRAS names the import names; pyproject names the distributions: the same set."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(req) for req in project["optional-dependencies"]["reports"]}
    provides = packages_distributions()
    assert {_name(dist) for module in REPORTS for dist in provides[module]} == declared
    assert not declared & {_name(req) for req in project["dependencies"]}
    assert "loopholes[reports]" in project["optional-dependencies"]["test"]  # the suite runs everything


def _name(requirement: str) -> str:
    import re

    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
