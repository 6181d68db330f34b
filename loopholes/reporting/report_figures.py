"""Figures of loophole reports and comparisons, one function per figure.

Same conventions as `figures.py`: matplotlib is imported inside each function, figures
are drawn on an Agg canvas through the object-oriented API under matplotlib's default
style (a user's matplotlibrc cannot change the bytes), at a fixed size and resolution,
with no software tag or date in the PNG; same input, same bytes.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any, Iterator

STATE_COLOURS = {
    "robust": "#b2182b",
    "material": "#ef8a62",
    "marginal": "#fddbc7",
    "reading": "#fddc6c",
    "blocked": "#4d9221",
    "n/a": "#e0e0e0",
}
STATE_LABELS = {
    "robust": "material, robust (P(material) >= 0.9)",
    "material": "material at central coefficients",
    "marginal": "marginal (below the material factor)",
    "reading": "evades under some readings only",
    "blocked": "blocked (nothing needed it)",
    "n/a": "cannot apply (rule lacks the element)",
}
STATE_MARKS = {"robust": "●", "material": "◕", "marginal": "◔", "reading": "◌", "blocked": "✓", "n/a": "–"}
"""The symbols of the text matrix (compare.SYMBOLS), so colour is not the only cue."""
RULE_COLOURS = ("#1b6ca8", "#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#a6761d", "#666666")
DOMAIN_COLOURS = {"general": "#4c78a8", "bio": "#54a24b"}


@contextlib.contextmanager
def _canvas(size: tuple[float, float]) -> Iterator[Any]:
    """A Figure under matplotlib's default style, whatever the user's rc settings."""
    import matplotlib
    import matplotlib.style
    from matplotlib.figure import Figure

    from .figures import DPI

    with matplotlib.style.context("default"):
        yield Figure(figsize=size, dpi=DPI)


def _save(fig: Any, path: str | os.PathLike) -> Path:
    from .figures import save_figure

    return save_figure(fig, path)


def backtest_png(result: Any, path: str | os.PathLike) -> Path:
    """The backtest figure of `figures.py`, under the same default style as ours."""
    import matplotlib
    import matplotlib.style

    from .figures import backtest_figure

    with matplotlib.style.context("default"):
        return backtest_figure(result, path)


def _fmt(value: float) -> str:
    from ..render import fmt

    return fmt(value)


# -- one rule -----------------------------------------------------------------------------

def findings_figure(model: dict[str, Any], path: str | os.PathLike) -> Path:
    """Per strategy, the leakage of the finding that speaks for it (bar, log scale),
    coloured by matrix state, hatched when bounded by the search, labelled with
    P(material); blocked strategies listed below."""
    rows = [r for r in model["strategies"] if r["evaded"]]
    rows.sort(key=lambda r: (-r["leakage"], r["strategy"]))
    quiet = [r for r in model["strategies"] if not r["evaded"]]
    factor = model["measures"]["material_factor"]
    height = 2.9 + 0.36 * max(len(rows), 2)
    with _canvas((10.0, height)) as fig:
        ax = fig.add_axes((0.30, 1.6 / height, 0.60, 1 - 2.7 / height))
        policy = model["policy"]["id"]
        fig.text(0.02, 1 - 0.35 / height, f"{policy}: capability leaking past the rule, per strategy", fontsize=12,
                 fontweight="bold", va="top")
        fig.text(0.02, 1 - 0.62 / height, "Leakage of the finding that speaks for each strategy (F = its number in "
                 "the report): its capability over an honest model's at the line, same coefficients.\n"
                 f"Dashed: 1x, what the rule exists to catch; dotted: {_fmt(factor)}x, the material factor. Hatched: "
                 "a lower bound (the search's own bound stopped it). Labels: P(material), cost.",
                 fontsize=8.5, color="#333333", va="top")
        if rows:
            _leak_bars(ax, rows, factor)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "nothing evades within the search budget", ha="center", va="center", fontsize=11,
                    transform=ax.transAxes)
        blocked = ", ".join(r["strategy"] for r in quiet if r["state"] == "blocked") or "none"
        na = ", ".join(r["strategy"] for r in quiet if r["state"] == "n/a")
        fig.text(0.02, 0.25 / height, f"blocked: {blocked}" + (f"   |   cannot apply: {na}" if na else ""),
                 fontsize=8, color="#333333")
        return _save(fig, path)


def _leak_bars(ax: Any, rows: list[dict[str, Any]], factor: float) -> None:
    from matplotlib.patches import Patch

    ys = list(range(len(rows)))[::-1]
    values = [r["leakage"] for r in rows]
    bars = ax.barh(ys, values, left=0, color=[STATE_COLOURS[r["state"]] for r in rows], edgecolor="#333333",
                   linewidth=0.5, height=0.7)
    for bar, r in zip(bars, rows):
        if r["bounded_by"]:
            bar.set_hatch("///")
    ax.set_xscale("log")
    ax.set_xlim(min(values + [0.8]) / 1.6, max(values + [factor * 2]) * 10.0)
    ax.axvline(1.0, color="#222222", linewidth=1.0, linestyle="--")
    ax.axvline(factor, color="#222222", linewidth=0.8, linestyle=":")
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{r['strategy']}  (F{r['number']}, {r['domain']})" for r in rows], fontsize=8.5)
    for y, value, r in zip(ys, values, rows):
        p = f"P {r['p_material']:.2f}" if r.get("p_material") is not None else ""
        ax.annotate(f"{'>= ' if r['bounded_by'] else ''}{_fmt(value)}x, {p}, cost {_fmt(r['cost'])}x", (value, y),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=7.5, color="#222222")
    ax.set_xlabel("leakage: capability over an honest model at the line (log scale)", fontsize=9)
    ax.grid(True, axis="x", which="major", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    states = [s for s in STATE_COLOURS if any(r["state"] == s for r in rows)]
    ax.figure.legend(handles=[Patch(facecolor=STATE_COLOURS[s], edgecolor="#333333", label=STATE_LABELS[s])
                              for s in states], loc="lower left", bbox_to_anchor=(0.01, 0.55 / ax.figure.get_figheight()),
                     ncol=min(len(states), 3), fontsize=7.5, frameon=False)


# -- comparison ---------------------------------------------------------------------------

def _ranked(doc: dict[str, Any]) -> list[str]:
    return [entry["policy"] for entry in doc["ranking"]]


def _rule_colour(doc: dict[str, Any], policy: str) -> str:
    return RULE_COLOURS[doc["policies"].index(policy) % len(RULE_COLOURS)]


def matrix_heatmap(doc: dict[str, Any], path: str | os.PathLike) -> Path:
    """Rules (ranked order, top first) x strategies, one colour per cell state, with the
    cell's leakage in small print and a legend."""
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    rules, strategies = _ranked(doc), doc["strategies"]
    states = list(STATE_COLOURS)
    index = {(c["policy"], c["strategy"]): states.index(c["state"]) for c in doc["matrix"]}
    grid = np.array([[index[(p, s)] for s in strategies] for p in rules])
    width = 3.2 + 0.55 * len(strategies)
    height = 2.9 + 0.5 * len(rules)
    with _canvas((width, height)) as fig:
        ax = fig.add_axes((2.2 / width, 1.05 / height, 1 - 3.2 / width, 1 - 2.95 / height))
        cmap = ListedColormap([STATE_COLOURS[s] for s in states])
        ax.imshow(grid, cmap=cmap, norm=BoundaryNorm(np.arange(len(states) + 1) - 0.5, cmap.N), aspect="auto")
        for (row, col), value in np.ndenumerate(grid):
            ax.text(col, row, STATE_MARKS[states[value]], ha="center", va="center", fontsize=11,
                    color="white" if states[value] in ("robust", "blocked") else "#333333")
        for c in doc["matrix"]:
            if c.get("leakage"):
                row, col = rules.index(c["policy"]), strategies.index(c["strategy"])
                ax.text(col, row + 0.3, ("≥" if c["bounded_by"] else "") + _fmt(c["leakage"]) + "x", ha="center",
                        va="center", fontsize=6, color="white" if c["state"] in ("robust", "blocked") else "#333333")
        ax.set_xticks(range(len(strategies)))
        ax.set_xticklabels(strategies, rotation=40, ha="left", fontsize=8.5)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(rules)))
        ax.set_yticklabels([f"{i + 1}. {p}" for i, p in enumerate(rules)], fontsize=9.5)
        ax.set_xticks(np.arange(-0.5, len(strategies)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(rules)), minor=True)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="minor", length=0)
        ax.tick_params(which="major", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.text(0.01, 0.985, "Which gaming strategy gets past which rule", fontsize=12, fontweight="bold", va="top")
        fig.text(0.01, 0.985 - 0.3 / height, "rules in ranked order (least worst material leakage on the common targets first); small print: the cell's leakage",
                 fontsize=8.5, color="#333333", va="top")
        fig.legend(handles=[Patch(facecolor=STATE_COLOURS[s], edgecolor="#777777",
                                  label=f"{STATE_MARKS[s]}  {STATE_LABELS[s]}") for s in states], loc="lower center", ncol=3, fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        return _save(fig, path)


def leakage_bars(doc: dict[str, Any], path: str | os.PathLike) -> Path:
    """Per rule, leakage on each common target (log scale): solid when measured, hatched
    when it is a lower bound of the search; labelled with what reached it."""
    from matplotlib.patches import Patch

    from .measures import COMMON_TARGETS
    from .wording import leak_text, source_text

    metrics = {m["policy"]: m for m in doc["metrics"]}
    rules = _ranked(doc)
    domains = [d for d in COMMON_TARGETS if any(d in metrics[p].get("common", {}) for p in rules)]
    factor = doc["metrics"][0]["material_factor"] if doc["metrics"] else 2.0
    width = 2.5 + 2.1 * len(rules)
    with _canvas((max(width, 8.0), 5.8)) as fig:
        ax = fig.add_axes((0.09, 0.17, 0.88, 0.66))
        step = 0.8 / max(len(domains), 1)
        values = []
        for j, domain in enumerate(domains):
            for i, policy in enumerate(rules):
                m = metrics[policy]
                value = m.get("common", {}).get(domain)
                if not value:
                    continue
                x = i - 0.4 + step * (j + 0.5)
                height = max(value["leakage"], 1e-3)
                values.append(height)
                ax.bar(x, height, width=step * 0.9, color=DOMAIN_COLOURS.get(domain, "#999999"), edgecolor="#333333",
                       linewidth=0.5, hatch="///" if value["bounded"] else None)
                ax.annotate(f"{leak_text(value)}\n" + source_text(value).replace(" + ", "\n+ ")[:60], (x, height),
                            xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=6.5)
        ax.axhline(1.0, color="#222222", linewidth=1.0, linestyle="--")
        ax.axhline(factor, color="#222222", linewidth=0.8, linestyle=":")
        ax.set_yscale("log")
        ax.set_ylim(min(values + [0.5]) / 2, max(values + [10.0]) * 30)
        ax.set_xticks(range(len(rules)))
        ax.set_xticklabels([f"{i + 1}. {p}" for i, p in enumerate(rules)], fontsize=9)
        ax.set_ylabel("leakage: capability of the best uncovered artifact\nover an honest model at the common target "
                      "(log scale)", fontsize=9)
        ax.grid(True, axis="y", which="major", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        handles = [Patch(facecolor=DOMAIN_COLOURS.get(d, "#999999"), edgecolor="#333333",
                         label=f"{d}: honest model at {_fmt(COMMON_TARGETS[d])} ops") for d in domains]
        handles.append(Patch(facecolor="white", edgecolor="#333333", hatch="///", label="lower bound (search bound hit)"))
        ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False, ncol=len(handles))
        fig.text(0.01, 0.975, "How much capability leaks past each rule, on common targets", fontsize=12,
                 fontweight="bold", va="top")
        fig.text(0.01, 0.925, f"dashed: 1x (what a rule exists to catch); dotted: {_fmt(factor)}x (material). A rule "
                 "with no clause for a domain is measured there too.", fontsize=8.5, color="#333333", va="top")
        return _save(fig, path)


def tradeoff_scatter(doc: dict[str, Any], path: str | os.PathLike) -> Path:
    """One point per rule: worst material leakage on the common targets against burden
    (covered real models a year); open markers are lower bounds."""
    metrics = {m["policy"]: m for m in doc["metrics"]}
    rules = _ranked(doc)
    with _canvas((8.0, 5.4)) as fig:
        ax = fig.add_axes((0.11, 0.13, 0.84, 0.70))
        ys = []
        placed: list[tuple[float, float]] = []
        for policy in rules:
            m = metrics[policy]
            worst = m["worst_material"]
            y = worst["leakage"] if worst else 1.0
            ys.append(y)
            bounded = bool(worst and worst["bounded"])
            ax.scatter([m["burden"]["recent_mean"]], [y], s=70, color=_rule_colour(doc, policy),
                       facecolors="white" if bounded else _rule_colour(doc, policy), linewidths=1.6, zorder=3,
                       marker="^" if bounded else "o")
            label = f"{policy}: {('>= ' if bounded else '') + _fmt(y) + 'x' if worst else 'nothing material'}"
            x = m["burden"]["recent_mean"]
            near = sum(1 for px, py in placed if abs(px - x) < 1.5 and abs(math.log10(py) - math.log10(y)) < 0.35)
            placed.append((x, y))
            ax.annotate(label, (x, y), xytext=(8, 2 - 11 * near), textcoords="offset points", fontsize=7.5)
        ax.set_yscale("log")
        ax.set_ylim(min(ys + [1.0]) / 2, max(ys + [10.0]) * 6)
        ax.set_xlim(left=-0.5, right=max([metrics[p]["burden"]["recent_mean"] for p in rules] + [1.0]) * 1.3 + 1)
        ax.set_xlabel("burden: real models covered per year (backtest mean, first reading)", fontsize=9)
        ax.set_ylabel("worst material leakage on the common targets\n(log scale; triangle = lower bound)", fontsize=9)
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        fig.text(0.01, 0.975, "What each rule lets through, against what it costs real developers", fontsize=12,
                 fontweight="bold", va="top")
        fig.text(0.01, 0.925, "lower is tighter, left is lighter; a rule at 1x lets nothing material through on the "
                 "common targets", fontsize=8.5, color="#333333", va="top")
        return _save(fig, path)


def _mean_label(burden: dict[str, Any]) -> str:
    years = burden["recent_years"]
    return f"{burden['recent_mean']:.1f}/yr in {years[0]}-{years[-1]}"


def burden_lines(doc: dict[str, Any], path: str | os.PathLike, first: int = 2015) -> Path:
    """Covered real models per year, one line per rule (backtest, first reading), up to
    the last fully covered year of the data."""
    metrics = {m["policy"]: m for m in doc["metrics"]}
    rules = _ranked(doc)
    last = max((y for m in doc["metrics"] for y in m["burden"]["recent_years"]), default=first)
    years = list(range(first, last + 1))
    with _canvas((9.0, 6.0)) as fig:
        ax = fig.add_axes((0.08, 0.27, 0.89, 0.61))
        top = 1
        markers = "osD^vP*X"
        for i, policy in enumerate(rules):
            per_year = metrics[policy]["burden"]["per_year"]
            counts = [per_year.get(y, per_year.get(str(y), 0)) for y in years]
            top = max([top] + counts)
            ax.plot(years, counts, marker=markers[i % len(markers)], markersize=5, linewidth=1.8,
                    color=_rule_colour(doc, policy),
                    label=f"{policy}: {_mean_label(metrics[policy]['burden'])}")
        ax.set_xticks(years)
        ax.set_xticklabels([str(y) for y in years], fontsize=8.5, rotation=0)
        ax.set_xlim(years[0] - 0.4, years[-1] + 0.4)
        ax.set_ylim(-0.5, top * 1.12 + 1)
        ax.set_ylabel("real models covered (per publication year)", fontsize=9)
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.08), ncol=2, fontsize=8, frameon=False,
                  title="rule (backtest under its first reading): mean covered per year", title_fontsize=8.5,
                  alignment="left")
        fig.text(0.01, 0.975, "Burden: which real models each rule would have covered", fontsize=12,
                 fontweight="bold", va="top")
        fig.text(0.01, 0.935, f"Epoch AI model data, models with a published compute estimate, {first}-{last} "
                 "(last fully covered year)", fontsize=8.5, color="#333333", va="top")
        return _save(fig, path)
