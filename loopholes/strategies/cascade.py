"""Serve several sub-threshold models together — a majority-vote ensemble or a cascade —
so that no single model passes the line while the system is stronger than each
(essay §3.1.3-3.1.4; primer §2.3)."""

from . import Strategy


def _apply(plan, params):
    plan.members = params["members"]
    plan.system = params["system"]


STRATEGY = Strategy(
    id="cascade",
    title="Chain or ensemble several sub-threshold models into one system",
    cites="Hooker 2024 §3.1.3-3.1.4; primer §2.3; docs/coefficient-sources.md [li2024-agents] [frugalgpt2023] (15-way voting ~5.4x, counted once with sampling; FrugalGPT cascades)",
    attacks=("single-run",),
    bounds={"members": "2 to 15 (15-way voting is the largest measured, Li et al. 2024 arXiv 2402.05120)",
            "system": "ensemble (majority vote) or cascade (router)"},
    apply=_apply,
    variants=lambda setting: [{"members": 2, "system": "ensemble"}, {"members": 5, "system": "ensemble"},
                              {"members": 15, "system": "ensemble"}, {"members": 2, "system": "cascade"}],
    group="system",
)
