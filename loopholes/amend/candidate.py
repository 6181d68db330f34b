"""One candidate rule of an amendment sweep and what the search and the backtest say of it.

A candidate travels as plain data (its rule file's mapping), so any executor can run it:
the worker parses the mapping with the same loader as a drafter's file, searches it with
the original's targets (an amendment changes the rule, not what the rule is for) and
backtests it. The evaluation is plain JSON data too, so results from different
executors can be compared byte for byte.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .operators import Edit



@dataclass(frozen=True)
class Candidate:
    id: str
    edits: tuple[Edit, ...]
    data: dict

    @property
    def edit_ids(self) -> tuple[str, ...]:
        return tuple(edit.id for edit in self.edits)

    def task(self, *, seed: int, max_evals: int) -> dict:
        """What a worker needs: plain data only."""
        return {"id": self.id, "data": self.data, "seed": seed, "max_evals": max_evals}


def candidate(original: dict, edits: tuple[Edit, ...]) -> Candidate:
    """The original rule with `edits` applied in catalogue order, as a draft with its own id."""
    data = copy.deepcopy(original)
    for edit in edits:
        data = edit.apply(data)
    if edits:
        data["id"] = ".".join([original["id"], *(edit.id for edit in edits)])
        data["title"] = f"{original['title']}, amended: " + "; ".join(edit.describes for edit in edits)
        data["status"] = "draft"
        for key in ("superseded_by", "in_force_until"):
            data.pop(key, None)
        data["known_loopholes"] = []  # the original text's claims; the search re-measures the amended one
    return Candidate(data["id"], edits, data)


def evaluate(task: dict) -> dict:
    """Search and backtest one candidate rule; the result is JSON data (module level, so a
    process pool or a Dask worker can run it)."""
    from ..backtest import backtest
    from ..overinclusion import over_inclusion
    from ..reporting.measures import policy_measures
    from ..rules.rulefile import parse_rule
    from ..search import search

    policy = parse_rule(task["data"], f"<amendment {task['id']}>")
    result = search(policy, seed=task["seed"], max_evals=task["max_evals"])
    over = over_inclusion(policy, seed=task["seed"], material=result.material_factor)
    measures = policy_measures(result, backtest(policy), over=over)
    material = result.material_factor
    cells = {s: _cell(c) for s, c in measures["cells"].items()}
    leaks = {d: {"leakage": v["leakage"], "bounded_by": v["bounded_by"], "material": v["material"],
                 "strategies": v["strategies"], "reading": v["reading"], "p_material": v["p_material"],
                 "no_strategy_needed": v["no_strategy_needed"]} for d, v in measures["leakage_detail"].items()}
    findings = [_finding(f) for f in result.findings if f.material]
    for domain, detail in sorted(measures["leakage_detail"].items()):
        if detail["no_strategy_needed"] and detail["material"]:  # the honest run under the line is the loophole
            findings.append({"id": f"no-gaming-{domain}", "strategies": [NO_STRATEGY], "domain": domain,
                             "leakage": detail["leakage"], "bounded": bool(detail["bounded_by"]), "p_material": None,
                             "evades_under": detail["evades_under"], "lifecycle": detail["lifecycle"]})
    worst = measures["worst_material"]
    return {"id": task["id"], "readings": measures["readings"], "material_factor": result.material_factor,
            "cells": cells, "material_findings": findings,
            "material_loopholes": sorted({s for f in findings for s in f["strategies"]}),
            "leakage": leaks,
            "worst_material": None if worst is None else {"domain": worst["domain"], "leakage": worst["leakage"],
                                                            "bounded": worst["bounded"],
                                                            "strategies": worst["strategies"],
                                                            "p_material": worst["p_material"]},
            "burden": {"recent_mean": measures["burden"]["recent_mean"], "reading": measures["burden"]["reading"],
                       "recent_years": measures["burden"]["recent_years"],
                       "per_year": {str(y): n for y, n in sorted(measures["burden"]["per_year"].items())}},
            "over_inclusion": _over(measures["over_inclusion"]),
            "findings": measures["findings"], "evaluated": result.evaluated, "budget_exhausted": result.exhausted}


def _over(over: dict) -> dict | None:
    """The worst material over-inclusion (the other error): a covered lifecycle far below
    the target, from what the rule counts (loopholes.overinclusion)."""
    worst = over["worst_material"]
    if worst is None:
        return None
    return {key: worst[key] for key in ("over_inclusion", "domain", "bounded", "no_floor", "mechanisms", "p_over",
                                        "covered_under", "summary")}


NO_STRATEGY = "no-gaming"
"""The loophole of a rule whose honest run under the line already reaches the target."""


def _cell(cell: dict) -> dict:
    return {"state": cell["state"], "leakage": cell["leakage"], "bounded": bool(cell["bounded_by"]),
            "p_material": cell["p_material"], "domain": cell["domain"], "finding": cell["finding"]}


def _finding(f: Any) -> dict:
    return {"id": f.id, "strategies": list(f.strategies), "domain": f.domain, "leakage": f.leakage,
            "bounded": f.bounded, "p_material": f.p_material, "evades_under": list(f.evades_under),
            "lifecycle": f.lifecycle.to_spec()}


def worst_with(result: dict, strategy: str) -> dict | None:
    """The leakiest material finding a strategy is credited in (None: it is in none)."""
    return max((f for f in result["material_findings"] if strategy in f["strategies"]),
               key=lambda f: (f["leakage"], not f["bounded"], f["id"]), default=None)


def uncovered_under(data: dict, source: str, spec: dict) -> list[str]:
    """The readings of a rule (a rule file's mapping) under which a lifecycle spec is not
    covered, judged through the public `loopholes.check` path."""
    from .. import check
    from ..loading import parse_lifecycle
    from ..rules.rulefile import parse_rule

    policy = parse_rule(data, source)
    lifecycle = parse_lifecycle(spec, f"<finding of {source}>")
    return [r.id for r in policy.readings if not check(policy, lifecycle, r.id).covered]


