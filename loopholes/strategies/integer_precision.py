"""Train in integer arithmetic where a rule counts only floating-point operations
(essay Appendix A, 'How to handle quantized models?'; EU AI Act Art. 3(67))."""

from . import Strategy


def _apply(plan, params):
    plan.precision = params["precision"]


STRATEGY = Strategy(
    id="integer-precision",
    title="Train in INT8 so that a floating-point-only count sees no operations",
    cites="Hooker 2024 Appendix A; AI Act Art. 3(67); docs/coefficient-sources.md [deepseekv3-2024] (8-bit training 0.75-1.0x per op)",
    attacks=("integer-ops",),
    bounds={"precision": "int8 (8-bit training is within 0.25 % loss of BF16, DeepSeek-V3 App. B.1)"},
    apply=_apply,
    variants=lambda setting: [{"precision": "int8"}],
    group="precision",
)
