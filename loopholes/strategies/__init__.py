"""Gaming strategies: named ways around a rule, one module each (docs/design.md §7).

A strategy edits a `Plan` (see plan.py). It cites where the route is described, says
which rule elements it attacks, and bounds its parameters to what is plausible, with the
bound's source. Adding a strategy is adding one module here and naming it in BUNDLED, or
publishing it under the `loopholes.strategies` entry-point group (set
LOOPHOLES_NO_PLUGINS=1 to skip plugins).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..errors import StrategyError
from .plan import Plan

BUNDLED = (
    "distillation", "bio-dilution", "cascade", "decentralized-finetune", "inference-boost", "integer-precision",
    "measured-vs-theoretical", "sparsity", "moe-assembly", "throttling", "algorithmic-progress", "split-runs",
    "cluster-split", "reference-class", "release-timing", "index-underreporting",
)


@dataclass(frozen=True)
class Setting:
    """What a strategy's `variants` sees: the rule under attack and the facts that bound
    plausible parameters."""

    policy: Any
    reading: Any
    domain: str
    reference_date: dt.date
    latest_date: dt.date
    """The last release date the search may use (rule revoked, or the data horizon)."""
    rng: Any


@dataclass(frozen=True)
class Strategy:
    id: str
    title: str
    cites: str
    attacks: tuple[str, ...]
    """Rule elements it attacks: 'compute-total', 'single-run', 'share-test', 'integer-ops',
    'estimation-method', 'lineage', 'cluster-rate', 'static-line', 'reference-class',
    'index-input', 'modifier-share'."""
    bounds: Mapping[str, str]
    """Each parameter's plausible range and the source of the bound."""
    apply: Callable[[Plan, Mapping[str, Any]], None]
    variants: Callable[[Setting], Sequence[Mapping[str, Any]]]
    group: str = ""
    """Strategies of one group edit the same field; at most one per composition."""
    applies: Callable[[Any, str], bool] = field(default=lambda policy, domain: True)
    """Whether it can possibly matter for a policy and target domain (else: comes back empty)."""


def _module_name(strategy_id: str) -> str:
    return f"{__name__}.{strategy_id.replace('-', '_')}"


@functools.cache
def registry() -> dict[str, Strategy]:
    """Every strategy by id: the bundled ones in docs/design.md order, then plugins."""
    found: dict[str, Strategy] = {}
    for strategy_id in BUNDLED:
        found[strategy_id] = _strategy_of(importlib.import_module(_module_name(strategy_id)), strategy_id)
    if not os.environ.get("LOOPHOLES_NO_PLUGINS"):
        from importlib.metadata import entry_points

        for ep in entry_points(group="loopholes.strategies"):
            if ep.name not in found:
                found[ep.name] = _strategy_of(ep.load(), ep.name)
    return found


def get_strategy(strategy_id: str) -> Strategy:
    strategies = registry()
    if strategy_id not in strategies:
        raise StrategyError(f"unknown strategy '{strategy_id}'; valid: {', '.join(strategies)}")
    return strategies[strategy_id]


def _strategy_of(module: Any, where: str) -> Strategy:
    strategy = getattr(module, "STRATEGY", module)
    if not isinstance(strategy, Strategy):
        raise StrategyError(f"{where}: defines no STRATEGY (a loopholes.strategies.Strategy)")
    return strategy


def has_rule_kind(policy: Any, words: str) -> bool:
    """Whether any rule of `policy` measures something described with `words`."""
    return any(words in rule.measures for rule in policy.rules)
