"""The catalogue of amendments: edits of a rule file's data (rules as data), each citing
where it was proposed (docs/amendment-sources.md, which also says what is left out).

An operator looks at a rule file's mapping and returns the edits it can make there (none
when the text already does what it proposes). An edit is a pure function from mapping to
mapping, so any set of edits from different groups composes in catalogue order. Edits of
one `group` change the same element of the text (the line, the sum counted, ...) and are
never combined with each other.

The amended file stays a valid rule file: `tidy` drops reading options no rule reads any
more and merges readings the edit made identical, and the file says in its ambiguities
what was amended.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from ..rules.rulefile import exact, reader_kinds, unread_options

COUNTED = ("compute", "domain", "percentile")
"""Rule kinds that count training compute in a scope."""

SCOPED = COUNTED + ("cost",)
"""Rule kinds whose sum follows a scope."""


@dataclass(frozen=True)
class Edit:
    """One change to one rule file: what it does, and the function that does it."""

    id: str
    """Stable id, e.g. `lower-line-x0.5`; used in amended rule ids."""
    operator: str
    group: str
    describes: str
    """What the edited text says, in a drafter's words."""
    apply: Callable[[dict], dict]


@dataclass(frozen=True)
class Operator:
    id: str
    title: str
    group: str
    proposed_by: str
    """Where the edit was proposed or enacted (docs/amendment-sources.md has each source)."""
    aims_at: tuple[str, ...]
    """The gaming strategies it is meant to close (what the search then measures may differ)."""
    edits: Callable[[dict], list[Edit]]
    untested: str = ""
    """Why what it closes is not tested against gaming (no strategy attacks the clause it
    adds); empty when the search attacks it like any other clause."""


# -- reading the mapping ------------------------------------------------------------------

def _rules(data: dict, kinds: tuple[str, ...]) -> list[dict]:
    return [rule for rule in data["rules"] if rule.get("kind") in kinds]


def _lines(data: dict, kinds: tuple[str, ...] = ("compute", "domain")) -> list[dict]:
    """The lines that decide heightened scrutiny (rules of a covered tier; an indicative
    lower tier such as the EU's general-purpose criterion is left as it is)."""
    return [rule for rule in _rules(data, kinds) if rule.get("tier") in data.get("covered_tiers", [])]


def _options(reading: dict) -> dict:
    return reading.setdefault("options", {})


def _scopes(data: dict) -> set[str]:
    """Every sum a compute, domain, percentile or cost rule counts under some reading."""
    scopes = set()
    for rule in _rules(data, SCOPED):
        if rule.get("scope"):
            scopes.add(rule["scope"])
        else:
            scopes |= {r.get("options", {}).get("scope", "lineage") for r in data["readings"]}
    return scopes


def _note(data: dict, text: str) -> None:
    data.setdefault("ambiguities", []).insert(0, f"Amended (loopholes amend): {text}")


def _edit(data: dict, change: Callable[[dict], None], text: str) -> dict:
    out = copy.deepcopy(data)
    change(out)
    _note(out, text)
    return tidy(out)


def tidy(data: dict) -> dict:
    """Keep an amended mapping a valid rule file: options no rule reads are dropped
    (rulefile refuses them) and readings that now say the same are merged into the first."""
    kinds = reader_kinds([(r.get("kind"), r.get("scope")) for r in data["rules"]],
                         [r.get("options", {}).get("scope") for r in data["readings"]])
    kept: list[dict] = []
    for reading in data["readings"]:
        options = reading.get("options", {})
        for option in unread_options(list(options), kinds):
            del options[option]
        twin = next((k for k in kept if k.get("options", {}) == options), None)
        if twin is None:
            kept.append(reading)
        else:
            twin["answer"] = f"{twin['answer']} (Amended: reading '{reading['id']}' now says the same and is merged here.)"
    data["readings"] = kept
    return data


# -- the operators ----------------------------------------------------------------------------

def _count_integer(data: dict) -> list[Edit]:
    if not any(r.get("options", {}).get("count_integer") is False for r in data["readings"]):
        return []

    def change(d: dict) -> None:
        for reading in d["readings"]:
            _options(reading)["count_integer"] = True

    text = "integer operations (INT8/INT4) count at full weight, as floating-point operations do"
    return [Edit("count-integer", "count-integer", "integer", text, lambda d: _edit(d, change, text))]


def _scope_edit(edit_id: str, scope: str, narrower: set[str], text: str) -> Callable[[dict], list[Edit]]:
    def edits(data: dict) -> list[Edit]:
        if not _scopes(data) & narrower:
            return []

        def change(d: dict) -> None:
            for rule in _rules(d, SCOPED):
                if rule.get("scope"):
                    rule["scope"] = scope
            for reading in d["readings"]:
                options = _options(reading)
                if options.get("scope", "lineage") in narrower:
                    options["scope"] = scope

        return [Edit(edit_id, edit_id, "scope", text, lambda d: _edit(d, change, text))]

    return edits


def _dense_estimate(data: dict) -> list[Edit]:
    if all(r.get("options", {}).get("estimate") == "dense" for r in data["readings"]) or not _rules(data, COUNTED):
        return []

    def change(d: dict) -> None:
        for reading in d["readings"]:
            _options(reading)["estimate"] = "dense"

    text = ("operations count as executed, never less than the developer's estimate, and a sparse run at its "
            "dense size")
    return [Edit("count-executed", "count-executed", "estimate", text, lambda d: _edit(d, change, text))]


def _line_value(data: dict, rule: dict) -> Any:
    """The line a rule draws, as written (a dated parameter: its latest value)."""
    threshold = rule.get("threshold")
    parameter = data.get("parameters", {}).get(threshold) if isinstance(threshold, str) else None
    if parameter is None:
        return exact(threshold, rule["id"])
    if parameter.get("values"):
        return exact(parameter["values"][max(parameter["values"])], threshold)
    return exact(parameter["value"], threshold)


def _scaled(value: Any, factor: Fraction) -> Any:
    scaled = Fraction(value) * factor
    return int(scaled) if scaled.denominator == 1 else float(scaled)


LINE_FACTORS = (Fraction(1, 2), Fraction(1, 10))
"""How far `lower-line` moves the compute lines: a halving is about 8-9 months of
algorithmic progress (docs/coefficient-sources.md), a tenth about three years."""


def _lower_line(data: dict) -> list[Edit]:
    if not _lines(data):
        return []
    out = []
    for factor in LINE_FACTORS:
        def change(d: dict, factor: Fraction = factor) -> None:
            done: set[str] = set()
            for rule in _lines(d):
                name = rule.get("threshold")
                parameter = d.get("parameters", {}).get(name) if isinstance(name, str) else None
                if parameter is None:
                    rule["threshold"] = _scaled(exact(name, rule["id"]), factor)
                elif name not in done:
                    if "values" in parameter and parameter["values"] is not None:
                        parameter["values"] = {day: _scaled(exact(v, name), factor) for day, v in parameter["values"].items()}
                    else:
                        parameter["value"] = _scaled(exact(parameter["value"], name), factor)
                    parameter["clause"] += f"; amended: x{float(factor):g}"
                    done.add(name)

        text = f"every compute line moves to {float(factor):g} of its value (the targets stay where the text drew them)"
        out.append(Edit(f"lower-line-x{float(factor):g}", "lower-line", "line", text,
                        lambda d, change=change, text=text: _edit(d, change, text)))
    return out


DYNAMIC = {"percentile": 0.05, "window_months": 12, "specialised_share": 0.5}
"""The papers' dynamic line, as `dynamic-percentile` encodes it (Hooker 2024 §5.2)."""


def _dynamic_line(data: dict) -> list[Edit]:
    if not _lines(data, ("compute",)):
        return []

    def change(d: dict) -> None:
        parameters = d.setdefault("parameters", {})
        notes = {"percentile": "share of the ranking covered (low end of the essay's 5-10 %)",
                 "window_months": "peers are the models released in the 12 months before",
                 "specialised_share": "J: share of data that makes a model specialised (neither paper says)"}
        for name, value in DYNAMIC.items():
            parameters.setdefault(name, {"value": value, "clause": "Hooker 2024 §5.2; C4AI primer 2024 §4.1 (amended)",
                                         "note": notes[name]})
        for i, rule in enumerate(d["rules"]):
            if rule.get("kind") != "compute" or rule.get("tier") not in d.get("covered_tiers", []):
                continue
            new = {"id": rule["id"], "kind": "percentile", "clause": f"{rule['clause']} (amended: Hooker 2024 §5.2)",
                   "measures": "training compute vs the top 5 % of the past 12 months' models of its reference class",
                   "threshold": _line_value(d, rule), "comparator": ">=", "tier": rule["tier"]}
            for key in ("scope", "all", "any"):
                if key in rule:
                    new[key] = rule[key]
            d["rules"][i] = new

    text = "the compute line becomes the top 5 % of the past 12 months' models in the artifact's reference class"
    return [Edit("dynamic-line", "dynamic-line", "line", text, lambda d: _edit(d, change, text))]


def _inclusive(data: dict) -> list[Edit]:
    if not any(r.get("comparator", ">") == ">" for r in _lines(data)):
        return []

    def change(d: dict) -> None:
        for rule in _lines(d):
            rule["comparator"] = ">="

    text = "a model at exactly the line is covered ('at least' instead of 'more than')"
    return [Edit("inclusive-line", "inclusive-line", "comparator", text, lambda d: _edit(d, change, text))]


FRONTIER = {"frontier_rank": 5, "capability_band": "central", "frontier_class": "language"}
"""The EU AI Act's capability limb as eu-ai-act.yaml encodes it (Art. 51(1)(a), Art. 3(64))."""


def _capability_limb(data: dict) -> list[Edit]:
    has_limb = bool(_rules(data, ("capability",)))
    switched_off = any(r.get("options", {}).get("capability_limb") is False for r in data["readings"])
    if has_limb and not switched_off:
        return []
    counted = _lines(data, COUNTED)
    if not counted:
        return []

    def change(d: dict) -> None:
        for reading in d["readings"]:
            if reading.get("options", {}).get("capability_limb") is False:
                reading["options"]["capability_limb"] = True
        if has_limb:
            return
        parameters = d.setdefault("parameters", {})
        for name, value in FRONTIER.items():
            parameters.setdefault(name, {"value": value, "clause": "EU AI Act Art. 51(1)(a), Art. 3(64) (amended)"})
        parameters.setdefault("rules_apply_from", {"value": str(d["reference_date"]),
                                                   "clause": "the rule's reference date (amended)"})
        d["rules"].append({"id": "high-impact", "kind": "capability",
                           "clause": "amended: capability limb after EU AI Act Art. 51(1)(a); C4AI primer 2024 §4.1",
                           "comparator": ">=", "tier": counted[0]["tier"]})

    text = ("a model as capable as the 5th most capable general-purpose model released by then is covered "
            "whatever its compute" if not has_limb else "the capability limb applies under every reading")
    return [Edit("capability-limb", "capability-limb", "capability", text, lambda d: _edit(d, change, text))]


COST_LINE = 100_000_000
"""The $100 m of SB 1047 §22602(e)(1)(A)(i) and NY RAISE as passed in 2025, where it narrowed the
compute line (both tests had to hold); here an alternative (J, docs/amendment-sources.md)."""


def _cost_tier(data: dict) -> list[Edit]:
    counted = _lines(data, ("compute",))
    if _rules(data, ("cost",)) or not counted:
        return []
    tier, scope = counted[0]["tier"], counted[0].get("scope")  # read before another edit turns the line dynamic

    def change(d: dict) -> None:
        d.setdefault("parameters", {})["cost_line"] = {
            "value": COST_LINE, "clause": "amended: the $100 m of SB 1047 §22602(e)(1)(A)(i), as an alternative (J)",
            "note": "cost of the training compute in 2023 USD, every operation at the median Epoch AI price of "
                    "the three years before release whatever its precision (loopholes/cost.py); SB 1047 priced at "
                    "average cloud market prices at the start of training"}
        cost = {"id": "cost", "kind": "cost", "clause": "amended: cost alternative (docs/amendment-sources.md)",
                "threshold": "cost_line", "comparator": ">", "tier": tier}
        if scope:  # the cost of the same sum the compute line counts
            cost["scope"] = scope
        d["rules"].append(cost)

    text = "a model whose training compute (the same sum the compute line counts) cost more than $100 m is covered as well"
    return [Edit("cost-tier", "cost-tier", "cost", text, lambda d: _edit(d, change, text))]


SHARE = 0.1
"""J: a domain share test at 10 % instead of 'primarily' (>50 %); neither paper names a figure."""


def _share_test(data: dict) -> list[Edit]:
    if not _rules(data, ("domain",)):
        return []

    def change(d: dict) -> None:
        for rule in _rules(d, ("domain",)):
            name = rule.get("share_above")
            if isinstance(name, str) and name in d.get("parameters", {}):
                d["parameters"][name]["value"] = SHARE
                d["parameters"][name]["clause"] += "; amended: 10 %"
            else:
                rule["share_above"] = SHARE

    text = "the domain line applies from 10 % of the training data in the domain, not from 'primarily'"
    return [Edit("share-10pct", "share-test", "share", text, lambda d: _edit(d, change, text))]


CATALOGUE: tuple[Operator, ...] = (
    Operator("count-integer", "Count integer operations", "integer",
             "Hooker 2024 App. A; SB 53 §22757.11 counts integer or floating-point operations [P], as does NY RAISE "
             "2026 §1420 as summarised [S]",
             ("integer-precision",), _count_integer),
    Operator("count-whole-system", "Count the whole system as one model", "scope",
             "Hooker 2024 §3.1.3-3.1.4; C4AI primer 2024 §2.3",
             ("cascade", "moe-assembly", "split-runs", "decentralized-finetune"),
             _scope_edit("count-whole-system", "model", {"single-run", "developer"},
                         "the deployed system's runs, bases and members count as one model (an ensemble or cascade "
                         "served as one system is one model)")),
    Operator("count-lineage", "Count the lineage", "scope",
             "Hooker 2024 §3.1.1-3.1.2; C4AI primer 2024 §4.1 (clearer FLOP accounting)",
             ("distillation", "decentralized-finetune", "cascade", "split-runs", "moe-assembly"),
             _scope_edit("count-lineage", "lineage", {"single-run", "developer", "model", "model-and-data", "provider"},
                         "everything upstream counts: teachers, synthetic-data generation, bases and fine-tunes")),
    Operator("count-executed", "Count executed operations", "estimate",
             "Hooker 2024 App. A (theoretical vs measured FLOP; sparsity)",
             ("measured-vs-theoretical", "sparsity"), _dense_estimate),
    Operator("lower-line", "Move the line", "line",
             "Hooker 2024 §2.1, §5.1; EU AI Act Art. 51(3) (the Commission may amend the line); factors J",
             ("algorithmic-progress",), _lower_line),
    Operator("dynamic-line", "Switch to a dynamic line", "line", "Hooker 2024 §5.2; C4AI primer 2024 §4.1",
             ("algorithmic-progress",), _dynamic_line),
    Operator("inclusive-line", "Change the comparator", "comparator",
             "KR AI Basic Act Enforcement Decree ('10^26 or more')", (), _inclusive),
    Operator("capability-limb", "Add a capability limb", "capability",
             "EU AI Act Art. 51(1)(a), Art. 3(64); C4AI primer 2024 §4.1 (complementary measures); the 5th most "
             "capable model is J",
             ("integer-precision", "sparsity", "algorithmic-progress", "decentralized-finetune"), _capability_limb,
             untested="the limb is judged with the capability model that measures leakage, so it covers by "
                      "construction what that model calls capable; gaming of the evaluation is not searched"),
    Operator("cost-tier", "Add a cost tier", "cost", "C4AI primer 2024 §4.1; the $100 m of SB 1047 §22602(e)(1)(A)(i) "
             "and RAISE 2025, there a narrowing test, here an alternative (J)",
             ("integer-precision", "measured-vs-theoretical"), _cost_tier,
             untested="no strategy games cost (cheaper integer operations, a cheaper supplier, under-reported "
                      "cost): every operation is priced at one median price whatever its precision"),
    Operator("share-test", "Lower the domain share test", "share", "Hooker 2024 §3.1.5 (J: the 10 % figure)",
             ("bio-dilution",), _share_test),
)
"""Every operator, in the order edits are applied when combined."""

NOT_ENCODED = {
    "inference-clause": "an inference-compute clause (Hooker 2024 §3.1.1): the rule format has no measure of "
                        "deployment-time compute, so it is not in the catalogue; the strategy it would aim at "
                        "(inference-boost) is shown as left open wherever it leaks.",
    "revenue-tier": "a revenue tier: in SB 53 and RAISE 2026 the revenue test narrows who carries the heavier "
                    "duties; it cannot make a rule cover a model it missed, so it closes nothing.",
}
"""Amendments proposed in the sources that the catalogue does not make, and why."""


def catalogue() -> tuple[Operator, ...]:
    return CATALOGUE


def edits_for(data: dict) -> list[Edit]:
    """Every single edit the catalogue can make to this rule file, in catalogue order."""
    return [edit for operator in CATALOGUE for edit in operator.edits(data)]


def operator(operator_id: str) -> Operator:
    return next(op for op in CATALOGUE if op.id == operator_id)
