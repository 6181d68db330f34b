"""Report a hardware estimate made at the BF16 peak for a run done in FP8 (essay
Appendix A, 'theoretical and practical FLOP'): no instrument fixes the estimation
method, and the FP8 peak is twice the BF16 one (capability-evidence §6b)."""

from . import Strategy


def _apply(plan, params):
    plan.form = "hardware"
    if plan.precision == "bf16":
        plan.precision = "fp8"
    plan.peak_precision = "bf16"


STRATEGY = Strategy(
    id="measured-vs-theoretical",
    title="Estimate compute from GPU-hours at the BF16 peak while training in FP8: half the operations reported",
    cites="Hooker 2024 Appendix A; capability-evidence §6b and §14 (hardware estimate undercount up to 2x)",
    attacks=("estimation-method",),
    bounds={"utilization": "0.4, Epoch AI's default and within measured frontier MFU 0.35-0.43 (capability-evidence §11)",
            "undercount": "at most the vendor FP8/BF16 peak ratio of 2 (H100, capability-evidence §6b)"},
    apply=_apply,
    variants=lambda setting: [{}],
    group="form",
)
