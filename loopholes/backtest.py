"""Backtest a rule on real models (docs/design.md §8 "burden", §9 `loopholes backtest`).

Every model in the vendored Epoch population becomes a one-step lifecycle (a pretrain
run with the model's training compute, released on its publication date, by its
developer) and goes through `Policy.evaluate`, the path `loopholes check` takes. So a
backtest answers: had this rule been in force, which real models would it have covered,
year by year, and how many could not be judged because nobody published their compute.

Models without a compute estimate are counted per year as unknown, never dropped; models
without a date are counted apart. Standard library only (plus the package): the figure
lives in `figures.py` and imports matplotlib itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from .rules.framework import Policy, Reading
from .population import Population, load_population
from .probes import PROBE_DATA, coverage_line, member_reading, record_lifecycle
from .rules.registry import load_policy



LINE_START = dt.date(2010, 1, 1)
"""First date at which rule lines are traced: the deep-learning era the essay's
Figure 5 plots (2010-24); earlier models are still evaluated and counted."""


@dataclass(frozen=True)
class YearRow:
    """One publication year: how many models, how many the rule could judge, how many it covers."""

    year: int
    models: int
    with_compute: int
    covered: int
    unknown: int
    unknown_flagged: int
    """Unknown-compute models Epoch flags as possibly over 1e23 FLOP: the likeliest misses."""

    @property
    def share(self) -> float:
        return self.covered / self.with_compute if self.with_compute else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "models": self.models, "with_compute": self.with_compute, "covered": self.covered,
                "unknown": self.unknown, "unknown_possibly_over_1e23": self.unknown_flagged,
                "covered_share": round(self.share, 4)}


@dataclass(frozen=True)
class Point:
    """One evaluated model, as the figure draws it."""

    model: str
    organization: str
    published: dt.date
    flop: float
    imputed: bool
    reference_class: str
    biological_sequence: bool
    covered: bool
    tier: str | None
    clauses: tuple[str, ...]
    """Ids of the covered-tier rules it triggered."""

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "year": self.published.year, "flop": self.flop,
                "date": self.published.isoformat(), "organization": self.organization,
                "reference_class": self.reference_class, "imputed_compute": self.imputed, "tier": self.tier,
                "clauses": list(self.clauses)}


@dataclass(frozen=True)
class BacktestResult:
    policy: str
    title: str
    reading: str
    include_imputed: bool
    population_based: bool
    years: tuple[YearRow, ...]
    points: tuple[Point, ...]
    """Every model with compute and a date, in date order."""
    lines: Mapping[str, tuple[tuple[dt.date, float | None], ...]]
    """Per reference class, the smallest compute a plain model released that day needs to
    be covered, as change points from LINE_START on (0.0: any compute is; None: no
    compute up to 1e30 is)."""
    undated: int = 0
    undated_with_compute: int = 0
    source: str = field(default="Epoch AI, 'Data on AI Models' (CC BY 4.0), https://epoch.ai/data/ai-models")

    @property
    def covered_models(self) -> tuple[Point, ...]:
        return tuple(p for p in self.points if p.covered)

    def year(self, year: int) -> YearRow | None:
        return next((row for row in self.years if row.year == year), None)

    def to_json(self) -> dict[str, Any]:
        """The stable `backtest --json` fields (docs/design.md §9) and a few more."""
        return {
            "policy": self.policy,
            "reading": self.reading,
            "include_imputed": self.include_imputed,
            "years": [row.to_json() for row in self.years],
            "covered_models": [p.to_json() for p in self.covered_models],
            "totals": {"models": sum(r.models for r in self.years) + self.undated,
                       "with_compute": sum(r.with_compute for r in self.years),
                       "covered": len(self.covered_models), "unknown": sum(r.unknown for r in self.years),
                       "undated": self.undated, "undated_with_compute": self.undated_with_compute},
            "lines": {cls: [{"from": day.isoformat(), "flop": value} for day, value in changes]
                      for cls, changes in self.lines.items()},
            "source": self.source,
        }


def backtest(policy: "str | Policy", reading: str | None = None, *, include_imputed: bool = False,
             population: Population | None = None) -> BacktestResult:
    """Which models of `population` (default: the vendored Epoch data) `policy` covers.

    `include_imputed` also judges the dozen closed models whose compute Epoch estimated
    from benchmarks only; whether such estimates join a dynamic rule's *ranking* is the
    rule's own reading, not this switch (dynamic rules always rank against the vendored
    population, whatever `population` is judged)."""
    chosen = load_policy(policy)
    read = chosen.reading(reading)
    pop = population if population is not None else load_population()
    points: list[Point] = []
    tallies: dict[int, list[int]] = {}  # year -> [models, with compute, covered, unknown, flagged]
    undated = undated_known = 0
    for record in pop:
        flop = record.flop(include_imputed=include_imputed)
        if record.published is None:
            undated += 1
            undated_known += flop is not None
            continue
        tally = tallies.setdefault(record.published.year, [0, 0, 0, 0, 0])
        tally[0] += 1
        if flop is None:
            tally[3] += 1
            tally[4] += record.possibly_over_1e23
            continue
        tally[1] += 1
        verdict = chosen.evaluate(record_lifecycle(record, flop), member_reading(read, record))
        clauses = tuple(c.rule for c in verdict.clauses if c.triggered and c.tier in chosen.covered_tiers)
        tally[2] += verdict.covered
        points.append(Point(record.model, record.organization, record.published, flop,
                            record.training_flop is None, record.reference_class, record.biological_sequence,
                            verdict.covered, verdict.tier, clauses))
    points.sort(key=lambda p: (p.published, -p.flop, p.model))
    years = tuple(YearRow(year, *tallies[year]) for year in sorted(tallies))
    last = max((p.published for p in points), default=LINE_START)
    classes = sorted({p.reference_class for p in points}, key=lambda c: (c not in PROBE_DATA, c))
    lines = {cls: trace_line(chosen, read, cls, LINE_START, last) for cls in classes if cls in PROBE_DATA}
    return BacktestResult(chosen.id, chosen.title, read.id, include_imputed, chosen.population_based, years,
                          tuple(points), lines, undated, undated_known)


# -- the rule's line over time --------------------------------------------------------

RECENT_YEARS = 3
"""Burden is summarised over the last this-many fully covered years of the Epoch data."""


def burden(backtest: BacktestResult) -> dict[str, Any]:
    """Covered real models per year (docs/design.md §8 burden), with the mean over the last
    fully covered years so rules compare on one number."""
    from .search import FULL_COVERAGE

    per_year = {row.year: row.covered for row in backtest.years}
    judged = {row.year: row.with_compute for row in backtest.years}
    recent = [year for year in range(FULL_COVERAGE.year - RECENT_YEARS + 1, FULL_COVERAGE.year + 1)]
    mean = sum(per_year.get(year, 0) for year in recent) / len(recent)
    return {"reading": backtest.reading, "per_year": per_year, "with_compute": judged, "recent_years": recent,
            "recent_mean": mean, "total": len(backtest.covered_models)}


def trace_line(policy: Policy, reading: Reading, cls: str, start: dt.date, end: dt.date) -> tuple[tuple[dt.date, float | None], ...]:
    """`coverage_line` over time as change points. Population-based rules move as models
    arrive, so they are sampled every 30 days; fixed rules once a quarter."""
    step = 30 if policy.population_based else 91
    days = [start + dt.timedelta(days=i) for i in range(0, (end - start).days + 1, step)] or [start]
    changes: list[tuple[dt.date, float | None]] = []
    previous: float | None = None
    for day in days:
        previous = coverage_line(policy, reading, cls, day, previous)
        value = None if previous is None else float(f"{previous:.4g}")  # an index line is good to ~1 %
        if not changes or changes[-1][1] != value:
            changes.append((day, value))
    return tuple(changes)
