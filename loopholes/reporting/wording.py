"""Words and JSON shared by reports and the comparison: a leakage figure as a reader
must take it ("≥" for a search bound), what reached it, its bound, and stable JSON."""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from .measures import COMMON_TARGETS

def fmt_or_dash(value: float | None, suffix: str = "") -> str:
    from ..render import fmt

    return "—" if value is None else fmt(value) + suffix


def leak_text(value: dict[str, Any] | None) -> str:
    """A leakage figure as a reader must take it: '≥' when the search bounded it."""
    if not value or not value.get("leakage"):
        return "none"
    return ("≥ " if value.get("bounded") or value.get("bounded_by") else "") + fmt_or_dash(value["leakage"], "x")


def source_text(value: dict[str, Any] | None, readings: Sequence[str] = ()) -> str:
    """What reached a leakage figure: the strategies (or no gaming at all) and the readings."""
    if not value or not value.get("leakage"):
        return "—"
    if value.get("no_strategy_needed"):
        what = "no gaming needed (the rule never reaches this target)"
    else:
        what = " + ".join(value.get("strategies") or []) or "—"
    under = value.get("evades_under") or []
    if readings and under and len(under) < len(readings):
        what += f" under reading{'s' if len(under) > 1 else ''} {', '.join(under)}"
    return what


def bound_note(value: dict[str, Any] | None) -> str:
    if not value or not value.get("bounded_by"):
        return ""
    return "bounded by " + "; ".join(value["bounded_by"])


def over_text(entry: dict[str, Any] | None) -> str:
    """An over-inclusion figure as a reader must take it: '≥' when bounded, 'no floor' when
    the covered run sat at the smallest the search builds."""
    if not entry:
        return "none"
    figure = ("≥ " if entry["bounded"] else "") + f"{fmt_or_dash(entry['over_inclusion'])}x"
    return f"no floor ({figure} at the smallest run tried)" if entry.get("no_floor") else figure


def domain_order(domain: str) -> tuple:
    return (list(COMMON_TARGETS).index(domain) if domain in COMMON_TARGETS else len(COMMON_TARGETS), domain)


def tidy(value: Any) -> Any:
    """JSON-ready and stable: floats to six significant figures (non-finite as null),
    mapping keys as strings, tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): tidy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tidy(v) for v in value]
    return str(value)


def dumps(doc: Any) -> str:
    return json.dumps(tidy(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
