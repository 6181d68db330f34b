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
from fractions import Fraction

from loopholes.rules.frontier import capability_note, capability_of, frontier_line
from loopholes.rules.providers import modifier_note, modifier_ratio, provider_compute, provider_note
from loopholes.rules.framework import KnownLoophole, Parameter, Policy, Reading, Rule

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


# -- the measures ------------------------------------------------------------------------
# The provider walk and the capability limb moved, unchanged, to loopholes.rules.providers and
# loopholes.rules.frontier (which the rule file names); this encoding assembles them as the
# Python module did, so the test compares the two assemblies.

_cumulative = provider_compute
_modifier_ratio = modifier_ratio
_modifier_note = modifier_note
_provider_note = provider_note
_capability = capability_of
_capability_note = capability_note


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
