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

from loopholes.population import REFERENCE_CLASSES
from loopholes.rules.framework import KnownLoophole, Parameter, Policy, Reading, Rule, training_compute
from loopholes.rules.percentile import DATA_CLASSES, GENERAL_CLASS, cut, percentile_line, percentile_note, population_for

ESSAY = "Hooker 2024 §5.2"
PRIMER = "C4AI primer 2024 §4.1"


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


# -- the population and the cut ---------------------------------------------------------


# -- the artifact ----------------------------------------------------------------------


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
    percentile_note,
    unit="operations",
    line=percentile_line,
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
