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
        data.pop("superseded_by", None)  # in_force_until stays: the search tries the original's release dates
        data["known_loopholes"] = []  # the original text's claims; the search re-measures the amended one
    return Candidate(data["id"], edits, data)


def evaluate(task: dict) -> dict:
    """Search, backtest and over-inclusion search of one candidate rule; the result is JSON
    data (module level, so a process pool or a Dask worker can run it)."""
    from ..backtest import backtest, burden
    from ..overinclusion import over_inclusion
    from ..rules.rulefile import parse_rule
    from ..search import release_horizon, search

    policy = parse_rule(task["data"], f"<amendment {task['id']}>")
    result = search(policy, seed=task["seed"], max_evals=task["max_evals"])
    material = result.material_factor
    detail = result.leakage_detail()
    leaks = {d: {"leakage": v["leakage"], "bounded": bool(v["bounded_by"]), "material": v["material"],
                 "strategies": v["strategies"], "reading": v["reading"], "p_material": v["p_material"],
                 "no_strategy_needed": v["no_strategy_needed"]} for d, v in sorted(detail.items())}
    findings = [_finding(f) for f in result.findings if f.material]
    for domain, v in sorted(detail.items()):
        if v["no_strategy_needed"] and v["material"]:  # the honest run under the line is the loophole
            findings.append({"id": f"no-gaming-{domain}", "strategies": [NO_STRATEGY], "domain": domain,
                             "leakage": v["leakage"], "bounded": bool(v["bounded_by"]), "p_material": None,
                             "evades_under": v["evades_under"], "lifecycle": v["lifecycle"]})
    worst = max(((d, v) for d, v in leaks.items() if v["leakage"] >= material),
                key=lambda item: (item[1]["leakage"], not item[1]["bounded"], item[0]), default=None)
    load = burden(backtest(policy))
    over = over_inclusion(policy, seed=task["seed"], material=material).worst_material()
    return {"id": task["id"], "readings": [r.id for r in policy.readings], "material_factor": material,
            "horizon": release_horizon(policy).isoformat(),
            "material_findings": findings,
            "material_loopholes": sorted({s for f in findings for s in f["strategies"]}),
            "leakage": leaks,
            "worst_material": None if worst is None else {"domain": worst[0], **{k: worst[1][k] for k in (
                "leakage", "bounded", "strategies", "p_material")}},
            "burden": {"recent_mean": load["recent_mean"], "reading": load["reading"],
                       "recent_years": load["recent_years"],
                       "per_year": {str(y): n for y, n in sorted(load["per_year"].items())}},
            "over_inclusion": None if over is None else {
                "over_inclusion": over.over_inclusion, "domain": over.domain, "bounded": over.bounded,
                "no_floor": over.no_floor, "mechanisms": list(over.mechanisms), "p_over": over.p_over,
                "covered_under": list(over.covered_under), "summary": over.summary},
            "findings": len(result.findings), "evaluated": result.evaluated, "budget_exhausted": result.exhausted}


NO_STRATEGY = "no-gaming"
"""The loophole of a rule whose honest run under the line already reaches the target."""


def _finding(f: Any) -> dict:
    return {"id": f.id, "strategies": list(f.strategies), "domain": f.domain, "leakage": f.leakage,
            "bounded": f.bounded, "p_material": f.p_material, "evades_under": list(f.evades_under),
            "lifecycle": f.lifecycle.to_spec()}


def worst_with(result: dict, strategy: str) -> dict | None:
    """The leakiest material finding a strategy is credited in (None: it is in none)."""
    return max((f for f in result["material_findings"] if strategy in f["strategies"]),
               key=lambda f: (f["leakage"], not f["bounded"], f["id"]), default=None)


def uncovered_under(policy: Any, spec: dict) -> list[str]:
    """The readings of a rule under which a lifecycle spec is not covered, judged through
    the public `loopholes.check` path."""
    from .. import check
    from ..loading import parse_lifecycle

    lifecycle = parse_lifecycle(spec, f"<finding judged by {policy.id}>")
    return [r.id for r in policy.readings if not check(policy, lifecycle, r.id).covered]
