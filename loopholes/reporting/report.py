"""Loophole reports (docs/design.md §1 step 3, §11): one Markdown file per rule, the same content
as JSON, and PNG figures, written atomically and byte for byte reproducibly.

The work splits in two so it can run in parallel: `analyse` (search + backtest + every
number and diagram, as plain data) runs per policy, possibly in a worker process;
rendering and figures then run in the parent from that data alone. Nothing written
carries a timestamp or a wall-clock duration, JSON keys are sorted and floats rounded
to six significant figures, so a regeneration that finds the same loopholes writes the
same bytes.

Files for policy P: P.md, P.json, P-findings.png, P-backtest.png, and the same report as one
self-contained P.html (report_html) with its findings as P-findings.csv (report_csv).
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..errors import LoopholesError
from ..files import StagedSet
from ..render import fmt, step_notes
from .wording import dumps, over_text
FIRST_TABLE_YEAR = 2015
"""Backtest tables start here; earlier years are summed in one line (few models, none covered)."""
RECENT_COVERED = 20
"""Covered real models listed in the Markdown (most recent first); the JSON has them all."""
FIGURE_SUFFIXES = ("findings", "backtest")


# -- analysis (may run in a worker process) ---------------------------------------------


# -- the report model -------------------------------------------------------------------

def report_model(result: Any, bt: Any, measures: dict[str, Any], max_evals: int) -> dict[str, Any]:
    """The whole report as plain data: what the Markdown shows, and what P.json holds."""
    policy = result.policy
    findings = [finding_model(f, policy, i + 1) for i, f in enumerate(result.findings)]
    numbers = {f["id"]: f["number"] for f in findings}
    return {
        "policy": policy.describe(),
        "search": {**result.to_json(timing=False)["stats"], "max_evals": max_evals,
                   "command": f"loopholes report {policy.id} --seed {result.seed} --max-evals {max_evals}"},
        "targets": [dict(t.to_json(), line=t.honest_flop) for t in result.targets.values()],
        "strategies": strategy_rows(result, numbers),
        "findings": findings,
        "ambiguities": ambiguity_model(result),
        "backtest": bt.to_json(),
        "measures": {k: v for k, v in measures.items() if k != "cells"},
        "figures": {suffix: figure_name(policy.id, suffix) for suffix in FIGURE_SUFFIXES},
    }


def strategy_rows(result: Any, numbers: dict[str, int]) -> list[dict[str, Any]]:
    """One row per strategy: did it evade, with which finding, keeping how much, at what cost."""
    from .measures import strategy_state

    rows = []
    for strategy_id in result.strategies:
        state, f = strategy_state(result, strategy_id)
        row: dict[str, Any] = {"strategy": strategy_id, "state": state, "evaded": f is not None,
                               "findings": len(result.evading(strategy_id))}
        if f is not None:
            adds = f.adds.get(strategy_id)
            row.update(finding=f.id, number=numbers[f.id], domain=f.domain, robust=f.robust,
                       kept=f.margins["over_target"], cost=f.cost["ratio_to_honest"],
                       leakage=f.leakage, bounded_by=list(f.bounded_by), p_evades=f.p_evades,
                       p_material=f.p_material, adds=adds if adds is not None and math.isfinite(adds) else None,
                       hinge=f.sensitivity.hinge if f.sensitivity else None, strategies=list(f.strategies),
                       slipped_past=slipped_past(f, result.policy), evades_under=list(f.evades_under),
                       covered_under=list(f.covered_under))
        rows.append(row)
    return rows


def slipped_past(finding: Any, policy: Any) -> dict[str, Any] | None:
    """The clause the finding got past: among the untriggered clauses of covered tiers,
    those drawing the rule's line in the finding's domain first; then one whose number
    passes its line while its condition (e.g. a share test) fails; else the closest to
    its line."""
    from ..rules.framework import COMPARATORS

    nominal = {rule.id: rule.threshold for rule in policy.rules}
    clauses = [c for c in finding.verdict.clauses if c.tier in policy.covered_tiers and not c.triggered]
    if not clauses:
        return None
    line = policy.target_lines.get(finding.domain)
    clauses = [c for c in clauses if nominal.get(c.rule) == line] or clauses
    dodged = [c for c in clauses if COMPARATORS[c.comparator](c.measured, c.threshold)]
    chosen = dodged[0] if dodged else max(clauses, key=lambda c: (c.margin, c.rule))
    return {"rule": chosen.rule, "clause": chosen.clause, "measures": chosen.measures, "measured": chosen.measured,
            "threshold": chosen.threshold, "comparator": chosen.comparator, "ratio": chosen.margin,
            "note": chosen.note}


def finding_model(finding: Any, policy: Any, number: int) -> dict[str, Any]:
    """A finding as data, plus what the report draws: the diagram, a step table with
    every assumption, and the clause it slipped past."""
    doc = finding.to_json()
    doc.update(number=number, target=finding.target.to_json(), mermaid=mermaid(finding.lifecycle),
               steps=[step_row(s, finding.lifecycle) for s in finding.lifecycle.steps],
               released=finding.lifecycle.released.isoformat(),
               slipped_past=slipped_past(finding, policy),
               covered_tiers=sorted(policy.covered_tiers))
    return doc


def step_row(step: Any, lc: Any) -> dict[str, Any]:
    """One step with its compute and the assumptions a drafter should see."""
    return {"id": step.id, "kind": step.kind, "developer": step.developer, "inputs": list(step.inputs),
            "ops": step.flop, "deploy": step.id == lc.deploy, "assumptions": step_assumptions(step)}


def step_assumptions(step: Any) -> list[str]:
    """Everything about a step beyond kind and compute that a verdict may rest on."""
    return step_notes(step, detail=True)


def ambiguity_model(result: Any) -> dict[str, Any]:
    """The open points of the text: each reading with the findings that evade under it,
    the findings that hinge on the reading, and the policy's own notes."""
    policy = result.policy
    readings = []
    for reading in policy.readings:
        evading = [f.id for f in result.findings if reading.id in f.evades_under]
        only = [f.id for f in result.findings if f.evades_under == (reading.id,) and len(policy.readings) > 1]
        readings.append({"id": reading.id, "question": reading.question, "answer": reading.answer,
                         "evading": evading, "only_here": only})
    hinge = [{"finding": f.id, "strategies": list(f.strategies), "evades_under": list(f.evades_under),
              "covered_under": list(f.covered_under)} for f in result.findings if f.ambiguity]
    return {"readings": readings, "hinge": hinge, "notes": list(policy.ambiguities)}


# -- mermaid ----------------------------------------------------------------------------

_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;", ";": "#59;",
                    "|": "#124;", "\n": " ", "\r": " "}


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted mermaid label: characters mermaid parses become entity codes."""
    return "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in str(text))


def mermaid(lc: Any) -> str:
    """One `flowchart LR`: a node per step (id, kind, developer, compute), edges from
    inputs, the deployed artifact highlighted, other parties' steps dashed."""
    ids = {step.id: f"s{i}" for i, step in enumerate(lc.steps)}
    deployer = lc.artifact.developer
    lines = ["flowchart LR"]
    for step in lc.steps:
        label = "<br/>".join(mermaid_text(part) for part in _node_lines(step, step.id == lc.deploy))
        lines.append(f'    {ids[step.id]}["{label}"]')
    for step in lc.steps:
        lines += [f"    {ids[source]} --> {ids[step.id]}" for source in step.inputs]
    lines.append("    classDef deploy fill:#fde68a,stroke:#b45309,stroke-width:3px,color:#111")
    lines.append("    classDef party stroke-dasharray:5 5")
    lines.append(f"    class {ids[lc.deploy]} deploy")
    others = [ids[s.id] for s in lc.steps if s.developer != deployer]
    if others:
        lines.append(f"    class {','.join(others)} party")
    return "\n".join(lines)


def _node_lines(step: Any, deployed: bool) -> list[str]:
    compute = f"{fmt(step.flop)} ops" if step.flop else "no training ops"
    if step.precision != "bf16":
        compute += f" {step.precision}"
    lines = [step.id + (" (deployed)" if deployed else ""), f"{step.kind} by {step.developer}", compute]
    extras = [a for a in step_assumptions(step) if not a.endswith("arithmetic")][:2]
    return lines + extras


# -- Markdown ---------------------------------------------------------------------------

def _table(rows: list[list[Any]], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def _cell(text: Any) -> str:
    """Table cells: pipes would split a GitHub table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def anchor(number: int, finding_id: str) -> str:
    """The GitHub heading slug of a finding's section (lower case, punctuation dropped)."""
    return re.sub(r"[^a-z0-9 _-]", "", f"f{number} {finding_id}".lower()).replace(" ", "-")


STATE_WORDS = {"robust": "**material, robust**", "material": "**material**", "marginal": "marginal",
               "reading": "under some readings", "blocked": "blocked", "n/a": "cannot apply"}


def report_markdown(model: dict[str, Any]) -> str:
    """P.md: the answer first, then strategies, findings, ambiguities, backtest."""
    parts = [_head(model), _targets(model), _strategies(model), _findings(model), _ambiguities(model),
             _backtest(model), _over_inclusion(model), _reproduce(model)]
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def _leak(value: dict[str, Any] | None, readings: Sequence[str]) -> str:
    from .wording import bound_note, leak_text, source_text

    if not value or not value.get("leakage"):
        return "nothing escapes"
    note = bound_note(value)
    return f"{leak_text(value)} via {source_text(value, readings)}" + (f" ({note})" if note else "")


def _head(model: dict[str, Any]) -> str:
    policy, m = model["policy"], model["measures"]
    dates = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in policy["dates"].items())
    states = m["states"]
    readings = m["readings"]
    factor = m["material_factor"]
    own = "; ".join(f"{d}: {_leak(v, readings)}" for d, v in m["leakage_detail"].items())
    common = "; ".join(f"{d} (honest model at {fmt(v['target_flop'])} ops): {_leak(v, readings)}"
                       for d, v in m.get("common", {}).items())
    b = m["burden"]
    material = states["robust"] + states["material"]
    lines = [f"# Loophole report: {policy['id']}", "",
             f"**{policy['title']}** — {policy['status']} ({dates}). Source: <{policy['source']}>. "
             f"Lines as drawn on {policy['reference_date']}.", "",
             "## In short", "",
             f"- **{len(material)} of {m['applicable']}** applicable gaming strategies evade this rule materially "
             f"(leakage at least {fmt(factor)}x an honest model at the line): {', '.join(material) or 'none'}; "
             f"{len(states['robust'])} of them robustly (material in at least 90 % of joint coefficient draws). "
             f"{len(states['marginal'])} evade only marginally ({', '.join(states['marginal']) or 'none'}), "
             f"{len(states['reading'])} only under some readings ({', '.join(states['reading']) or 'none'}).",
             f"- Blocked: {', '.join(states['blocked']) or 'none'}"
             + (f"; cannot apply: {', '.join(states['n/a'])}" if states["n/a"] else "") + ".",
             f"- Leakage at its own line{'s' if len(m['leakage_detail']) > 1 else ''}: {own or 'none'}.",
             (f"- Leakage on the common targets: {common}." if common else ""),
             ("- Cheapest material evasion: " + f"[{m['cheapest_finding']}](#{_anchor_of(model, m['cheapest_finding'])}) "
              f"costs {fmt(m['evasion_cost'])}x the honest run at the line." if m["cheapest_finding"]
              else "- No material evasion within the search budget."),
             f"- Burden: covers {b['recent_mean']:.1f} real models a year on average in "
             f"{b['recent_years'][0]}–{b['recent_years'][-1]} (backtest, reading {b['reading']}).",
             _over_bullet(m),
             *([f"- Not modelled: {note}" for note in policy.get("backstops", [])]), "",
             f"![leakage per strategy]({model['figures']['findings']})"]
    return "\n".join(line for line in lines if line is not None)


def _over_bullet(m: dict[str, Any]) -> str | None:
    """The other side of burden in one line: the worst over-inclusion per domain."""
    oi = m.get("over_inclusion")
    if not oi:
        return None
    parts = [f"{d}: {over_text(e)} ({' + '.join(e['mechanisms'])})" if e else f"{d}: none"
             for d, e in oi["worst"].items()]
    return ("- Over-inclusion (covered, yet far below the target; see the last section): " + "; ".join(parts) + ".")


def _anchor_of(model: dict[str, Any], finding_id: str) -> str:
    number = next(f["number"] for f in model["findings"] if f["id"] == finding_id)
    return anchor(number, finding_id)


def _targets(model: dict[str, Any]) -> str:
    rows = [[t["domain"], fmt(t["line"]), t.get("profile", "standard"),
             " / ".join(fmt(t["bands"][b]) for b in ("low", "central", "high"))] for t in model["targets"]]
    factor = model["measures"]["material_factor"]
    return "\n".join(["## What the adversary wants", "",
                      "For each domain the rule draws a line in, the target is the capability (effective compute) of "
                      "an honest dense model trained at the line with the recipe and standard affordances of the "
                      "rule's reference date (the target profile). A finding evades when its deployed artifact, and "
                      "every model in it that is deployed or handed to another party, is not covered, yet its "
                      "capability reaches the target. Its *leakage* is its capability over the target's, with the "
                      "same coefficients: 1x is exactly what the rule exists to catch, 3x about an honest model "
                      f"of three times the line's compute. From {fmt(factor)}x an evasion is *material*; below, "
                      "*marginal*.", "",
                      _table(rows, ["domain", "nominal line (FLOP)", "target profile",
                                    "target, effective FLOP (low / central / high)"])])


def _strategies(model: dict[str, Any]) -> str:
    from ..sensitivity import describe_hinge

    rows = []
    for r in model["strategies"]:
        if not r["evaded"]:
            rows.append([f"`{r['strategy']}`", STATE_WORDS[r["state"]]] + ["—"] * 8)
            continue
        past = r["slipped_past"]
        past_text = (f"{past['clause']} ({fmt(past['measured'])} {past['comparator']} {fmt(past['threshold'])}? no"
                     + (f": {past['note']}" if past["note"] and past["ratio"] >= 1 else f", {fmt(past['ratio'])}x the line")
                     + ")") if past else "—"
        leak = ("≥ " if r["bounded_by"] else "") + f"{fmt(r['leakage'])}x"
        rows.append([f"`{r['strategy']}`", STATE_WORDS[r["state"]],
                     f"[F{r['number']}](#{anchor(r['number'], r['finding'])}) {r['domain']}"
                     + (f" (with {', '.join(s for s in r['strategies'] if s != r['strategy'])})"
                        if len(r["strategies"]) > 1 else ""),
                     leak, f"{fmt(r['adds'])}x" if r["adds"] else "—",
                     f"{r['p_evades']:.2f} / {r['p_material']:.2f}" if r["p_material"] is not None else "—",
                     _cell(describe_hinge(r["hinge"])), f"{fmt(r['cost'])}x", _cell(past_text),
                     ", ".join(r["evades_under"])])
    headers = ["strategy", "result", "finding", "leakage", "this strategy adds", "P(evades) / P(material)",
               "hinges on", "cost (x honest)", "slipped past", "evades under"]
    return "\n".join(["## Strategies", "",
                      "One row per gaming strategy; the finding shown evades under every reading if any does, and is "
                      "the one where this strategy itself adds most (its leakage over the best any composition "
                      "without it reaches). *Hinges on* names the coefficient whose band moves the leakage most.",
                      "", _table(rows, headers)])


def _findings(model: dict[str, Any]) -> str:
    if not model["findings"]:
        return "## Findings\n\nNo lifecycle escaped the rule within the search budget."
    out = ["## Findings", "",
           "Each diagram shows the lifecycle: one box per step (kind, developer, operations), arrows from inputs; the "
           "deployed artifact is highlighted; steps by a party other than the deployer are dashed."]
    for f in model["findings"]:
        out += ["", _finding(f, model["policy"]["id"])]
    return "\n".join(out)


def _assumptions(f: dict[str, Any]) -> str:
    from ..sensitivity import describe_hinge

    if not f.get("assumptions"):
        return "no capability coefficient moves its leakage"
    return "; ".join(describe_hinge(a) for a in f["assumptions"])


def _finding(f: dict[str, Any], policy_id: str) -> str:
    kept = f["margins"]["over_target"]
    cap = f["capability"][f["domain"]]
    target = f["target"]["bands"]
    reading = (f"evades under {', '.join(f['evades_under'])}"
               + (f"; covered under {', '.join(f['covered_under'])} (ambiguity of the text)" if f["covered_under"] else ""))
    compute = f["verdict"]["compute"]
    steps = [[("**" + s["id"] + "** (deployed)") if s["deploy"] else s["id"], s["kind"], _cell(s["developer"]),
              ", ".join(s["inputs"]) or "—", fmt(s["ops"]), _cell("; ".join(s["assumptions"]) or "—")]
             for s in f["steps"]]
    trace = [["**yes**" if c["triggered"] else "no", _cell(c["clause"]), _cell(c["measures"]),
              f"{fmt(c['measured'])} {c['comparator']} {fmt(c['threshold'])}",
              f"{fmt(c['measured'] / c['threshold'])}x" if c["threshold"] else "—",
              "yes" if c["tier"] in f["covered_tiers"] else "no", _cell(c["note"]) or ""] for c in f["verdict"]["clauses"]]
    spec = _yaml(f["lifecycle"])
    size = ("material" if f["material"] else "marginal") + f" (from {fmt(f['material_factor'])}x)"
    adds = "; ".join(f"{k} {fmt(v)}x" if v else f"{k}: nothing escapes without it" for k, v in f["adds"].items())
    lines = [f"### F{f['number']} {f['id']}", "",
             f"Strategies **{', '.join(f['strategies'])}**; domain {f['domain']}; released {f['released']}; "
             f"found under reading {f['reading']}, {reading}.", "",
             f"- **Leakage {'≥ ' if f['bounded_by'] else ''}{fmt(f['leakage'])}x**, {size}"
             + (f"; bounded by {'; '.join(f['bounded_by'])}, so this is a lower bound, not a measurement"
                if f["bounded_by"] else "") + ".",
             f"- What each strategy adds (this leakage over the best without it): {adds}.",
             f"- Over {f['draws']} joint coefficient draws: P(evades) {f['p_evades']:.2f}, P(material) "
             f"{f['p_material']:.2f}" + (" — robust." if f["robust"] else " — not robust (needs P(material) ≥ 0.9)."),
             f"- Rests most on: {_assumptions(f)}.", "",
             "```mermaid", f["mermaid"], "```", "",
             _table(steps, ["step", "kind", "developer", "inputs", "operations", "assumptions"]), "",
             f"**Compute accounting** (operations executed, whole lineage): total {fmt(compute['total_flop'])}; "
             "by developer " + _sums(compute["by_developer"]) + "; by kind " + _sums(compute["by_kind"])
             + "; by precision " + _sums(compute["by_precision"]) + ". "
             f"Cost to the adversary: {fmt(f['cost']['flop'])} ops, {fmt(f['cost']['ratio_to_honest'])}x the honest run.",
             "",
             f"**Capability** ({f['domain']}, effective FLOP, low / central / high bands): "
             f"{' / '.join(fmt(cap[b]) for b in ('low', 'central', 'high'))} against the target "
             f"{' / '.join(fmt(target[b]) for b in ('low', 'central', 'high'))} "
             f"({fmt(kept['low'])}x / {fmt(kept['central'])}x / {fmt(kept['high'])}x band by band; the "
             "probabilities above draw the coefficients jointly instead).", "",
             f"**Verdict trace** (reading {f['reading']}: "
             + ("covered" if f["verdict"]["covered"] else "not covered") + ")", "",
             _table(trace, ["triggered", "clause", "measures", "measured vs line", "ratio", "covered tier", "why"]), "",
             "<details><summary>Replay this finding</summary>", "",
             f"Save as `finding.yaml`, then run `loopholes check {policy_id} finding.yaml --reading {f['reading']}`.", "",
             "```yaml", spec.rstrip("\n"), "```", "", "</details>"]
    return "\n".join(lines)


def _sums(values: dict[str, float]) -> str:
    shown = [f"{k.replace('_', ' ')} {fmt(v)}" for k, v in values.items() if v]
    return ", ".join(shown) or "none"


def _yaml(spec: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


def _ambiguities(model: dict[str, Any]) -> str:
    amb = model["ambiguities"]
    numbers = {f["id"]: f["number"] for f in model["findings"]}
    ref = lambda fid: f"[F{numbers[fid]}](#{anchor(numbers[fid], fid)})"  # noqa: E731
    rows = [[f"`{r['id']}`", _cell(r["question"]), _cell(r["answer"]), str(len(r["evading"])),
             ", ".join(ref(fid) for fid in r["only_here"]) or "—"] for r in amb["readings"]]
    out = ["## Ambiguities of the text", "",
           "The rule's open points are encoded as named readings; the search runs under each.", "",
           _table(rows, ["reading", "open question", "answer under this reading", "findings evading",
                         "evading only under this reading"])]
    if amb["hinge"]:
        hinge = [[ref(h["finding"]), ", ".join(h["strategies"]), ", ".join(h["evades_under"]), ", ".join(h["covered_under"])]
                 for h in amb["hinge"]]
        out += ["", "Findings that hinge on the reading (a clearer text would close them):", "",
                _table(hinge, ["finding", "strategies", "evades under", "covered under"])]
    else:
        out += ["", "No finding hinges on the reading: every loophole found holds under every reading."]
    if amb["notes"]:
        out += ["", "Other open points the encoding had to settle:", ""] + [f"- {note}" for note in amb["notes"]]
    return "\n".join(out)


def _backtest(model: dict[str, Any]) -> str:
    bt = model["backtest"]
    years = [y for y in bt["years"] if y["year"] >= FIRST_TABLE_YEAR]
    early = [y for y in bt["years"] if y["year"] < FIRST_TABLE_YEAR]
    rows = [[str(y["year"]), str(y["models"]), str(y["with_compute"]), str(y["covered"]),
             f"{y['covered_share']:.1%}", str(y["unknown"]), str(y["unknown_possibly_over_1e23"])] for y in years]
    totals = bt["totals"]
    recent = sorted(bt["covered_models"], key=lambda p: (p["date"], p["model"]), reverse=True)[:RECENT_COVERED]
    listed = [[p["date"], _cell(p["model"]), _cell(_developers(p["organization"])), fmt(p["flop"]),
               _cell(", ".join(p["clauses"]))]
              for p in recent]
    out = ["## Backtest: which real models the rule covers", "",
           f"Every model in Epoch AI's data with a published compute estimate, judged as a single training run on "
           f"its publication date, under reading `{bt['reading']}`. Models without a compute figure cannot be "
           "judged and are counted as unknown.", "",
           f"![backtest]({model['figures']['backtest']})", "",
           _table(rows, ["year", "models", "with compute", "covered", "share covered", "unknown compute",
                         "unknown, possibly > 1e23"])]
    if early:
        out += ["", f"Before {FIRST_TABLE_YEAR}: {sum(y['models'] for y in early)} models, "
                f"{sum(y['covered'] for y in early)} covered."]
    out += ["", f"In all: {totals['covered']} covered of {totals['with_compute']} judged "
            f"({totals['unknown']} with unknown compute, {totals['undated']} undated). Source: {bt['source']}."]
    if listed:
        more = totals["covered"] - len(listed)
        out += ["", f"Most recent covered models{f' ({more} more in the JSON)' if more > 0 else ''}:", "",
                _table(listed, ["published", "model", "developer", "training FLOP", "rules triggered"])]
    return "\n".join(out)


MECHANISM_WORDS = {"material": "**material**", "marginal": "marginal", "none": "none found", "n/a": "cannot apply"}


def _over_inclusion(model: dict[str, Any]) -> str:
    """The other error: covered lifecycles far below the rule's own target, from what it counts."""
    from ..overinclusion import MECHANISMS

    oi = model["measures"].get("over_inclusion")
    head = ["## Over-inclusion: what the rule covers far below its target", ""]
    if not oi:
        return "\n".join(head + ["Not searched in this run."])
    policy_id = model["policy"]["id"]
    factor = oi["material_factor"]
    out = head + [
        "The other error of a compute line: lifecycles the rule *covers* whose capability is far below the honest "
        "target it exists to catch. *Over-inclusion* = the target's effective compute over the covered artifact's "
        "(central coefficients), in the domain the model is trained for: 10x means the rule covers a model about as "
        "capable as an honest model of a tenth of its line. Only what the rule *counts* may produce it: every run is "
        "an honest one (compute-optimal, the reference date's recipe, the target's practices; a teacher is an honest "
        "deployed model), and a lifecycle less capable than an honest run of its own compute is rejected as "
        "wasteful. A figure marked ≥ sits at a bound of the search (more members, a larger teacher or a smaller run "
        "would give more); *no floor* means the rule covered the smallest run the search builds, so its count "
        "reaches down without limit. *P(≥ " + fmt(factor) + "x)* is the share of joint coefficient draws in which "
        "the lifecycle is covered and over-included at least that much. Every lifecycle below was re-checked as "
        "covered through `loopholes check`. Burden in real models is in the backtest above.", ""]
    rows = []
    for domain, entry in oi["worst"].items():
        if not entry:
            rows.append([domain, "none", "—", "—", "—", "—"])
            continue
        rows.append([domain, over_text(entry), f"{entry['p_over']:.2f}" if entry["p_over"] is not None else "—",
                     _cell("; ".join(entry["counts"])), ", ".join(entry["covered_under"]), _cell(entry["summary"])])
    out += [_table(rows, ["domain", "worst over-inclusion", f"P(≥ {fmt(factor)}x)", "what the rule counts",
                          "covered under", "the lifecycle"]), ""]
    mech = [[f"`{m}`", MECHANISM_WORDS[state], _cell(MECHANISMS[m].counts), _cell(MECHANISMS[m].cites)]
            for m, state in oi["mechanisms"].items()]
    out += ["Mechanisms tried (a mechanism is credited only if no composition without it over-includes as much):", "",
            _table(mech, ["mechanism", "result", "what the rule counts", "source"])]
    for domain, entry in oi["worst"].items():
        if not entry:
            continue
        note = f" Bounded by {'; '.join(entry['bounded_by'])}." if entry["bounded_by"] else ""
        out += ["", f"**Worst in {domain}** ({entry['finding']}): {entry['summary']}.{note} Covering clause"
                f"{'s' if len(entry['clauses']) > 1 else ''}: "
                + "; ".join(f"{c['clause']} ({fmt(c['measured'])} {c['comparator']} {fmt(c['threshold'])})"
                            for c in entry["clauses"]) + ".", "",
                "<details><summary>Replay this lifecycle</summary>", "",
                f"Save as `over.yaml`, then run `loopholes check {policy_id} over.yaml --reading {entry['reading']}` "
                "(covered).", "", "```yaml", _yaml(entry["lifecycle"]).rstrip("\n"), "```", "", "</details>"]
    return "\n".join(out)


def _developers(organization: str) -> str:
    """Epoch lists every institution of a paper; the first two say enough in a table."""
    names = [n.strip() for n in organization.split(",") if n.strip()]
    if len(names) <= 2:
        return ", ".join(names)
    return f"{names[0]}, {names[1]} + {len(names) - 2} more"


def _reproduce(model: dict[str, Any]) -> str:
    s = model["search"]
    return "\n".join(["## Reproduce", "",
                      f"Search: seed {s['seed']}, {s['evaluated']} evaluations of a {s['max_evals']} budget"
                      + (" (budget exhausted)" if s["budget_exhausted"] else "") + f", "
                      f"{s['rejected_on_recheck']} candidates rejected on re-check.", "",
                      f"    {s['command']}"])


# -- files ------------------------------------------------------------------------------

def figure_name(policy_id: str, suffix: str) -> str:
    return f"{safe_name(policy_id)}-{suffix}.png"


def safe_name(policy_id: str) -> str:
    """A policy id as a file-name stem (ids of policies loaded by path may hold anything)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", policy_id).strip(".-") or "policy"


def report_files(policy_id: str) -> set[str]:
    """Every file a report of `policy_id` may write: the ones a new run may replace or remove."""
    stem = safe_name(policy_id)
    return ({f"{stem}.md", f"{stem}.json", f"{stem}.html", f"{stem}-findings.csv"}
            | {figure_name(policy_id, s) for s in FIGURE_SUFFIXES})


def stage_report(stage: "Staging", analysis: Any) -> None:
    """Write one rule's Markdown, JSON, figures, CSV and HTML into the staging folder (the
    HTML last: it embeds the figures)."""
    from . import report_csv, report_figures
    from .report_html import stage_html

    model = analysis.report
    stem = safe_name(analysis.policy)
    markdown = report_markdown(model)
    stage.text(f"{stem}.md", markdown)
    stage.text(f"{stem}.json", dumps(model))
    stage.text(f"{stem}-findings.csv", report_csv.findings_csv(model))
    report_figures.findings_figure(model, stage.path(model["figures"]["findings"]))
    report_figures.backtest_png(analysis.backtest, stage.path(model["figures"]["backtest"]))
    stage_html(stage, f"{stem}.md", f"{stem}.html", markdown)


Staging = StagedSet
"""A run's files, produced in a hidden folder inside the output folder and swapped in as
one set (docs/design.md §11: a failed or killed run leaves the old reports or the new ones)."""


class ReportError(LoopholesError):
    """Reports could not be produced or written; the previous ones are left as they were."""


@contextlib.contextmanager
def staging(out: str | Path) -> Iterator[Staging]:
    """`with staging(out) as stage: ...; stage.commit(owned)`; the temp folder always goes."""
    try:
        stage = Staging(out)
    except OSError as error:
        raise ReportError(f"cannot write next to {out}: {error.strerror or error}") from None
    try:
        yield stage
    finally:
        stage.discard()


def publish(out: str | Path, produce: Callable[[Staging], set[str]]) -> list[Path]:
    """Run `produce` (which writes into the stage and returns the file names it owns);
    only when it succeeds are the files moved into `out` and stale owned ones removed."""
    with staging(out) as stage:
        try:
            owned = produce(stage)
        except LoopholesError:
            raise
        except Exception as error:  # a figure or a disk failing: one line, old reports kept
            raise ReportError(f"could not produce the reports ({type(error).__name__}: {error}); "
                              f"nothing in {out} was changed") from error
        try:
            return stage.commit(owned)
        except OSError as error:
            raise ReportError(f"could not move the new reports into {out}: {error.strerror or error}") from error


def write_reports(analyses: Sequence[Any], out: str | Path, *, comparison: dict[str, Any] | None = None) -> list[Path]:
    """Reports of every analysed rule (and, given one, the comparison) into `out`, all or nothing."""
    def produce(stage: Staging) -> set[str]:
        owned: set[str] = set()
        for analysis in analyses:
            stage_report(stage, analysis)
            owned |= report_files(analysis.policy)
        if comparison is not None:
            from .compare import stage_comparison

            owned |= stage_comparison(stage, comparison, reports=True)
        return owned

    return publish(out, produce)


# -- progress ---------------------------------------------------------------------------

class ProgressBar:
    """A tqdm bar on stderr, only when stderr is a terminal (logs and pipes stay clean)."""

    def __init__(self, desc: str):
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit="rule", desc=desc, file=sys.stderr, leave=False)

    def update(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
