"""Split pre-training into several runs, each under the line: a rule that counts one
training run sees only the largest piece (essay §3.1.2 and §5.3, 'fractured pre-training')."""

from . import Strategy


def _apply(plan, params):
    plan.core = "split"
    plan.parts = params["parts"]


STRATEGY = Strategy(
    id="split-runs",
    title="Fracture pre-training into consecutive runs that each stay under the line",
    cites="Hooker 2024 §3.1.2, §5.3 ('fractured pre-training')",
    attacks=("single-run",),
    bounds={"parts": "2 or 3 consecutive runs of equal size (J)"},
    apply=_apply,
    variants=lambda setting: [{"parts": 2}, {"parts": 3}],
    group="core",
)
