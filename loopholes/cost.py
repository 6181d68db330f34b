"""What training compute costs, when a spec gives no `cost_usd` (docs/design.md §3).

The price per operation comes from Epoch AI's own cost estimates (column 'Training
compute cost (2023 USD)' of the vendored data): the median cost / compute of the models
published in the three years up to the release date. Figures are in 2023 US dollars, as
Epoch states them; at mid-2023 the price is about 1.75e-18 USD per FLOP, so a 1e26 run
costs about $175 m (SB 1047 paired its 1e26 line with a $100 m cost test).
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics

from .lifecycle import Lifecycle, Step

WINDOW_YEARS = 3
MIN_MODELS = 10
"""Fewer priced models than this in the window and the window widens a year at a time."""


@functools.lru_cache(maxsize=256)
def usd_per_flop(when: dt.date) -> float:
    """Median Epoch cost per FLOP (2023 USD) of models published in the years before `when`."""
    from .population import load_population

    priced = [(r.published, r.cost_usd / r.training_flop) for r in load_population().records
              if r.published and r.cost_usd and r.training_flop and r.cost_usd > 0 and r.training_flop > 0]
    priced.sort()
    years = WINDOW_YEARS
    while True:
        start = dt.date(when.year - years, when.month, min(when.day, 28))
        window = [ratio for day, ratio in priced if start < day <= when]
        if len(window) >= MIN_MODELS or start <= priced[0][0]:
            break
        years += 1
    if not window:  # before Epoch's first priced model: its earliest prices
        window = [ratio for _, ratio in priced[:MIN_MODELS]]
    return statistics.median(window)


def step_cost(step: Step, released: dt.date) -> float:
    """The step's own cost: as given in the spec, else its operations at the period's price."""
    return step.cost_usd if step.cost_usd is not None else step.flop * usd_per_flop(released)


def lineage_cost(lc: Lifecycle, steps=None) -> float:
    return sum(step_cost(step, lc.released) for step in (lc.lineage() if steps is None else steps))
