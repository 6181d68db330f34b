"""The papers' proposal: a percentile line on an index of several measures, not compute alone.

Hooker (2024, arXiv 2407.05694) §5.3 argues that compute should not be the only proxy
for risk: a threshold should rest on a basket of metrics combined into a risk index, and
§5.2 puts the line at the top 5-10 % of models ranked by such an index. The Cohere For
AI primer (July 2024) §4.1 recommends complementary measures beside FLOP. Neither paper
names the measures or their weights; this module takes them from the criteria the EU AI
Act already lists for designating systemic-risk models (Annex XIII), keeping only those an
outside authority can observe or require a developer to report: parameters (a), data-set
size in tokens (b), training compute (c), and reach: registered business users (f) and
registered end users (g). Effective compute is left out: it is the tool's own estimate,
which nobody outside the developer can measure (docs/legal-sources.md, "Risk index").

Reach is treated alike for the artifact and the real models it is ranked with: at
release every model has zero registered users (default reading at-release); reading
presumed-reach presumes the Annex XIII (f) figure for every model that reports none.

The index is a weighted sum of log10 measures, so one order of magnitude of any measure
moves it by its weight. The line is the same top-p % cut as `dynamic_percentile`, taken
on the index of the models of the artifact's reference class released in the trailing
12 months; the artifact joins the ranking. Every weight, imputation and default is a
Parameter below; the open questions are readings.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from typing import Any, Mapping

from loopholes.probes import coverage_line, member_reading, probe, record_lifecycle
from loopholes.lifecycle import COMPOSITE_KINDS, ON_BASE_KINDS, TRAINING_KINDS, Lifecycle, Step
from loopholes.rules.framework import Context, KnownLoophole, Note, Parameter, Policy, Reading, Rule, training_compute
from loopholes.rules.bundled.dynamic_percentile import (
    ARTIFACT_CLASSES, ESSAY, PERCENTILE, POPULATION_CLASSES, PRIMER, PROPOSAL_DATES, PROPOSAL_SOURCE, REFERENCE_DATE,
    SPECIALISED_SHARE, WINDOW_MONTHS,
)
from loopholes.rules.percentile import GENERAL_CLASS, Cut, artifact_class, joins_population, population_for, top_line
from loopholes.population import months_before

ANNEX = "AI Act Annex XIII"
ESSAY_INDEX = "Hooker 2024 §5.3"

MEASURES = ("training_compute", "parameters", "data_tokens", "business_users", "end_users")
"""What the index combines, each as log10 (reach as log10(1 + users)): only quantities an
authority can observe or require to be reported."""
_LABELS = tuple(zip(MEASURES, ("C", "N", "D", "B", "U")))

WEIGHTS = Parameter(
    {"training_compute": 1.0, "parameters": 1.0, "data_tokens": 1.0, "business_users": 1.0, "end_users": 1.0},
    f"{ESSAY_INDEX} (an index of several metrics, weights not given); {ANNEX} (a)-(c), (f), (g)",
    "equal weight per Annex XIII criterion, which the Annex lists without order or weight; per decade of each measure",
)
INDEX_PERCENTILE = Parameter(PERCENTILE.value, f"{ESSAY} ('top 5-10 percentile', ranked by an index of metrics)",
                             "share of the ranking that is covered; the low end of the essay's range")
IMPUTED_BUSINESS_USERS = Parameter(
    10_000, f"{ANNEX} (f) (high impact presumed at 10,000 registered business users in the Union)",
    "registered business users assumed for every model, real or not, that reports none, under the "
    "presumed-reach reading (Epoch records no reach, so every real model is presumed)")
IMPUTED_END_USERS = Parameter(
    10_000, f"{ANNEX} (g) (number of registered end users; no figure given) - J: the (f) figure reused",
    "registered end users assumed where none are known, under the presumed-reach reading")
TOKENS_PER_PARAMETER = Parameter(
    20.0, "Hoffmann et al. 2022 (arXiv 2203.15556) Table 3, ~20 tokens per parameter at the compute optimum",
    "parameters of a model that states none are imputed as sqrt(C / (6 x 20)), the compute-optimal size for its "
    "compute; tokens of a model that states none as C / (6 N)")

TIER = "top-risk-index"


# -- measures --------------------------------------------------------------------------

def model_params(lc: Lifecycle, step: Step) -> float | None:
    """Parameters of the model `step` produces: its own figure, else its base's; an
    ensemble, cascade or assembled MoE holds all its members' weights, a merge the
    largest member's. None when no step along the way states one."""
    if step.params is not None:
        return step.params
    if step.kind in ON_BASE_KINDS:
        return model_params(lc, lc.model_inputs(step)[0])
    if step.kind in COMPOSITE_KINDS:
        members = [model_params(lc, m) for m in lc.model_inputs(step)]
        if any(m is None for m in members):
            return None
        return max(members) if step.kind == "merge" else sum(members)  # type: ignore[arg-type]
    return None


def model_tokens(lc: Lifecycle) -> float | None:
    """Training tokens of the artifact's model (its runs, bases and members), or None
    when a run states none."""
    runs = [s for s in lc.model_tree() if s.kind in TRAINING_KINDS]
    if not runs or any(s.tokens is None for s in runs):
        return None
    return math.fsum(s.tokens for s in runs)


def measures(ctx: Context) -> dict[str, tuple[float, bool]]:
    """Each measure of the artifact and whether it was imputed (memoised per evaluation)."""
    def compute() -> dict[str, tuple[float, bool]]:
        flop = float(training_compute(None)(ctx))
        params = model_params(ctx.lifecycle, ctx.lifecycle.artifact)
        imputed_params = params is None
        if params is None:
            params = math.sqrt(flop / (6.0 * ctx.parameter("tokens_per_parameter")))
        tokens = model_tokens(ctx.lifecycle)
        imputed_tokens = tokens is None
        if tokens is None:
            tokens = flop / (6.0 * params) if params > 0 else 0.0
        reach = ctx.lifecycle.reach
        if reach is None:
            presumed = ctx.option("reach", "at-release") == "presumed"
            business = ctx.parameter("imputed_business_users") if presumed else 0
            end = ctx.parameter("imputed_end_users") if presumed else 0
        else:
            business, end = reach
        return {"training_compute": (flop, False), "parameters": (params, imputed_params),
                "data_tokens": (tokens, imputed_tokens), "business_users": (float(business), reach is None),
                "end_users": (float(end), reach is None)}

    return ctx.memo("risk-measures", compute)


def terms(values: Mapping[str, tuple[float, bool]]) -> dict[str, float]:
    """log10 of each measure: sizes floored at 1, reach as log10(1 + users) so 0 users is 0."""
    return {name: (math.log10(1.0 + value) if name in ("business_users", "end_users") else math.log10(max(value, 1.0)))
            for name, (value, _) in values.items()}


def logs(ctx: Context) -> dict[str, float]:
    """The log10 terms, memoised: the index and its trace note both read them."""
    return ctx.memo("risk-logs", lambda: terms(measures(ctx)))


def index_value(ctx: Context) -> float:
    """The artifact's risk index: the weighted sum of its log10 measures."""
    def compute() -> float:
        weights, values = ctx.parameter("weights"), logs(ctx)
        return math.fsum(weights.get(name, 0.0) * values[name] for name in MEASURES)

    return ctx.memo("risk-index", compute)


# -- the population's index and the cut --------------------------------------------------

_SERIES: dict[tuple, tuple[Any, list[int], list[float]]] = {}
_CUTS: dict[tuple, Cut] = {}
_POLICY_KEYS: dict[int, tuple[Policy, tuple]] = {}
_MAX_CUTS = 1 << 16


def _policy_key(policy: Policy) -> tuple:
    """What a population model's index takes from the policy: its reference date,
    coefficients and parameters (cached per policy object, so drafts made with
    Policy.replace get their own entries)."""
    hit = _POLICY_KEYS.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    p = policy.parameters
    key = (policy.reference_date, tuple(sorted(p["weights"].value.items())),
           p["tokens_per_parameter"].value, p["imputed_business_users"].value,
           p["imputed_end_users"].value, id(p["population_classes"].value))
    _POLICY_KEYS[id(policy)] = (policy, key)
    return key


def _config(ctx: Context) -> tuple:
    """Everything a population model's index depends on: the policy's part and the reading's."""
    return _policy_key(ctx.policy) + (ctx.option("reach", "at-release"), ctx.option("scope", "model"),
                                      bool(ctx.option("include_imputed", False)))


def series(ctx: Context, cls: str | None) -> tuple[list[int], list[float]]:
    """Release days and index values of the population's models of class `cls` (None:
    all), in date order. Each model is judged through the same lifecycle and measures as
    a backtest's member, so its value here and its own verdict agree to the last bit."""
    key = _config(ctx) + (cls,)
    hit = _SERIES.get(key)
    if hit is not None and hit[0] is ctx.policy.coefficients:
        return hit[1], hit[2]
    include = bool(ctx.option("include_imputed", False))
    pairs = []
    for record in population_for(ctx.parameter("population_classes")):
        flop = record.flop(include_imputed=include)
        if record.published is None or flop is None or (cls is not None and record.reference_class != cls):
            continue
        member = Context(record_lifecycle(record, flop), member_reading(ctx.reading, record), ctx.policy)
        pairs.append((record.published.toordinal(), index_value(member)))
    pairs.sort()
    days, values = [d for d, _ in pairs], [v for _, v in pairs]
    _SERIES[key] = (ctx.policy.coefficients, days, values)
    return days, values


def window_cut(ctx: Context) -> Cut:
    """The index line this artifact faces: its class, its release date, this reading."""
    def compute() -> Cut:
        include = bool(ctx.option("include_imputed", False))
        cls, end, months = artifact_class(ctx), ctx.lifecycle.released, ctx.parameter("window_months")
        share, joins = ctx.parameter("percentile"), joins_population(ctx, include)
        key = _config(ctx) + (cls, end, months, share, joins)
        hit = _CUTS.get(key)
        if hit is None:
            days, values = series(ctx, cls)
            start = months_before(end, months)
            lo, hi = bisect.bisect_right(days, start.toordinal()), bisect.bisect_right(days, end.toordinal())
            peers = tuple(sorted(values[lo:hi]))
            line, k = top_line(peers, share, joins)
            if len(_CUTS) >= _MAX_CUTS:
                _CUTS.clear()
            hit = _CUTS[key] = Cut(line, len(peers), k, cls, start + dt.timedelta(days=1), end)
        return hit

    return ctx.memo("risk-cut", compute)


def _line(ctx: Context) -> float:
    return window_cut(ctx).line


def _note(ctx: Context) -> str:
    """The index's terms and the cut it faces (the rule's trace note)."""
    c = window_cut(ctx)
    values, terms_, weights = measures(ctx), logs(ctx), ctx.parameter("weights")
    parts = [f"{weights.get(name, 0.0):g}x{terms_[name]:.2f} {label}{'*' if values[name][1] else ''}"
             for name, label in _LABELS]
    who = "all classes" if c.cls is None else f"class {c.cls}"
    joined = c.peers + joins_population(ctx, bool(ctx.option("include_imputed", False)))
    return (f"index = {' + '.join(parts)} (* imputed); {who}: {c.peers} peers released "
            f"{c.first.isoformat()}..{c.end.isoformat()}; top {ctx.parameter('percentile'):.0%} = {c.places} of {joined}")


_NOTE = Note(_note)


# -- the policy ------------------------------------------------------------------------

_QUESTION_REACH = ("How does a model whose reach is unknown enter the index (Epoch records no user numbers, "
                   "and a spec may give none)?")

READINGS = (
    Reading("at-release", _QUESTION_REACH,
            "As at release, when every model, real or not, has no registered users: only reach a spec reports "
            "raises an index; compute as Epoch counts it (the model and its bases), numeric estimates only.",
            {"reach": "at-release", "scope": "model", "include_imputed": False}),
    Reading("presumed-reach", _QUESTION_REACH,
            "At the Annex XIII (f) presumption for every model that reports none, real or not: 10,000 registered "
            "business users (and as many end users).",
            {"reach": "presumed", "scope": "model", "include_imputed": False}),
    Reading("with-imputed", "Do Epoch's benchmark-imputed compute estimates join the population?",
            "Yes: closed models with imputed compute are ranked too (reach as in at-release).",
            {"reach": "at-release", "scope": "model", "include_imputed": True}),
    Reading("developer-duty", "Who is obliged: the deployer of a model, or every developer that hands one on?",
            "Every model a developer deploys or hands to another party is indexed, not only the deployed one "
            "(reach as in at-release); the proposals do not say who is obliged.",
            {"reach": "at-release", "scope": "model", "include_imputed": False, "duty": "developer"}),
)

PARAMETERS = {
    "weights": WEIGHTS,
    "percentile": INDEX_PERCENTILE,
    "window_months": WINDOW_MONTHS,
    "imputed_business_users": IMPUTED_BUSINESS_USERS,
    "imputed_end_users": IMPUTED_END_USERS,
    "tokens_per_parameter": TOKENS_PER_PARAMETER,
    "population_classes": POPULATION_CLASSES,
    "artifact_classes": ARTIFACT_CLASSES,
    "specialised_share": SPECIALISED_SHARE,
}

_CLAUSE = f"Hooker 2024 §5.2-5.3; {PRIMER}; {ANNEX} (a)-(c), (f), (g)"


def _rule(nominal: float) -> Rule:
    return Rule(
        "top-risk-index", _CLAUSE,
        "risk index (weighted log10 of training compute, parameters, data tokens, business and end users) vs the "
        "top-p % line of the artifact's reference class, trailing 12 months",
        nominal,
        ">=",  # ties share a rank, as in dynamic_percentile: at most k-1 peers above means in the top k
        TIER, index_value, _NOTE, unit="index points", line=_line)


_DRAFT = Policy(
    id="risk-index",
    title="Dynamic risk index: top 5 % of the past year's models by an index of Annex XIII measures (Hooker 2024 §5.3)",
    jurisdiction="proposal (no jurisdiction)",
    source=PROPOSAL_SOURCE,
    status="proposal",
    dates=PROPOSAL_DATES,
    # The essay's date, as dynamic_percentile: the last year before it is fully collected in
    # the Epoch snapshot, so the default target is the line a rule drafted then would draw.
    reference_date=REFERENCE_DATE,
    readings=READINGS,
    rules=(_rule(0.0),),
    tiers=(TIER,),
    covered_tiers=frozenset({TIER}),
    target_lines={},
    parameters=PARAMETERS,
    population_based=True,
    known_loopholes=(
        KnownLoophole("cascade", "members are indexed one by one; found only together with index-underreporting, under presumed-reach (Hooker 2024 §3.1.3-3.1.4; primer §2.3)", ("presumed-reach",)),
        KnownLoophole("decentralized-finetune", "fine-tunes by other parties add capability no measure of the index sees; found together with index-underreporting, so only under presumed-reach (Hooker 2024 §3.1.2; primer §2.3)", ("presumed-reach",)),
        KnownLoophole("inference-boost", "inference-time compute enters no measure of the index; found together with release-timing (Hooker 2024 §3.1.1, §5.3)"),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak reports half of an FP8 run; found together with release-timing (Hooker 2024 Appendix A)"),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability largely stays; found together with release-timing (Hooker 2024 Appendix A)"),
        KnownLoophole("moe-assembly", "experts indexed one by one, then assembled; found together with index-underreporting, so only under presumed-reach (Hooker 2024 §3.1.3; primer §2.3)", ("presumed-reach",)),
        KnownLoophole("throttling", "better data buys capability that the compute terms do not see (Hooker 2024 §2.1.1; primer §2.1)"),
        KnownLoophole("split-runs", "pre-training split into runs: under presumed-reach, with index-underreporting, each run is indexed on its own (about 3x); elsewhere it adds only about 5 % on top of sparsity and release-timing, a gain that comes from the capability model (its token/parameter penalty applies to the first run only), not from the text (Hooker 2024 §3.1.2, §5.3)"),
        KnownLoophole("reference-class", "the data mix picks the peer group a model is ranked in (Hooker 2024 §5.2; primer §4.1)"),
        KnownLoophole("release-timing", "released when the trailing 12-month line is highest (Hooker 2024 §5.2; primer §4.1)"),
        KnownLoophole("index-underreporting", "reach is self-reported: under presumed-reach, a model that reports fewer than the 10,000 registered business users every real model is presumed to have (AI Act Annex XIII (f)) lowers its index; under the other readings nobody is presumed to have users, so there is nothing to under-report (Hooker 2024 §5.3)", ("presumed-reach",)),
    ),
    ambiguities=(
        "Who is obliged is not said: the deployed model only, or (reading developer-duty) every model deployed or handed on.",
        f"{ESSAY_INDEX} names no measures or weights: the Annex XIII criteria an authority can observe are used "
        "(parameters, tokens, compute, reach), equally weighted per decade (parameter weights); benchmarks (e) and "
        "effective compute are left out, since no outsider can measure them.",
        "Reach is unknown for every real model: readings at-release (none, for every model) and presumed-reach "
        "(Annex XIII (f)'s 10,000 for every model that reports none); under presumed-reach a developer that "
        "reports less than the presumption lowers its own index.",
        "Parameters are missing for many models and are imputed at the compute-optimal size: parameter "
        "tokens_per_parameter. Total, not active, parameters for MoE (as Epoch records them).",
        "Percentile, window, rounding and reference classes as in dynamic-percentile.",
    ),
)


def _lines(policy: Policy) -> tuple[float, dict[str, float]]:
    """The nominal index line (general class) and the compute a plain model with presumed
    reach needs to reach the line, per capability domain, at the reference date."""
    reading = policy.reading()
    nominal = window_cut(Context(probe(GENERAL_CLASS, REFERENCE_DATE, 1e20), reading, policy)).line
    targets = {domain: coverage_line(policy, reading, cls, REFERENCE_DATE)
               for domain, cls in (("general", GENERAL_CLASS), ("bio", "biology"))}
    return nominal, {d: float(f"{v:.3g}") for d, v in targets.items() if v is not None}


_NOMINAL, _TARGETS = _lines(_DRAFT)
POLICY = _DRAFT.replace(rules=(_rule(_NOMINAL),), target_lines=_TARGETS)
