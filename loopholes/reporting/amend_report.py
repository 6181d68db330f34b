"""The amendments report of one rule (`loopholes amend --out`): Markdown a drafter can take
into a meeting, the same as HTML, the data as JSON, a figure of the trade-off between
the worst material leakage left and the real models covered, and the lightest amended
rule that closes everything an edit can close, as a rule file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..amend.candidate import worst_with
from ..amend.operators import CATALOGUE, NOT_ENCODED, operator
from ..render import fmt
from .wording import dumps

FIGURE = "{policy}-amendments.png"


def write(amendments: Any, out: str | Path) -> list[Path]:
    """Write <policy>-amendments.md/.html/.json/.png and <policy>-amended.yaml into `out`
    as one set (a failed run leaves the previous files)."""
    import yaml

    from ..files import StagedSet
    from .report_html import stage_html

    policy = amendments.policy
    stage = StagedSet(out)
    try:
        names = {"md": f"{policy}-amendments.md", "html": f"{policy}-amendments.html",
                 "json": f"{policy}-amendments.json", "png": FIGURE.format(policy=policy),
                 "yaml": f"{policy}-amended.yaml"}
        frontier_figure(amendments, stage.path(names["png"]))
        recommended = amendments.recommended
        if recommended is not None:
            stage.text(names["yaml"], "# " + _amended_header(amendments, recommended) + "\n"
                       + yaml.safe_dump(recommended.data, sort_keys=False, allow_unicode=True, width=110))
        markdown = markdown_text(amendments, names)
        stage.text(names["md"], markdown)
        stage_html(stage, names["md"], names["html"], markdown)
        stage.text(names["json"], dumps(amendments.to_json()))
        return stage.commit(owned=set(names.values()))
    finally:
        stage.discard()


def _amended_header(amendments: Any, candidate: Any) -> str:
    return (f"{amendments.policy} amended: the lightest candidate `loopholes amend` found (seed {amendments.seed}) that "
            f"closes everything an edit closed, for releases up to {amendments.baseline['horizon']}; not an "
            "endorsement (see the report's trade-off): " + "; ".join(edit.describes for edit in candidate.edits))


def as_code(strategies: list[str]) -> str:
    """Strategy ids as code spans, comma-separated ("—" for none)."""
    return ", ".join(f"`{s}`" for s in strategies) or "—"


def _leak(finding: dict | None, readings: list[str], strategy: str = "") -> str:
    """The leakiest material finding a strategy is credited in, as a reader must take it:
    with the strategies it needs alongside, its probability and its readings."""
    if not finding:
        return "—"
    text = ("≥ " if finding["bounded"] else "") + fmt(finding["leakage"]) + "x"
    partners = [s for s in finding["strategies"] if s != strategy]
    if partners:
        text += " with " + " + ".join(partners)
    if finding.get("p_material") is not None:
        text += f", P(material) {finding['p_material']:.2f}"
    if finding["evades_under"] and set(finding["evades_under"]) < set(readings):
        text += f" (under reading{'s' if len(finding['evades_under']) > 1 else ''} {', '.join(finding['evades_under'])})"
    return text


def worst_text(result: dict) -> str:
    """A candidate's worst material leakage as a reader takes it ("≥" at a search bound)."""
    worst = result["worst_material"]
    if not worst:
        return "none"
    p = f", P(material) {worst['p_material']:.2f}" if worst.get("p_material") is not None else ""
    return ("≥ " if worst["bounded"] else "") + f"{fmt(worst['leakage'])}x ({worst['domain']}{p})"


def _op_of(a: Any, edit_id: str) -> str:
    return next(e.operator for e in a.edits if e.id == edit_id)


def _label(a: Any, cid: str) -> str:
    """A candidate by its edits ("count-integer + lower-line-x0.5"); the original as written."""
    edits = next(c.edit_ids for c in a.candidates if c.id == cid)
    return " + ".join(edits) if edits else "as written"


def _over(result: dict) -> str:
    """The worst material over-inclusion the search found, as a reader must take it."""
    over = result.get("over_inclusion")
    if not over:
        return "none"
    text = "no floor" if over["no_floor"] else ("≥ " if over["bounded"] else "") + f"{fmt(over['over_inclusion'])}x"
    return f"{text} ({' + '.join(over['mechanisms'])})"


def burden_text(amendments: Any, cid: str) -> str:
    """Covered real models a year under a candidate, and the change from the text as written."""
    base, now = amendments.burden(amendments.policy), amendments.burden(cid)
    delta = now - base
    return f"{now:.1f} ({'+' if delta >= 0 else ''}{delta:.1f})"


def markdown_text(amendments: Any, names: dict[str, str]) -> str:
    a, base = amendments, amendments.baseline
    material = base["material_factor"]
    years = base["burden"]["recent_years"]
    loopholes = base["material_loopholes"]
    out = [f"# Amendments to {a.title}", "",
           f"`loopholes amend {a.policy} --max-edits {a.max_edits}` (seed {a.seed}, search budget {a.max_evals:,} "
           f"evaluations per candidate): {len(a.amended)} amended rules, each searched with the original's targets "
           f"and backtested on real models (rounds: {', '.join(str(n) for n in a.rounds)} candidates). Regenerate "
           "with `python tools/regenerate_reports.py`.", "", "## The answer", ""]
    if not loopholes:
        out.append(f"- The text as written has no material loophole on its own lines (nothing leaks {fmt(material)}x "
                   "or more): there is nothing for an amendment to close. The tables below still show what each edit "
                   "would cost in real models covered.")
    else:
        out.append(f"- As written, {len(loopholes)} strateg{'y takes' if len(loopholes) == 1 else 'ies take'} part in a "
                   "material evasion under at least one reading: "
                   + "; ".join(f"`{s}` {_leak(worst_with(base, s), base['readings'], s)}" for s in loopholes)
                   + f". Worst material leakage {worst_text(base)}; {a.burden(a.policy):.1f} covered real models a year "
                   f"({years[0]}–{years[-1]}, reading {base['burden']['reading']}); worst over-inclusion "
                   f"{_over(base)}.")
    horizon = base["horizon"]
    out.append(f"- Every figure holds for releases up to {horizon}, the search's horizon. A static line falls behind "
               "algorithmic progress after that: a lower line postpones the algorithmic-progress loophole, it does "
               "not close it for good.")
    rec, untested = a.recommended, a.lightest_untested
    if rec is not None:
        shifted = a.shifted(rec.id)
        out.append(f"- **Lightest amendment found that closes everything an edit here closed, with every clause it "
                   f"adds attacked by the search: {'; '.join(e.describes for e in rec.edits)}** (`{rec.id}`). Worst "
                   f"material leakage after: {worst_text(a.results[rec.id])}; it covers {burden_text(a, rec.id)} real models a "
                   f"year; worst over-inclusion {_over(a.results[rec.id])}. The amended rule file is "
                   f"[{names['yaml']}]({names['yaml']}). It is the lightest such candidate, not an endorsement: the "
                   "trade-off below shows what less burden leaves open.")
        if a.remaining(rec.id):
            out.append(f"- Still material after it: {as_code(a.remaining(rec.id))} (no edit in the catalogue closes "
                       "these).")
        if shifted:
            out.append(f"- Under it, {as_code(shifted)} carry a material evasion the text as written already let "
                       "through (there it was credited to other strategies).")
    if untested is not None:
        why = "; ".join(f"`{e}`: {operator(_op_of(a, e)).untested}" for e in a.untested(untested.id))
        out.append(f"- Lighter still, with an edit whose closures the search does not test: "
                   f"{'; '.join(e.describes for e in untested.edits)} (`{untested.id}`), covering "
                   f"{burden_text(a, untested.id)} real models a year. Untested because {why}.")
    if rec is None and a.closable:
        closest = max(a.amended, key=lambda c: (len(a.closed(c.id)), -len(a.remaining(c.id)), -a.burden(c.id),
                                                -len(c.edits), c.id))
        out.append(f"- No candidate with at most {a.max_edits} edits closes every loophole some edit closes "
                   f"({as_code(a.closable)}) without leaving another material one. Closest: "
                   f"{'; '.join(e.describes for e in closest.edits)} (`{closest.id}`), which closes "
                   f"{as_code(a.closed(closest.id))} and leaves {as_code(a.remaining(closest.id))}; worst material "
                   f"leakage after {worst_text(a.results[closest.id])}; it covers {burden_text(a, closest.id)} real models a "
                   "year. A larger --max-edits tries more combinations.")
    cheaper = [cid for cid in a.frontier if cid != a.policy and (rec is None or a.burden(cid) < a.burden(rec.id))]
    if cheaper:
        out.append(("- Lighter, leaving more" if rec is not None else "- The trade-off")
                   + " (the frontier: no candidate leaks less at the same or lower burden): "
                   + "; ".join(f"`{_label(a, cid)}` closes "
                               f"{as_code(a.closed(cid))}, leaves {worst_text(a.results[cid])}, covers "
                               f"{burden_text(a, cid)} a year" for cid in cheaper) + ".")
    if a.unclosable:
        out.append(f"- **No edit in the catalogue closes** {as_code(a.unclosable)}: each stays material (or its "
                   "finding stays uncovered) under every candidate tried.")
    for key, text in sorted(NOT_ENCODED.items()):
        out.append(f"- Not in the catalogue: {text}")
    out += ["", f"![worst material leakage against real models covered]({names['png']})", "",
            "*Each point is a candidate rule; the line joins the frontier (no other candidate leaks less and covers "
            "fewer real models). A candidate with no material leakage sits on the bottom row.*", ""]
    out += ["## Single edits", ""] + _table(a, [c for c in a.amended if len(c.edits) == 1])
    combos = [c for c in a.amended if len(c.edits) > 1]
    if combos:
        out += ["", "## Combinations", "",
                "Combinations of the single edits that closed a loophole or lowered the worst material leakage, "
                "never two edits of one kind.", ""] + _table(a, combos)
    out += ["", "† an edit whose closures the search does not test: "
            + "; ".join(f"`{op.id}`: {op.untested}" for op in CATALOGUE if op.untested) + ".", ""]
    out += ["", "## The catalogue", "", "Sources in full, with what is left out and why: `docs/amendment-sources.md` in the "
            "loopholes repository.", "",
            "| edit | what it does | proposed by | meant to close | applies here |",
            "|---|---|---|---|---|"]
    for op in CATALOGUE:
        edits = [e for e in a.edits if e.operator == op.id]
        what = "; ".join(dict.fromkeys(e.describes for e in edits)) or "—"
        out.append(f"| {op.title} | {what} | {op.proposed_by} | {as_code(list(op.aims_at))} | "
                   f"{', '.join(f'`{e.id}`' for e in edits) if edits else 'no (the text already does this, or has no such element)'} |")
    out += ["", "## How to read this", "",
            f"- A *material loophole* here is a strategy credited in a material finding under at least one reading "
            "(the comparison's count of strategies that evade materially takes only evasions under every reading, so "
            "it can be 0 where this list is not): a lifecycle that evades the rule "
            f"(under every reading, or under some: the text leaves it open), needs every strategy it names, and "
            f"keeps at least {fmt(material)}x the target's capability (as capable as an honest model trained with "
            f"{fmt(material)} times the line). Targets stay those of the text as written: an amendment changes the "
            "rule, not what the rule is for. `no-gaming` means an honest run just under the line already reaches it. "
            "(The comparison's matrix shows each strategy where it adds most, so a strategy marginal there can still "
            "be needed in a material composition here.)",
            "- *Closes*: the amended rule's search credits the strategy in no material finding, and every material "
            "finding the original's search reported through it is covered by the amended rule under every reading, "
            "re-judged through `loopholes check`. A search is not a proof, and it tries releases only up to its "
            "horizon.",
            "- *Left*: still credited in a material finding after the edit, or a material finding of the original "
            "that credits it still evades under some reading. *Opens*: newly credited in a material finding that "
            "the original covers under every reading. *Shifted*: newly credited, but every such finding evaded the "
            "original too (the evasion existed; the edit makes this strategy necessary to it).",
            "- *Worst over-inclusion*: the other error, burden the search finds: a lifecycle of honest runs the "
            "rule covers whose capability is that many times below the target, because of what the rule counts "
            "(summed members, a teacher's compute, integer operations: docs/findings.md); 'no floor' means "
            "the rule still covered the smallest run the search built.",
            f"- *Covered models / year*: the backtest mean over {years[0]}–{years[-1]} (Epoch AI data, under the "
            "amended rule's first reading, which an edit may have merged with another); the change from the text as "
            "written is in brackets. A search is a "
            "search, not a proof: a figure marked ≥ stopped at a search bound and is a lower bound.", ""]
    return "\n".join(out)


def _table(a: Any, candidates: list) -> list[str]:
    rows = ["| amendment | closes | left | opens | shifted | worst material leakage after | covered models / year "
            "| worst over-inclusion |", "|---|---|---|---|---|---|---|---|"]
    for c in sorted(candidates, key=lambda c: (-len(a.closed(c.id)), a.worst(c.id), a.burden(c.id), c.id)):
        label = " + ".join(f"`{e.id}`" + (" †" if operator(e.operator).untested else "") for e in c.edits)
        if a.results[c.id]["horizon"] != a.baseline["horizon"]:  # a dynamic line is judged while the data lasts
            label += f" (releases to {a.results[c.id]['horizon']})"
        rows.append(f"| {label} | {as_code(a.closed(c.id))} | {as_code(a.left(c.id))} | {as_code(a.opened(c.id))} | "
                    f"{as_code(a.shifted(c.id))} | {worst_text(a.results[c.id])} | {burden_text(a, c.id)} | "
                    f"{_over(a.results[c.id])} |")
    return rows


def frontier_figure(a: Any, path: str | Path) -> Path:
    """Worst material leakage left (log) against covered real models a year, one point per
    candidate; the frontier joined and labelled."""
    from matplotlib.figure import Figure

    from .figures import save_figure

    fig = Figure(figsize=(10.0, 6.0))
    ax = fig.add_subplot(1, 1, 1)
    floor = a.baseline["material_factor"] / 2
    ids = [c.id for c in a.candidates]

    def point(cid: str) -> tuple[float, float]:
        return a.burden(cid), max(a.worst(cid), floor)

    xs, ys = zip(*(point(cid) for cid in ids))
    ax.scatter(xs, ys, s=22, color="#9aa5b1", zorder=2, label="candidate")
    front = a.frontier
    fx, fy = zip(*(point(cid) for cid in front))
    ax.plot(fx, fy, "-o", color="#1f77b4", zorder=3, label="frontier")
    bx, by = point(a.policy)
    ax.scatter([bx], [by], s=90, marker="s", color="#d62728", zorder=4, label="text as written")
    rec = a.recommended
    if rec is not None:
        rx, ry = point(rec.id)
        ax.scatter([rx], [ry], s=160, marker="*", color="#2ca02c", zorder=5, label="lightest that closes all")
    for cid in front:
        x, y = point(cid)
        label = _label(a, cid)
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_yscale("log")
    ax.axhline(a.baseline["material_factor"], color="#555555", lw=0.8, ls="--")
    ax.annotate("material", (ax.get_xlim()[1], a.baseline["material_factor"]), textcoords="offset points",
                xytext=(-50, 4), fontsize=8, color="#555555")
    ax.set_xlabel("real models covered per year (backtest mean)")
    ax.set_ylabel(f"worst material leakage left (x honest model at the line; none = {fmt(floor)})")
    ax.set_title(f"{a.policy}: what each amendment leaves against what it covers")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    fig.tight_layout()
    return save_figure(fig, path)
