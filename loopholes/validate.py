"""Out-of-sample validation of the capability model (issue 10): predict, from a
coefficient table, the effective-compute ratio of published model pairs that no
coefficient was fitted on, and compare with what the sources report.

The pairs live in data/validation_pairs.toml (models as lifecycles, the benchmark, the
published scores or stated ratio, the source, a tolerance in orders of magnitude). A pair
outside its tolerance is a miss; a miss the data explains (`known_miss`) is reported,
not hidden.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import tomllib
from importlib import resources
from typing import Any

from .capability import BANDS, Coefficients, default_coefficients, effective_compute
from .loading import parse_lifecycle

REFERENCE = dt.date(2024, 1, 1)
"""Both models of a pair are judged against one recipe date; only their release dates'
difference matters (default release: this date)."""


@functools.cache
def pairs() -> tuple[dict[str, Any], ...]:
    with resources.files("loopholes.data").joinpath("validation_pairs.toml").open("rb") as handle:
        return tuple(tomllib.load(handle)["pair"])


def published_ratio(pair: dict[str, Any]) -> float | None:
    """The ratio the source reports (stated, or from scores and a slope); None for a bound."""
    if "published_ratio" in pair:
        return float(pair["published_ratio"])
    if "score_a" in pair:
        return 10 ** ((pair["score_a"] - pair["score_b"]) / pair["slope"])
    return None


def _lifecycle(pair: dict[str, Any], side: str):
    steps = pair[f"{side}_steps"]
    released = pair.get(f"{side}_released", REFERENCE)
    spec = {"name": f"{pair['id']}-{side}", "released": released.isoformat(), "deploy": steps[-1]["id"], "steps": steps}
    return parse_lifecycle(spec, source=f"validation pair {pair['id']} ({side})")


def run(coefficients: Coefficients | None = None) -> list[dict[str, Any]]:
    """One row per pair: predicted ratio per band, published ratio (or bound), the error in
    orders of magnitude at central, and whether it is within tolerance."""
    co = coefficients or default_coefficients()
    rows = []
    for pair in pairs():
        domain = pair["domain"]
        a = effective_compute(_lifecycle(pair, "a"), REFERENCE, co)[domain]
        b = effective_compute(_lifecycle(pair, "b"), REFERENCE, co)[domain]
        predicted = {band: a[i] / b[i] if b[i] > 0 else math.inf for i, band in enumerate(BANDS)}
        published = published_ratio(pair)
        if published is not None:
            error = math.log10(predicted["central"] / published)
            within = abs(error) <= pair["tolerance"] + 1e-9
        else:
            error = min(0.0, math.log10(predicted["central"] / pair["at_least"]))
            within = predicted["central"] >= pair["at_least"] * (1 - 1e-9)
        rows.append({"id": pair["id"], "what": pair["what"], "a": pair["a"], "b": pair["b"], "benchmark": pair["benchmark"],
                     "predicted": predicted, "published": published, "at_least": pair.get("at_least"),
                     "error_oom": error, "tolerance_oom": pair["tolerance"], "within": within,
                     "known_miss": pair.get("known_miss"), "source": pair["source"]})
    return rows


def status(row: dict[str, Any]) -> str:
    if row["within"]:
        return "ok"
    return "known miss" if row["known_miss"] else "MISS"


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """A report section: predicted vs published per pair, then the known misses' reasons."""
    lines = ["| pair | predicted a/b with every coefficient at low / central / high | published a/b | error (OOM) | tolerance | status |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        p = row["predicted"]
        published = _fmt(row["published"]) if row["published"] is not None else f">= {_fmt(row['at_least'])}"
        lines.append(f"| {row['id']}: {row['a']} vs {row['b']} ({row['benchmark']}) | {_fmt(p['low'])} / {_fmt(p['central'])} / "
                     f"{_fmt(p['high'])} | {published} | {row['error_oom']:+.2f} | {row['tolerance_oom']:.2f} | {status(row)} |")
    misses = [r for r in rows if not r["within"]]
    if misses:
        lines.append("")
        lines.append("Misses:")
        lines.extend(f"- {r['id']}: {r['known_miss'] or 'not explained: a coefficient moved this pair outside its tolerance'}"
                     for r in misses)
    return "\n".join(lines)


def to_text(rows: list[dict[str, Any]]) -> str:
    from tabulate import tabulate

    table = [[r["id"], " / ".join(_fmt(v) for v in r["predicted"].values()),
              _fmt(r["published"]) if r["published"] is not None else f">= {_fmt(r['at_least'])}",
              f"{r['error_oom']:+.2f}", f"{r['tolerance_oom']:.2f}", status(r)] for r in rows]
    out = tabulate(table, headers=["pair", "predicted a/b with every coefficient at low / central / high", "published a/b", "error (OOM)",
                                   "tolerance", "status"])
    notes = [f"  {r['id']}: {r['known_miss']}" for r in rows if not r["within"] and r["known_miss"]]
    return out + ("\nknown misses:\n" + "\n".join(notes) if notes else "")
