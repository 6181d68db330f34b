"""Figures of loophole reports and comparisons, one function per figure.

Same conventions as `figures.py`: matplotlib is imported inside each function, figures
are drawn on an Agg canvas through the object-oriented API under matplotlib's default
style (a user's matplotlibrc cannot change the bytes), at a fixed size and resolution,
with no software tag or date in the PNG; same input, same bytes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

STATE_COLOURS = {
    "robust": "#b2182b",
    "evaded": "#f4a582",
    "reading": "#fddc6c",
    "blocked": "#4d9221",
    "n/a": "#e0e0e0",
}
STATE_LABELS = {
    "robust": "evades robustly (every reading, low-end coefficients)",
    "evaded": "evades (every reading, central coefficients)",
    "reading": "evades under some readings only",
    "blocked": "blocked (nothing found)",
    "n/a": "cannot apply (rule lacks the element)",
}
STATE_MARKS = {"robust": "●", "evaded": "◐", "reading": "◌", "blocked": "✓", "n/a": "–"}
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
    from .render import fmt

    return fmt(value)


# -- one rule -----------------------------------------------------------------------------

def findings_figure(model: dict[str, Any], path: str | os.PathLike) -> Path:
    """Per strategy, how far past the target its strongest finding gets (central band as
    a bar, low band as a tick), coloured by matrix state; blocked strategies listed below."""
    rows = [r for r in model["strategies"] if r["evaded"]]
    rows.sort(key=lambda r: (-r["kept"]["central"], r["strategy"]))
    quiet = [r for r in model["strategies"] if not r["evaded"]]
    height = 2.9 + 0.36 * max(len(rows), 2)
    with _canvas((10.0, height)) as fig:
        ax = fig.add_axes((0.30, 1.6 / height, 0.60, 1 - 2.7 / height))
        policy = model["policy"]["id"]
        fig.text(0.02, 1 - 0.35 / height, f"{policy}: capability kept past the rule, per strategy", fontsize=12,
                 fontweight="bold", va="top")
        fig.text(0.02, 1 - 0.62 / height, "Strongest finding per strategy (F = its number in the report). Bar: "
                 "central capability over the central target; black tick: the same ratio at the low end of the\n"
                 "capability coefficients. Dashed line: the target, an honest model trained at the rule's line. "
                 "Labels: capability kept, and the finding's compute over the honest run's.",
                 fontsize=8.5, color="#333333", va="top")
        if rows:
            _kept_bars(ax, rows)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "nothing evades within the search budget", ha="center", va="center", fontsize=11,
                    transform=ax.transAxes)
        blocked = ", ".join(r["strategy"] for r in quiet if r["state"] == "blocked") or "none"
        na = ", ".join(r["strategy"] for r in quiet if r["state"] == "n/a")
        fig.text(0.02, 0.25 / height, f"blocked: {blocked}" + (f"   |   cannot apply: {na}" if na else ""),
                 fontsize=8, color="#333333")
        return _save(fig, path)


def _kept_bars(ax: Any, rows: list[dict[str, Any]]) -> None:
    from matplotlib.patches import Patch

    ys = list(range(len(rows)))[::-1]
    central = [r["kept"]["central"] for r in rows]
    low = [r["kept"]["low"] for r in rows]
    ax.barh(ys, central, left=0, color=[STATE_COLOURS[r["state"]] for r in rows], edgecolor="#333333",
            linewidth=0.5, height=0.7)
    ax.scatter(low, ys, marker="|", s=160, color="black", zorder=3)
    ax.set_xscale("log")
    lo = min(low + central + [0.5]) / 1.6
    hi = max(central + low + [2.0]) * 8.0
    ax.set_xlim(lo, hi)
    ax.axvline(1.0, color="#222222", linewidth=1.0, linestyle="--")
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{r['strategy']}  (F{r['number']}, {r['domain']})" for r in rows], fontsize=8.5)
    for y, value, tick, r in zip(ys, central, low, rows):
        ax.annotate(f"{_fmt(value)}x, cost {_fmt(r['cost'])}x", (max(value, tick), y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=7.5, color="#222222")
    ax.set_xlabel("capability kept, multiple of the target (log scale)", fontsize=9)
    ax.grid(True, axis="x", which="major", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    states = [s for s in STATE_COLOURS if any(r["state"] == s for r in rows)]
    ax.figure.legend(handles=[Patch(facecolor=STATE_COLOURS[s], edgecolor="#333333", label=STATE_LABELS[s])
                              for s in states], loc="lower left", bbox_to_anchor=(0.01, 0.55 / ax.figure.get_figheight()),
                     ncol=len(states), fontsize=7.5, frameon=False)


# -- comparison ---------------------------------------------------------------------------

def _ranked(doc: dict[str, Any]) -> list[str]:
    return [entry["policy"] for entry in doc["ranking"]]


def _rule_colour(doc: dict[str, Any], policy: str) -> str:
    return RULE_COLOURS[doc["policies"].index(policy) % len(RULE_COLOURS)]


def matrix_heatmap(doc: dict[str, Any], path: str | os.PathLike) -> Path:
    """Rules (most robust on top) x strategies, one colour per cell state, with a legend."""
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
        fig.text(0.01, 0.985 - 0.3 / height, "rules ranked most robust first (fewest strategies evading robustly)",
                 fontsize=8.5, color="#333333", va="top")
        fig.legend(handles=[Patch(facecolor=STATE_COLOURS[s], edgecolor="#777777",
                                  label=f"{STATE_MARKS[s]}  {STATE_LABELS[s]}") for s in states], loc="lower center", ncol=3, fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        return _save(fig, path)


def leakage_bars(doc: dict[str, Any], path: str | os.PathLike) -> Path:
    """Per rule and domain, the best uncovered artifact's capability as a multiple of the
    nominal line (log scale, each bar labelled with its line); a grey tick marks what an
    honest model trained at the line scores."""
    metrics = {m["policy"]: m for m in doc["metrics"]}
    rules = _ranked(doc)
    domains = [d for d in DOMAIN_COLOURS if any(d in metrics[p]["leakage"] for p in rules)]
    domains += sorted({d for p in rules for d in metrics[p]["leakage"]} - set(domains))
    width = 2.5 + 2.1 * len(rules)
    with _canvas((max(width, 8.0), 5.6)) as fig:
        ax = fig.add_axes((0.09, 0.17, 0.88, 0.68))
        step = 0.8 / max(len(domains), 1)
        values = []
        for j, domain in enumerate(domains):
            for i, policy in enumerate(rules):
                m = metrics[policy]
                if domain not in m["leakage"]:
                    continue
                x = i - 0.4 + step * (j + 0.5)
                value = max(m["leakage"][domain], 1e-3)
                values.append(value)
                ax.bar(x, value, width=step * 0.9, color=DOMAIN_COLOURS.get(domain, "#999999"), edgecolor="#333333",
                       linewidth=0.5, label=domain if i == next(k for k, p in enumerate(rules)
                                                                if domain in metrics[p]["leakage"]) else None)
                honest = m["target_ratio"].get(domain)
                if honest:
                    ax.plot([x - step * 0.45, x + step * 0.45], [honest, honest], color="#222222", linewidth=1.2,
                            linestyle=(0, (2, 1)))
                source = m["leakage_finding"].get(domain, {}).get("strategies", [])
                ax.annotate(f"{_fmt(m['leakage'][domain])}x\nline {_fmt(m['lines'][domain])}\n" + "\n".join(source),
                            (x, value),
                            xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylim(min(values + [1.0]) / 2, max(values + [10.0]) * 12)
        ax.set_xticks(range(len(rules)))
        ax.set_xticklabels([f"{i + 1}. {p}" for i, p in enumerate(rules)], fontsize=9)
        ax.set_ylabel("capability of the best uncovered artifact\n(multiple of the nominal line, log scale)", fontsize=9)
        ax.grid(True, axis="y", which="major", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        from matplotlib.lines import Line2D

        handles, labels = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color="#222222", linewidth=1.2, linestyle=(0, (2, 1))))
        labels.append("honest model trained at the line")
        ax.legend(handles, labels, loc="upper right", fontsize=8, frameon=False, ncol=len(labels))
        fig.text(0.01, 0.975, "How much capability leaks past each rule", fontsize=12, fontweight="bold", va="top")
        fig.text(0.01, 0.925, "effective compute (capability) of the most capable artifact the rule does not cover, "
                 "divided by the rule's nominal line in that domain", fontsize=8.5, color="#333333", va="top")
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
