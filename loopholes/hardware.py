"""Peak accelerator rates, read from a cited table (data/chips.toml)."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from .errors import SpecError

_META = {"name", "source", "status"}


@functools.cache
def chip_table() -> dict[str, dict]:
    """The cited peak-rate table, keyed by chip id (A100, H100, ...)."""
    with resources.files("loopholes.data").joinpath("chips.toml").open("rb") as handle:
        return tomllib.load(handle)


def peak_ops_per_second(chip: str, precision: str, field: str = "precision") -> float:
    """Dense peak rate of `chip` in `precision`; a clear SpecError when the table has none."""
    table = chip_table()
    entry = table.get(chip) or table.get(chip.upper())
    if entry is None:
        raise SpecError(f"unknown chip '{chip}'; valid chips: {', '.join(sorted(table))}", field="hardware.chip")
    rate = entry.get(precision)
    if rate is None:
        valid = ", ".join(sorted(k for k in entry if k not in _META))
        raise SpecError(f"chip '{chip}' has no cited peak rate for {precision}; it has: {valid}", field=field)
    return float(rate)
