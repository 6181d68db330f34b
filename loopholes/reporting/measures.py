"""The numbers of one rule, from its searches and its backtest (docs/design.md §8, §12):
each strategy's state and the finding that speaks for it, leakage per domain (own lines
and common targets) with its bound, the cheapest material evasion, strategies blocked
among those that apply, and burden. Reports and the comparison read these; nothing here
writes words or files."""

from __future__ import annotations

import math
from typing import Any

COMMON_TARGETS = {"general": 1e26, "bio": 1e23}
"""docs/design.md §12: every rule is also measured against these honest models (training FLOP)."""


STATES = ("robust", "material", "marginal", "reading", "blocked", "n/a")
"""Matrix cell states, worst first."""


def burden(backtest: Any) -> dict[str, Any]:
    """Covered real models per year and their recent mean (loopholes.backtest.burden, which
    the amendment sweep uses too; imported here on use to keep the CLI's start light)."""
    from ..backtest import burden as of_backtest

    return of_backtest(backtest)


def strategy_applies(policy: Any, strategy_id: str) -> bool:
    """Whether a strategy can matter to `policy` in any domain it draws a line in."""
    from ..strategies import get_strategy

    strategy = get_strategy(strategy_id)
    return any(strategy.applies(policy, domain) for domain in policy.target_lines)


def representative(result: Any, strategy_id: str) -> Any:
    """The finding that speaks for a strategy: one that evades under every reading before one
    that needs a reading, then the one where this strategy itself adds most (its
    counterfactual factor, so a composition carried by another strategy does not lend its
    leakage); among those within the same-leakage tolerance of the largest contribution,
    the simplest. So a cell is material only when the strategy's own best finding is, not
    when it merely rides along in another strategy's material composition."""
    from ..search import SAME_LEAKAGE

    findings = result.evading(strategy_id)
    if not findings:
        return None
    clear = [f for f in findings if not f.ambiguity] or findings
    most = max(f.adds.get(strategy_id, 0.0) for f in clear)
    near = [f for f in clear if f.adds.get(strategy_id, 0.0) >= most * (1 - SAME_LEAKAGE)]
    return min(near, key=lambda f: (len(f.strategies), -f.leakage, f.id))  # the simplest of those


def strategy_state(result: Any, strategy_id: str) -> tuple[str, Any]:
    """The matrix cell of one strategy against one rule, and the finding that speaks for it."""
    best = representative(result, strategy_id)
    if best is None:
        return ("blocked" if strategy_applies(result.policy, strategy_id) else "n/a"), None
    if best.ambiguity:
        return "reading", best
    if not best.material:
        return "marginal", best
    return ("robust" if best.robust else "material"), best


def cell(result: Any, strategy_id: str) -> dict[str, Any]:
    state, f = strategy_state(result, strategy_id)
    if f is None:
        return {"state": state, "finding": None, "domain": None, "leakage": None, "bounded_by": [],
                "p_evades": None, "p_material": None, "adds": None, "strategies": []}
    adds = f.adds.get(strategy_id)
    return {"state": state, "finding": f.id, "domain": f.domain, "leakage": f.leakage,
            "bounded_by": list(f.bounded_by), "p_evades": f.p_evades, "p_material": f.p_material,
            "adds": adds if adds is not None and math.isfinite(adds) else None, "strategies": list(f.strategies),
            "evades_under": list(f.evades_under)}


def common_results(result: Any, *, seed: int, max_evals: int, material: float,
                   placements: Any = None) -> dict[str, Any]:
    """Per common-target domain, the search result measuring the rule against it: the rule's
    own search where its line there is the common target already, else a new search
    (same seed and budget) with that target."""
    from ..search import search

    out = {}
    for domain, flop in COMMON_TARGETS.items():
        if result.policy.target_lines.get(domain) == flop and domain in result.targets:
            out[domain] = result
        else:
            out[domain] = search(result.policy, domain=domain, target_flop=flop, seed=seed, max_evals=max_evals,
                                 material=material, placements=placements)
    return out


def leak(result: Any, domain: str) -> dict[str, Any]:
    """One domain's leakage figure as data (SearchResult.leakage_detail), with its target."""
    detail = dict(result.leakage_detail()[domain])
    target = result.targets[domain]
    detail.update(target_flop=target.honest_flop, target_effective_flop=target.effective_flop,
                  target_profile=target.profile, date=result.policy.reference_date.isoformat(),
                  bounded=bool(detail["bounded_by"]))
    return detail


def worst_material(leaks: dict[str, dict[str, Any]], material: float) -> dict[str, Any] | None:
    """The leakiest material figure across domains: measured before bounded at equal size."""
    chosen = [dict(value, domain=d) for d, value in leaks.items() if value["leakage"] >= material]
    return max(chosen, key=lambda v: (v["leakage"], not v["bounded"], v["domain"]), default=None)


def over_entry(f: Any) -> dict[str, Any]:
    """One over-inclusion finding as report data (loopholes.overinclusion)."""
    from ..overinclusion import MECHANISMS

    return {"finding": f.id, "domain": f.domain, "over_inclusion": f.over_inclusion, "bounded": f.bounded,
            "bounded_by": list(f.bounded_by), "no_floor": f.no_floor, "material": f.material, "p_over": f.p_over,
            "draws": f.draws, "hinge": f.hinge, "mechanisms": list(f.mechanisms), "strategies": list(f.strategies),
            "counts": [MECHANISMS[m].counts for m in f.mechanisms],
            "cites": [MECHANISMS[m].cites for m in f.mechanisms], "reading": f.reading,
            "covered_under": list(f.covered_under), "summary": f.summary, "clauses": [dict(c) for c in f.clauses],
            "target_flop": f.target.honest_flop, "target_effective_flop": f.target.effective_flop,
            "capability": f.capability.get(f.domain), "lifecycle": f.lifecycle.to_spec()}


def over_inclusion_measures(over: Any) -> dict[str, Any]:
    """The other error (docs/findings.md, over-inclusion): per domain of the rule's own lines,
    the covered lifecycle furthest below its target, what the rule counted to cover it,
    and every mechanism's state; `worst_material` is the largest material figure across
    domains (measured before bounded at equal size)."""
    worst = {d: (over_entry(f) if (f := over.worst(d)) else None) for d in over.targets}
    material = over.worst_material()
    return {"material_factor": over.material_factor, "worst": worst,
            "worst_material": over_entry(material) if material else None,
            "mechanisms": dict(over.tried), "representatives": dict(over.representative), "baseline": over.baseline,
            "findings": len(over.findings), "material_findings": sum(f.material for f in over.findings),
            "rejected_on_recheck": over.rejected, "rejected_as_wasteful": over.wasteful,
            "evaluated": over.evaluated, "draws": next((f.draws for f in over.findings), None)}


def policy_measures(result: Any, backtest: Any, commons: dict[str, Any] | None = None,
                    over: Any = None) -> dict[str, Any]:
    """docs/design.md §8 measures of one rule, plus the matrix row, from its searches and backtest;
    with `over` (an OverInclusionResult), the over-inclusion figures too (else that key is None)."""
    policy = result.policy
    material = result.material_factor
    cells = {s: cell(result, s) for s in result.strategies}
    by_state = {state: [s for s, c in cells.items() if c["state"] == state] for state in STATES}
    applicable = [s for s, c in cells.items() if c["state"] != "n/a"]
    material_findings = [f for f in result.findings if f.material and not f.ambiguity]
    cheapest = min(material_findings, key=lambda f: (f.cost["ratio_to_honest"], f.id), default=None)
    cheapest_any = min(result.findings, key=lambda f: (f.cost["ratio_to_honest"], f.id), default=None)
    own = {d: leak(result, d) for d in result.targets}
    common = {d: leak(r, d) for d, r in (commons or {}).items()}
    return {
        "policy": policy.id, "title": policy.title, "status": policy.status, "population_based": policy.population_based,
        "reference_date": policy.reference_date.isoformat(),
        "lines": dict(policy.target_lines),
        "readings": [r.id for r in policy.readings],
        "material_factor": material,
        "leakage": {d: v["leakage"] for d, v in own.items()},
        "leakage_detail": own,
        "common": common,
        "worst_material": worst_material(common, material) if common else worst_material(own, material),
        "evasion_cost": cheapest.cost["ratio_to_honest"] if cheapest else None,
        "cheapest_finding": cheapest.id if cheapest else None,
        "cheapest_strategies": list(cheapest.strategies) if cheapest else [],
        "cheapest_any": ({"finding": cheapest_any.id, "cost": cheapest_any.cost["ratio_to_honest"],
                          "leakage": cheapest_any.leakage} if cheapest_any else None),
        "strategies_blocked": len(by_state["blocked"]) / len(applicable) if applicable else None,
        "blocked": len(by_state["blocked"]),
        "applicable": len(applicable),
        "cannot_apply": len(by_state["n/a"]),
        "states": by_state,
        "cells": cells,
        "findings": len(result.findings),
        "robust_findings": sum(f.robust for f in result.findings),
        "material_findings": sum(f.material for f in result.findings),
        "target_profile": next(iter(result.targets.values())).profile,
        "burden": burden(backtest),
        "over_inclusion": over_inclusion_measures(over) if over is not None else None,
    }
