"""Pick the reference class a dynamic rule ranks the model in: a biological model with
just enough general data is ranked among language models, whose line is far higher
(essay §5.2 on reference classes per modality)."""

from . import Strategy


def _apply(plan, params):
    plan.data = dict(params["data"])


STRATEGY = Strategy(
    id="reference-class",
    title="Shift the training-data mix so the model is ranked in a class with a higher line",
    cites="Hooker 2024 §5.2 (reference-class forecasting, grouping by modality); primer §4.1",
    attacks=("reference-class",),
    bounds={"data": "the target domain keeps at least 49 % of the data (J), so capability in it stays"},
    apply=_apply,
    variants=lambda setting: [{"data": {"bio": 0.49, "general": 0.51}}, {"data": {"bio": 0.51, "general": 0.49}},
                              {"data": {"general": 0.49, "vision": 0.51}}, {"data": {"general": 0.49, "speech": 0.51}}],
    group="data",
    applies=lambda policy, domain: policy.population_based,
)
