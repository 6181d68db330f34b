"""`loopholes diff` (issue 15 item 1): where two rules disagree, with re-verified minimal
lifecycles and the relations between them."""

from __future__ import annotations

import json

from loopholes import check
from loopholes.cli import main
from loopholes.diff import diff
from loopholes.loading import parse_lifecycle

BUDGET = 3000

LINE = """
id: {id}
title: A line at {line}
jurisdiction: Nowhere
source: https://example.org/{id}
status: draft
reference_date: 2025-01-01
readings:
  - {{id: plain, question: "Which compute counts?", answer: "The lineage.", options: {{scope: lineage}}}}
tiers: [covered]
covered_tiers: [covered]
target_lines: {{general: {line}}}
rules:
  - {{id: line, kind: compute, clause: "Draft §1", threshold: {line}, tier: covered}}
"""


def rule(tmp_path, name: str, line: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(LINE.format(id=name, line=line), encoding="utf-8")
    return str(path)


def test_a_rule_is_equivalent_to_itself_and_not_disjoint(tmp_path):
    path = rule(tmp_path, "same", "1e26")
    result = diff(path, path, max_evals=BUDGET, generated=150)
    assert result.a_not_b == [] and result.b_not_a == []
    relations = result.relations
    assert relations["a_implies_b"]["holds"] and relations["b_implies_a"]["holds"] and relations["equivalent"]["holds"]
    assert not relations["disjoint"]["holds"]  # an honest large run is covered by both


def test_a_lower_line_covers_more_and_the_difference_is_minimal_and_rechecked(tmp_path):
    low, high = rule(tmp_path, "low", "1e25"), rule(tmp_path, "high", "1e26")
    result = diff(low, high, max_evals=BUDGET, generated=200)
    relations = result.relations
    assert relations["b_implies_a"]["holds"], "everything above 1e26 is above 1e25"
    assert not relations["a_implies_b"]["holds"] and not relations["equivalent"]["holds"]
    assert result.a_not_b and result.b_not_a == []
    smallest = result.a_not_b[0]
    assert len(smallest.lifecycle.steps) == 1  # Hypothesis shrinks to one run between the lines
    assert smallest.clauses == ("Draft §1 (line)",)
    replayed = parse_lifecycle(smallest.lifecycle.to_spec())
    assert check(low, replayed).covered and not check(high, replayed).covered
    assert result.population["b_only"] == [] and result.population["a_only"]  # real models between the lines


def test_the_cli_prints_both_directions_and_json(tmp_path, capsys, monkeypatch):
    import loopholes.diff

    # The text and the JSON of one diff: the command's second run prints the result of its
    # first (asked for with the same arguments) instead of searching both rules again.
    real, computed = loopholes.diff.diff, {}

    def once(a, b, *, executor=None, **options):
        key = (a, b, tuple(sorted(options.items())))
        if key not in computed:
            computed[key] = real(a, b, executor=executor, **options)
        return computed[key]

    monkeypatch.setattr(loopholes.diff, "diff", once)
    assert main(["diff", "us-eo-14110", "ca-sb53", "--max-evals", str(BUDGET)]) == 0
    out = capsys.readouterr().out
    assert "us-eo-14110 (single-run) covers, ca-sb53 (developer-only) does not" in out
    assert "(not a proof)" in out and "ESM3" in out  # the EO's bio line covers real bio models SB 53 does not
    assert main(["diff", "us-eo-14110", "ca-sb53", "--max-evals", str(BUDGET), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["relations"]) == {"a_implies_b", "b_implies_a", "equivalent", "disjoint"}
    assert doc["a_not_b"] and doc["a_not_b_by_clause"]
    assert len(computed) == 1  # both runs asked for the same diff
    assert main(["diff", "us-eo-14110", "no-such-rule"]) == 2
    assert "unknown policy 'no-such-rule'" in capsys.readouterr().err


def test_the_2026_raise_act_drops_the_distillation_limb_and_adds_cumulative_counting():
    """Issue 15's historical fix: RAISE as passed in 2025 against the enacted 2026 text."""
    result = diff("history/ny_raise_2025.yaml", "ny-raise", max_evals=BUDGET)
    assert any("'frontier model' (b) (distilled)" in c for e in result.a_not_b for c in e.clauses)
    dropped = next(e for e in result.a_not_b if any("(distilled)" in c for c in e.clauses))
    assert any(s.kind == "distill" for s in dropped.lifecycle.steps)
    assert result.b_not_a, "the 2026 text has no cost test and counts later modifications"


def test_sb53_covers_everything_sb1047_did_and_more():
    result = diff("history/ca_sb1047.yaml", "ca-sb53", max_evals=BUDGET)
    assert result.relations["a_implies_b"]["holds"] and not result.relations["b_implies_a"]["holds"]
    assert result.b_not_a and all("§22757.11" in c for e in result.b_not_a for c in e.clauses)


def test_the_diff_is_the_same_whichever_executor_runs_its_searches():
    from loopholes.executor import make_executor

    def diffed(**where):
        with make_executor(**where) as executor:
            return json.dumps(diff("ca-sb53", "history/ca_sb1047.yaml", max_evals=2000, generated=40,
                                   executor=executor).to_json(), sort_keys=True)

    serial = diffed(jobs=1)
    assert diffed(jobs=2) == serial
