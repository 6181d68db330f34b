"""Korea's AI Basic Act (Art. 32) with its Enforcement Decree and the MSIT safety Notice.

Every element and its source: docs/legal-sources.md, "Korea AI Basic Act". In force since
22 January 2026. Safety duties apply to AI whose cumulative training compute is at or
above 10^26 operations (the decree's "이상": inclusive, unlike EO 14110 and SB 53) AND
that applies state-of-the-art technology AND risks broad and significant effects on
fundamental rights. The draft Notice counts all training-related compute, data
pre-processing and fine-tuning included. The two qualitative conditions are judgements
the search cannot make: they are parameters, met by default, so a drafter can switch
them off to see a narrower reading.
"""

import datetime as dt

from loopholes import accounting
from loopholes.rules.framework import Context, KnownLoophole, Parameter, Policy, Reading, Rule, counting

COMPUTE_LINE = Parameter(10**26, "AI Basic Act Art. 32; Enforcement Decree ('10의 26승 이상')",
                         "cumulative training operations, at or above (inclusive)")
STATE_OF_THE_ART = Parameter(True, "Enforcement Decree (state-of-the-art technology condition)",
                             "J: taken as met; a model at this scale applies state-of-the-art technology")
RIGHTS_IMPACT = Parameter(True, "Enforcement Decree (broad and significant impact on fundamental rights)",
                          "J: taken as met; the search cannot judge impact on rights")
TIER = "high-performance-ai"
_CLAUSE = "AI Basic Act Art. 32; Enforcement Decree; MSIT Notice (draft, 2026)"


def cumulative(ctx: Context) -> float:
    """All training-related compute of the model: its runs, its bases and members (others'
    fine-tunes included), and the data pre-processing (synthetic-data generation) that
    feeds them. A teacher's own training is another model's compute."""
    lc = ctx.lifecycle
    steps = list(lc.model_tree())
    seen = {s.id for s in steps}
    for step in lc.model_tree():
        steps.extend(d for d in lc.data_inputs(step) if d.id not in seen)
        seen.update(d.id for d in lc.data_inputs(step))
    return accounting.total(steps, counting(ctx))


def qualitative(ctx: Context) -> tuple[bool, str]:
    sota, rights = ctx.parameter("state_of_the_art"), ctx.parameter("broad_rights_impact")
    return bool(sota and rights), (f"state-of-the-art technology: {'met' if sota else 'not met'}; "
                                   f"broad impact on fundamental rights: {'met' if rights else 'not met'} (parameters)")


_QUESTION = "Do integer operations count toward the decree's 'FLOPs' (not addressed in the text [U])?"

POLICY = Policy(
    id="kr-ai-basic-act",
    title="Korea AI Basic Act Art. 32 with the Enforcement Decree: high-performance AI safety duties",
    jurisdiction="Republic of Korea",
    source="https://www.law.go.kr/",
    status="in force",
    dates={"in_force": "2026-01-22", "notice_pre_announced": "2026-02-20 (MSIT safety Notice, final adoption [U])"},
    reference_date=dt.date(2026, 1, 22),
    readings=(
        Reading("all-operations", _QUESTION,
                "Yes: every operation counts, whatever its number format (as the FMF recommends).",
                {"count_integer": True}),
        Reading("float-only", _QUESTION, "No: only floating-point operations count.", {"count_integer": False}),
    ),
    rules=(
        Rule("cumulative", _CLAUSE, "cumulative training operations incl. pre-processing and fine-tuning",
             COMPUTE_LINE.value, ">=", TIER, cumulative, qualitative),
    ),
    tiers=(TIER,),
    covered_tiers=frozenset({TIER}),
    target_lines={"general": 1e26},
    parameters={"compute_line": COMPUTE_LINE, "state_of_the_art": STATE_OF_THE_ART, "broad_rights_impact": RIGHTS_IMPACT},
    # Art. 32's duties fall on AI business operators, developers and providers alike.
    duty="developer",
    ambiguities=(
        "The qualitative conditions (state-of-the-art technology, broad impact on rights) are parameters, met by default.",
        "The draft Notice lets compute 'with no substantive contribution' be excluded: not modelled (every step counts).",
        "Whether integer operations count is not addressed [U]: readings all-operations and float-only.",
        "Three estimation methods are allowed (architecture, empirical, hardware use): the developer's estimate is used.",
        "The Notice's final text is not confirmed [U]; figures here follow the decree and the pre-announced Notice.",
    ),
    known_loopholes=(
        KnownLoophole("decentralized-finetune", "others' fine-tunes count toward the cumulative total, so this is "
                      "found only together with integer-precision under float-only: a counted fine-tune just under "
                      "the line on an uncounted INT8 base, adding about 7 % (Hooker 2024 §3.1.2; primer §2.3)",
                      ("float-only",)),
        KnownLoophole("integer-precision", "if the decree's 'FLOPs' means floating-point operations only, INT8 "
                      "training counts nothing (Hooker 2024 Appendix A)", ("float-only",)),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays; found together with algorithmic-progress, or with integer-precision under "
                      "float-only (Hooker 2024 Appendix A)"),
        KnownLoophole("moe-assembly", "experts trained separately and assembled; the cumulative count sums them, so "
                      "it is found only together with integer-precision under float-only "
                      "(Hooker 2024 §3.1.3; primer §2.3)", ("float-only",)),
        KnownLoophole("algorithmic-progress", "the 10^26 line moves only by decree while recipes improve; found "
                      "together with sparsity, or with integer-precision under float-only (Hooker 2024 §2.1.2, §5.1)"),
        KnownLoophole("split-runs", "cumulative compute sums the runs, so split pre-training is found only together "
                      "with sparsity and algorithmic-progress (where it adds about 5 %, a gain of the capability model, "
                      "whose token/parameter penalty applies to the first run only), or with integer-precision under "
                      "float-only (Hooker 2024 §3.1.2, §5.3)"),
    ),
)
