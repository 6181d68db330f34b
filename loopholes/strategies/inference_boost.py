"""Spend compute at inference instead of training: chain-of-thought, best-of-n sampling,
tools, retrieval (essay §3.1.1). No instrument counts inference compute."""

from . import Strategy


def _apply(plan, params):
    plan.boost = (params["method"], params["samples"])


STRATEGY = Strategy(
    id="inference-boost",
    title="Add inference-time compute (sampling, chain-of-thought, tools) that no training count sees",
    cites="Hooker 2024 §3.1.1; docs/coefficient-sources.md [villalobos2023] [snell2024] [davidson2023]",
    attacks=("compute-total",),
    bounds={"samples": "at most 250 per query (Brown et al. 2024 'Large Language Monkeys', arXiv 2407.21787)",
            "gain": "per domain: inference_gain (verifier-backed math/code evidence) or the small J inference_gain_bio; "
                    "sampling counted once with voting ensembles; the post-hoc cap. Chain-of-thought and tools add "
                    "nothing over the standard honest profile where they were standard by the release date"},
    apply=_apply,
    variants=lambda setting: [{"method": "best_of_n", "samples": 250}, {"method": "cot", "samples": 1},
                              {"method": "tool_use", "samples": 1}],
    group="boost",
)
