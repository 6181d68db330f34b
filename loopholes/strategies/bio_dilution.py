"""Keep biological sequence data just under the share that makes a model 'primarily'
biological (essay §3.1.5): the 10^23 bio line then no longer applies, only the general
one, while most of the bio capability stays."""

from . import Strategy, has_rule_kind

_DEFAULT_SHARE = 0.5


def _apply(plan, params):
    plan.data = {"bio": params["bio_share"], "general": round(1 - params["bio_share"], 6)}


def _variants(setting):
    line = getattr(setting.policy.parameters.get("primarily_share"), "value", _DEFAULT_SHARE)
    return [{"bio_share": round(max(line - 0.01, 0.01), 4)}, {"bio_share": round(max(line - 0.1, 0.01), 4)}]


STRATEGY = Strategy(
    id="bio-dilution",
    title="Keep biological data just under 'primarily' (e.g. 49 %) to fall under the general line instead",
    cites="Hooker 2024 §3.1.5; EO 14110 §4.2(b)(i) ('primarily biological sequence data', undefined)",
    attacks=("share-test",),
    bounds={"bio_share": "just under the rule's own share test (its primarily_share parameter, default 0.5) and at "
                         "most 0.1 below it, so the model stays mostly biological"},
    apply=_apply,
    variants=_variants,
    group="data",
    applies=lambda policy, domain: domain == "bio" and has_rule_kind(policy, "(bio data)"),
)
