"""Distil a larger teacher into a student trained just under the line (essay §3.1.1;
primer §2.1). The teacher belongs to another developer and already exists, so the
student's own run is what a single-run or own-compute rule counts."""

from . import Strategy


def _apply(plan, params):
    plan.core = "distill"


STRATEGY = Strategy(
    id="distillation",
    title="Train a student on a larger teacher's outputs; only the student's run is counted",
    cites="Hooker 2024 §3.1.1; primer §2.1; docs/coefficient-sources.md [gemma2-2024] [busbridge2025] [deepseek-r1-2025] (gain fading with student compute; retention ceiling in compute units)",
    attacks=("single-run", "lineage", "compute-total"),
    bounds={"teacher_flop": "at most the largest training compute of any real model in the target domain released "
                            "by the release date (Epoch AI data; no teacher more capable than any model that existed)",
            "student": "capability, and that of every later step built on it, capped at teacher x retention in compute units (DeepSeek-R1 distilled students at 12 GPQA points per 10x, docs/coefficient-sources.md [deepseek-r1-2025])",
            "generation": "the teacher's forward passes over the student's tokens, 2 x N_teacher x D_student, are charged on the synthetic-data step (Kaplan et al. 2020 forward-pass count)"},
    apply=_apply,
    variants=lambda setting: [{}],
    group="core",
)
