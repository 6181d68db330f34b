"""Let other parties fine-tune the model, each staying small relative to the original
(essay §3.1.2; primer §2.3): a rule that counts one developer's compute, or that makes a
modifier a new provider only above a share of the original, sees none of it. Each
modifier trains on the core run's data recipe (curated where that is): a party doing
further training at scale has the same data practice open to it."""

from . import Strategy


def _apply(plan, params):
    plan.modifiers = params["modifiers"]


STRATEGY = Strategy(
    id="decentralized-finetune",
    title="Spread further training over other parties' fine-tunes, each under the rule's radar",
    cites="Hooker 2024 §3.1.2; primer §2.3; EU GPAI Guidelines Sec. 3 (one-third modifier test)",
    attacks=("modifier-share", "lineage", "developer-scope"),
    bounds={"modifiers": "1 to 3 parties (J)",
            "modifier_flop": "each placed just under the line that binds it (e.g. one third of the original)"},
    apply=_apply,
    variants=lambda setting: [{"modifiers": 1}, {"modifiers": 2}, {"modifiers": 3}],
    group="post",
)
