"""Time the release for a dynamic rule: right after a wave of large models the trailing
percentile line is high, so a model released then is ranked lower (essay §5.2: the line
is recomputed from the models of the trailing period)."""

import datetime as dt

from . import Strategy


def _apply(plan, params):
    plan.released = params["released"]


def _variants(setting):
    span = (setting.latest_date - setting.reference_date).days
    steps = max(1, min(12, span // 30))
    return [{"released": setting.reference_date + dt.timedelta(days=round(span * (i + 1) / steps))}
            for i in range(steps)]


STRATEGY = Strategy(
    id="release-timing",
    title="Release when the trailing-window line of a dynamic rule is at its highest",
    cites="Hooker 2024 §5.2; primer §4.1",
    attacks=("reference-class", "static-line"),
    bounds={"released": "monthly dates between the rule's reference date and the data horizon"},
    apply=_apply,
    variants=_variants,
    group="date",
    applies=lambda policy, domain: policy.population_based,
)
