"""CSV beside the reports, for drafters who sort and filter in a spreadsheet: one row per
finding of a rule (`<policy>-findings.csv`), one row per rule x strategy cell of a
comparison (`compare-matrix.csv`) and one row per rule of its measures
(`compare-metrics.csv`).

Each table is declared once as (column, meaning, value) so docs/report-files.md can be
checked against it. Values are written as in the JSON: floats to six significant figures,
booleans as true/false, lists joined with '; ', a missing value as an empty cell; UTF-8,
one header row, '\\n' line ends, so a regeneration writes the same bytes.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Callable, Sequence

Column = tuple[str, str, Callable[[dict[str, Any]], Any]]


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def get(row: dict[str, Any]) -> Any:
        value: Any = row
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return get


FINDING_COLUMNS: list[Column] = [
    ("number", "the finding's number in the report (F1, F2, ...)", _get("number")),
    ("id", "the finding's id: domain/strategies/hash", _get("id")),
    ("strategies", "the strategies whose steps it uses", _get("strategies")),
    ("domain", "the domain whose target it reaches (general, bio)", _get("domain")),
    ("reading", "the reading of the rule it was found under", _get("reading")),
    ("evades_under", "every reading under which it escapes", _get("evades_under")),
    ("covered_under", "the readings under which the rule covers it", _get("covered_under")),
    ("ambiguity", "true when some reading covers it: the text, not the rule, leaves the gap", _get("ambiguity")),
    ("leakage", "its capability over the honest target's, central coefficients (1 = what the rule exists to "
                "catch)", _get("leakage")),
    ("bounded_by", "the search limits that stopped the figure; when not empty, leakage is a lower bound",
     _get("bounded_by")),
    ("material", "true when leakage reaches material_factor", _get("material")),
    ("material_factor", "the leakage from which an evasion counts as material", _get("material_factor")),
    ("robust", "true when p_material is at least 0.9", _get("robust")),
    ("p_evades", "share of joint coefficient draws in which it escapes", _get("p_evades")),
    ("p_material", "share of joint coefficient draws in which it escapes with material leakage",
     _get("p_material")),
    ("draws", "how many joint coefficient draws the probabilities rest on", _get("draws")),
    ("hinge", "the coefficient whose band moves its leakage most", _get("hinge", "coefficient")),
    ("hinge_leakage_at_low", "its leakage with that coefficient at the low end of its band",
     _get("hinge", "leakage_at_low")),
    ("hinge_leakage_at_high", "its leakage with that coefficient at the high end of its band",
     _get("hinge", "leakage_at_high")),
    ("cost_flop", "operations the adversary spends in the whole lifecycle", _get("cost", "flop")),
    ("cost_ratio", "that cost over the honest run at the line", _get("cost", "ratio_to_honest")),
    ("capability_central", "effective compute of the deployed artifact in its domain, central",
     lambda f: _get("capability", f["domain"], "central")(f)),
    ("target_effective_flop", "effective compute of the honest target", _get("target", "effective_flop")),
    ("target_training_flop", "training compute of the honest target (the line, or a common target)",
     _get("target", "honest_training_flop")),
    ("released", "release date of the deployed artifact", _get("released")),
    ("steps", "number of steps in its lifecycle", lambda f: len(f.get("steps") or [])),
    ("slipped_past", "the clause it got past", _get("slipped_past", "clause")),
    ("slipped_past_measured", "what that clause measured on it", _get("slipped_past", "measured")),
    ("slipped_past_threshold", "that clause's line", _get("slipped_past", "threshold")),
    ("slipped_past_ratio", "measured over the line", _get("slipped_past", "ratio")),
]

MATRIX_COLUMNS: list[Column] = [
    ("policy", "the rule", _get("policy")),
    ("strategy", "the gaming strategy", _get("strategy")),
    ("state", "robust, material, marginal, reading (only under some readings), blocked or n/a (cannot apply)",
     _get("state")),
    ("evaded", "true when some finding needs this strategy", _get("evaded")),
    ("material", "true when the state is robust or material", _get("material")),
    ("finding", "the finding that speaks for the cell (empty when none)", _get("finding")),
    ("domain", "that finding's domain", _get("domain")),
    ("strategies", "every strategy that finding uses", _get("strategies")),
    ("evades_under", "the readings under which it escapes", _get("evades_under")),
    ("leakage", "its leakage (capability over the honest target's)", _get("leakage")),
    ("bounded_by", "search limits that stopped it; when not empty, leakage is a lower bound", _get("bounded_by")),
    ("adds", "what this strategy itself adds: the leakage over the best without it", _get("adds")),
    ("p_evades", "share of joint coefficient draws in which it escapes", _get("p_evades")),
    ("p_material", "share of joint draws in which it escapes with material leakage", _get("p_material")),
]


def metric_columns(doc: dict[str, Any]) -> list[Column]:
    """The columns of compare-metrics.csv: fixed ones, then per domain (general, bio, then
    any other in name order) and per recent backtest year."""
    from .wording import domain_order

    domains = sorted({d for m in doc["metrics"] for d in (*m["leakage_detail"], *m["common"])}, key=domain_order)
    years = sorted({y for m in doc["metrics"] for y in m["burden"]["recent_years"]})
    rank = {entry["policy"]: entry["rank"] for entry in doc["ranking"]}
    states = lambda m, *names: sum(len(m["states"][n]) for n in names)  # noqa: E731
    columns: list[Column] = [
        ("rank", "place in the ranking (fewest leaks first)", lambda m: rank[m["policy"]]),
        ("policy", "the rule", _get("policy")),
        ("title", "the rule's title", _get("title")),
        ("status", "in force, revoked, vetoed, proposal, ...", _get("status")),
        ("population_based", "true for rules drawn against a population of models (dynamic, index)",
         _get("population_based")),
        ("reference_date", "the date the rule's lines are drawn on", _get("reference_date")),
        ("readings", "the rule's readings", _get("readings")),
        ("material_factor", "leakage from which an evasion is material", _get("material_factor")),
    ]
    for d in domains:
        columns += [
            (f"line_{d}", f"the rule's own line in {d} (training FLOP); empty when it has none", _get("lines", d)),
            (f"leakage_{d}", f"leakage at the rule's own {d} line", _get("leakage_detail", d, "leakage")),
            (f"leakage_{d}_bounded_by", "search limits that stopped that figure (a lower bound when not empty)",
             _get("leakage_detail", d, "bounded_by")),
            (f"common_leakage_{d}", f"leakage at the common {d} target", _get("common", d, "leakage")),
            (f"common_leakage_{d}_bounded_by", "search limits that stopped that figure",
             _get("common", d, "bounded_by")),
            (f"common_p_material_{d}", f"P(material) of the common {d} figure", _get("common", d, "p_material")),
        ]
    columns += [
        ("worst_material_leakage", "the worst material leakage on the common targets (what the ranking uses)",
         _get("worst_material", "leakage")),
        ("worst_material_domain", "its domain", _get("worst_material", "domain")),
        ("worst_material_bounded", "true when it is a lower bound", _get("worst_material", "bounded")),
        ("worst_material_p_material", "its P(material)", _get("worst_material", "p_material")),
        ("evasion_cost", "the cheapest material finding's compute over the honest run's", _get("evasion_cost")),
        ("cheapest_finding", "that finding", _get("cheapest_finding")),
        ("cheapest_strategies", "its strategies", _get("cheapest_strategies")),
        ("material_strategies", "strategies that evade materially (robust or material)",
         lambda m: states(m, "robust", "material")),
        ("marginal_strategies", "strategies that evade only marginally", lambda m: states(m, "marginal")),
        ("reading_only_strategies", "strategies that evade only under some readings", lambda m: states(m, "reading")),
        ("blocked", "strategies that could matter but found nothing", _get("blocked")),
        ("applicable", "strategies that can matter to the rule", _get("applicable")),
        ("cannot_apply", "strategies that attack an element the rule does not have", _get("cannot_apply")),
        ("strategies_blocked", "blocked over applicable (a share, as in the JSON)", _get("strategies_blocked")),
        ("findings", "findings of the rule's own search", _get("findings")),
        ("material_findings", "of which material", _get("material_findings")),
        ("robust_findings", "of which robust", _get("robust_findings")),
        ("burden_reading", "the reading the backtest used", _get("burden", "reading")),
        ("burden_recent_mean", "covered real models per year, mean over the recent years", _get("burden", "recent_mean")),
    ]
    columns += [(f"covered_{y}", f"real models covered in {y}", lambda m, y=y: _covered(m, y)) for y in years]
    return columns


def _covered(metrics: dict[str, Any], year: int) -> int:
    per_year = metrics["burden"]["per_year"]  # int keys in memory, string keys once read back from JSON
    return per_year.get(year, per_year.get(str(year), 0))


def cell(value: Any) -> str:
    """One value as the JSON writes it, flattened for a spreadsheet."""
    from .wording import tidy

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    if isinstance(value, int) and abs(value) >= 1e15:  # a threshold of 10**25 reads as 1e+25, as a float would
        value = float(value)
    value = tidy(value)
    return "" if value is None else str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """CSV text: a header of column names, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _, _ in columns])
    for row in rows:
        writer.writerow([cell(get(row)) for _, _, get in columns])
    return out.getvalue()


def findings_csv(model: dict[str, Any]) -> str:
    """<policy>-findings.csv from a report model (report.report_model)."""
    return table(model["findings"], FINDING_COLUMNS)


def matrix_csv(doc: dict[str, Any]) -> str:
    """compare-matrix.csv from a comparison (compare.comparison)."""
    return table(doc["matrix"], MATRIX_COLUMNS)


def metrics_csv(doc: dict[str, Any]) -> str:
    """compare-metrics.csv, rules in ranking order."""
    by_policy = {m["policy"]: m for m in doc["metrics"]}
    return table([by_policy[entry["policy"]] for entry in doc["ranking"]], metric_columns(doc))
