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
