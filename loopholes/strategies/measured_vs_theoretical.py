"""Report a hardware estimate made at the BF16 peak for a run done in FP8 (essay
Appendix A, 'theoretical and practical FLOP'): no instrument fixes the estimation
method, and the FP8 peak is twice the BF16 one. How much work the estimate misses is the
measured band hardware_estimate_undercount (1 / 1.3 / 1.75), not the 2x peak ratio."""

from . import Strategy


def _apply(plan, params):
    plan.form = "hardware"
    if plan.precision == "bf16":
        plan.precision = "fp8"
    plan.peak_precision = "bf16"


STRATEGY = Strategy(
    id="measured-vs-theoretical",
    title="Estimate compute from GPU-hours at the BF16 peak while training in FP8: half the operations reported",
    cites="Hooker 2024 Appendix A; docs/coefficient-sources.md [deepseekv3-2024] [fp8lm2023] [epoch-hardware-estimates] (undercount 1-1.75x)",
    attacks=("estimation-method",),
    bounds={"utilization": "the estimate uses 0.4, Epoch AI's default; the real FP8 run reaches 16.5 % (DeepSeek-V3) to ~44 % of the FP8 peak (docs/coefficient-sources.md [epoch-hardware-estimates])",
            "undercount": "hardware_estimate_undercount 1 / 1.3 / 1.75, never above the vendor FP8/BF16 peak ratio of 2 (docs/coefficient-sources.md [h100-datasheet])"},
    apply=_apply,
    variants=lambda setting: [{}],
    group="form",
)
