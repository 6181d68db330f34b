"""Figures for backtests and reports: small independent functions, one per figure.

matplotlib is imported inside each function (it costs ~0.5 s, and `loopholes check`
must stay fast). Figures are drawn with the object-oriented API on an Agg canvas, with
no pyplot state, a fixed size and resolution and no timestamp or software tag in the
PNG, so the same input gives the same bytes. Every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

CLASS_COLOURS = {
    "language": "#1f77b4",
    "biology": "#2ca02c",
    "vision": "#ff7f0e",
    "speech": "#9467bd",
    "other": "#7f7f7f",
}
CLASS_LABELS = {
    "language": "language & multimodal",
    "biology": "biology",
    "vision": "vision, image & video",
    "speech": "speech & audio",
    "other": "other (robotics, games, ...)",
}
SIZE = (14.0, 8.5)  # inches
DPI = 110
PNG_METADATA = {"Software": None}  # no matplotlib version tag: bytes depend on the data only
FIGURE_START = dt.date(2010, 1, 1)  # the essay's Figure 5 spans 2010-24


def save_figure(fig: Any, path: str | os.PathLike) -> Path:
    """Write `fig` as PNG to `path` atomically (loopholes.files.write_atomic), so a failed
    run never leaves a half-written figure."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ..files import write_atomic

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=PNG_METADATA)
    write_atomic(path, buffer.getvalue())
    return Path(path)


def _fmt_flop(value: float) -> str:
    return f"{value:.2g}".replace("e+", "e")


def backtest_figure(result: Any, path: str | os.PathLike) -> Path:
    """Real models' training compute over time by reference class, the rule's line(s),
    covered models filled and the largest named, the covered models listed by year, and
    covered models per year below (the essay's Figures 5 and 7 with the rule laid over
    them). `result` is a backtest.BacktestResult; returns the path written."""
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI)
    grid = fig.add_gridspec(2, 1, height_ratios=(3.3, 1.0), hspace=0.08, left=0.065, right=0.76, top=0.90, bottom=0.10)
    ax = fig.add_subplot(grid[0])
    bars = fig.add_subplot(grid[1], sharex=ax)

    shown = [p for p in result.points if p.published >= FIGURE_START]
    classes = [c for c in CLASS_COLOURS if any(p.reference_class == c for p in shown)]
    end = max((p.published for p in shown), default=FIGURE_START) + dt.timedelta(days=45)
    bottom = 10.0 ** max(12, math.floor(math.log10(min((p.flop for p in shown), default=1e15))))

    _scatter(ax, shown, classes)
    _draw_lines(ax, result, classes, end, bottom)
    ax.set_yscale("log")
    ax.set_ylim(bottom, 1e28)
    ax.set_xlim(mdates.date2num(FIGURE_START), mdates.date2num(end))
    ax.set_ylabel("training compute (FLOP)")
    ax.grid(True, which="major", axis="y", color="#dddddd", linewidth=0.6)
    ax.tick_params(labelbottom=False)
    _label_largest(fig, ax, [p for p in shown if p.covered])
    _legend(ax, classes)
    _covered_list(fig, result)
    _year_bars(bars, result)
    _headings(fig, result)
    return save_figure(fig, path)


def _scatter(ax: Any, shown: list, classes: list[str]) -> None:
    """Hollow small markers for models the rule misses, filled large ones for those it
    covers; covered markers carry gid "covered" so labels avoid them."""
    from matplotlib import dates as mdates

    x = mdates.date2num
    for covered in (False, True):
        for cls in reversed(classes):  # language last, on top
            group = [p for p in shown if p.reference_class == cls and p.covered == covered]
            xs, ys = [x(p.published) for p in group], [p.flop for p in group]
            if covered:
                ax.scatter(xs, ys, s=46, color=CLASS_COLOURS[cls], edgecolors="black", linewidths=0.6, zorder=4,
                           gid="covered")
            else:
                ax.scatter(xs, ys, s=14, facecolors="none", edgecolors=CLASS_COLOURS[cls], linewidths=0.7,
                           alpha=0.4, zorder=2)


def _legend(ax: Any, classes: list[str]) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS[c], markeredgecolor="black",
                      markersize=7, label=CLASS_LABELS[c]) for c in classes]
    handles += [
        Line2D([], [], marker="o", linestyle="", color="#555555", markeredgecolor="black", markersize=7,
               label="covered by the rule"),
        Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="#555555", markersize=5,
               label="not covered"),
        Line2D([], [], color="#555555", linewidth=1.8,
               label="rule's line: least compute a plain\nnew model needs to be covered"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False,
              title="reference class (Epoch domain)", title_fontsize=9, alignment="left")


def _headings(fig: Any, result: Any) -> None:
    """Title, what the rule covers in one line, and the data's source and limits."""
    covered = len(result.covered_models)
    known = sum(r.with_compute for r in result.years)
    unknown = sum(r.unknown for r in result.years)
    early = sum(1 for p in result.points if p.covered and p.published < FIGURE_START)
    last = max((p.published for p in result.points), default=FIGURE_START)
    fig.suptitle(f"{result.policy}: which real models the rule covers, and when", x=0.065, y=0.975,
                 ha="left", fontsize=13, fontweight="bold")
    fig.text(0.065, 0.935, f"{result.title}  -  reading '{result.reading}'", fontsize=9, color="#333333")
    fig.text(0.065, 0.912, f"covers {covered} of {known} models with a compute estimate; {unknown} more have no "
             f"estimate and cannot be judged" + (f"; {early} covered models before {FIGURE_START.year} not shown"
                                                  if early else ""), fontsize=9, color="#333333")
    fig.text(0.065, 0.025, f"Data: {result.source}; models by publication date, latest {last.isoformat()} "
             f"({last.year} is partial). "
             + ("Benchmark-imputed compute included. " if result.include_imputed else "Numeric compute estimates only. ")
             + "Generated by loopholes backtest.", fontsize=7.5, color="#666666")


MAJOR_CLASSES = ("language", "biology", "vision")
"""Classes whose moving line is drawn bold; the small ones (speech, other) thin and dashed."""


def _draw_lines(ax: Any, result: Any, classes: list[str], end: dt.date, bottom: float) -> None:
    """Each class's line as a step function. Classes sharing one fixed line (a static
    rule) are drawn once, labelled with the classes it applies to. Where a class is too
    small to rank (any compute is covered) the line is left out rather than drawn at 0."""
    from matplotlib import dates as mdates

    x = mdates.date2num
    lines = {c: result.lines[c] for c in classes if c in result.lines}
    groups: dict[tuple, list[str]] = {}
    for cls, changes in lines.items():
        groups.setdefault(tuple(changes), []).append(cls)
    fixed = all(len({v for _, v in changes}) == 1 for changes in groups)
    for changes, members in groups.items():
        colour = CLASS_COLOURS[members[0]] if len(members) == 1 else "#333333"
        xs: list[float] = []
        ys: list[float] = []
        for i, (day, value) in enumerate(changes):
            stop = changes[i + 1][0] if i + 1 < len(changes) else end
            if stop <= FIGURE_START:
                continue
            shown = value if value else float("nan")  # NaN breaks the line
            xs += [x(max(day, FIGURE_START)), x(stop)]
            ys += [shown, shown]
        if not xs:
            continue
        major = fixed or members[0] in MAJOR_CLASSES
        ax.plot(xs, ys, color=colour, linewidth=1.9 if major else 1.0, alpha=0.95 if major else 0.6,
                linestyle="-" if major else "--", zorder=3)
        if fixed and changes[-1][1]:
            value = changes[-1][1]
            names = "all classes" if len(members) == len(lines) else ", ".join(members)
            ax.annotate(f"{_fmt_flop(value)} FLOP ({names})", (x(FIGURE_START), value), xytext=(4, 3),
                        textcoords="offset points", fontsize=8.5, color=colour, fontweight="bold", zorder=5)


def _label_choice(covered: list, most: int) -> list:
    """All covered models when few. Otherwise the largest covered model of each year (so
    the names run along the time axis: who was caught when), the two largest of each
    specialised class, then the largest others, up to `most`; largest placed first."""
    ranked = sorted(covered, key=lambda p: (-p.flop, p.model))
    if len(ranked) <= most:
        return ranked
    chosen: dict[str, Any] = {}
    years: set[int] = set()
    for p in ranked:
        if p.published.year not in years:
            years.add(p.published.year)
            chosen[p.model] = p
    for cls in ("biology", "vision", "speech", "other"):
        for p in [q for q in ranked if q.reference_class == cls][:2]:
            chosen[p.model] = p
    for p in ranked:
        if len(chosen) >= most:
            break
        chosen.setdefault(p.model, p)
    return sorted(chosen.values(), key=lambda p: (-p.flop, p.model))


def _label_offsets() -> list[tuple[float, float]]:
    """Candidate label offsets in points: beside the marker first, then further out
    (with a leader line) towards the emptier upper left."""
    near = [(5, 3), (5, -9), (-5, 3), (-5, -9)]
    far = [(r * math.cos(math.radians(a)), r * math.sin(math.radians(a)))
           for r in (22, 36, 54) for a in (150, 120, 90, 180, 210, 60, 30, 240, 300, 330)]
    return near + far


def _label_largest(fig: Any, ax: Any, covered: list, most: int = 12) -> None:
    """Name the largest covered models where a label fits without covering another label
    or a covered model; far placements get a leader line. Deterministic: fixed order."""
    import numpy as np
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    filled = [c for c in ax.collections if c.get_gid() == "covered"]
    points = np.concatenate([c.get_offsets() for c in filled]) if filled else np.zeros((0, 2))
    screen = ax.transData.transform(points) if len(points) else points
    placed: list = []
    for p in _label_choice(covered, most):
        anchor = (mdates.date2num(p.published), p.flop)
        name = p.model if len(p.model) <= 30 else p.model[:28] + "..."
        for dx, dy in _label_offsets():
            far = math.hypot(dx, dy) > 12
            text = ax.annotate(name, anchor, xytext=(dx, dy), textcoords="offset points", fontsize=7.2,
                               ha="left" if dx > 0.5 else ("center" if dx > -0.5 else "right"), va="bottom" if dy > 0 else "top", color="#111111",
                               zorder=6, arrowprops=dict(arrowstyle="-", color="#444444", linewidth=0.8,
                                                         shrinkA=1, shrinkB=4) if far else None)
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer).expanded(1.04, 1.15)  # the text alone, not its leader
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            crowded = len(screen) and bool(np.any((screen[:, 0] > box.x0) & (screen[:, 0] < box.x1)
                                                  & (screen[:, 1] > box.y0) & (screen[:, 1] < box.y1)))
            if inside and not crowded and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()


def _wrap_names(names: list[str], width: int, budget: int) -> list[str]:
    """`names` as comma-separated lines of at most `width` characters, at most `budget`
    lines; when they do not fit, the last line ends with "+k more"."""
    lines: list[str] = []
    current = ""
    for i, name in enumerate(names):
        piece = name if not current else f"{current}, {name}"
        if len(piece) <= width or not current:
            current = piece
            continue
        lines.append(current + ",")
        current = name
        if len(lines) == budget:
            current = ""
            rest = len(names) - i
            last = lines.pop().rstrip(",")
            while len(last) + len(f", +{rest} more") > width and ", " in last:
                last, _ = last.rsplit(", ", 1)
                rest += 1
            lines.append(f"{last}, +{rest} more")
            break
    if current:
        lines.append(current)
    return lines


def _covered_list(fig: Any, result: Any, top: float = 0.62, rows: int = 40, width: int = 46) -> None:
    """Beside the plot, the covered models by year, newest year first and largest first
    within a year, so every name can be read even where markers crowd."""
    by_year: dict[int, list] = {}
    for p in result.covered_models:
        by_year.setdefault(p.published.year, []).append(p)
    out: list[tuple[str, bool]] = []
    years = sorted(by_year, reverse=True)
    for n, year in enumerate(years):
        names = [p.model for p in sorted(by_year[year], key=lambda p: (-p.flop, p.model))]
        room = rows - len(out) - 2
        if room < 2:
            rest = sum(len(by_year[y]) for y in years[n:])
            out.append((f"{years[-1]}-{year}: {rest} more (see the table)", True))
            break
        out.append((f"{year}: {len(names)} covered", True))
        out += [("   " + line, False) for line in _wrap_names(names, width, min(3, room - 1))]
    if not out:
        out.append(("none", True))
    fig.text(0.775, top, "Covered, by year (largest first)", fontsize=9, fontweight="bold", va="top")
    for i, (line, bold) in enumerate(out):
        fig.text(0.775, top - 0.024 - i * 0.0128, line, fontsize=7, va="top", color="#111111" if bold else "#333333",
                 fontweight="bold" if bold else "normal")


def _year_bars(ax: Any, result: Any) -> None:
    """Covered models per year (dark, count) against models with compute (light, covered
    share above): the rule's burden at a glance."""
    from matplotlib import dates as mdates

    rows = [r for r in result.years if r.year >= FIGURE_START.year]
    mid = [mdates.date2num(dt.date(r.year, 7, 1)) for r in rows]
    width = 300
    ax.bar(mid, [r.with_compute for r in rows], width=width, color="#e3e3e3", label="models with compute estimate")
    ax.bar(mid, [r.covered for r in rows], width=width, color="#333333", label="covered (count; share in grey)")
    for m, r in zip(mid, rows):
        if r.with_compute:
            ax.annotate(f"{r.covered}", (m, r.covered), xytext=(0, 2), textcoords="offset points", ha="center",
                        fontsize=7.5, fontweight="bold", color="#000000")
            if r.covered:
                ax.annotate(f"{r.share:.0%}" if r.share >= 0.01 else "<1%", (m, r.with_compute), xytext=(0, 2),
                            textcoords="offset points", ha="center", fontsize=7, color="#555555")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(0, max([r.with_compute for r in rows] + [10]) * 3)
    ax.set_ylabel("models per year", fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.tick_params(axis="x", labelsize=8)


