"""Spend compute at inference instead of training: chain-of-thought, best-of-n sampling,
tools, retrieval (essay §3.1.1). No instrument counts inference compute."""

from . import Strategy


def _apply(plan, params):
    plan.boost = (params["method"], params["samples"])


STRATEGY = Strategy(
    id="inference-boost",
    title="Add inference-time compute (sampling, chain-of-thought, tools) that no training count sees",
    cites="Hooker 2024 §3.1.1; capability-evidence §4 (Villalobos & Atkinson 2023; Snell et al. 2024) and §3",
    attacks=("compute-total",),
    bounds={"samples": "at most 250 per query (Brown et al. 2024 'Large Language Monkeys', arXiv 2407.21787)",
            "gain": "capped by the inference_gain / scaffold_gain bands and the post-hoc cap (capability-evidence §14)"},
    apply=_apply,
    variants=lambda setting: [{"method": "best_of_n", "samples": 250}, {"method": "cot", "samples": 1},
                              {"method": "tool_use", "samples": 1}],
    group="boost",
)
