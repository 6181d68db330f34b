"""Optional dependencies (pyproject's extras): `pip install loopholes` runs check, search,
list, backtest and compare in the terminal; the files of `report`, `compare --out` and the
figure of `backtest --out` need the 'reports' extra (matplotlib for figures, markdown-it-py
for the HTML). A command that needs a missing extra says so in one line before any work."""

from __future__ import annotations

import importlib.util

from .errors import UsageError

EXTRAS = {"reports": ("matplotlib", "markdown_it", "mdit_py_plugins"), "dask": ("dask", "distributed")}
"""Extra name -> the modules it brings (import names, as pyproject's extras install them)."""


def missing(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here."""
    out = []
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken package, or one blocked in sys.modules
            found = False
        if not found:
            out.append(module)
    return out


def require(extra: str, command: str) -> None:
    """Refuse `command` (as the user typed it, e.g. 'loopholes report') when `extra` is not installed."""
    if missing(extra):
        raise UsageError(f"{command} needs the '{extra}' extra: pip install 'loopholes[{extra}]'")
