"""The drafting guide's pasted output is what its commands print today (issue 13).

tools/regenerate_guide.py runs the guide's session (the files it has the reader write,
the edit of step 5, every marked command) in a fresh folder; a block whose output has
changed beyond timings and temporary paths fails here. Regenerate with
`python tools/regenerate_guide.py`.
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "regenerate_guide.py"

pytestmark = pytest.mark.usefixtures("child_pytests_keep_bytecode")  # conftest: their pytests start faster


def _tool():
    spec = importlib.util.spec_from_file_location("regenerate_guide", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guide_marks_its_session():
    guide = _tool()
    kinds = [m.group(1) for m in guide.MARKER.finditer(guide.GUIDE.read_text(encoding="utf-8"))]
    assert kinds.count("file") == 2 and kinds.count("edit") == 1 and kinds.count("run") >= 6


@pytest.fixture(scope="module")
def fresh():
    """The guide's session, run once: (the guide's text, what each marked block should hold)."""
    guide = _tool()
    text = guide.GUIDE.read_text(encoding="utf-8")
    return text, guide.run_session(text)


def test_pasted_output_is_what_the_commands_print(fresh):
    text, contents = fresh
    guide = _tool()
    stale = guide.differences(text, contents)
    detail = []
    for match, content in zip(guide.MARKER.finditer(text), contents):
        if f"{match.group(1)}: {match.group(2)}" in stale:
            detail += difflib.unified_diff(guide.normalise(match.group(3)).splitlines(),
                                           guide.normalise(content).splitlines(), "pasted", "printed now", lineterm="")
    assert stale == [], "\n".join(detail[:60])


def test_a_changed_output_is_caught(fresh):
    text, contents = fresh
    changed = text.replace("15 passed, 1 xfailed", "16 passed", 1)
    assert changed != text
    assert _tool().differences(changed, contents) == ["run: pytest policies/my_draft.yaml -v"]


def test_the_prose_quotes_the_pasted_output():
    """Step 3 reads the first failure in words; the figures it quotes must be the ones pasted
    above it (after a regeneration changes them, update the prose)."""
    text = _tool().GUIDE.read_text(encoding="utf-8")
    prose_to_output = {"(229x:": "leakage 229x", "4.12×10^26 operations each": "4.12e26 ops",
                       "measures 9.88×10^24": "9.88e24 > 1e25", "here 330 times": "329.60x the honest run"}
    for prose, output in prose_to_output.items():
        assert prose in text and output in text, (prose, output)
