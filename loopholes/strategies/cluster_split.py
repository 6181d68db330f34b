"""Spread a fast training run over several data centres, each under a cluster line that
only counts co-located machines (EO 14110 §4.2(b)(ii); essay §3.1.2 on decentralized
training)."""

from . import Strategy, has_rule_kind


def _apply(plan, params):
    plan.training_days = params["training_days"]
    plan.split_sites = params["sites"]


STRATEGY = Strategy(
    id="cluster-split",
    title="Train on several sites, none of which is a reportable co-located cluster",
    cites="EO 14110 §4.2(b)(ii); Hooker 2024 §3.1.2; INTELLECT-1 (arXiv 2412.01152) for decentralized MFU",
    attacks=("cluster-rate",),
    bounds={"training_days": "20 days or more (J: a frontier run on a cluster sized to finish in three weeks)",
            "sites": "2 or 3 sites; multi-site training keeps 0.9-1.0x capability per op (docs/coefficient-sources.md [intellect1-2024])"},
    apply=_apply,
    variants=lambda setting: [{"training_days": 20.0, "sites": 2}, {"training_days": 20.0, "sites": 3}],
    group="cluster",
    applies=lambda policy, domain: has_rule_kind(policy, "cluster"),
)
