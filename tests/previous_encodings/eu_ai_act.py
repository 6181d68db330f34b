"""EU AI Act Art. 51-52 with the Commission's 2025 GPAI guidelines.

Every element and its source: docs/legal-sources.md, "EU AI Act" and "EU GPAI
Guidelines". The guidelines' paragraph numbers differ between versions and are given as
approximate.

A general-purpose model has systemic risk when it has high-impact capabilities
(Art. 51(1)(a)), i.e. capabilities that match or exceed those of the most advanced models
(Art. 3(64)); above 10^25 FLOP of cumulative training compute they are presumed
(Art. 51(2)). Both limbs are rules here. The capability limb compares the artifact's
effective compute with that of the most capable real general-purpose models released by
its release date (Epoch data), each judged with the same coefficient table through
`Context.capability()`, so drawn coefficients move both sides together. Designation by
the Commission (Art. 51(1)(b), Art. 52) is a backstop the search cannot model.
"""

import datetime as dt
import functools
from collections import OrderedDict
from fractions import Fraction

from loopholes import accounting
from loopholes.capability import BANDS, effective_compute
from loopholes.lifecycle import ON_BASE_KINDS, Lifecycle, make_step
from loopholes.rules.framework import Context, KnownLoophole, Parameter, Policy, Reading, Rule, counting, rooted
from loopholes.population import kth_largest_series, load_population, value_on
from loopholes.probes import MEMBER_OPTION

SYSTEMIC_LINE = Parameter(10**25, "AI Act Art. 51(2)", "cumulative training compute above which high-impact capabilities are presumed")
GPAI_LINE = Parameter(10**23, "GPAI Guidelines (C(2025) 5045) Sec. 2, para ~17", "indicative general-purpose criterion")
MODIFIER_SHARE = Parameter(Fraction(1, 3), "GPAI Guidelines Sec. 3, para ~60-63",
                           "a downstream modifier becomes provider when its modification uses more than a third of the original's compute")
FALLBACK_SYSTEMIC = Parameter(10**25, "GPAI Guidelines Sec. 3, para ~61",
                              "when the original's compute cannot be known: a third of 1e25 if the original is a "
                              "systemic-risk model (the modifier can see that: providers must notify, Art. 52(1), "
                              "and the Commission lists them, Art. 52(6))")
FALLBACK_GPAI = Parameter(10**23, "GPAI Guidelines Sec. 3, para ~61",
                          "when the original's compute cannot be known: a third of 1e23 otherwise")
FRONTIER_RANK = Parameter(5, "AI Act Art. 3(64) ('the most advanced general-purpose AI models'); J: how many",
                          "high-impact capabilities = at least the effective compute of the k-th most capable "
                          "general-purpose model released by the artifact's release date")
CAPABILITY_BAND = Parameter("central", "AI Act Art. 51(1)(a) (assessed with technical tools and benchmarks); J",
                            "band of the capability model used for both the artifact and the real models")
FRONTIER_CLASS = Parameter("language", "AI Act Art. 3(63)-(64) (general-purpose models); Epoch Language and Multimodal",
                           "reference class of the real models the artifact is compared with")
RULES_APPLY_FROM = Parameter(dt.date(2025, 8, 2), "AI Act Art. 113(b); Art. 111(3)",
                             "GPAI obligations apply from this day; earlier models are compared with its frontier")

GPAI_TIER = "general-purpose"
SYSTEMIC_TIER = "systemic-risk"


# -- the provider walk (compute presumption) ---------------------------------------------

def _base_chain(lc):
    """The deployed model back to the run that started it: deploy, its base, ..., root."""
    chain = [lc.artifact]
    while chain[-1].kind in ON_BASE_KINDS:
        chain.append(lc.model_inputs(chain[-1])[0])
    return chain[::-1]


def _with_generation(lc, steps, developer):
    """Steps plus the synthetic-data generation run by `developer` that feeds them (Recital 111)."""
    out = list(steps)
    for step in steps:
        out.extend(d for d in lc.data_inputs(step) if d.developer == developer and d not in out)
    return out


def _share(part, whole):
    """part / whole, exact for integers (the one-third test sits on a line too)."""
    if whole <= 0:
        return float("inf")
    if type(part) is int and type(whole) is int:
        return Fraction(part, whole)
    return part / whole


def _designated(ctx: Context, compute, model_id: str) -> bool:
    """Whether the original model is a systemic-risk model as a modifier can see it: notified
    on the presumption (Art. 52(1)) or of high-impact capability, and so listed (Art. 52(6))."""
    if compute > ctx.parameter("systemic_line"):
        return True
    if not ctx.option("capability_limb", True):
        return False
    original = Context(rooted(ctx.lifecycle, model_id), ctx.reading, ctx.policy)
    return _capability(original) >= frontier_line(original)


def provider_view(ctx: Context) -> dict:
    """Who provides the deployed model and its cumulative compute (Art. 51(2), Recital 111),
    walking the lifecycle as the guidelines do: the original provider's later work is the
    same model (para ~22-23); a downstream modifier becomes the provider of a new model only
    above a third of the original's compute, or of the fallback when that is unknown. The
    fallback is chosen on what the modifier can know - the original's disclosure and its
    designation - not on compute it cannot see."""

    def walk() -> dict:
        lc, how = ctx.lifecycle, counting(ctx)
        chain = _base_chain(lc)
        root = chain[0]
        provider = root.developer
        original = lc.model_tree(root.id)
        compute = accounting.total(_with_generation(lc, original, provider), how)
        disclosed = all(step.disclosed for step in original)
        pending: dict[str, float] = {}
        deployer_ratio = 0.0
        for previous, step in zip(chain, chain[1:]):
            own = accounting.total(_with_generation(lc, [step], step.developer), how)
            if step.developer == provider:
                compute += own
                continue
            pending[step.developer] = pending.get(step.developer, 0) + own
            if disclosed:
                basis = compute
            else:
                designated = _designated(ctx, compute, previous.id)
                basis = ctx.parameter("fallback_systemic" if designated else "fallback_gpai")
            ratio = _share(pending[step.developer], basis)
            if step.developer == lc.artifact.developer:
                deployer_ratio = ratio
            if ratio > ctx.parameter("modifier_share"):
                mine = pending.pop(step.developer)
                compute = compute + mine if ctx.option("new_provider_counts_base", True) else mine
                provider, disclosed, pending = step.developer, True, {}
        return {"provider": provider, "compute": compute, "deployer_ratio": deployer_ratio, "original": root.developer}

    return ctx.memo("eu-provider", walk)


def _cumulative(ctx: Context) -> float:
    return provider_view(ctx)["compute"]


def _modifier_ratio(ctx: Context) -> float:
    return provider_view(ctx)["deployer_ratio"]


def _modifier_note(ctx: Context) -> tuple[bool, str]:
    view = provider_view(ctx)
    deployer = ctx.lifecycle.artifact.developer
    if deployer == view["original"]:
        return True, f"{deployer} is the original provider: no downstream modification"
    return True, f"{deployer} modifies {view['original']}'s model; provider now: {view['provider']}"


def _provider_note(ctx: Context) -> tuple[bool, str]:
    view = provider_view(ctx)
    return True, f"provider: {view['provider']}"


# -- the capability limb (Art. 51(1)(a), Art. 3(64)) -------------------------------------

_SERIES: "OrderedDict[tuple, tuple[object, list[int], list[float], dict[str, float]]]" = OrderedDict()
_TABLES: "OrderedDict[tuple, tuple[object, list[tuple], dict[str, tuple]]]" = OrderedDict()
_MAX_TABLES = 1024
"""Coefficient tables whose frontier is kept (least recently used dropped first): a
search's sensitivity pass draws 300 tables and every reading reads each of them."""
FRONTIER_CANDIDATES = 200
"""Real models considered for the frontier: the largest training runs of the class."""


@functools.lru_cache(maxsize=4096)
def _yardstick(record, flop: float) -> Lifecycle:
    """A real model as a GPAI *model*: its pre-training with the standard training practices
    of its own release date (instruction tuning; curated data once standard:
    strategies.plan.STANDARD_PRACTICE), exactly as the search's honest target and the
    adversary get them, so the artifact and the models it is compared with are judged
    alike. Inference-time affordances are left out on both sides (`the_model`)."""
    from loopholes.strategies.plan import build, honest_plan

    return the_model(build(honest_plan("general", record.published, flop, "standard"), name=record.model))


def the_model(lc: Lifecycle) -> Lifecycle:
    """The GPAI model inside a deployed artifact: Art. 51(1)(a) classifies *models* (Art.
    3(63)); chain-of-thought prompting, sampling, tools and retrieval added at deployment
    make an AI system around it, so inference-boost steps on top of the model are set aside
    when its capabilities are compared with the most advanced models."""
    index = {step.id: step for step in lc.steps}
    top = lc.deploy
    while index[top].kind == "inference_boost" and index[top].inputs:
        top = index[top].inputs[0]
    if top == lc.deploy:
        return lc
    return Lifecycle.trusted(lc.name, lc.released, top, lc.steps, lc.reach)


def _series(ctx: Context) -> tuple[list[int], list[float], dict[str, float]]:
    """The k-th largest capability by release day, and each real model's own capability."""
    policy = ctx.policy
    rank = int(ctx.option("frontier_rank", ctx.parameter("frontier_rank")))
    band, cls = ctx.parameter("capability_band"), ctx.parameter("frontier_class")
    key = (id(policy.coefficients), policy.reference_date, rank, band, cls)
    hit = _SERIES.get(key)
    if hit is not None and hit[0] is policy.coefficients:
        _SERIES.move_to_end(key)
        return hit[1], hit[2], hit[3]
    b = BANDS.index(band)
    points, bands = _candidates(policy, cls)
    own = {model: values[b] for model, values in bands.items()}
    days, values = kth_largest_series([(day, value[b]) for day, value in points], rank)
    _remember(_SERIES, key, (policy.coefficients, days, values, own))
    return days, values, own


def _candidates(policy, cls: str) -> tuple[list[tuple], dict[str, tuple]]:
    """(release day, capability bands) of every frontier candidate, and each one's bands by
    model, under the policy's coefficient table: computed once per table, whatever the
    reading's rank or band."""
    key = (id(policy.coefficients), policy.reference_date, cls)
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is policy.coefficients:
        _TABLES.move_to_end(key)
        return hit[1], hit[2]
    candidates = [r for r in load_population().known() if r.published is not None and r.reference_class == cls]
    # The frontier is read only from the day the GPAI rules apply (judged_on), when the
    # largest runs hold every top-k spot: the FRONTIER_CANDIDATES largest by training
    # compute are enough, which keeps this cheap under many coefficient tables.
    candidates = sorted(candidates, key=lambda r: (-r.flop(), r.model))[:FRONTIER_CANDIDATES]
    points, bands = [], {}
    for record in candidates:
        value = effective_compute(_yardstick(record, record.flop()), policy.reference_date, policy.coefficients)["general"]
        bands[record.model] = value
        points.append((record.published, value))
    _remember(_TABLES, key, (policy.coefficients, points, bands))
    return points, bands


def _remember(cache: OrderedDict, key: tuple, value: tuple) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _MAX_TABLES:
        cache.popitem(last=False)


def _capability(ctx: Context) -> float:
    """The artifact's general capability (effective compute) in the chosen band; a real
    model being backtested keeps the value it has in the yardstick series."""
    if not ctx.option("capability_limb", True):
        return 0.0
    record = ctx.option(MEMBER_OPTION)
    if record is not None and record.published == ctx.lifecycle.released:
        known = _series(ctx)[2].get(record.model)
        if known is not None:
            return known
    Context.reads_of_capability += 1  # the verdict reads capability: coefficient draws can move it
    model = ctx.memo("gpai-model-capability", lambda: effective_compute(
        the_model(ctx.lifecycle), ctx.policy.reference_date, ctx.policy.coefficients))
    return model.get("general", ctx.parameter("capability_band"))


def judged_on(ctx: Context) -> dt.date:
    """The day whose frontier the artifact is compared with: its release, or the day the
    GPAI rules began to apply for a model released earlier (such models must comply by
    2 Aug 2027, Art. 111(3), so they are judged against the frontier the rules met)."""
    return max(ctx.lifecycle.released, ctx.parameter("rules_apply_from"))


def frontier_line(ctx: Context) -> float:
    days, values, _ = _series(ctx)
    return value_on(days, values, judged_on(ctx))


def _capability_note(ctx: Context) -> tuple[bool, str]:
    if not ctx.option("capability_limb", True):
        return False, "capability limb not applied under this reading (compute presumption only)"
    rank = int(ctx.option("frontier_rank", ctx.parameter("frontier_rank")))
    return True, (f"vs the {'most' if rank == 1 else f'{rank}th most'} capable general-purpose model released by "
                  f"{judged_on(ctx).isoformat()} ({ctx.parameter('capability_band')} effective compute)")


# -- the policy --------------------------------------------------------------------------

_INTEGER_QUESTION = "Do integer operations count toward 'floating point operations' (Art. 3(67))?"
_LIMBS = (" Both limbs apply: high-impact capability (Art. 51(1)(a)) against the 5th most capable "
          "general-purpose model released by then, and the compute presumption (Art. 51(2)).")
_WALK = " A modifier that becomes the new provider counts the base's compute too (guidelines unsettled [U])."
_BASE = {"scope": "provider", "capability_limb": True, "new_provider_counts_base": True}

READINGS = (
    Reading("float-only", _INTEGER_QUESTION,
            "No: Art. 3(67) defines floating-point operations only; integer training is not counted." + _LIMBS + _WALK,
            {**_BASE, "count_integer": False}),
    Reading("all-operations", _INTEGER_QUESTION,
            "Yes: Art. 3(67) covers any operation 'involving' floating-point numbers, and integer training "
            "in block-scaled formats (INT8/INT4 blocks sharing a floating-point scale, e.g. microscaling) "
            "involves them; the FMF also counts every operation regardless of format." + _LIMBS + _WALK,
            {**_BASE, "count_integer": True}),
    Reading("presumption-only", "Does anything but the compute presumption (Art. 51(2)) classify a model here?",
            "No: only the 10^25 FLOP presumption is applied (floating-point operations only, as float-only); "
            "the capability limb of Art. 51(1)(a) is left out." + _WALK,
            {**_BASE, "count_integer": False, "capability_limb": False}),
    Reading("frontier-top-1", "Which models are 'the most advanced' whose capabilities must be matched (Art. 3(64))?",
            "The single most capable general-purpose model released by the artifact's release date "
            "(floating-point operations only, as float-only)." + _WALK,
            {**_BASE, "count_integer": False, "frontier_rank": 1}),
    Reading("modifier-own-compute",
            "Once a modifier becomes the provider of a new model, does the base's compute count toward 10^25?",
            "No: the new provider counts its modification only (the guidelines leave this open [U]; "
            "floating-point operations only, as float-only)." + _LIMBS,
            {**_BASE, "count_integer": False, "new_provider_counts_base": False}),
)

POLICY = Policy(
    id="eu-ai-act",
    title="EU AI Act Art. 51-52 (GPAI with systemic risk) with the Commission's 2025 GPAI guidelines",
    jurisdiction="European Union",
    source="https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
    status="in force",
    dates={"adopted": "2024-06-13", "in_force": "2024-08-01", "gpai_rules_apply": "2025-08-02",
           "guidelines": "2025-07-18 (C(2025) 5045)"},
    reference_date=dt.date(2025, 8, 2),
    readings=READINGS,
    rules=(
        Rule("gpai", "GPAI Guidelines Sec. 2, para ~17", "cumulative training FLOP of the provider's model",
             GPAI_LINE.value, ">", GPAI_TIER, _cumulative, _provider_note, unit="FLOP"),
        Rule("modifier", "GPAI Guidelines Sec. 3, para ~60-63",
             "deployer's modification compute / original model's compute", MODIFIER_SHARE.value, ">", GPAI_TIER,
             _modifier_ratio, _modifier_note, unit="share of original compute"),
        Rule("systemic", "AI Act Art. 51(2); Recital 111", "cumulative training FLOP of the provider's model",
             SYSTEMIC_LINE.value, ">", SYSTEMIC_TIER, _cumulative, _provider_note, unit="FLOP"),
        Rule("high-impact", "AI Act Art. 51(1)(a); Art. 3(64)",
             "effective compute (capability) vs the most advanced general-purpose models released by then",
             0.0, ">=", SYSTEMIC_TIER, _capability, _capability_note, unit="effective FLOP", line=frontier_line),
    ),
    tiers=(GPAI_TIER, SYSTEMIC_TIER),
    covered_tiers=frozenset({SYSTEMIC_TIER}),
    target_lines={"general": 1e25},
    parameters={"systemic_line": SYSTEMIC_LINE, "gpai_line": GPAI_LINE, "modifier_share": MODIFIER_SHARE,
                "fallback_systemic": FALLBACK_SYSTEMIC, "fallback_gpai": FALLBACK_GPAI,
                "frontier_rank": FRONTIER_RANK, "capability_band": CAPABILITY_BAND, "frontier_class": FRONTIER_CLASS,
                "rules_apply_from": RULES_APPLY_FROM},
    # Provider duties attach on placing a model on the market, which includes supplying its
    # weights to a downstream modifier (Art. 3(9)-(10)): every model handed on is judged.
    duty="developer",
    ambiguities=(
        "Art. 3(67) defines floating-point operations only; whether integer operations count is open: readings "
        "float-only and all-operations (block-scaled integer formats involve floating-point scales).",
        "Art. 51(1)(a) (high-impact capabilities) applies whatever the compute; how 'the most advanced models' is "
        "measured is open: parameter frontier_rank (5th most capable, default) and reading frontier-top-1; "
        "reading presumption-only drops the limb.",
        "Designation by the Commission (Art. 51(1)(b), Art. 52, Annex XIII) is a backstop the search cannot model: "
        "a finding here may still be designated.",
        "A teacher's training is not the student's compute: the guidelines start a model's lifecycle at its own large pre-training run.",
        "Whether a new provider's model (a modification above one third) counts the base's compute toward 1e25 is "
        "not settled [U]: readings float-only (counts it) and modifier-own-compute (does not).",
        "The modifier's fallback (a third of 1e25 or of 1e23) follows what it can know: the original's disclosure and "
        "its listing as a systemic-risk model, not its actual compute.",
        "Synthetic data bought from another party: whose compute counts is open; encoded as counting generation run by the provider only.",
        "The indicative GPAI criterion also needs a generative modality; every lifecycle is assumed to generate text.",
    ),
    known_loopholes=(
        KnownLoophole("integer-precision", "Art. 3(67) defines floating-point operations only, so INT8 training "
                      "counts nothing toward the 10^25 presumption: a run of about 3x10^25 INT8 operations stays just "
                      "under the 5th most capable model and escapes both limbs wherever integers are not counted; a "
                      "frontier-scale INT8 run escapes only when the capability limb is set aside (presumption-only), "
                      "and all-operations counts it (Hooker 2024 Appendix A)",
                      ("float-only", "presumption-only", "frontier-top-1", "modifier-own-compute")),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays; material only together with algorithmic progress (or integer-precision under "
                      "presumption-only) (Hooker 2024 Appendix A)"),
        KnownLoophole("decentralized-finetune", "fine-tunes by other parties, each under one third of the original's "
                      "compute, add capability nobody counts as a new model; material together with algorithmic "
                      "progress (GPAI Guidelines; Hooker 2024 §3.1.2; primer §2.3)"),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak "
                      "reports less than an FP8 run did; material together with algorithmic progress (Hooker 2024 "
                      "Appendix A)"),
        KnownLoophole("moe-assembly", "separately trained experts assembled afterwards; found only together with "
                      "integer-precision under presumption-only (Hooker 2024 §3.1.3; primer §2.3)",
                      ("presumption-only",)),
        KnownLoophole("algorithmic-progress", "the 10^25 line moves only by delegated act (Art. 51(3)) while recipes "
                      "improve: a model released a year later at the same compute is more capable, yet stays under the "
                      "capability limb because the frontier it is compared with improves too (Hooker 2024 §2.1.2, "
                      "§5.1)"),
        KnownLoophole("split-runs", "pre-training split into runs; found only together with integer-precision under "
                      "presumption-only (Hooker 2024 §3.1.2, §5.3)", ("presumption-only",)),
    ),
)
