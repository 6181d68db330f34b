"""Find policies by bundled id, by file path, or through the `loopholes.policies`
entry-point group (third-party packs; set LOOPHOLES_NO_PLUGINS=1 to skip them)."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from .errors import PolicyError
from .policies import BUNDLED
from .policy import Policy
from .rulefile import is_rule_file, load_rule_file


def policy_ids() -> list[str]:
    """Every id `load_policy` resolves without a path: bundled first, then plugins."""
    return list(BUNDLED) + [name for name in _plugins() if name not in BUNDLED]


@functools.cache
def _plugins() -> dict[str, object]:
    if os.environ.get("LOOPHOLES_NO_PLUGINS"):
        return {}
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="loopholes.policies")}


def load_policy(ref: "str | Path | Policy") -> Policy:
    """A policy from a bundled id, a plugin id, or a path to a module that defines POLICY."""
    if isinstance(ref, Policy):
        problem = policy_problem(ref)
        if problem:
            raise PolicyError(f"policy '{ref.id}': {problem}")
        return ref
    text = str(ref)
    if text in BUNDLED:
        if BUNDLED[text].endswith(".yaml"):
            return _load_rule_file(Path(__file__).resolve().parent / "policies" / BUNDLED[text])
        return _policy_of(importlib.import_module(BUNDLED[text]), text)
    if text in _plugins():
        return _policy_of(_plugins()[text].load(), text)  # type: ignore[attr-defined]
    path = Path(text)
    if is_rule_file(path):
        return _load_rule_file(path.resolve())
    if path.suffix == ".py" or path.exists():
        return load_policy_file(path.resolve())
    raise PolicyError(f"unknown policy '{text}'; give a bundled id ({', '.join(policy_ids())}) or a path to a "
                      ".py, .yaml or .toml rule file")


@functools.cache
def _load_rule_file(path: Path) -> Policy:
    """A YAML or TOML rule (loopholes.rulefile), cached on its resolved path: parsing
    and validating it runs no code."""
    policy = load_rule_file(path)
    problem = policy_problem(policy)
    if problem:
        raise PolicyError(f"{path}: policy '{policy.id}': {problem}")
    return policy


def load_policy_file(path: Path) -> Policy:
    """The POLICY of a module file, cached on its resolved path."""
    return _load_policy_file(Path(path).resolve())


@functools.cache
def _load_policy_file(path: Path) -> Policy:
    if not path.is_file():
        raise PolicyError(f"{path}: no such policy file")
    name = "loopholes_policy_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PolicyError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except PolicyError as error:
        raise PolicyError(f"{path}: {error}") from None
    except Exception as error:  # a drafter's module may fail in any way; say where
        raise PolicyError(f"{path}: the policy module failed to load: {type(error).__name__}: {error}") from None
    return _policy_of(module, str(path))


def _policy_of(module: object, where: str) -> Policy:
    policy = getattr(module, "POLICY", None)
    if not isinstance(policy, Policy):
        raise PolicyError(f"{where}: defines no POLICY (a loopholes.policy.Policy)")
    problem = policy_problem(policy)
    if problem:
        raise PolicyError(f"{where}: policy '{policy.id}': {problem}")
    return policy


def policy_problem(policy: Policy) -> str | None:
    """The first field of `policy` with a wrong type, in words; None when all are right.
    A dataclass does not check types, so `reference_date="2026-01-01"` would otherwise
    fail deep inside the search with a raw TypeError."""
    import datetime as dt
    import math
    from collections.abc import Mapping

    from .capability import Coefficients
    from .policy import KnownLoophole, Parameter, Reading, Rule
    from .spec import RELEASED_MAX, RELEASED_MIN

    def got(value: object) -> str:
        return f"got {type(value).__name__} {value!r:.60}"

    for name in ("id", "title", "jurisdiction", "source"):
        if not isinstance(getattr(policy, name), str) or not getattr(policy, name):
            return f"{name} must be a non-empty string, {got(getattr(policy, name))}"
    if not isinstance(policy.reference_date, dt.date) or isinstance(policy.reference_date, dt.datetime):
        return f"reference_date must be a date such as datetime.date(2026, 1, 1), {got(policy.reference_date)}"
    if not RELEASED_MIN <= policy.reference_date <= RELEASED_MAX:
        return f"reference_date {policy.reference_date} is outside {RELEASED_MIN} to {RELEASED_MAX}"
    if not isinstance(policy.dates, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                        for k, v in policy.dates.items()):
        return f"dates must map names to date strings, {got(policy.dates)}"
    checks = (("readings", Reading), ("rules", Rule), ("known_loopholes", KnownLoophole), ("tiers", str))
    for name, kind in checks:
        value = getattr(policy, name)
        if not isinstance(value, (tuple, list)) or not all(isinstance(item, kind) for item in value):
            return f"{name} must be a tuple of {kind.__name__}, {got(value)}"
    if not isinstance(policy.covered_tiers, (set, frozenset)):
        return f"covered_tiers must be a frozenset of tier names, {got(policy.covered_tiers)}"
    for reading in policy.readings:
        if not isinstance(reading.id, str) or not isinstance(reading.options, Mapping):
            return f"reading {reading.id!r}: id must be a string and options a mapping, {got(reading.options)}"
    for rule in policy.rules:
        for field in ("id", "clause", "measures", "tier", "unit"):
            if not isinstance(getattr(rule, field), str):
                return f"rule {rule.id!r}: {field} must be a string, {got(getattr(rule, field))}"
        if not callable(rule.measure):
            return f"rule '{rule.id}': measure must be a function of the context, {got(rule.measure)}"
        for field in ("condition", "line"):
            if getattr(rule, field) is not None and not callable(getattr(rule, field)):
                return f"rule '{rule.id}': {field} must be a function or None, {got(getattr(rule, field))}"
    if not isinstance(policy.target_lines, Mapping) or not policy.target_lines:
        return f"target_lines must map capability domains to compute lines, {got(policy.target_lines)}"
    for domain, line in policy.target_lines.items():
        if (not isinstance(domain, str) or isinstance(line, bool) or not isinstance(line, (int, float))
                or not math.isfinite(line) or line <= 0):
            return f"target_lines[{domain!r}] must be a positive finite number of FLOP, {got(line)}"
    if not isinstance(policy.parameters, Mapping) or not all(isinstance(v, Parameter) for v in policy.parameters.values()):
        return f"parameters must map names to Parameter(value, clause), {got(policy.parameters)}"
    if policy.coefficients is not None and not isinstance(policy.coefficients, Coefficients):
        return f"coefficients must be None or loaded Coefficients, {got(policy.coefficients)}"
    if not isinstance(policy.population_based, bool):
        return f"population_based must be True or False, {got(policy.population_based)}"
    return None
