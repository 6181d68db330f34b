"""A sweep of candidate amendments, as the executors run one: California SB 53's rule file
with its frontier line moved over a grid and both comparators, each candidate a rule-file
mapping evaluated as `loopholes amend` evaluates one (search with a small budget,
backtest, over-inclusion search). The tasks are plain data and the task function is
importable, so any executor (a local pool, Dask) can run them; every output is the JSON
text of one search, compared byte for byte across executors."""

from __future__ import annotations

import copy
import hashlib
import time
from importlib import resources
from typing import Any

import yaml

from loopholes.executor import Executor
from loopholes.files import json_text

BASE = "ca_sb53.yaml"
"""The bundled rule file the candidates amend: one compute line (`frontier_line`) with a
comparator, and a search that takes a fraction of a second at a small budget."""
STEPS_PER_DECADE = 34
DECADES = (24, 27)
"""Lines from 10^24 to 10^27, 34 per decade, three significant digits: 103 lines, each
with '>' and '>=', so 206 candidates."""


def base_rule() -> dict[str, Any]:
    text = resources.files("loopholes.rules.bundled").joinpath(BASE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def lines() -> list[str]:
    low, high = DECADES
    steps = (high - low) * STEPS_PER_DECADE
    return [f"{10 ** (low + k / STEPS_PER_DECADE):.3g}".replace("e+", "e") for k in range(steps + 1)]


def candidates() -> list[dict[str, Any]]:
    """Every candidate rule as a rule-file mapping with its own id (amended: the line and
    the comparator of the `frontier` rule; everything else, the target included, as
    bundled, so each candidate is judged on what SB 53 exists to catch)."""
    base = base_rule()
    out = []
    for line in lines():
        for comparator, word in ((">", "gt"), (">=", "ge")):
            rule = copy.deepcopy(base)
            rule["id"] = f"ca-sb53-{line.replace('.', 'p')}-{word}"
            rule["title"] = f"{base['title']}, amended: line {line}, comparator {comparator}"
            rule["status"] = "draft"
            rule["parameters"]["frontier_line"]["value"] = line
            frontier = next(r for r in rule["rules"] if r["id"] == "frontier")
            frontier["comparator"] = comparator
            rule.pop("known_loopholes", None)  # declared for the bundled line, not for these
            out.append(rule)
    return out


def search_candidate(task: tuple[dict[str, Any], int, int]) -> str:
    """One candidate evaluated as `loopholes amend` evaluates one (search, backtest,
    over-inclusion search: `loopholes.amend.evaluate`), as JSON text: (rule mapping, seed,
    budget). The worker builds the Policy from the mapping; a Policy does not pickle."""
    from loopholes.amend import evaluate

    rule, seed, max_evals = task
    return json_text(evaluate({"id": rule["id"], "data": rule, "seed": seed, "max_evals": max_evals}), sort_keys=True)


def run(executor: Executor, rules: list[dict[str, Any]], *, max_evals: int, seed: int = 0) -> tuple[float, list[str]]:
    """Wall seconds and outputs (in input order) of the sweep through `executor`."""
    start = time.perf_counter()
    outputs = executor.map(search_candidate, [(rule, seed, max_evals) for rule in rules], label="sweep")
    return time.perf_counter() - start, outputs


def digest(outputs: list[str]) -> str:
    """A short fingerprint of every output, in order, to print beside the times."""
    sha = hashlib.sha256()
    for text in outputs:
        sha.update(text.encode("utf-8") + b"\0")
    return sha.hexdigest()[:16]
