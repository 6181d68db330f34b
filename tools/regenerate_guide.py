"""Regenerate the pasted output in docs/drafting-guide.md by running the guide's session.

    python tools/regenerate_guide.py [--check]

The guide marks what to run with HTML comments, which Markdown does not show:

    <!-- file: policies/my_draft.py -->          the next code block is written to that file
    <!-- edit: policies/my_draft.py -->          the next code block replaces, in that file,
                                                 the statement that starts as its first line does
    <!-- run: pytest policies/my_draft.py -q --> the next code block is what the command prints

Commands run in order in a fresh folder (so a finding saved by one is there for the
next). Timings and temporary paths are normalised when comparing, so `--check` (and
tests/test_drafting_guide.py) fails only when what a reader would see has changed.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "drafting-guide.md"
MARKER = re.compile(r"<!-- (file|edit|run): (.+?) -->\n+```[a-z]*\n(.*?)```", re.S)
HEADER = "(pytest's header lines left out)"


def normalise(text: str) -> str:
    """What may differ between two identical sessions: timings and temporary folders."""
    text = re.sub(r"\bin \d+\.\d+s\b( \(\d+:\d+:\d+\))?", "in N.NNs", text)
    text = re.sub(r"/tmp/pytest-of-[^/\s]+/pytest-\d+/", "/tmp/pytest-of-USER/pytest-N/", text)
    return text


def _edit(path: Path, block: str) -> None:
    """Replace the statement in `path` that starts like the block's first line (up to the
    next blank line) with the block."""
    first = block.splitlines()[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(first.split("(")[0]))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    path.write_text("".join(lines[:start]) + block + "".join(lines[end:]), encoding="utf-8")


def _run(command: str, folder: Path) -> str:
    """A command's output as the guide shows it."""
    argv = shlex.split(command)
    if argv[0] == "pytest":  # Hypothesis seeded, so the pasted output is one run's, every time
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hypothesis-seed=0", *argv[1:]]
    elif argv[0] == "loopholes":
        argv = [sys.executable, "-m", "loopholes", *argv[1:]]
    # a reader's terminal: pytest prints the short summary in full when it sees CI variables
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")}
    env.update(COLUMNS="80", PYTHONHASHSEED="0")
    run = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    out = run.stdout + run.stderr  # an error belongs in the comparison too
    if not out.strip():
        raise RuntimeError(f"the guide's command printed nothing: {command}")
    if "-v" in argv:  # the header names this machine's paths and plugin versions
        lines = out.splitlines(keepends=True)
        first = next((i for i, line in enumerate(lines) if "::" in line), 0)
        out = HEADER + "\n" + "".join(lines[first:])
    return out


def session(text: str, folder: Path) -> list[tuple[re.Match, str]]:
    """Run the guide in `folder`: every marked block with what it should now contain."""
    out = []
    for match in MARKER.finditer(text):
        kind, target, block = match.groups()
        if kind == "file":
            path = folder / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block, encoding="utf-8")
            out.append((match, block))
        elif kind == "edit":
            _edit(folder / target, block)
            out.append((match, block))
        else:
            out.append((match, _run(target, folder)))
    return out


def regenerate(text: str) -> str:
    with tempfile.TemporaryDirectory(prefix="loopholes-guide-") as tmp:
        results = session(text, Path(tmp))
    pieces, last = [], 0
    for match, content in results:
        start, end = match.span(3)
        pieces += [text[last:start], content if content.endswith("\n") else content + "\n"]
        last = end
    return "".join(pieces) + text[last:]


def run_session(text: str) -> list[str]:
    """What every marked block should contain now, in order."""
    with tempfile.TemporaryDirectory(prefix="loopholes-guide-") as tmp:
        return [content for _, content in session(text, Path(tmp))]


def differences(text: str, contents: list[str]) -> list[str]:
    """The marked blocks of `text` whose content is not `contents` (in order), timings and
    temporary paths aside."""
    return [f"{m.group(1)}: {m.group(2)}" for m, content in zip(MARKER.finditer(text), contents)
            if normalise(m.group(3)).rstrip() != normalise(content).rstrip()]


def stale_blocks(text: str) -> list[str]:
    """The marked commands whose pasted output is not what they print now."""
    return differences(text, run_session(text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report blocks that are out of date")
    args = parser.parse_args(argv)
    text = GUIDE.read_text(encoding="utf-8")
    if args.check:
        stale = stale_blocks(text)
        for block in stale:
            print(f"out of date: {block}")
        return 1 if stale else 0
    GUIDE.write_text(regenerate(text), encoding="utf-8")
    print(f"regenerated {GUIDE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
