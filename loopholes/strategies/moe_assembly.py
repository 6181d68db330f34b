"""Train experts separately, each under the line, and assemble them into a mixture of
experts afterwards (essay §3.1.3; primer §2.3)."""

from . import Strategy


def _apply(plan, params):
    plan.core = "moe"
    plan.experts = params["experts"]


STRATEGY = Strategy(
    id="moe-assembly",
    title="Assemble a mixture of experts from separately trained sub-threshold experts",
    cites="Hooker 2024 §3.1.3; primer §2.3; docs/coefficient-sources.md [deepseekmoe2024] [switch2021]",
    attacks=("single-run",),
    bounds={"experts": "2 to 8 (Mixtral 8x7B has 8, Jiang et al. 2024 arXiv 2401.04088)",
            "pooling": "what the other experts add is a judgement (moe_assembly_pooling, 0 to 1)"},
    apply=_apply,
    variants=lambda setting: [{"experts": 2}, {"experts": 8}],
    group="core",
)
