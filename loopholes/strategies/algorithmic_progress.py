"""Release later: the same counted compute buys more capability as recipes improve,
while a static line stays where it was drawn (essay §2.1.2, §5.1; Ho et al. 2024).
Against a dynamic rule the line moves too; moving the date there is release-timing."""

import datetime as dt

from . import Strategy


def _apply(plan, params):
    plan.released = params["released"]


def _variants(setting):
    last = setting.latest_date
    year = setting.reference_date + dt.timedelta(days=365)
    dates = sorted({min(last, year), last})
    return [{"released": d} for d in dates if d > setting.reference_date]


STRATEGY = Strategy(
    id="algorithmic-progress",
    title="Release later with a newer recipe against a line that does not move",
    cites="Hooker 2024 §2.1.2 and §5.1; docs/coefficient-sources.md [ho2024] (halving time 5-14 months; bio: its own J band)",
    attacks=("static-line",),
    bounds={"released": "after the rule's reference date and no later than its revocation or the data horizon"},
    apply=_apply,
    variants=_variants,
    group="date",
    applies=lambda policy, domain: not policy.population_based,  # docs/design.md §7: against a static threshold
)
