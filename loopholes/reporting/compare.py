"""Rules side by side on the same attacks (docs/design.md §1 step 4, §8, §9 `loopholes compare`, §12).

Per rule (docs/design.md §8, §12):

- **leakage** per domain, a size: the capability (central effective compute) of the most
  capable artifact the rule does not cover, over that of an honest model trained exactly
  at the line with the same coefficients. 1 = what the rule exists to catch. A figure the
  search's own bounds stopped (largest teacher that existed, knob range, latest release
  date) is a lower bound and carries `bounded_by`; it is never ranked as a measurement.
- leakage on **common targets** too: an honest general model at 1e26 operations and an
  honest bio model at 1e23, each on the rule's reference date; a rule with no clause for
  a domain is measured there as well (whatever escapes with no gaming at all counts);
- **evasion cost**: the cheapest material finding's own compute over the honest run's;
- **strategies blocked**: blocked strategies among those that can apply (`cannot apply`
  is its own count);
- **burden**: real models the rule covers per year (backtest, first reading).

Ranking (RANKING_RULE): fewest leaks first by the worst *material* leakage across domains
on the common targets (measured figures before bounded ones, which are only lower
bounds), then the higher cost of the cheapest material evasion. Burden sits beside it:
a drafter trades the two, and the leakage-against-burden figure shows the trade.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Sequence

from .analysis import analyse_longest_first
from .measures import COMMON_TARGETS, STATES
from .wording import bound_note, domain_order, fmt_or_dash, leak_text, over_text, source_text

STATE_TEXT = {
    "robust": "material, robust",
    "material": "material",
    "marginal": "marginal",
    "reading": "under some readings",
    "blocked": "blocked",
    "n/a": "cannot apply",
}
STATE_MEANING = {
    "robust": "evades under every reading with leakage at or above the material factor, and stays material in at "
              "least 90 % of joint coefficient draws",
    "material": "evades under every reading with leakage at or above the material factor at central coefficients, "
                "but not in 90 % of joint draws",
    "marginal": "evades under every reading, but its leakage stays below the material factor: a small gain over an "
                "honest model at the line (a figure marked ≥ is a lower bound and may be material)",
    "reading": "evades only under some readings: the text, not the rule, leaves the gap",
    "blocked": "the strategy could matter but no composition that needs it escaped within the budget",
    "n/a": "the strategy attacks an element this rule does not have",
}
SYMBOLS = {"robust": "●", "material": "◕", "marginal": "◔", "reading": "◌", "blocked": "✓", "n/a": "–"}
RANKING_RULE = ("fewest leaks first: the lower worst material leakage across domains on the common targets (a figure "
                "bounded by the search is a lower bound, so such rules rank after every rule whose worst figure is "
                "not at a bound of the search; among themselves they are listed by their bounds, which does not order what they leak), then the higher cost of the cheapest material evasion; burden is shown beside, never "
                "folded in")


# -- one rule ---------------------------------------------------------------------------


# -- several rules ----------------------------------------------------------------------

def rank_key(metrics: dict[str, Any]) -> tuple:
    """RANKING_RULE as a sort key (smaller ranks first)."""
    worst = metrics["worst_material"]
    cost = metrics["evasion_cost"]
    return (bool(worst and worst["bounded"]), worst["leakage"] if worst else 0.0,
            -(cost if cost is not None else math.inf), metrics["policy"])


def comparison(measures: Sequence[dict[str, Any]], *, seed: int, max_evals: int) -> dict[str, Any]:
    """The docs/design.md §9 compare document: policies, strategies, matrix, metrics, plus the
    ranking with its rule and the meaning of every cell state."""
    strategies = _union(m["cells"] for m in measures)
    matrix = []
    for m in measures:
        for strategy_id in strategies:
            c = m["cells"].get(strategy_id) or {"state": "n/a", "finding": None, "domain": None, "leakage": None,
                                                "bounded_by": [], "p_material": None, "p_evades": None,
                                                "adds": None, "strategies": []}
            matrix.append({"policy": m["policy"], "strategy": strategy_id, "evaded": c["finding"] is not None,
                           "material": c["state"] in ("robust", "material"), **c})
    ranked = sorted(measures, key=rank_key)
    metrics = [{key: m[key] for key in m if key != "cells"} for m in measures]
    return {
        "policies": [m["policy"] for m in measures],
        "strategies": strategies,
        "matrix": matrix,
        "metrics": metrics,
        "common_targets": dict(COMMON_TARGETS),
        "ranking": [{"rank": i + 1, "policy": m["policy"], "key": {
            "worst_material_leakage": m["worst_material"]["leakage"] if m["worst_material"] else 0.0,
            "worst_bounded": bool(m["worst_material"] and m["worst_material"]["bounded"]),
            "worst_p_material": m["worst_material"]["p_material"] if m["worst_material"] else None,
            "evasion_cost": m["evasion_cost"]}} for i, m in enumerate(ranked)],
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
    from .analysis import DEFAULT_MAX_EVALS

    budget = DEFAULT_MAX_EVALS if max_evals is None else max_evals
    analyses = analyse_longest_first(policies, seed=seed, max_evals=budget, jobs=jobs, progress=progress, common=True)
    return comparison([a.measures for a in analyses], seed=seed, max_evals=budget), analyses


# -- scheduling -------------------------------------------------------------------------


# -- words ------------------------------------------------------------------------------


def _by_policy(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["policy"]: m for m in doc["metrics"]}


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def ranking_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """The ranking table: one row per rule, least leaky first."""
    metrics = _by_policy(doc)
    rows = []
    for entry in doc["ranking"]:
        m = metrics[entry["policy"]]
        worst, b, states = m["worst_material"], m["burden"], m["states"]
        rows.append([entry["rank"], f"{m['policy']} ({m['status']})",
                     (f"{leak_text(worst)} ({worst['domain']})" if worst else "none material"),
                     _p(worst["p_material"]) if worst else "—",
                     source_text(worst, m["readings"]) if worst else "—",
                     fmt_or_dash(m["evasion_cost"], "x"),
                     f"{len(states['robust']) + len(states['material'])} / {m['applicable']}",
                     f"{len(states['marginal'])}", f"{len(states['reading'])}",
                     f"{m['blocked']} / {m['applicable']}", str(m["cannot_apply"]), f"{b['recent_mean']:.1f}",
                     worst_over_text(m)])
    return rows


RANKING_HEADERS = ["rank", "rule", "worst material leakage (common targets)", "P(material)", "reached by",
                   "cheapest material evasion (x honest run)", "material strategies / applicable", "marginal",
                   "reading-only", "blocked / applicable", "cannot apply", "covered models / year",
                   "worst over-inclusion (own lines)"]


def worst_over(m: dict[str, Any]) -> dict[str, Any] | None:
    """A rule's largest over-inclusion across the domains of its own lines (material or not)."""
    oi = m.get("over_inclusion")
    if not oi:
        return None
    entries = [e for e in oi["worst"].values() if e]
    return max(entries, key=lambda e: (e["over_inclusion"], not e["bounded"], e["domain"]), default=None)


def worst_over_text(m: dict[str, Any]) -> str:
    """The other side of burden in one cell: figure, domain, mechanisms, P."""
    e = worst_over(m)
    if m.get("over_inclusion") is None:
        return "not searched"
    if e is None:
        return "none found"
    readings = m.get("readings") or []
    under = e.get("covered_under") or []
    where = f"; reading{'s' if len(under) > 1 else ''} {', '.join(under)}" if under and len(under) < len(readings) else ""
    return (f"{over_text(e)} ({e['domain']}; {' + '.join(e['mechanisms'])}{where}"
            + (f"; P(≥ {fmt_or_dash(m['over_inclusion']['material_factor'])}x) {_p(e['p_over'])}" if e["p_over"] is not None else "")
            + ")")


def over_rows(doc: dict[str, Any]) -> list[list[str]]:
    """Per rule and domain of its own lines: the covered lifecycle furthest below the target."""
    rows = []
    for entry in doc["ranking"]:
        m = _by_policy(doc)[entry["policy"]]
        oi = m.get("over_inclusion")
        if not oi:
            rows.append([m["policy"], "—", "not searched", "—", "—", "—", "—"])
            continue
        for domain, e in sorted(oi["worst"].items(), key=lambda kv: domain_order(kv[0])):
            if not e:
                rows.append([m["policy"], domain, "none found", "—", "—", "—", "—"])
                continue
            rows.append([m["policy"], domain, over_text(e), _p(e["p_over"]), "; ".join(e["counts"]),
                         ", ".join(e["covered_under"]), e["summary"]])
    return rows


OVER_HEADERS = ["rule", "domain", "worst over-inclusion", "P(≥ material)", "what the rule counts", "covered under",
                "the lifecycle"]


def matrix_rows(doc: dict[str, Any], *, symbols: bool = False) -> list[list[str]]:
    """Strategies down, rules across (ranked order): state and the cell's leakage."""
    order = [entry["policy"] for entry in doc["ranking"]]
    cells = {(c["policy"], c["strategy"]): c for c in doc["matrix"]}
    rows = []
    for strategy_id in doc["strategies"]:
        row = [strategy_id]
        for p in order:
            c = cells[(p, strategy_id)]
            mark = SYMBOLS[c["state"]] if symbols else STATE_TEXT[c["state"]]
            row.append(mark + (f" {leak_text(c)}" if c.get("leakage") else ""))
        rows.append(row)
    return rows


def leakage_rows(doc: dict[str, Any]) -> list[list[str]]:
    """Per rule and domain: leakage on the rule's own line and on the common target."""
    rows = []
    for entry in doc["ranking"]:
        m = _by_policy(doc)[entry["policy"]]
        for domain in sorted(set(m["leakage_detail"]) | set(m["common"]), key=domain_order):
            own, common = m["leakage_detail"].get(domain), m["common"].get(domain)
            rows.append([m["policy"], domain,
                         fmt_or_dash(m["lines"].get(domain)) if domain in m["lines"] else "no clause",
                         leak_text(own) if own else "—", source_text(own, m["readings"]) if own else "—",
                         leak_text(common) if common else "—",
                         fmt_or_dash(common.get("no_gaming"), "x") if common and common.get("no_gaming") else "—",
                         fmt_or_dash(common.get("measured_max"), "x") if common and common.get("measured_max") else "—",
                         _p(common.get("p_material")) if common else "—",
                         source_text(common, m["readings"]) if common else "—",
                         "; ".join(dict.fromkeys(filter(None, [bound_note(own), bound_note(common)]))) or "measured"])
    return rows


LEAKAGE_HEADERS = ["rule", "domain", "own line (FLOP)", "leakage at own line", "reached by",
                   "leakage at common target", "of which with no gaming at all", "largest measured (not bounded)",
                   "P(material)", "reached by", "bounds"]


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


def _target_words(domain: str) -> str:
    return f"an honest {domain} model trained with {fmt_or_dash(COMMON_TARGETS[domain])} operations" \
        if domain in COMMON_TARGETS else f"the honest {domain} target"


def headline(doc: dict[str, Any]) -> dict[str, Any]:
    """The numbers the first sentence states, taken from the ranking itself (a test checks
    the sentence against the table)."""
    leader = _by_policy(doc)[doc["ranking"][0]["policy"]]
    worst = leader["worst_material"]
    return {"policy": leader["policy"], "worst": worst}


def verdict_sentences(doc: dict[str, Any]) -> list[str]:
    """The short answer a drafter reads first, generated from the ranking's numbers."""
    metrics = _by_policy(doc)
    top = headline(doc)
    best, worst = metrics[top["policy"]], top["worst"]
    factor = best["material_factor"]
    if worst:
        first = (f"Leaks least on the common targets: {best['policy']} ({best['status']}) — the worst material leakage the search "
                 f"found is {leak_text(worst)} ({worst['domain']}: as capable as {fmt_or_dash(worst['leakage'])} times "
                 f"{_target_words(worst['domain'])}), reached by {source_text(worst, best['readings'])}"
                 + (f", P(material) {_p(worst['p_material'])}" if worst.get("p_material") is not None else "")
                 + (f"; {bound_note(worst)}" if worst["bounded"] else "")
                 + (f"; an honest run under its lines already reaches {fmt_or_dash(worst['no_gaming'])}x of that with no gaming "
                    "at all, because no clause of the rule reaches this target" if worst.get("no_gaming", 0) >= 1 else "")
                 + ".")
    else:
        first = (f"Leaks least on the common targets: {best['policy']} ({best['status']}) — nothing it leaves uncovered reaches "
                 f"{fmt_or_dash(factor)}x a common target within the search budget.")
    below = [m for e in doc["ranking"][1:] for m in [metrics[e["policy"]]]
             if worst and m["worst_material"] and m["worst_material"]["bounded"]
             and m["worst_material"]["leakage"] < worst["leakage"]]
    if below:
        one = len(below) == 1
        first += (" It ranks first among rules whose worst figure is not at a bound of the search; "
                  + ", ".join(f"{m['policy']} ({leak_text(m['worst_material'])})" for m in below)
                  + (" shows a smaller figure, but only as a lower bound the search stopped at, so it ranks"
                     if one else " show smaller figures, but only as lower bounds the search stopped at, so they rank")
                  + " after it.")
    states = best["states"]
    out = [first,
           f"On its own line{'s' if len(best['lines']) > 1 else ''}: {len(states['robust']) + len(states['material'])}"
           f" of {best['applicable']} applicable strategies evade it materially through the finding where they "
           f"themselves add most (at least {fmt_or_dash(factor)}x; "
           f"{_listing(states['robust'] + states['material'])}), {len(states['marginal'])} only marginally, "
           f"{len(states['reading'])} only under some readings; {best['blocked']} blocked "
           f"({_listing(states['blocked'])}); {best['cannot_apply']} cannot apply.",
           (f"Cheapest material evasion of it: {fmt_or_dash(best['evasion_cost'], 'x')} the honest run "
            f"({', '.join(best['cheapest_strategies'])})." if best["evasion_cost"] is not None
            else "No material evasion of it was found on its own lines."),
           f"At what burden: {best['burden']['recent_mean']:.1f} covered real models a year "
           f"({_years(best['burden']['recent_years'])}, reading {best['burden']['reading']})."]
    out += _over_sentences(doc)
    out += _other_orders(doc)
    if len(doc["ranking"]) > 1:
        last = metrics[doc["ranking"][-1]["policy"]]
        lw = last["worst_material"]
        # "Leaks most" only when no other rule's figure is a lower bound that may exceed it
        open_ended = [e["policy"] for e in doc["ranking"][:-1]
                      if (metrics[e["policy"]]["worst_material"] or {}).get("bounded")]
        label = "Ranks last" if open_ended else "Leaks most"
        caveat = ("" if not open_ended else
                  f" The figure{'s' if len(open_ended) > 1 else ''} of {', '.join(open_ended)} "
                  f"{'are lower bounds' if len(open_ended) > 1 else 'is a lower bound'} too, so "
                  f"{'any of them' if len(open_ended) > 1 else 'it'} may leak more than {last['policy']}.")
        out.append(f"{label}: {last['policy']} ({last['status']}) — worst material leakage {leak_text(lw)}"
                   + (f" ({lw['domain']}, via {source_text(lw, last['readings'])}"
                      + (f"; largest measured {fmt_or_dash(lw['measured_max'])}x" if lw.get("bounded") and lw.get("measured_max")
                         else "")
                      + (f"; {fmt_or_dash(lw['no_gaming'])}x with no gaming at all" if lw.get("no_gaming", 0) >= 1 else "")
                      + ")" if lw else "")
                   + f", {last['burden']['recent_mean']:.1f} covered models a year." + caveat)
    out.append(f"Ranking rule: {doc['ranking_rule']}.")
    return out


def _over_sentences(doc: dict[str, Any]) -> list[str]:
    """Burden's other form, for every rule: the covered lifecycle furthest below its own
    target (over-inclusion), with what the rule counted to cover it."""
    metrics = [_by_policy(doc)[e["policy"]] for e in doc["ranking"]]
    if not any(m.get("over_inclusion") for m in metrics):
        return []
    found = [(m, worst_over(m)) for m in metrics if m.get("over_inclusion") is not None]
    none = [m["policy"] for m, e in found if e is None]
    found = [(m, e) for m, e in found if e is not None]
    if not found:
        return [f"Over-inclusion: none found for {_listing(none)}."]
    floorless = [(m, e) for m, e in found if e["no_floor"]]
    # a figure at a search bound is a lower bound: name rules without a floor first, and
    # never call one bounded figure larger than another
    lead_m, lead_e = floorless[0] if floorless else max(
        found, key=lambda item: (not item[1]["bounded"], item[1]["over_inclusion"], item[0]["policy"]))
    if floorless:
        lead = (f"no floor for {_listing([m['policy'] for m, _ in floorless])} (the count covers arbitrarily small "
                f"models there; the figure is where the search stopped). For example {lead_m['policy']}, "
                f"{worst_over_text(lead_m)}: it {lead_e['summary']}.")
        shown = {m["policy"] for m, _ in floorless}
    else:
        lead = f"for example {lead_m['policy']}, {worst_over_text(lead_m)}: it {lead_e['summary']}."
        shown = {lead_m["policy"]}
    others = [f"{m['policy']} {worst_over_text(m)}" for m, e in sorted(
        found, key=lambda item: (-item[1]["over_inclusion"], item[0]["policy"])) if m["policy"] not in shown]
    others += [f"{m['policy']} {worst_over_text(m)}" for m, _ in floorless[1:]]
    return [f"Burden's other form, over-inclusion (a covered model far below the rule's own target, from what the "
            f"rule counts; honest runs only; ≥ marks a lower bound): {lead}"
            + (f" Also: {'; '.join(others)}" + (f"; none found for {_listing(none)}" if none else "") + "."
               if others or none else "")
            + " Summed members and experts rest on the encoding's reading that a system of models served as one is "
            "one model (J). The section 'Over-inclusion' below says what each one covers."]


def _other_orders(doc: dict[str, Any]) -> list[str]:
    """Where another reasonable ordering names other rules, say so (ties named together)."""
    metrics = list(_by_policy(doc).values())
    if len(metrics) < 2:
        return []
    leader = doc["ranking"][0]["policy"]
    fewest = min(_material(m) for m in metrics)
    tight = [m["policy"] for m in metrics if _material(m) == fewest]
    lightest = min(m["burden"]["recent_mean"] for m in metrics)
    light = [m["policy"] for m in metrics if m["burden"]["recent_mean"] == lightest]
    out = []
    if leader not in tight:
        out.append(f"Counting strategies that evade materially on each rule's own lines instead (under every "
                   f"reading; those that evade under some readings only are the table's reading-only column; figures "
                   f"marked ≥ are lower bounds, so a marginal one may be material), fewest: {_listing(tight)} "
                   f"({fewest} each).")
    if leader not in light:
        out.append(f"Lightest burden: {_listing(light)} ({lightest:.1f} covered models a year).")
    return out


def _material(m: dict[str, Any]) -> int:
    return len(m["states"]["robust"]) + len(m["states"]["material"])


def _listing(items: Sequence[str]) -> str:
    if not items:
        return "none"
    return ", ".join(items)


KNOWN_UNBUILT = {
    "moe-pretraining": "pre-training a native mixture of experts, which the capability model credits `moe_gain` "
                       "(2.5-7x, central 3.5x, on the run's counted compute, against a compute-optimal dense run): "
                       "the search's best dynamic-percentile bio finding at the rule's own bio line, ≥ 423x, with its base "
                       "pre-trained that way at the same counted compute, scores ≥ 1.48e3x and still evades (both at "
                       "the search's release-date bound, so lower bounds); whether such pre-training "
                       "is gaming or the honest recipe (the honest target is dense) is open",
}
"""Practices known to reach more than the search finds, keyed by the id of the strategy that
would build them: compare names each one until such a strategy is among those compared."""


def _unbuilt_practices(doc) -> str:
    missing = [text for strategy_id, text in KNOWN_UNBUILT.items() if strategy_id not in doc["strategies"]]
    return (f"Known to reach more and built by no strategy here: {'; '.join(missing)} (docs/findings.md). "
            if missing else "")


def _years(years: Sequence[int]) -> str:
    return f"{years[0]}–{years[-1]}" if years else "no years"


def compare_text(doc: dict[str, Any]) -> str:
    """The terminal summary of `loopholes compare`: ranking, matrix, leakage, burden, verdict."""
    from tabulate import tabulate

    order = [entry["policy"] for entry in doc["ranking"]]
    years = burden_years(doc, 2021)
    parts = ["Ranking (" + doc["ranking_rule"] + ")",
             tabulate(ranking_rows(doc), headers=RANKING_HEADERS, maxcolwidths=[None, 24] + [14] * 10,
                      disable_numparse=True),
             "",
             "Strategies x rules (" + ", ".join(f"{SYMBOLS[s]} {STATE_TEXT[s]}" for s in STATES) + ")",
             tabulate(matrix_rows(doc, symbols=True), headers=["strategy"] + order, disable_numparse=True),
             "",
             "Capability leakage (uncovered artifact / honest model at the line; common targets: "
             + ", ".join(f"{d} {fmt_or_dash(v)}" for d, v in COMMON_TARGETS.items()) + ")",
             tabulate(leakage_rows(doc), headers=LEAKAGE_HEADERS, maxcolwidths=[None] * 10 + [40],
                      disable_numparse=True),
             "",
             "Burden: covered real models per year (backtest, first reading)",
             tabulate(burden_rows(doc, years), headers=["rule", "reading"] + [str(y) for y in years] + ["mean"],
                      disable_numparse=True),
             "",
             "Over-inclusion: covered lifecycles far below the rule's own target (target / artifact capability)",
             tabulate([r[:6] for r in over_rows(doc)], headers=OVER_HEADERS[:6], maxcolwidths=[None, None, 24, None, 40, 30],
                      disable_numparse=True),
             "",
             "\n".join(verdict_sentences(doc))]
    return "\n".join(parts)


# -- Markdown ---------------------------------------------------------------------------

FIGURES = {"matrix": "compare-matrix.png", "leakage": "compare-leakage.png", "burden": "compare-burden.png",
           "tradeoff": "compare-tradeoff.png"}
COMPARE_FILES = frozenset({"compare.md", "compare.json", "compare.html", "compare-matrix.csv", "compare-metrics.csv",
                           *FIGURES.values()})
"""Every file a comparison writes: the ones a new run may replace or remove."""


def stage_comparison(stage: Any, doc: dict[str, Any], *, reports: bool = False) -> set[str]:
    """Write compare.md, compare.json, the figures, the matrix and metrics as CSV, and
    compare.html (last: it embeds the figures) into a report.Staging."""
    from . import report_csv, report_figures
    from .wording import dumps
    from .report_html import stage_html

    markdown = compare_markdown(doc, reports=reports)
    stage.text("compare.md", markdown)
    stage.text("compare.json", dumps(doc))
    stage.text("compare-matrix.csv", report_csv.matrix_csv(doc))
    stage.text("compare-metrics.csv", report_csv.metrics_csv(doc))
    report_figures.matrix_heatmap(doc, stage.path(FIGURES["matrix"]))
    report_figures.leakage_bars(doc, stage.path(FIGURES["leakage"]))
    report_figures.burden_lines(doc, stage.path(FIGURES["burden"]))
    report_figures.tradeoff_scatter(doc, stage.path(FIGURES["tradeoff"]))
    stage_html(stage, "compare.md", "compare.html", markdown)
    return set(COMPARE_FILES)


def compare_markdown(doc: dict[str, Any], *, reports: bool = False) -> str:
    """compare.md: the answer first, then the evidence (ranking, matrix, leakage, cost,
    burden), then the papers' questions answered with the numbers. `reports` links each
    rule's own report (written next to it)."""
    from tabulate import tabulate

    order = [entry["policy"] for entry in doc["ranking"]]
    total = len(doc["strategies"])
    years = burden_years(doc)
    metrics = _by_policy(doc)
    factor = doc["metrics"][0]["material_factor"] if doc["metrics"] else 2.0
    profile = doc["metrics"][0].get("target_profile", "standard") if doc["metrics"] else "standard"
    link = (lambda p: f"[{p}]({p}.md)") if reports else (lambda p: f"`{p}`")
    out = ["# Compute-threshold rules compared on the same attacks", "",
           f"{len(order)} rules, {total} gaming strategies; per rule one search on its own lines and one per common "
           f"target (seed {doc['search']['seed']}, budget {doc['search']['max_evals']} evaluations each; honest "
           f"targets use the `{profile}` profile). Regenerate with `python tools/regenerate_reports.py`.",
           "", "## The answer", ""]
    out += [f"- {line}" for line in verdict_sentences(doc)]
    out += ["", "## Ranking", "",
            tabulate([[r[0], f"{link(order[r[0] - 1])} ({metrics[order[r[0] - 1]]['status']})"] + r[2:]
                      for r in ranking_rows(doc)],
                     headers=RANKING_HEADERS, tablefmt="github", disable_numparse=True), "",
            f"*Leakage* is a size: the capability (effective compute) of the most capable artifact the search found "
            f"that the rule does not cover, divided by the capability of an honest model trained exactly at the line with the same "
            f"coefficients. 1x is what the rule exists to catch; 3x is about as capable as an honest model trained "
            f"with three times the line's compute (effective compute of an honest recipe grows in proportion to its "
            f"training compute). An evasion is *material* from {fmt_or_dash(factor)}x (docs/findings.md says why); below "
            f"that it is *marginal*. *Common targets* are the same for every rule: "
            + " and ".join(_target_words(d) for d in COMMON_TARGETS) + ", each on the rule's reference date. "
            "A figure marked ≥ stopped at a bound of the search (named in the leakage table): it is a lower bound, "
            "and the ranking never uses it as a measurement. Every figure, marked or not, is the most the search found, "
            "so a developer may reach more, and the ranking orders what the search found (docs/findings.md). "
            + _unbuilt_practices(doc) + "*P(material)* is the share of joint draws of every "
            "capability coefficient (each within its published band; target and finding on the same draw) in which "
            "the artifact stays uncovered with leakage at or above the material factor. *Blocked / applicable* "
            "counts strategies that can matter to the rule; *cannot apply* counts those that attack an element the "
            "rule does not have. *Covered models / year* is the backtest mean over "
            + _years(doc["metrics"][0]["burden"]["recent_years"]) + " (real models in Epoch AI's data, first reading "
            "of each rule).", "",
            f"![worst leakage against burden]({FIGURES['tradeoff']})", ""]
    out += ["## Which strategy gets past which rule", "",
            "Each cell shows the result and the leakage of the finding that speaks for the strategy: one that "
            "evades under every reading if any, then the one where the strategy itself adds most (a composition "
            "carried by another strategy does not lend it its leakage).", "",
            f"![strategies x rules]({FIGURES['matrix']})", "",
            tabulate([[f"`{r[0]}`"] + r[1:] for r in matrix_rows(doc)], headers=["strategy"] + [link(p) for p in order],
                     tablefmt="github", disable_numparse=True), ""]
    out += [f"- **{STATE_TEXT[s]}**: {STATE_MEANING[s]}." for s in STATES]
    out += ["", "## How much capability leaks", "", f"![leakage per rule and domain]({FIGURES['leakage']})", "",
            tabulate(leakage_rows(doc), headers=LEAKAGE_HEADERS, tablefmt="github", disable_numparse=True), ""]
    out += ["## What evasion costs", "",
            tabulate(_cost_rows(doc), headers=["rule", "cheapest material finding", "strategies", "cost (x honest run)",
                                               "cheapest finding of any size"],
                     tablefmt="github", disable_numparse=True), ""]
    out += ["## Burden: covered real models per year", "", f"![covered models per year]({FIGURES['burden']})", "",
            tabulate(burden_rows(doc, years), headers=["rule", "reading"] + [str(y) for y in years] + ["mean"],
                     tablefmt="github", disable_numparse=True), ""]
    out += _over_section(doc)
    out += _ranking_findings(doc)
    out += ["## The papers' questions, answered with numbers", ""] + _answers(doc, metrics) + [""]
    out += _validation_section()
    out += ["## How to read this", "",
            "- Every finding is a lifecycle the search built and re-checked through `loopholes check`; each rule's "
            "report lists them with diagrams, compute accounting, the verdict trace and the coefficients they "
            "hinge on.",
            "- A strategy is credited only when it is needed: with it removed, no composition of the others (knobs "
            "re-placed, variants re-searched) reaches the same leakage.",
            "- Lifecycles are dated at the rule's reference date unless a strategy moves the date.",
            f"- {doc['ranking_rule'][0].upper()}{doc['ranking_rule'][1:]}.",
            "- Designation by an authority (e.g. the EU AI Act's Art. 52) and enforcement are outside what the "
            "search can model: a finding shows what the text lets through, not what a regulator would do.", ""]
    return "\n".join(out)


def _over_section(doc: dict[str, Any]) -> list[str]:
    """compare.md: burden's other form, over-inclusion per rule and domain."""
    from tabulate import tabulate

    factor = doc["metrics"][0]["material_factor"] if doc["metrics"] else 2.0
    return ["## Burden's other form: over-inclusion", "",
            "Lifecycles a rule *covers* whose capability is far below the honest target of its own line: "
            "*over-inclusion* is the target's effective compute over the covered artifact's, in the domain the model "
            "is trained for (10x: the rule covers a model about as capable as an honest model of a tenth of its "
            "line). It may come only from what the rule counts (members of a cascade or a mixture summed as one "
            "model, a teacher's training or its data generation charged to a student, other parties' fine-tunes "
            "summed, integer operations, a 'primarily' share test); every run in these lifecycles is an "
            "honest, compute-optimal run of the reference date's recipe, and each was re-checked as covered through "
            "`loopholes check` under the readings listed. ≥ marks a figure at a bound of the search (it would grow "
            "with more members or a larger teacher); *no floor* means the rule covered the smallest run the search "
            f"builds. *P(≥ material)* is the share of joint coefficient draws in which the lifecycle is covered and "
            f"over-included at least {fmt_or_dash(factor)}x. Each rule's report lists the mechanisms tried and replays "
            "the lifecycles.", "",
            tabulate(over_rows(doc), headers=OVER_HEADERS, tablefmt="github", disable_numparse=True), ""]


def _cost_rows(doc: dict[str, Any]) -> list[list[str]]:
    rows = []
    for entry in doc["ranking"]:
        m = _by_policy(doc)[entry["policy"]]
        any_ = m.get("cheapest_any")
        rows.append([m["policy"], m["cheapest_finding"] or "— (no material evasion)",
                     ", ".join(m["cheapest_strategies"]) or "—", fmt_or_dash(m["evasion_cost"], "x"),
                     f"{fmt_or_dash(any_['cost'], 'x')} ({any_['finding']}, leakage {fmt_or_dash(any_['leakage'], 'x')})" if any_
                     else "—"])
    return rows


def _answers(doc: dict[str, Any], metrics: dict[str, dict[str, Any]]) -> list[str]:
    """Three questions the seed papers raise, each answered from the measures."""
    static = [m for m in doc["metrics"] if not m["population_based"]]
    dynamic = [m for m in doc["metrics"] if m["population_based"]]
    out = ["**1. How much capability leaks past each static line?**", ""]
    if static:
        for m in static:
            parts = [f"{d} {leak_text(v)} an honest model at its {fmt_or_dash(m['lines'][d])} line "
                     f"({source_text(v, m['readings'])})" for d, v in m["leakage_detail"].items()]
            out.append(f"- {m['policy']}: " + "; ".join(parts) + ".")
    else:
        out.append("- No static rule in this comparison.")
    out += ["", "**2. What do the dynamic and index rules block, and what do they still let through?**", ""]
    if dynamic and static:
        static_material = set().union(*(set(m["states"]["robust"] + m["states"]["material"]) for m in static))
        for m in dynamic:
            material = m["states"]["robust"] + m["states"]["material"]
            blocks = [s for s in m["states"]["blocked"] + m["states"]["marginal"] if s in static_material]
            immune = [s for s in m["states"]["n/a"] if s in static_material]
            new_gaps = [s for s in material if s not in static_material]
            out.append(f"- {m['policy']}: of the strategies that evade some static rule materially, it holds "
                       f"{_listing(blocks)} below the material factor"
                       + (f" and is immune by construction to {_listing(immune)}" if immune else "")
                       + f"; material evasions remain for {_listing(material)} (worst on the common targets "
                       f"{leak_text(m['worst_material'])})"
                       + (f"; it opens {_listing(new_gaps)}, which static rules are not exposed to" if new_gaps else "")
                       + ".")
    elif dynamic:
        for m in dynamic:
            out.append(f"- {m['policy']}: material evasions for {_listing(m['states']['robust'] + m['states']['material'])}.")
    else:
        out.append("- No dynamic or index rule in this comparison.")
    out += ["", "**3. What does each rule cost in covered real models per year?**", ""]
    for entry in doc["ranking"]:
        b = metrics[entry["policy"]]["burden"]
        recent = ", ".join(f"{b['per_year'].get(y, 0)} in {y}" for y in b["recent_years"])
        out.append(f"- {entry['policy']}: {recent} (reading {b['reading']}; {b['total']} models over the whole data).")
    return out


def _validation_section() -> list[str]:
    """How well the capability model every leakage rests on predicts published model pairs
    it was not fitted on (`loopholes validate`), so a reader can weigh the numbers above."""
    from .. import validate
    from ..capability import load_coefficients

    rows = validate.run(load_coefficients())
    ok = sum(validate.status(r) == "ok" for r in rows)
    return ["## How far to trust the capability model", "",
            f"`loopholes validate` predicts, from the bundled coefficient table, the effective-compute ratio of "
            f"{len(rows)} published model pairs the coefficients were not fitted on; {ok} fall within their stated "
            "tolerance, the others are known misses with their reasons (sources in docs/coefficient-sources.md). "
            "Error is in orders of magnitude (OOM) of effective compute.", "", validate.to_markdown(rows).rstrip("\n"),
            ""]


def _ranking_findings(doc: dict[str, Any]) -> list[str]:
    """Every lifecycle behind a rule's worst material figure, replayable: the figures that
    set the ranking must be checkable from this file alone."""
    import yaml

    out = ["## The findings that set the ranking", "",
           "Each rule's worst material figure on the common targets, as a lifecycle you can replay with "
           "`loopholes check RULE finding.yaml --reading READING`. Note the part an honest run reaches with no gaming "
           "at all, where the rule has no clause for the domain.", ""]
    for entry in doc["ranking"]:
        m = _by_policy(doc)[entry["policy"]]
        worst = m["worst_material"]
        if not worst or not worst.get("lifecycle"):
            continue
        out += [f"**{m['policy']}** ({worst['domain']}): {leak_text(worst)} via {source_text(worst, m['readings'])}"
                + (f"; {bound_note(worst)}" if worst.get("bounded_by") else "")
                + (f"; with no gaming at all {fmt_or_dash(worst['no_gaming'])}x" if worst.get("no_gaming", 0) >= 1 else "")
                + f". Replay under reading `{worst.get('reading')}`:", "",
                "<details><summary>lifecycle</summary>", "", "```yaml",
                yaml.safe_dump(worst["lifecycle"], sort_keys=False, allow_unicode=True, width=100).rstrip("\n"),
                "```", "", "</details>", ""]
    return out
