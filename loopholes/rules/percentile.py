"""A line at the top p % of recent real models, per reference class: the papers' dynamic
threshold (Hooker 2024 §5.2; Cohere For AI primer 2024 §4.1), as a rule any rule file can
use (`kind: percentile`) and the bundled `dynamic-percentile` and `risk-index` build on.

An artifact is covered when its measure is at or above the k-th largest of its reference
class's models released in the trailing window up to its release, k = ceil(p x (peers +
1)) - the artifact itself joins the ranking. Read against the vendored Epoch population
(loopholes.population, CC BY 4.0).

Parameters read (a rule file using it must define the first three): `percentile`,
`window_months`, `specialised_share`, and `population_classes` (Epoch domain -> class)
and `artifact_classes` (training-data domain -> class), which default to DATA_CLASSES and
loopholes.population.REFERENCE_CLASSES. Reading options: `pooled` (rank against every
class), `include_imputed` (Epoch's benchmark-imputed estimates join the population).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Mapping, NamedTuple

from .. import accounting
from ..lifecycle import TRAINING_KINDS, Step
from ..population import (CLASS_ORDER, MEMBER_OPTION, REFERENCE_CLASSES, Population, load_population, months_before,
                          reference_class)
from .framework import Context, Note, scope_steps

PARAMETERS = ("percentile", "window_months", "specialised_share")
CLASS_PARAMETERS = ("population_classes", "artifact_classes")

GENERAL_CLASS = "language"
"""Where general-purpose models sit (Epoch's Language and Multimodal domains)."""


#: Training-data domain of a lifecycle step (`Step.data`) -> reference class. Domains not
#: listed (general, text, code, math, multilingual, ...) are general-purpose data.
DATA_CLASSES: dict[str, str] = {
    "bio": "biology", "biology": "biology", "protein": "biology", "dna": "biology", "rna": "biology",
    "vision": "vision", "image": "vision", "video": "vision",
    "speech": "speech", "audio": "speech",
    "robotics": "other", "games": "other", "other": "other",
}


class Cut(NamedTuple):
    """Where the line falls for one (date, class, reading): the k-th largest peer."""

    line: float
    peers: int
    places: int
    cls: str | None
    first: dt.date
    """First release day in the window."""
    end: dt.date


_GROUPED: dict[int, tuple[Mapping[str, str], Population]] = {}


def population_for(classes: Mapping[str, str]) -> Population:
    """The Epoch population grouped by `classes` (cached per mapping object)."""
    hit = _GROUPED.get(id(classes))
    if hit is not None and hit[0] is classes:
        return hit[1]
    pop = load_population()
    if dict(classes) != REFERENCE_CLASSES:
        pop = pop.regroup(classes)
    _GROUPED[id(classes)] = (classes, pop)
    return pop


@functools.lru_cache(maxsize=16)
def classes_of(pop: Population) -> frozenset[str]:
    """The reference classes present (Population.classes() scans every record)."""
    return pop.classes()


def places(share: float, ranked: int) -> int:
    """How many of `ranked` models the top `share` holds: ceil(share x ranked), so the
    largest model of every non-empty class and window is covered - the essay's aim of a
    predictable number of scrutinised models each year (§5.2). Rounded first so that
    0.1 x 30 is 3, not 4."""
    return math.ceil(round(share * ranked, 9))


def top_line(peers: tuple[float, ...], share: float, joins: bool) -> tuple[float, int]:
    """The k-th largest of `peers` (sorted ascending) and k, ranking `peers` plus the
    artifact if it `joins`. An artifact at or above it has at most k-1 peers above it,
    i.e. it is in the top k however ties are ordered. 0.0 when there are fewer peers
    than places (the artifact is in the top share whatever its size)."""
    k = places(share, len(peers) + (1 if joins else 0))
    return (peers[len(peers) - k] if 0 < k <= len(peers) else 0.0), k


@functools.lru_cache(maxsize=1 << 16)
def cut(pop: Population, cls: str | None, end: dt.date, months: int, share: float,
        include_imputed: bool, joins: bool) -> Cut:
    """The line of one window, memoised: a search asks for the same few thousand times."""

    if cls is not None and cls not in classes_of(pop):
        peers: tuple[float, ...] = ()
    else:
        peers = pop.trailing_flops(end, months=months, reference_class=cls, include_imputed=include_imputed)
    line, k = top_line(peers, share, joins)
    first = months_before(end, months) + dt.timedelta(days=1)  # the window is (end - months, end]
    return Cut(line, len(peers), k, cls, first, end)


def data_class(steps: tuple[Step, ...], classes: Mapping[str, str], specialised: float) -> str:
    """The reference class of an artifact from its training runs' data shares (weighted
    as `accounting.domain_share` weights them): the first specialised class, in the
    population's precedence (biology first), holding at least `specialised` of the data;
    else general-purpose. At exactly half, a 50/50 bio/text model sits with biology, as
    Epoch's Language+Biology models do in the population."""

    runs = [s for s in steps if s.kind in TRAINING_KINDS]
    if not runs:
        return GENERAL_CLASS
    totals: dict[str, float] = {}
    for domain in {d for s in runs for d, _ in s.data}:
        cls = classes.get(domain, GENERAL_CLASS)
        totals[cls] = totals.get(cls, 0.0) + accounting.domain_share(runs, domain)
    for cls in CLASS_ORDER:
        if cls != GENERAL_CLASS and totals.get(cls, 0.0) >= specialised:
            return cls
    return GENERAL_CLASS


def artifact_class(ctx: Context) -> str | None:
    """The artifact's reference class; None when the reading pools every class. A
    population member keeps the class the population gives it (so it is not counted
    twice); a new artifact gets one from its training data."""
    if ctx.option("pooled", False):
        return None
    record = ctx.option(MEMBER_OPTION)
    if record is not None:
        grouping = ctx.parameter("population_classes")
        if dict(grouping) == REFERENCE_CLASSES:
            return record.reference_class
        return reference_class(record.domains, record.task, classes=grouping)
    return ctx.memo("reference-class", lambda: data_class(
        tuple(scope_steps(ctx)), ctx.parameter("artifact_classes"), ctx.parameter("specialised_share")))


def joins_population(ctx: Context, include_imputed: bool) -> bool:
    """False only for a population member whose compute the ranking already holds."""
    record = ctx.option(MEMBER_OPTION)
    return (record is None or record.published != ctx.lifecycle.released
            or record.flop(include_imputed=include_imputed) is None)


def window_cut(ctx: Context) -> Cut:
    """The cut this artifact faces: its class, its release date, this reading."""
    def compute() -> Cut:
        include = bool(ctx.option("include_imputed", False))
        return cut(population_for(ctx.parameter("population_classes")), artifact_class(ctx), ctx.lifecycle.released,
                   ctx.parameter("window_months"), ctx.parameter("percentile"), include, joins_population(ctx, include))

    return ctx.memo("percentile-cut", compute)


def percentile_line(ctx: Context) -> float:
    """The line this artifact faces (a Rule's `line`)."""
    return window_cut(ctx).line


def _where_the_line_came_from(ctx: Context) -> str:
    """Where the line came from: class, window, places."""
    c = window_cut(ctx)
    who = "all classes" if c.cls is None else f"class {c.cls}"
    return (f"{who}: {c.peers} peers released {c.first.isoformat()}..{c.end.isoformat()}; "
            f"top {ctx.parameter('percentile'):.0%} = {c.places} of {c.peers + joins_population(ctx, bool(ctx.option('include_imputed', False)))}")


percentile_note = Note(_where_the_line_came_from)
"""A percentile rule's condition: always holds, and its trace says where the line came from."""
