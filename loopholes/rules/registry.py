"""Find policies by bundled id, by file path, or through the `loopholes.rules.bundled`
entry-point group (third-party packs; set LOOPHOLES_NO_PLUGINS=1 to skip them)."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from ..errors import PolicyError
from .bundled import BUNDLED
from .framework import Policy
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
        return _searchable(ref, f"policy '{ref.id}'")  # field types were checked when it was built
    text = str(ref)
    if text in BUNDLED:
        if BUNDLED[text].endswith(".yaml"):
            return _load_rule_file(Path(__file__).resolve().parent / "bundled" / BUNDLED[text])
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
    """A YAML or TOML rule (loopholes.rules.rulefile), cached on its resolved path: parsing
    and validating it runs no code."""
    policy = load_rule_file(path)  # the file's schema and Policy's own checks have run
    _RULE_FILES[id(policy)] = (policy, path)
    return policy


_RULE_FILES: dict[int, tuple[Policy, Path]] = {}


def shipped(ref: "str | Path") -> str:
    """A rule as another process can load it: a file as its absolute path (a worker of a
    cluster may start in another folder), an id as given (an id wins over a file of that
    name, as in `load_policy`)."""
    path = Path(ref)
    return str(path.resolve()) if str(ref) not in policy_ids() and path.is_file() else str(ref)


def rule_file_of(policy: Policy) -> Path | None:
    """The YAML/TOML file a loaded policy was read from (None for a module's POLICY), so
    replay commands and shared search results can name it."""
    hit = _RULE_FILES.get(id(policy))
    return hit[1] if hit is not None and hit[0] is policy else None


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
        raise PolicyError(f"{path}: not a Python module; a rule file is a .py module that defines POLICY = Policy(...)")
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
        raise PolicyError(f"{where}: defines no POLICY (a loopholes.rules.framework.Policy)")
    return _searchable(policy, f"{where}: policy '{policy.id}'")


def _searchable(policy: Policy, where: str) -> Policy:
    """A rule may be built in steps (risk-index computes its lines from a first draft),
    so an empty `target_lines` is refused where a rule is loaded for use, not when built."""
    if not policy.target_lines:
        raise PolicyError(f"{where}: target_lines must name at least one capability domain and its line, "
                          "such as {'general': 10**25}")
    return policy
