"""EU AI Act Art. 51-52 with the Commission's 2025 GPAI guidelines.

Facts and clause citations: ../shared/reference/policy-reference.md §2-3. The guidelines'
paragraph numbers differ between versions and are given as approximate there.
"""

import datetime as dt

from loopholes import accounting
from loopholes.lifecycle import ON_BASE_KINDS
from loopholes.policy import Context, KnownLoophole, Parameter, Policy, Reading, Rule, counting

SYSTEMIC_LINE = Parameter(1e25, "AI Act Art. 51(2)", "cumulative training compute above which high-impact capabilities are presumed")
GPAI_LINE = Parameter(1e23, "GPAI Guidelines (C(2025) 5045) Sec. 2, para ~17", "indicative general-purpose criterion")
MODIFIER_SHARE = Parameter(1 / 3, "GPAI Guidelines Sec. 3, para ~60-63",
                           "a downstream modifier becomes provider when its modification uses more than a third of the original's compute")
FALLBACK_SYSTEMIC = Parameter(1e25, "GPAI Guidelines Sec. 3, para ~61",
                              "when the original's compute cannot be known: a third of 1e25 if it is a systemic-risk model")
FALLBACK_GPAI = Parameter(1e23, "GPAI Guidelines Sec. 3, para ~61",
                          "when the original's compute cannot be known: a third of 1e23 otherwise")

GPAI_TIER = "general-purpose"
SYSTEMIC_TIER = "systemic-risk"


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


def provider_view(ctx: Context) -> dict:
    """Who provides the deployed model and its cumulative compute (Art. 51(2), Recital 111),
    walking the lifecycle as the guidelines do: the original provider's later work is the
    same model (para ~22-23); a downstream modifier becomes the provider of a new model only
    above a third of the original's compute, or of the fallback when that is unknown."""

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
        for step in chain[1:]:
            own = accounting.total(_with_generation(lc, [step], step.developer), how)
            if step.developer == provider:
                compute += own
                continue
            pending[step.developer] = pending.get(step.developer, 0.0) + own
            if disclosed:
                basis = compute
            else:
                basis = ctx.parameter("fallback_systemic") if compute > ctx.parameter("systemic_line") else ctx.parameter("fallback_gpai")
            ratio = pending[step.developer] / basis if basis > 0 else float("inf")
            if step.developer == lc.artifact.developer:
                deployer_ratio = ratio
            if ratio > ctx.parameter("modifier_share"):
                compute += pending.pop(step.developer)
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


POLICY = Policy(
    id="eu-ai-act",
    title="EU AI Act Art. 51-52 (GPAI with systemic risk) with the Commission's 2025 GPAI guidelines",
    jurisdiction="European Union",
    source="https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
    status="in force",
    dates={"adopted": "2024-06-13", "in_force": "2024-08-01", "gpai_rules_apply": "2025-08-02",
           "guidelines": "2025-07-18 (C(2025) 5045)"},
    reference_date=dt.date(2025, 8, 2),
    readings=(
        Reading("float-only", "Do integer operations count toward 'floating point operations' (Art. 3(67))?",
                "No: Art. 3(67) defines floating-point operations only; integer training is not counted.",
                {"count_integer": False, "scope": "provider"}),
        Reading("all-operations", "Do integer operations count toward 'floating point operations' (Art. 3(67))?",
                "Yes: every arithmetic operation counts regardless of number format (as the FMF recommends).",
                {"count_integer": True, "scope": "provider"}),
    ),
    rules=(
        Rule("gpai", "GPAI Guidelines Sec. 2, para ~17", "cumulative training FLOP of the provider's model",
             GPAI_LINE.value, ">", GPAI_TIER, _cumulative, _provider_note, unit="FLOP"),
        Rule("modifier", "GPAI Guidelines Sec. 3, para ~60-63",
             "deployer's modification compute / original model's compute", MODIFIER_SHARE.value, ">", GPAI_TIER,
             _modifier_ratio, _modifier_note, unit="share of original compute"),
        Rule("systemic", "AI Act Art. 51(2); Recital 111", "cumulative training FLOP of the provider's model",
             SYSTEMIC_LINE.value, ">", SYSTEMIC_TIER, _cumulative, _provider_note, unit="FLOP"),
    ),
    tiers=(GPAI_TIER, SYSTEMIC_TIER),
    covered_tiers=frozenset({SYSTEMIC_TIER}),
    target_lines={"general": 1e25},
    parameters={"systemic_line": SYSTEMIC_LINE, "gpai_line": GPAI_LINE, "modifier_share": MODIFIER_SHARE,
                "fallback_systemic": FALLBACK_SYSTEMIC, "fallback_gpai": FALLBACK_GPAI},
    ambiguities=(
        "Art. 3(67) defines floating-point operations only; whether integer operations count is open: readings float-only and all-operations.",
        "A teacher's training is not the student's compute: the guidelines start a model's lifecycle at its own large pre-training run.",
        "Whether a new provider's model (a modification above one third) counts the base's compute toward 1e25 is not settled [U]; encoded as counting it.",
        "Synthetic data bought from another party: whose compute counts is open; encoded as counting generation run by the provider only.",
        "The indicative GPAI criterion also needs a generative modality; every lifecycle is assumed to generate text.",
    ),
    known_loopholes=(
        KnownLoophole("distillation", "a model's lifecycle starts at its own large pre-training run (GPAI Guidelines "
                      "para ~22-23), so the teacher's compute is not counted (Hooker 2024 §3.1.1; primer §2.1)"),
        KnownLoophole("cascade", "members are counted together, but with fine-tunes by parties each under the "
                      "one-third test the system escapes (Hooker 2024 §3.1.3-3.1.4; primer §2.3)"),
        KnownLoophole("decentralized-finetune", "a modifier under one third of the original's compute is no new "
                      "provider and its compute is not added (GPAI Guidelines Sec. 3; Hooker 2024 §3.1.2; primer §2.3)"),
        KnownLoophole("inference-boost", "inference-time compute is not training compute (Art. 51(2), Recital 111; "
                      "Hooker 2024 §3.1.1)"),
        KnownLoophole("integer-precision", "Art. 3(67) defines floating-point operations only: INT8 training counts "
                      "nothing under the float-only reading (Hooker 2024 Appendix A)", ("float-only",)),
        KnownLoophole("measured-vs-theoretical", "no estimation method is fixed: a hardware estimate at the BF16 peak "
                      "reports half of an FP8 run (Hooker 2024 Appendix A)"),
        KnownLoophole("sparsity", "zero-skipping sparse training halves the counted operations while capability "
                      "largely stays (Hooker 2024 Appendix A)"),
        KnownLoophole("moe-assembly", "separately trained experts, then fine-tunes by parties each under the "
                      "one-third test (Hooker 2024 §3.1.3; primer §2.3)"),
        KnownLoophole("throttling", "better data buys capability that a compute line does not see "
                      "(Hooker 2024 §2.1.1; primer §2.1)"),
        KnownLoophole("algorithmic-progress", "the 10^25 line moves only by delegated act (Art. 51(3)) while recipes "
                      "improve (Hooker 2024 §2.1.2, §5.1)"),
        KnownLoophole("split-runs", "split pre-training followed by fine-tunes by parties each under the one-third "
                      "test (Hooker 2024 §3.1.2, §5.3)"),
    ),
)
