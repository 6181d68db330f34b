"""Distil a larger teacher into a student trained just under the line (essay §3.1.1;
primer §2.1). The teacher belongs to another developer and already exists, so the
student's own run is what a single-run or own-compute rule counts."""

from . import Strategy


def _apply(plan, params):
    plan.core = "distill"


STRATEGY = Strategy(
    id="distillation",
    title="Train a student on a larger teacher's outputs; only the student's run is counted",
    cites="Hooker 2024 §3.1.1; primer §2.1; capability-evidence §5 (gain 1.4-2.8x, retention ceiling)",
    attacks=("single-run", "lineage", "compute-total"),
    bounds={"teacher_flop": "at most the largest training compute of any real model in the target domain released "
                            "by the release date (Epoch AI data; no teacher more capable than any model that existed)",
            "student": "capability capped at teacher x retention (DeepSeek-R1 distilled students, capability-evidence §5a)"},
    apply=_apply,
    variants=lambda setting: [{}],
    group="core",
)
