"""Rules side by side on the same attacks (DESIGN §1 step 4, §8, §9 `loopholes compare`).

Per rule, four measures (DESIGN §8):

- **leakage** per domain: the most effective compute an uncovered artifact reached,
  as a multiple of the rule's nominal line there (`SearchResult.leakage()`). For scale,
  the honest model trained exactly at the line already scores `target_ratio` (its recipe
  and instruction tune), so leakage above that is capability the line was meant to catch;
- **evasion cost**: the cheapest finding's compute relative to the honest run at the
  line (`cost.ratio_to_honest`); None when nothing evades;
- **strategies blocked**: the share of all strategies with no finding
  (`strategies_blocked`), and the share among those that can matter for the rule
  (`strategies_blocked_applicable`: a cluster split cannot matter to a rule without a
  cluster clause, so it is blocked by construction, not by design);
- **burden**: real models the rule covers per year in the backtest, under its first
  reading (the one `loopholes check` uses by default).

"Most robust" is a lexicographic order, stated in every output (RANKING_RULE): fewer
strategies that evade robustly under every reading, then fewer that evade under every
reading, then fewer that evade under any reading, then lower worst-domain leakage.
Burden is reported beside the ranking, never folded into it: a drafter trades the two.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

STATES = ("robust", "evaded", "reading", "blocked", "n/a")
"""Matrix cell states, worst first."""
STATE_TEXT = {
    "robust": "evades robustly",
    "evaded": "evades",
    "reading": "evades under some readings",
    "blocked": "blocked",
    "n/a": "cannot apply",
}
STATE_MEANING = {
    "robust": "a finding evades under every reading and keeps the target even at the low end of the coefficients",
    "evaded": "a finding evades under every reading, keeping the target at central coefficients only",
    "reading": "findings evade only under some readings: the text, not the rule, leaves the gap",
    "blocked": "the strategy could matter but the search found nothing within its budget",
    "n/a": "the strategy attacks an element this rule does not have",
}
RANKING_RULE = ("most robust = fewest strategies that evade robustly under every reading; ties broken by fewer that "
                "evade under every reading, then fewer that evade under any reading, then the lower worst-domain leakage")
RECENT_YEARS = 3
"""Burden is summarised over the last this-many fully covered years of the Epoch data."""


# -- one rule ---------------------------------------------------------------------------

def strategy_applies(policy: Any, strategy_id: str) -> bool:
    """Whether a strategy can matter to `policy` in any domain it draws a line in."""
    from .strategies import get_strategy

    strategy = get_strategy(strategy_id)
    return any(strategy.applies(policy, domain) for domain in policy.target_lines)


def finding_order(finding: Any) -> tuple:
    """Which finding speaks for a strategy: unambiguous before reading-dependent, robust
    before not, then the search's own ranking (kept by a stable sort)."""
    return (finding.ambiguity, not finding.robust)


def strategy_state(result: Any, strategy_id: str) -> tuple[str, Any]:
    """The matrix cell of one strategy against one rule, and the finding that speaks for it."""
    findings = sorted(result.evading(strategy_id), key=finding_order)
    if not findings:
        return ("blocked" if strategy_applies(result.policy, strategy_id) else "n/a"), None
    best = findings[0]
    if best.ambiguity:
        return "reading", best
    return ("robust" if best.robust else "evaded"), best


def burden(backtest: Any) -> dict[str, Any]:
    """Covered real models per year (DESIGN §8 burden), with the mean over the last
    fully covered years so rules compare on one number."""
    from .search import FULL_COVERAGE

    per_year = {row.year: row.covered for row in backtest.years}
    judged = {row.year: row.with_compute for row in backtest.years}
    recent = [year for year in range(FULL_COVERAGE.year - RECENT_YEARS + 1, FULL_COVERAGE.year + 1)]
    mean = sum(per_year.get(year, 0) for year in recent) / len(recent)
    return {"reading": backtest.reading, "per_year": per_year, "with_compute": judged, "recent_years": recent,
            "recent_mean": mean, "total": len(backtest.covered_models)}


def policy_measures(result: Any, backtest: Any) -> dict[str, Any]:
    """DESIGN §8 measures of one rule, plus the matrix row, from its search and backtest."""
    policy = result.policy
    cells = {}
    for strategy_id in result.strategies:
        state, finding = strategy_state(result, strategy_id)
        cells[strategy_id] = {"state": state, "finding": finding.id if finding else None,
                              "domain": finding.domain if finding else None}
    by_state = {state: [s for s, cell in cells.items() if cell["state"] == state] for state in STATES}
    applicable = [s for s, cell in cells.items() if cell["state"] != "n/a"]
    cheapest = min(result.findings, key=lambda f: (f.cost["ratio_to_honest"], f.id), default=None)
    leakage = result.leakage()
    blocked = by_state["blocked"] + by_state["n/a"]
    return {
        "policy": policy.id, "title": policy.title, "status": policy.status, "population_based": policy.population_based,
        "reference_date": policy.reference_date.isoformat(),
        "lines": dict(policy.target_lines),
        "readings": [r.id for r in policy.readings],
        "leakage": leakage, "leakage_max": max(leakage.values(), default=0.0),
        "leakage_finding": _leakiest(result),
        "target_ratio": {d: t.effective_flop / t.honest_flop for d, t in result.targets.items()},
        "evasion_cost": cheapest.cost["ratio_to_honest"] if cheapest else None,
        "cheapest_finding": cheapest.id if cheapest else None,
        "cheapest_strategies": list(cheapest.strategies) if cheapest else [],
        "strategies_blocked": len(blocked) / len(cells) if cells else 0.0,
        "strategies_blocked_applicable": len(by_state["blocked"]) / len(applicable) if applicable else 1.0,
        "applicable": len(applicable),
        "states": by_state,
        "cells": cells,
        "findings": len(result.findings),
        "robust_findings": sum(f.robust for f in result.findings),
        "burden": burden(backtest),
    }


def _leakiest(result: Any) -> dict[str, dict[str, Any]]:
    """Per domain, the finding that reached the leakage figure: its id and strategies."""
    out = {}
    for domain in result.targets:
        found = [f for f in result.findings if f.domain == domain]
        if found:
            best = max(found, key=lambda f: (f.capability.get(domain), f.id))
            out[domain] = {"finding": best.id, "strategies": list(best.strategies), "robust": best.robust,
                           "evades_under": list(best.evades_under)}
    return out


# -- several rules ----------------------------------------------------------------------

def rank_key(metrics: dict[str, Any]) -> tuple:
    """Lexicographic robustness order of RANKING_RULE (smaller is more robust)."""
    states = metrics["states"]
    every_reading = len(states["robust"]) + len(states["evaded"])
    return (len(states["robust"]), every_reading, every_reading + len(states["reading"]), metrics["leakage_max"],
            metrics["policy"])


def comparison(measures: Sequence[dict[str, Any]], *, seed: int, max_evals: int) -> dict[str, Any]:
    """The DESIGN §9 compare document: policies, strategies, matrix, metrics, plus the
    ranking with its rule and the meaning of every cell state."""
    strategies = _union(m["cells"] for m in measures)
    matrix = []
    for m in measures:
        for strategy_id in strategies:
            cell = m["cells"].get(strategy_id, {"state": "n/a", "finding": None, "domain": None})
            matrix.append({"policy": m["policy"], "strategy": strategy_id, "evaded": cell["finding"] is not None,
                           "state": cell["state"], "finding": cell["finding"], "domain": cell["domain"]})
    ranked = sorted(measures, key=rank_key)
    metrics = [{key: m[key] for key in m if key not in ("cells",)} for m in measures]
    return {
        "policies": [m["policy"] for m in measures],
        "strategies": strategies,
        "matrix": matrix,
        "metrics": metrics,
        "ranking": [{"rank": i + 1, "policy": m["policy"], "key": {
            "evade_robustly": len(m["states"]["robust"]),
            "evade_every_reading": len(m["states"]["robust"]) + len(m["states"]["evaded"]),
            "evade_any_reading": sum(len(m["states"][s]) for s in ("robust", "evaded", "reading")),
            "leakage_max": m["leakage_max"]}} for i, m in enumerate(ranked)],
        "ranking_rule": RANKING_RULE,
        "states": {state: {"label": STATE_TEXT[state], "meaning": STATE_MEANING[state]} for state in STATES},
        "search": {"seed": seed, "max_evals": max_evals},
    }


def _union(cells: Iterable[dict[str, Any]]) -> list[str]:
    """Strategy ids in first-seen order (every policy uses the registry order)."""
    seen: dict[str, None] = {}
    for row in cells:
        seen.update(dict.fromkeys(row))
    return list(seen)


def compare(policies: Sequence[Any], *, seed: int = 0, max_evals: int | None = None, jobs: int = 2,
            progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, Any], list[Any]]:
    """Search and backtest every policy, then compare them; returns the comparison and
    the per-policy analyses (for reports written in the same run)."""
    from .report import DEFAULT_MAX_EVALS, analyse_all

    budget = DEFAULT_MAX_EVALS if max_evals is None else max_evals
    analyses = analyse_all(policies, seed=seed, max_evals=budget, jobs=jobs, progress=progress)
    return comparison([a.measures for a in analyses], seed=seed, max_evals=budget), analyses


# -- words ------------------------------------------------------------------------------

def _fmt(value: float | None, suffix: str = "") -> str:
    from .render import fmt

    return "—" if value is None else fmt(value) + suffix


def _by_policy(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["policy"]: m for m in doc["metrics"]}


def ranking_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """The ranking table: one row per rule, most robust first."""
    metrics = _by_policy(doc)
    rows = []
    total = len(doc["strategies"])
    for entry in doc["ranking"]:
        m, key = metrics[entry["policy"]], entry["key"]
        b = m["burden"]
        rows.append([entry["rank"], f"{m['policy']} ({m['status']})", f"{key['evade_robustly']}/{total}",
                     f"{key['evade_every_reading']}/{total}", f"{key['evade_any_reading']}/{total}",
                     f"{m['strategies_blocked']:.0%} / {m['strategies_blocked_applicable']:.0%}",
                     _fmt(m["leakage_max"], "x"), _fmt(m["evasion_cost"], "x"), f"{b['recent_mean']:.1f}"])
    return rows


RANKING_HEADERS = ["rank", "rule", "evade robustly", "evade (every reading)", "evade (any reading)",
                   "blocked (all / applicable)", "worst leakage (x line)", "cheapest evasion (x honest run)",
                   "covered models / year"]


def matrix_rows(doc: dict[str, Any], *, symbols: bool = False) -> list[list[str]]:
    """Strategies down, rules across (most robust rule first), one word or symbol per cell."""
    order = [entry["policy"] for entry in doc["ranking"]]
    cells = {(c["policy"], c["strategy"]): c["state"] for c in doc["matrix"]}
    marks = SYMBOLS if symbols else STATE_TEXT
    rows = []
    for strategy_id in doc["strategies"]:
        rows.append([strategy_id] + [marks[cells[(p, strategy_id)]] for p in order])
    return rows


SYMBOLS = {"robust": "●", "evaded": "◐", "reading": "◌", "blocked": "✓", "n/a": "–"}


def leakage_rows(doc: dict[str, Any]) -> list[list[str]]:
    """Per rule and domain: nominal line, honest-at-line score, leakage, and the finding."""
    rows = []
    for entry in doc["ranking"]:
        m = _by_policy(doc)[entry["policy"]]
        for domain, value in m["leakage"].items():
            rows.append([m["policy"], domain, _fmt(m["lines"].get(domain)), _fmt(m["target_ratio"].get(domain), "x"),
                         _fmt(value, "x"), _leak_source(m, domain)])
    return rows


LEAKAGE_HEADERS = ["rule", "domain", "nominal line (FLOP)", "honest model at the line", "leakage (max uncovered)",
                   "reached by"]


def _leak_source(m: dict[str, Any], domain: str) -> str:
    """Which strategies reach the leakage figure, and under which readings if not all."""
    source = m["leakage_finding"].get(domain)
    if not source:
        return "—"
    readings = ("" if len(source["evades_under"]) == len(m["readings"])
                else f" under reading{'s' if len(source['evades_under']) > 1 else ''} {', '.join(source['evades_under'])}")
    return " + ".join(source["strategies"]) + readings


def burden_rows(doc: dict[str, Any], years: Sequence[int]) -> list[list[Any]]:
    """Covered real models per year, one row per rule."""
    rows = []
    for entry in doc["ranking"]:
        b = _by_policy(doc)[entry["policy"]]["burden"]
        rows.append([entry["policy"], b["reading"]] + [b["per_year"].get(y, 0) for y in years]
                    + [f"{b['recent_mean']:.1f}"])
    return rows


def burden_years(doc: dict[str, Any], first: int = 2018) -> list[int]:
    """The years shown in burden tables: `first` up to the last fully covered year."""
    last = max((y for m in doc["metrics"] for y in m["burden"]["recent_years"]), default=first)
    return list(range(first, last + 1))


def verdict_sentences(doc: dict[str, Any]) -> list[str]:
    """The short answer a drafter reads first: which rule is most robust, against what,
    at what burden, what still gets through, and where other orderings disagree."""
    metrics = _by_policy(doc)
    total = len(doc["strategies"])
    best = metrics[doc["ranking"][0]["policy"]]
    states = best["states"]
    out = [f"Most robust: {best['policy']} — {len(states['robust'])} of {total} strategies evade it robustly "
           f"({_listing(states['robust'])}); {len(states['robust']) + len(states['evaded'])} evade it under every "
           f"reading, {len(states['evaded'])} of them only at central capability coefficients. "
           f"It blocks {_listing(states['blocked'])}"
           + (f"; {_listing(states['n/a'])} cannot apply to it" if states["n/a"] else "") + "."]
    out.append(f"What still leaks past it: up to {_fmt(best['leakage_max'], 'x')} its nominal line in effective "
               f"compute ({_leak_summary(best)}); the cheapest evasion costs {_fmt(best['evasion_cost'], 'x')} "
               "the honest run.")
    out.append(f"At what burden: {best['burden']['recent_mean']:.1f} covered real models a year "
               f"({_years(best['burden']['recent_years'])}, reading {best['burden']['reading']}).")
    out += _other_orders(doc)
    if len(doc["ranking"]) > 1:
        worst = metrics[doc["ranking"][-1]["policy"]]
        out.append(f"Least robust: {worst['policy']} — {len(worst['states']['robust'])} strategies evade it robustly, "
                   f"leakage up to {_fmt(worst['leakage_max'], 'x')} ({_leak_summary(worst)}), "
                   f"{worst['burden']['recent_mean']:.1f} covered models a year.")
    out.append(f"Ranking rule: {doc['ranking_rule']}.")
    return out


def _leak_summary(m: dict[str, Any]) -> str:
    """'bio via bio-dilution' for the rule's worst domain."""
    if not m["leakage"] or not m["leakage_max"]:
        return "nothing leaks"
    domain = max(m["leakage"], key=lambda d: (m["leakage"][d], d))
    return f"{domain}, via {_leak_source(m, domain)}"


def _other_orders(doc: dict[str, Any]) -> list[str]:
    """Where simpler orderings name another rule, say so: a drafter weighing breadth or
    leakage over confidence should see it without re-ranking."""
    metrics = list(_by_policy(doc).values())
    if len(metrics) < 2:
        return []
    leader = doc["ranking"][0]["policy"]
    fewest = min(metrics, key=lambda m: (_evading(m), m["leakage_max"], m["policy"]))
    tightest = min(metrics, key=lambda m: (m["leakage_max"], _evading(m), m["policy"]))
    out = []
    if fewest["policy"] != leader:
        out.append(f"Counting every strategy that evades under any reading instead, {fewest['policy']} is tightest "
                   f"({_evading(fewest)} of {len(doc['strategies'])}, burden "
                   f"{fewest['burden']['recent_mean']:.1f} models a year).")
    if tightest["policy"] != leader:
        out.append(f"By worst-case leakage, {tightest['policy']} leaks least ({_fmt(tightest['leakage_max'], 'x')} "
                   "its line).")
    return out


def _evading(m: dict[str, Any]) -> int:
    return sum(len(m["states"][s]) for s in ("robust", "evaded", "reading"))


def _listing(items: Sequence[str]) -> str:
    if not items:
        return "none"
    return ", ".join(items)


def _years(years: Sequence[int]) -> str:
    return f"{years[0]}–{years[-1]}" if years else "no years"


def compare_text(doc: dict[str, Any]) -> str:
    """The terminal summary of `loopholes compare`: ranking, matrix, leakage, burden, verdict."""
    from tabulate import tabulate

    order = [entry["policy"] for entry in doc["ranking"]]
    years = burden_years(doc, 2021)
    parts = ["Ranking (" + doc["ranking_rule"] + ")",
             tabulate(ranking_rows(doc), headers=RANKING_HEADERS, maxcolwidths=[None, 24] + [12] * 7,
                      disable_numparse=True),
             "",
             "Strategies x rules (" + ", ".join(f"{SYMBOLS[s]} {STATE_TEXT[s]}" for s in STATES) + ")",
             tabulate(matrix_rows(doc, symbols=True), headers=["strategy"] + order, disable_numparse=True),
             "",
             "Capability leakage (effective compute of the best uncovered artifact / nominal line)",
             tabulate(leakage_rows(doc), headers=LEAKAGE_HEADERS, disable_numparse=True),
             "",
             "Burden: covered real models per year (backtest, first reading)",
             tabulate(burden_rows(doc, years), headers=["rule", "reading"] + [str(y) for y in years] + ["mean"],
                      disable_numparse=True),
             "",
             "\n".join(verdict_sentences(doc))]
    return "\n".join(parts)


# -- Markdown ---------------------------------------------------------------------------

FIGURES = {"matrix": "compare-matrix.png", "leakage": "compare-leakage.png", "burden": "compare-burden.png"}
COMPARE_FILES = frozenset({"compare.md", "compare.json", *FIGURES.values()})
"""Every file a comparison writes: the ones a new run may replace or remove."""


def stage_comparison(stage: Any, doc: dict[str, Any], *, reports: bool = False) -> set[str]:
    """Write compare.md, compare.json and the three figures into a report.Staging."""
    from . import report_figures
    from .report import dumps

    stage.text("compare.md", compare_markdown(doc, reports=reports))
    stage.text("compare.json", dumps(doc))
    report_figures.matrix_heatmap(doc, stage.path(FIGURES["matrix"]))
    report_figures.leakage_bars(doc, stage.path(FIGURES["leakage"]))
    report_figures.burden_lines(doc, stage.path(FIGURES["burden"]))
    return set(COMPARE_FILES)


def compare_markdown(doc: dict[str, Any], *, reports: bool = False) -> str:
    """compare.md: the answer first, then the evidence (matrix, leakage, cost, burden),
    then the papers' questions answered with the numbers. `reports` links each rule's
    own report (written next to it)."""
    from tabulate import tabulate

    order = [entry["policy"] for entry in doc["ranking"]]
    total = len(doc["strategies"])
    years = burden_years(doc)
    link = (lambda p: f"[{p}]({p}.md)") if reports else (lambda p: f"`{p}`")
    out = ["# Compute-threshold rules compared on the same attacks", "",
           f"{len(order)} rules, {total} gaming strategies, one search per rule (seed {doc['search']['seed']}, "
           f"budget {doc['search']['max_evals']} evaluations). Regenerate with `python tools/regenerate_reports.py`.",
           "", "## The answer", ""]
    out += [f"- {line}" for line in verdict_sentences(doc)]
    out += ["", "## Ranking", "",
            tabulate([[r[0], link(order[r[0] - 1])] + r[2:] for r in ranking_rows(doc)],
                     headers=RANKING_HEADERS, tablefmt="github", disable_numparse=True), "",
            "*Blocked* counts strategies with no finding; *applicable* leaves out strategies that attack an element "
            "the rule does not have. *Leakage* is the effective compute (capability) of the best artifact the rule "
            "does not cover, as a multiple of its nominal line; an honest model trained exactly at the line already "
            "scores about 5x (see below). *Cheapest evasion* is that finding's own compute over the honest run's. "
            "*Covered models / year* is the backtest mean over " + _years(doc["metrics"][0]["burden"]["recent_years"])
            + " (real models in Epoch AI's data, first reading of each rule).", ""]
    out += ["## Which strategy gets past which rule", "", f"![strategies x rules]({FIGURES['matrix']})", "",
            tabulate([[f"`{r[0]}`"] + r[1:] for r in matrix_rows(doc)], headers=["strategy"] + [link(p) for p in order],
                     tablefmt="github", disable_numparse=True), ""]
    out += [f"- **{STATE_TEXT[s]}**: {STATE_MEANING[s]}." for s in STATES]
    out += ["", "## How much capability leaks", "", f"![leakage per rule and domain]({FIGURES['leakage']})", "",
            tabulate(leakage_rows(doc), headers=LEAKAGE_HEADERS, tablefmt="github", disable_numparse=True), ""]
    out += ["## What evasion costs", "",
            tabulate(_cost_rows(doc), headers=["rule", "cheapest finding", "strategies", "cost (x honest run)"],
                     tablefmt="github", disable_numparse=True), ""]
    out += ["## Burden: covered real models per year", "", f"![covered models per year]({FIGURES['burden']})", "",
            tabulate(burden_rows(doc, years), headers=["rule", "reading"] + [str(y) for y in years] + ["mean"],
                     tablefmt="github", disable_numparse=True), ""]
    out += ["## The papers' questions, answered with numbers", ""] + _answers(doc) + [""]
    out += ["## How to read this", "",
            "- Every finding is a lifecycle the search built and re-checked through `loopholes check`; each rule's "
            "report lists them with diagrams, compute accounting and the verdict trace.",
            "- Lines and targets are those of each rule's reference date; a finding evades when the deployed "
            "artifact is not covered yet keeps the capability of an honest model trained at the line.",
            f"- {doc['ranking_rule'][0].upper()}{doc['ranking_rule'][1:]}. Robustness here is confidence: a "
            "robust finding keeps the target even at the low end of the published capability coefficients, so it "
            "does not rest on optimistic assumptions. A rule whose evasions all need the central estimate is harder "
            "to game with certainty, even when many strategies get past it at that estimate; the other orderings "
            "are given under *The answer*.",
            "- Numbers rest on the capability coefficients in `loopholes/data/`; robust findings hold even at their "
            "low end.", ""]
    return "\n".join(out)


def _cost_rows(doc: dict[str, Any]) -> list[list[str]]:
    rows = []
    for entry in doc["ranking"]:
        m = _by_policy(doc)[entry["policy"]]
        rows.append([m["policy"], m["cheapest_finding"] or "— (nothing evades)", ", ".join(m["cheapest_strategies"]) or "—",
                     _fmt(m["evasion_cost"], "x")])
    return rows


def _answers(doc: dict[str, Any]) -> list[str]:
    """Three questions the seed papers raise, each answered from the measures."""
    metrics = _by_policy(doc)
    static = [m for m in doc["metrics"] if not m["population_based"]]
    dynamic = [m for m in doc["metrics"] if m["population_based"]]
    out = ["**1. How much capability leaks past each static line?**", ""]
    if static:
        for m in static:
            parts = [f"{d} {_fmt(v, 'x')} the {_fmt(m['lines'][d])} line (honest model at the line: "
                     f"{_fmt(m['target_ratio'][d], 'x')})" for d, v in m["leakage"].items()]
            out.append(f"- {m['policy']}: " + "; ".join(parts) + ".")
    else:
        out.append("- No static rule in this comparison.")
    out += ["", "**2. What do the dynamic and index rules block, and what do they still let through?**", ""]
    if dynamic and static:
        static_evaded = set().union(*(set(m["states"]["robust"] + m["states"]["evaded"] + m["states"]["reading"])
                                      for m in static))
        for m in dynamic:
            evaded = m["states"]["robust"] + m["states"]["evaded"] + m["states"]["reading"]
            blocks = [s for s in m["states"]["blocked"] if s in static_evaded]
            immune = [s for s in m["states"]["n/a"] if s in static_evaded]
            new_gaps = [s for s in evaded if s not in static_evaded]
            out.append(f"- {m['policy']}: of the strategies that get past some static rule, it blocks "
                       f"{_listing(blocks)}" + (f" and is immune by construction to {_listing(immune)}" if immune else "")
                       + f"; it still lets through {_listing(evaded)} (robustly: {_listing(m['states']['robust'])}; "
                       f"worst leakage {_fmt(m['leakage_max'], 'x')} its line, {_leak_summary(m)})"
                       + (f"; it opens {_listing(new_gaps)}, which static rules are not exposed to" if new_gaps else "")
                       + ".")
    elif dynamic:
        for m in dynamic:
            out.append(f"- {m['policy']}: lets through {_listing(m['states']['robust'] + m['states']['evaded'])}.")
    else:
        out.append("- No dynamic or index rule in this comparison.")
    out += ["", "**3. What does each rule cost in covered real models per year?**", ""]
    for entry in doc["ranking"]:
        b = metrics[entry["policy"]]["burden"]
        recent = ", ".join(f"{b['per_year'].get(y, 0)} in {y}" for y in b["recent_years"])
        out.append(f"- {entry['policy']}: {recent} (reading {b['reading']}; {b['total']} models over the whole data).")
    return out
