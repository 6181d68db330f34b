"""loopholes: red-team compute-threshold AI rules.

The public API is small: load a lifecycle, load a policy, check one against the other;
search for lifecycles that escape a policy while keeping capability. Names load on first
use, so importing the package (as pytest does for the plugin) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Capability": "capability", "effective_compute": "capability", "load_coefficients": "capability",
    "CoefficientError": "errors", "LoopholesError": "errors", "PolicyError": "errors", "ReadingError": "errors",
    "SpecError": "errors", "StrategyError": "errors", "UsageError": "errors",
    "Lifecycle": "lifecycle", "Step": "lifecycle", "make_step": "lifecycle",
    "load_lifecycle": "loading", "parse_lifecycle": "loading",
    "Policy": "rules.framework", "Reading": "rules.framework", "Rule": "rules.framework",
    "Verdict": "rules.framework", "load_policy": "rules.registry", "policy_ids": "rules.registry",
    "search": "search", "SearchResult": "search", "Finding": "search",
}

if TYPE_CHECKING:  # pragma: no cover
    from .capability import Capability, effective_compute, load_coefficients
    from .errors import CoefficientError, LoopholesError, PolicyError, ReadingError, SpecError, StrategyError, UsageError
    from .lifecycle import Lifecycle, Step, make_step
    from .loading import load_lifecycle, parse_lifecycle
    from .rules.framework import Policy, Reading, Rule, Verdict
    from .rules.registry import load_policy, policy_ids
    from .search import Finding, SearchResult, search


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'loopholes' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def check(policy: "str | Policy", lifecycle: "str | Lifecycle", reading: str | None = None, *,
          coefficients: str | None = None) -> "Verdict":
    """The verdict of `policy` (id, path or Policy) on `lifecycle` (path or Lifecycle)."""
    from .capability import load_coefficients
    from .lifecycle import Lifecycle
    from .loading import load_lifecycle
    from .rules.registry import load_policy

    chosen = load_policy(policy)
    if coefficients is not None:
        chosen = chosen.with_coefficients(load_coefficients(coefficients))
    lc = lifecycle if isinstance(lifecycle, Lifecycle) else load_lifecycle(lifecycle)
    return chosen.evaluate(lc, reading)


__all__ = sorted([*_EXPORTS, "check"])
