"""The papers' proposal: a dynamic line at the top p % of recent models, per reference class.

Hooker (2024, arXiv 2407.05694) §5.2 argues for a relative line that moves with the
distribution of models instead of a hard-coded number: scrutiny for the top 5-10 % of
models, judged against a peer group of similar models (reference-class forecasting), so
that general-purpose and specialised (e.g. biological) models are not held to one line.
The Cohere For AI primer (July 2024) §4.1 recommends the same: upper percentiles,
categorised by modality. Neither paper fixes the details; each one this module needs is
a named reading or a documented Parameter below.

The rule as encoded: an artifact is covered when its training compute is at or above the
compute of the k-th largest model of its reference class released in the 12 months up to
its release date, where k = ceil(p x (peers + 1)) - the artifact itself joins the ranking.
Read against the vendored Epoch population (loopholes.population, CC BY 4.0).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Mapping, NamedTuple

from loopholes.probes import MEMBER_OPTION
from loopholes.lifecycle import TRAINING_KINDS, Step
from loopholes.rules.framework import Context, KnownLoophole, Parameter, Policy, Reading, Rule, scope_steps, training_compute
from loopholes.population import CLASS_ORDER, REFERENCE_CLASSES, Population, load_population, reference_class

ESSAY = "Hooker 2024 §5.2"
PRIMER = "C4AI primer 2024 §4.1"

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

PERCENTILE = Parameter(0.05, f"{ESSAY} ('top 5-10 percentile'); {PRIMER} ('upper percentiles')",
                       "share of the ranking that is covered; the low end of the essay's 5-10 % range")
WINDOW_MONTHS = Parameter(12, f"{ESSAY} ('annual reporting')",
                          "models released in (release - 12 months, release] are the peers")
POPULATION_CLASSES = Parameter(REFERENCE_CLASSES, f"{ESSAY} (reference classes; general purpose vs domain-specialised); "
                               f"{PRIMER} (dynamic thresholds by modality)",
                               "Epoch domain -> reference class of the population's models (loopholes.population)")
ARTIFACT_CLASSES = Parameter(DATA_CLASSES, f"{ESSAY}; {PRIMER}",
                             "training-data domain of a lifecycle -> reference class of the artifact")
SPECIALISED_SHARE = Parameter(0.5, f"{ESSAY} ('domain-specialized'); J: neither paper says how specialised",
                              "an artifact joins a specialised class (biology, vision, speech, other) when at least this "
                              "share of its training data is in that class; otherwise it is general-purpose (language)")

TIER = "top-percentile"

#: Where both dynamic proposals are published (this rule and risk_index).
PROPOSAL_SOURCE = "https://arxiv.org/abs/2407.05694"
PROPOSAL_DATES = {"essay": "2024-07-08 (arXiv 2407.05694 v1)", "primer": "2024-07 (Cohere For AI, 'The Limits of Thresholds')"}

#: Defaults chosen at the essay's date (see POLICY.reference_date).
REFERENCE_DATE = dt.date(2024, 7, 8)


class Cut(NamedTuple):
    """Where the line falls for one (date, class, reading): the k-th largest peer."""

    line: float
    peers: int
    places: int
    cls: str | None
    first: dt.date
    """First release day in the window."""
    end: dt.date


# -- the population and the cut ---------------------------------------------------------

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
    from loopholes.population import months_before

    if cls is not None and cls not in classes_of(pop):
        peers: tuple[float, ...] = ()
    else:
        peers = pop.trailing_flops(end, months=months, reference_class=cls, include_imputed=include_imputed)
    line, k = top_line(peers, share, joins)
    first = months_before(end, months) + dt.timedelta(days=1)  # the window is (end - months, end]
    return Cut(line, len(peers), k, cls, first, end)


# -- the artifact ----------------------------------------------------------------------

def data_class(steps: tuple[Step, ...], classes: Mapping[str, str], specialised: float) -> str:
    """The reference class of an artifact from its training runs' data shares (weighted
    as `accounting.domain_share` weights them): the first specialised class, in the
    population's precedence (biology first), holding at least `specialised` of the data;
    else general-purpose. At exactly half, a 50/50 bio/text model sits with biology, as
    Epoch's Language+Biology models do in the population."""
    from loopholes import accounting

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


def _line(ctx: Context) -> float:
    return window_cut(ctx).line


def _note(ctx: Context) -> tuple[bool, str]:
    c = window_cut(ctx)
    who = "all classes" if c.cls is None else f"class {c.cls}"
    return True, (f"{who}: {c.peers} peers released {c.first.isoformat()}..{c.end.isoformat()}; "
                  f"top {ctx.parameter('percentile'):.0%} = {c.places} of {c.peers + joins_population(ctx, bool(ctx.option('include_imputed', False)))}")


def line_at(day: dt.date, cls: str | None, *, share: float = PERCENTILE.value, months: int = WINDOW_MONTHS.value,
            include_imputed: bool = False) -> float:
    """The line a new model of class `cls` released on `day` faces (default parameters)."""
    return cut(population_for(REFERENCE_CLASSES), cls, day, months, share, include_imputed, True).line


# -- the policy ------------------------------------------------------------------------

_QUESTION_SCOPE = ("Which compute is ranked: the deployed model's own training, or everything upstream of it? "
                   "And do Epoch's benchmark-imputed estimates join the population?")

READINGS = (
    Reading("model", _QUESTION_SCOPE,
            "The deployed model's own runs plus the base models and members it is built from (Epoch's convention "
            "for the figures it is ranked against); the population holds Epoch's numeric estimates only.",
            {"scope": "model", "include_imputed": False}),
    Reading("lineage", _QUESTION_SCOPE,
            "Everything upstream counts, teachers and synthetic-data generation included; numeric estimates only.",
            {"scope": "lineage", "include_imputed": False}),
    Reading("with-imputed", _QUESTION_SCOPE,
            "The model's own runs (as 'model'); closed models whose compute Epoch imputed from benchmarks join "
            "the population, which raises the line where they sit.",
            {"scope": "model", "include_imputed": True}),
    Reading("pooled", "Is a model ranked within its reference class or against every recent model?",
            "Against every recent model whatever its modality (the essay's grouping is a suggestion, not a rule).",
            {"scope": "model", "include_imputed": False, "pooled": True}),
    Reading("developer-duty", "Who is obliged: the deployer of a model, or every developer that hands one on?",
            "Every model a developer deploys or hands to another party is ranked, not only the deployed one "
            "(compute as in 'model'); the proposals do not say who is obliged.",
            {"scope": "model", "include_imputed": False, "duty": "developer"}),
)

PARAMETERS = {
    "percentile": PERCENTILE,
    "window_months": WINDOW_MONTHS,
    "population_classes": POPULATION_CLASSES,
    "artifact_classes": ARTIFACT_CLASSES,
    "specialised_share": SPECIALISED_SHARE,
}

NOMINAL = line_at(REFERENCE_DATE, GENERAL_CLASS)

RULE = Rule(
    "top-percentile", f"{ESSAY}; {PRIMER}",
    "training compute vs the top-p % line of the artifact's reference class, trailing 12 months",
    NOMINAL,
    # ">=": the artifact is in the top k when at most k-1 peers exceed it; a tie with the
    # k-th peer shares its rank, and covering one of two equally large models but not the
    # other would be arbitrary (versions and fine-tunes often repeat a base model's figure).
    ">=",
    TIER,
    training_compute(None),
    _note,
    unit="operations",
    line=_line,
)

POLICY = Policy(
    id="dynamic-percentile",
    title="Dynamic threshold: top 5 % of the past year's models in the same reference class (Hooker 2024 §5.2)",
    jurisdiction="proposal (no jurisdiction)",
    source=PROPOSAL_SOURCE,
    status="proposal",
    dates=PROPOSAL_DATES,
    # The essay's date: the line a rule written then would have drawn, and the 12 months
    # before it are fully collected in the Epoch snapshot (2025 is not: Epoch adds models
    # with a lag, data README §4-5), so the default search target is not biased low.
    reference_date=REFERENCE_DATE,
    readings=READINGS,
    rules=(RULE,),
    tiers=(TIER,),
    covered_tiers=frozenset({TIER}),
    target_lines={"general": NOMINAL, "bio": line_at(REFERENCE_DATE, "biology")},
    parameters=PARAMETERS,
    population_based=True,
    known_loopholes=(
        KnownLoophole("inference-boost", "inference-time compute is not ranked; found together with release-timing (Hooker 2024 §3.1.1)"),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak reports half of an FP8 run; found together with release-timing (Hooker 2024 Appendix A)"),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability largely stays; found together with release-timing (Hooker 2024 Appendix A)"),
        KnownLoophole("throttling", "better data buys capability that a compute ranking does not see (Hooker 2024 §2.1.1; primer §2.1)"),
        KnownLoophole("split-runs", "the runs of one model are summed, so it is found only together with sparsity and release-timing, where it adds about 5 %; that gain comes from the capability model (its token/parameter penalty applies to the first run only), not from the count (Hooker 2024 §3.1.2, §5.3)"),
        KnownLoophole("reference-class", "a mostly biological model with enough general data is ranked among language models, whose line is far higher (Hooker 2024 §5.2; primer §4.1)", ("model", "lineage", "with-imputed", "developer-duty")),
        KnownLoophole("release-timing", "released right after a wave of large models, when the trailing 12-month line is highest (Hooker 2024 §5.2; primer §4.1)"),
    ),
    ambiguities=(
        "Who is obliged is not said: the deployed model only, or (reading developer-duty) every model deployed or handed on.",
        f"Neither paper fixes p: {ESSAY} suggests 5-10 %; parameter percentile (default 5 %).",
        "The peer window is not fixed; 'annual reporting' suggests a trailing year: parameter window_months.",
        "How to round p x N is open; rounded up, so the largest model of every non-empty class is always covered.",
        "How specialised a model must be to join a specialised class is open: parameter specialised_share "
        "(population models are classed by Epoch's domain tags, artifacts by their data shares).",
        "Which compute is ranked, and whether benchmark-imputed estimates join the population: readings "
        "model, lineage, with-imputed. Whether classes exist at all: reading pooled.",
        "Models with no published compute cannot be ranked and are left out of the population (about 60 % of "
        "Epoch's rows), which lowers the line wherever closed frontier models withhold figures.",
    ),
)
