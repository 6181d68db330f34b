"""`loopholes compare`: the docs/design.md §9 fields, the §8 measures, the ranking rule, the
files it writes, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loopholes.reporting import analysis, compare, measures, report
from loopholes.cli import main

from conftest import BUDGET_RULES, REPORT_BUDGET

BUDGET = REPORT_BUDGET


@pytest.fixture(scope="module")
def doc(budget_comparison):
    """`compare.compare(["us-eo-14110", "eu-ai-act", "ca-sb53"], max_evals=BUDGET, jobs=1)`,
    run once for this module and the report tests (conftest.budget_comparison)."""
    assert BUDGET_RULES == ("us-eo-14110", "eu-ai-act", "ca-sb53")
    comparison, _ = budget_comparison
    return comparison


def test_cli_json_has_the_design_fields():
    """The command as a drafter types it (with a smaller budget, to keep the suite fast)."""
    run = subprocess.run([sys.executable, "-m", "loopholes", "compare", "us-eo-14110", "eu-ai-act", "--json",
                          "--max-evals", str(BUDGET)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    data = json.loads(run.stdout)
    assert data["policies"] == ["us-eo-14110", "eu-ai-act"]
    assert len(data["strategies"]) == 16
    assert len(data["matrix"]) == 2 * len(data["strategies"])
    for cell in data["matrix"]:
        assert {"policy", "strategy", "evaded", "finding"} <= set(cell)
        assert cell["evaded"] == (cell["finding"] is not None)
        assert {"leakage", "bounded_by", "p_material", "state"} <= set(cell)
    for metrics in data["metrics"]:
        assert {"policy", "leakage", "evasion_cost", "strategies_blocked", "burden"} <= set(metrics)
        assert set(metrics["common"]) == {"general", "bio"}  # every rule is measured on both common targets
    eo = next(m for m in data["metrics"] if m["policy"] == "us-eo-14110")
    assert set(eo["leakage"]) == {"general", "bio"}
    assert eo["burden"]["reading"] == "single-run" and eo["burden"]["per_year"]["2025"] >= 1
    assert "worst material leakage" in data["ranking_rule"]


def test_matrix_states_agree_with_the_search(doc):
    from loopholes.search import search

    result = search("eu-ai-act", max_evals=BUDGET)
    for cell in (c for c in doc["matrix"] if c["policy"] == "eu-ai-act"):
        evading = result.evading(cell["strategy"])
        assert cell["evaded"] == bool(evading)
        assert cell["state"] in compare.STATES
        if evading:
            assert cell["finding"] in {f.id for f in evading}
    assert {c["state"] for c in doc["matrix"] if c["strategy"] == "cluster-split" and c["policy"] != "us-eo-14110"} \
        == {"n/a"}


def test_measures_follow_design_sections_8_and_12(doc):
    from loopholes.search import search

    result = search("us-eo-14110", max_evals=BUDGET)
    metrics = next(m for m in doc["metrics"] if m["policy"] == "us-eo-14110")
    assert metrics["leakage"] == pytest.approx(result.leakage())
    material = [f for f in result.findings if f.material and not f.ambiguity]
    if material:
        assert metrics["evasion_cost"] == pytest.approx(min(f.cost["ratio_to_honest"] for f in material))
    applicable = [s for s in result.strategies if measures.strategy_applies(result.policy, s)]
    blocked = [s for s in applicable if not result.evading(s)]
    assert metrics["applicable"] == len(applicable)
    assert metrics["strategies_blocked"] == pytest.approx(len(blocked) / len(applicable))  # applicable only
    assert metrics["cannot_apply"] == len(result.strategies) - len(applicable)
    assert metrics["burden"]["recent_years"] == [2023, 2024, 2025]


def test_ranking_follows_the_stated_rule(doc):
    by_policy = {m["policy"]: m for m in doc["metrics"]}
    keys = [compare.rank_key({**by_policy[e["policy"]]}) for e in doc["ranking"]]
    assert keys == sorted(keys)
    assert [e["rank"] for e in doc["ranking"]] == list(range(1, len(doc["policies"]) + 1))


def _metrics(name, worst, bounded=False, cost=None):
    return {"policy": name, "evasion_cost": cost,
            "worst_material": None if worst is None else {"leakage": worst, "bounded": bounded}}


def test_rank_key_orders_measured_leakage_then_cost_and_never_ranks_a_bound_as_measured():
    rules = [_metrics("a", 40.0), _metrics("b", 3.0, cost=0.5), _metrics("c", 3.0, cost=2.0),
             _metrics("d", 2.5, bounded=True), _metrics("e", None)]
    assert [m["policy"] for m in sorted(rules, key=compare.rank_key)] == ["e", "c", "b", "a", "d"]


def test_text_summary_has_tables_and_a_verdict(doc):
    text = compare.compare_text(doc)
    assert text.startswith("Ranking (fewest leaks first")
    assert "Strategies x rules" in text and "Capability leakage" in text and "Burden" in text
    assert "Leaks least on the common targets: " in text and "Ranking rule:" in text
    assert "most robust" not in text.lower()


def test_out_writes_markdown_html_json_csv_and_four_figures(tmp_path, capsys):
    code = main(["compare", "us-eo-14110", "eu-ai-act", "--out", str(tmp_path), "--max-evals", str(BUDGET)])
    assert code == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"compare.md", "compare.html", "compare.json", "compare-matrix.csv", "compare-metrics.csv",
                     "compare-matrix.png", "compare-leakage.png", "compare-burden.png", "compare-tradeoff.png"}
    md = (tmp_path / "compare.md").read_text()
    for section in ("## The answer", "## Ranking", "## Which strategy gets past which rule", "## How much capability leaks",
                    "## What evasion costs", "## Burden", "## The papers' questions"):
        assert section in md
    assert "Leaks least on the common targets: " in md and "(compare-matrix.png)" in md
    assert "[us-eo-14110](us-eo-14110.md)" not in md  # no report next to it to link
    assert "us-eo-14110.html" not in (tmp_path / "compare.html").read_text()
    assert json.loads((tmp_path / "compare.json").read_text())["policies"] == ["us-eo-14110", "eu-ai-act"]
    assert "wrote" in capsys.readouterr().out


def test_worker_processes_do_not_change_the_result(budget_analyses):
    """Two worker processes compare what this process computed analysing the same rules
    one by one (`compare.compare(..., jobs=1)`, shared with the tests above)."""
    serial = compare.comparison([budget_analyses[pid].measures for pid in ("us-eo-14110", "ca-sb53")], seed=0,
                                max_evals=BUDGET)
    parallel, _ = compare.compare(["us-eo-14110", "ca-sb53"], max_evals=BUDGET, jobs=2)
    assert report.dumps(serial) == report.dumps(parallel)


def test_unknown_policy_is_one_line_and_exit_2(capsys):
    assert main(["compare", "us-eo-14110", "nope", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "unknown policy 'nope'" in captured.err


def test_a_policy_named_twice_is_refused(capsys):
    assert main(["compare", "eu-ai-act", "eu-ai-act"]) == 2
    assert "named twice" in capsys.readouterr().err


# -- the headline is generated from the table and never contradicts it --------------------

def _headline_checks(doc: dict) -> None:
    """The first sentence names the rank-1 rule with its worst material leakage exactly as
    the ranking table prints it, and no rule ranked below it has a smaller measured worst."""
    sentence = compare.verdict_sentences(doc)[0]
    leader = doc["ranking"][0]["policy"]
    metrics = {m["policy"]: m for m in doc["metrics"]}
    assert sentence.startswith(f"Leaks least on the common targets: {leader} ({metrics[leader]['status']}) — ")
    row = compare.ranking_rows(doc)[0]
    worst = metrics[leader]["worst_material"]
    if worst:
        assert compare.leak_text(worst) in sentence and compare.leak_text(worst) in row[2]
        for entry in doc["ranking"][1:]:
            other = metrics[entry["policy"]]["worst_material"]
            assert other is not None
            if not worst["bounded"] and not other["bounded"]:
                assert other["leakage"] >= worst["leakage"]
            assert not (worst["bounded"] and not other["bounded"])  # a bound never outranks a measurement
    assert "most robust" not in "\n".join(compare.verdict_sentences(doc)).lower()
    # The last rule "leaks most" only if no rule above it shows a lower bound (which may be exceeded).
    if len(doc["ranking"]) > 1:
        last_sentence = next(s for s in compare.verdict_sentences(doc) if s.startswith(("Leaks most", "Ranks last")))
        open_ended = [e["policy"] for e in doc["ranking"][:-1] if (metrics[e["policy"]]["worst_material"] or {}).get("bounded")]
        assert last_sentence.startswith("Ranks last" if open_ended else "Leaks most"), last_sentence
        for name in open_ended:
            assert name in last_sentence.split(" — ")[-1] and "may leak more" in last_sentence


def test_headline_agrees_with_the_table(doc):
    _headline_checks(doc)


def test_committed_compare_headline_agrees_with_its_own_table():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "reports"
    committed = json.loads((root / "compare.json").read_text(encoding="utf-8"))
    _headline_checks(committed)
    markdown = (root / "compare.md").read_text(encoding="utf-8")
    assert compare.verdict_sentences(committed)[0] in markdown
    for m in committed["metrics"]:
        assert set(m["common"]) == {"general", "bio"}
        for value in list(m["common"].values()) + list(m["leakage_detail"].values()):
            if value["bounded_by"]:  # every bounded figure is printed as a lower bound
                assert compare.leak_text(value).startswith("≥")


def test_cells_carry_their_leakage(doc):
    for c in doc["matrix"]:
        assert (c["leakage"] is None) == (c["finding"] is None)
        if c["finding"]:
            assert c["leakage"] >= 1.0
            assert c["material"] == (c["state"] in ("robust", "material"))
            assert (c["state"] == "marginal") == (c["leakage"] < 2.0 and c["state"] not in ("reading",))


# -- scheduling: the longest search first, results in input order --------------------------

def test_the_slowest_rules_are_expected_to_take_longest():
    """The four rules whose searches take longest (issue 14's profile: eu-ai-act,
    risk-index, dynamic-percentile, us-eo-14110) are started before the others, the
    EU rule first, on their own lines as in `pytest policies` and with the common
    targets as in `compare`."""
    from loopholes.rules.bundled import BUNDLED
    from loopholes.rules.registry import load_policy

    ids = list(BUNDLED)
    slow = {"eu-ai-act", "risk-index", "dynamic-percentile", "us-eo-14110"}
    for common in (False, True):
        order = [ids[i] for i in analysis.longest_first([load_policy(pid) for pid in ids], common=common)]
        assert order[0] == "eu-ai-act" and set(order[:4]) == slow, (common, order)


def test_workers_start_the_longest_analysis_first_and_results_keep_the_input_order(monkeypatch):
    from loopholes.executor import Executor

    started = []

    class HandsOut(Executor):
        """Runs each task in this process, in the order an executor hands them to workers."""

        def _run(self, fn, items, order, done):
            results = [None] * len(items)
            for i in order:
                results[i] = fn(items[i])
                done()
            return results

    def analyse_task(task):
        started.append(str(task[0].id if hasattr(task[0], "id") else task[0]))
        return f"analysis of {started[-1]}"

    monkeypatch.setattr(analysis, "_analyse_task", analyse_task)
    refs = ["ca-sb53", "us-eo-14110", "eu-ai-act"]
    assert analysis.analyse_longest_first(refs, jobs=HandsOut()) == [f"analysis of {ref}" for ref in refs]
    assert started == ["eu-ai-act", "us-eo-14110", "ca-sb53"]
    started.clear()
    assert analysis.analyse_longest_first(refs, jobs=1) == [f"analysis of {ref}" for ref in refs]
    assert started == refs  # one process: nothing to schedule


def test_compare_names_a_practice_known_to_reach_more_until_a_strategy_builds_it():
    """A figure is the most the search found; where the race found a practice no strategy
    builds (native mixture-of-experts pre-training), compare.md says so, and stops saying
    so once a strategy of that id is among those compared."""
    from loopholes.reporting.compare import KNOWN_UNBUILT, _unbuilt_practices

    assert "moe-pretraining" in KNOWN_UNBUILT
    text = _unbuilt_practices({"strategies": ["distillation", "moe-assembly"]})
    assert "native mixture of experts" in text and "docs/findings.md" in text
    assert _unbuilt_practices({"strategies": ["distillation", *KNOWN_UNBUILT]}) == ""
    committed = (Path(__file__).resolve().parent.parent / "reports" / "compare.md").read_text()
    assert "Known to reach more and built by no strategy here: pre-training a native mixture of experts" in committed


def test_the_known_unbuilt_practice_reaches_what_compare_says():
    """compare.md's sentence: the search's best dynamic-percentile bio finding, its base
    pre-trained as a mixture of experts (a quarter active, compute-optimal in its active
    parameters) at the same counted compute, still evades and scores about 1.48e3x. Both
    figures sit at the search's release-date bound, and compare.md marks them ≥."""
    import copy
    import math

    from loopholes.capability import effective_compute
    from loopholes.loading import parse_lifecycle
    from loopholes.reporting.compare import _unbuilt_practices
    from loopholes.rules.registry import load_policy
    from loopholes.search import honest_target

    doc = json.loads((Path(__file__).resolve().parent.parent / "reports" / "dynamic-percentile.json").read_text())
    best = max((f for f in doc["findings"] if f["domain"] == "bio"), key=lambda f: f["leakage"])
    spec = copy.deepcopy(best["lifecycle"])
    base = spec["steps"][0]
    active = math.sqrt(base.pop("flop") / 120)
    base.update(params=4 * active, tokens=20 * active, active_params=active)
    policy, lc = load_policy("dynamic-percentile"), parse_lifecycle(spec)
    assert lc.steps[0].flop == pytest.approx(parse_lifecycle(best["lifecycle"]).steps[0].flop)
    leakage = effective_compute(lc, policy.reference_date, None)["bio"][1] / honest_target(policy, "bio").bands[1]
    assert round(best["leakage"]) == 423 and f"{leakage:.3g}" == "1.48e+03"
    assert not any(policy.is_covered(lc, policy.reading(r)) for r in best["evades_under"])
    assert best["bounded_by"] and lc.released == parse_lifecycle(best["lifecycle"]).released
    assert "≥ 423x" in _unbuilt_practices({"strategies": []}) and "≥ 1.48e3x" in _unbuilt_practices({"strategies": []})
