"""loopholes: red-team compute-threshold AI rules.

The public API is small: load a lifecycle, load a policy, check one against the other;
search for lifecycles that escape a policy while keeping capability.
"""

from .capability import Capability, effective_compute, load_coefficients
from .errors import CoefficientError, LoopholesError, PolicyError, ReadingError, SpecError, StrategyError, UsageError
from .lifecycle import Lifecycle, Step, make_step
from .loading import load_lifecycle, parse_lifecycle
from .policy import Policy, Reading, Rule, Verdict
from .registry import load_policy, policy_ids

__version__ = "0.1.0"


def check(policy: "str | Policy", lifecycle: "str | Lifecycle", reading: str | None = None, *,
          coefficients: str | None = None) -> Verdict:
    """The verdict of `policy` (id, path or Policy) on `lifecycle` (path or Lifecycle)."""
    chosen = load_policy(policy)
    if coefficients is not None:
        chosen = chosen.with_coefficients(load_coefficients(coefficients))
    lc = lifecycle if isinstance(lifecycle, Lifecycle) else load_lifecycle(lifecycle)
    return chosen.evaluate(lc, reading)


__all__ = [
    "Capability", "CoefficientError", "Lifecycle", "LoopholesError", "Policy", "PolicyError", "Reading",
    "ReadingError", "Rule", "SpecError", "Step", "StrategyError", "UsageError", "Verdict", "check",
    "effective_compute", "load_coefficients", "load_lifecycle", "load_policy", "make_step", "parse_lifecycle",
    "policy_ids",
]
