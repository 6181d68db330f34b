"""Train with 2:4 structured sparsity on kernels that skip zeros: the counted operations
halve while accuracy is largely kept (essay Appendix A, 'Theoretical FLOP decreases
with drop-out and sparsity'; Mishra et al. 2021)."""

from . import Strategy


def _apply(plan, params):
    plan.form = "params"
    plan.sparsity = params["sparsity"]


STRATEGY = Strategy(
    id="sparsity",
    title="Train a 50 % sparse model with zero-skipping kernels: 6·N·D counts only non-zero weights",
    cites="Hooker 2024 Appendix A; docs/coefficient-sources.md [mishra2021] (2:4 sparse tensor cores)",
    attacks=("compute-total",),
    bounds={"sparsity": "0.5, the 2:4 pattern hardware supports (docs/coefficient-sources.md [mishra2021])"},
    apply=_apply,
    variants=lambda setting: [{"sparsity": 0.5}],
    group="form",
)
