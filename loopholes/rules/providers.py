"""Who provides a model, and how much compute its provider counts: the EU GPAI
guidelines' walk (Commission guidelines C(2025) 5045, Sec. 3; AI Act Art. 51(2), Recital
111), as a measure any rule can use (rule files: `scope: provider`, `kind: modifier-share`).

The original provider's later work is the same model; a downstream modifier becomes the
provider of a new model only when its modification uses more than `modifier_share` of
the original's compute, or of a fallback when that compute is not disclosed. The
fallback follows what the modifier can know: the original's disclosure and whether it is
listed as a systemic-risk model, never compute it cannot see.

Parameters read (a rule file using the walk must define them): `modifier_share`,
`fallback_systemic`, `fallback_gpai`, `systemic_line`; reading options:
`new_provider_counts_base` (default true) and `capability_limb` (default true: a listed
model includes one of high-impact capability, `loopholes.rules.frontier`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .. import accounting
from ..accounting import Counting
from ..lifecycle import ON_BASE_KINDS, rooted

PARAMETERS = ("modifier_share", "fallback_systemic", "fallback_gpai", "systemic_line")


def _counting(ctx: Any) -> Counting:
    return Counting(integer=ctx.option("count_integer", True), estimate=ctx.option("estimate", "reported"))


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


def _designated(ctx: Any, compute, model_id: str) -> bool:
    """Whether the original model is a systemic-risk model as a modifier can see it: notified
    on the presumption (Art. 52(1)) or of high-impact capability, and so listed (Art. 52(6))."""
    from .frontier import capability_of, frontier_line

    if compute > ctx.parameter("systemic_line"):
        return True
    if not ctx.option("capability_limb", True):
        return False
    original = type(ctx)(rooted(ctx.lifecycle, model_id), ctx.reading, ctx.policy)
    return capability_of(original) >= frontier_line(original)


def provider_view(ctx: Any) -> dict:
    """Who provides the deployed model, its cumulative compute, and the deployer's
    modification as a share of the original's (memoised per evaluation)."""

    def walk() -> dict:
        lc, how = ctx.lifecycle, _counting(ctx)
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


def provider_compute(ctx: Any) -> float:
    """The cumulative training compute of the provider's model (the walk's count)."""
    return provider_view(ctx)["compute"]


def modifier_ratio(ctx: Any) -> float:
    """The deploying developer's modification over the original model's compute (or the fallback)."""
    return provider_view(ctx)["deployer_ratio"]


def modifier_note(ctx: Any) -> tuple[bool, str]:
    view = provider_view(ctx)
    deployer = ctx.lifecycle.artifact.developer
    if deployer == view["original"]:
        return True, f"{deployer} is the original provider: no downstream modification"
    return True, f"{deployer} modifies {view['original']}'s model; provider now: {view['provider']}"


def provider_note(ctx: Any) -> tuple[bool, str]:
    return True, f"provider: {provider_view(ctx)['provider']}"
