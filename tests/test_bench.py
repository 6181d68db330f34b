"""The speed benchmark's cheapest pieces on tiny inputs: they run, they measure what a search
really builds, and both sides of its comparison count the same unit. No timing is asserted
(times depend on the machine); only counts are."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hypothesis
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks` lives beside `tests`

from benchmarks import capture, race, rates, sweep  # noqa: E402
from loopholes.rules.registry import load_policy  # noqa: E402
import loopholes.search  # noqa: E402
import loopholes.strategies.plan  # noqa: E402

RULE = "us-eo-14110"


@pytest.fixture(scope="module")
def mix():
    return capture.search_mix(RULE, max_evals=300, keep=40)


def test_the_capture_holds_what_the_search_builds_not_its_minimised_findings(mix):
    captured, result = mix
    assert captured.built >= len(captured.lifecycles) > 0 and len(captured.lifecycles) <= 40
    built = capture.distribution(captured.steps)
    assert built["mean"] > 2 and built["n"] == captured.built
    assert all(len(lc.steps) == len(loopholes.strategies.plan.build(plan).steps)
               for lc, plan in zip(captured.lifecycles, captured.plans))
    # the wrapper is gone afterwards: the search runs unchanged outside the benchmark
    assert loopholes.search.build is loopholes.strategies.plan.build


def test_the_capture_is_the_same_for_the_same_seed(mix):
    again, _ = capture.search_mix(RULE, max_evals=300, keep=40)
    assert again.steps == mix[0].steps
    assert [lc.to_spec() for lc in again.lifecycles] == [lc.to_spec() for lc in mix[0].lifecycles]


def test_rates_run_on_fresh_copies_of_the_mix(mix):
    captured, _ = mix
    policy = load_policy(RULE)
    rate = rates.object_rate(policy, captured.lifecycles[:10], captured.plans[:10], repeats=1)
    assert rate.lifecycles == 10 and rate.per_second > 0 and rate.build_us > 0
    copy = rates.fresh(captured.lifecycles[0])
    assert copy is not captured.lifecycles[0] and copy.to_spec() == captured.lifecycles[0].to_spec()
    assert "_memo" not in vars(copy)  # no memoised lineage: timed as the search meets it
    evaluations, per_second = rates.sensitivity_rate(policy, captured.lifecycles[:3], draws=4, repeats=1)
    assert evaluations == 12 and per_second > 0
    evaluations, per_second = rates.column_rate(policy, captured.lifecycles[:3], draws=4, repeats=1)
    assert evaluations == 12 and per_second > 0


def test_hypothesis_is_charged_one_unit_per_verdict_and_per_capability():
    with race.metered() as calls:
        cell = race.hypothesis_cell(RULE, "general", seed=0, budget=40, targeted=True)
    # the honest target's capability is made once, outside the count, as in the search
    assert cell.evaluations == calls["verdicts"] + calls["capabilities"] - 1
    assert calls["verdicts"] == cell.examples  # one verdict each, a capability only when uncovered
    assert cell.examples <= cell.evaluations <= 2 * cell.examples and cell.evaluations >= cell.budget


def test_the_search_counter_counts_the_same_calls():
    with race.metered() as calls:
        result = race._run(RULE, "general", seed=0, max_evals=300)
    metered = calls["verdicts"] + calls["capabilities"]
    # the counter misses only what runs outside the budget (target, sanity check, re-checks)
    assert result.evaluated <= metered <= 1.25 * result.evaluated


def test_a_count_never_reached_is_a_lower_bound():
    counts = [race.Count(10), race.Count(30), race.Count(50, censored=True)]
    assert race.median_range(counts) == "30 (10–>50)"
    assert race.median_range([race.Count(5), race.Count(50, censored=True)]).startswith("≥")
    assert race.median_range([race.Count(50, censored=True)] * 2) == ">50"
    assert str(race.ratio([race.Count(100, censored=True)], [race.Count(1000)])).startswith("undecided")
    assert str(race.ratio([race.Count(1000, censored=True)], [race.Count(100)])) == "≥10.0x"



def test_a_hypothesis_run_ends_once_both_events_happened_and_not_before(monkeypatch):
    """A run stops when the first evading lifecycle and the aim have both been seen (no
    later draw can change either count); until then it spends its whole budget."""
    calls = []

    def judged(policy, lc, reading, domain, goal, cell):
        calls.append(1)
        cell.evaluations += 1
        return {3: 1.5, 7: 4.0}.get(len(calls), 0.0)  # evades at the 3rd, reaches the aim at the 7th

    monkeypatch.setattr(race, "judge", judged)
    cell = race.hypothesis_cell(RULE, "general", seed=0, budget=50, targeted=False, aim=3.0)
    assert (cell.first, cell.reached, cell.evaluations, cell.best, cell.stopped_early) == (3, 7, 7, 4.0, True)
    calls.clear()
    never = race.hypothesis_cell(RULE, "general", seed=0, budget=50, targeted=False, aim=10.0)
    assert never.first == 3 and never.reached is None and never.evaluations == 50 and not never.stopped_early
    calls.clear()
    nothing_to_reach = race.hypothesis_cell(RULE, "general", seed=0, budget=50, targeted=False)  # aim: inf
    assert (nothing_to_reach.first, nothing_to_reach.evaluations, nothing_to_reach.stopped_early) == (3, 3, True)


def test_the_race_groups_every_seed_under_its_cell_in_order(monkeypatch):
    runs = []

    def fake(policy_id, domain, seed, factor, cap):
        runs.append((policy_id, domain, seed))
        ours = race.SearchCell(first=seed + 1, best=10 * (seed + 1), leakage=2.0, total=100)
        budget = race.hypothesis_budget(ours, factor, cap)
        return ours, race.HypothesisCell(budget=budget), race.HypothesisCell(budget=budget, best=float(seed))

    monkeypatch.setattr(race, "race_seed", fake)
    seen = []
    cells = [("ca-sb53", "general"), ("us-eo-14110", "bio")]
    reports = race.race(cells, [2, 0], factor=10, cap=None, progress=lambda *args: seen.append(args[:3]))
    assert runs == seen == [("ca-sb53", "general", 2), ("ca-sb53", "general", 0),
                            ("us-eo-14110", "bio", 2), ("us-eo-14110", "bio", 0)]
    assert [(r.policy, r.domain) for r in reports] == cells
    assert [c.first for c in reports[0].search] == [3, 1] and [c.best for c in reports[1].targeted] == [2.0, 0.0]
    assert [c.budget for c in reports[0].plain] == [1000, 1000]  # the floor; no cap


def test_the_hypothesis_budget_is_the_factor_times_the_search_within_floor_and_cap():
    ours = race.SearchCell(first=10, best=6461, leakage=3.0, total=20_000)
    assert race.hypothesis_budget(ours, 10, None) == 64_610  # no cap: every cell can be decided
    assert race.hypothesis_budget(ours, 10, 50_000) == 50_000
    assert race.hypothesis_budget(race.SearchCell(1, 20, 3.0, 40), 10, None) == 1000


def test_the_benchmark_refuses_an_unknown_cell_and_names_the_known_ones(capsys):
    from benchmarks import bench

    with pytest.raises(SystemExit) as stop:
        bench.main(["--sections", "3", "--cells", "ca-sb53/general,nowhere/general"])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "unknown cell(s) nowhere/general" in error and "us-eo-14110/bio" in error
    with pytest.raises(SystemExit):
        bench.main(["--sections", "3", "--seeds", "0,,1"])
    assert "--seeds takes whole numbers" in capsys.readouterr().err


def test_the_best_leakage_is_a_lower_bound_when_a_run_stopped_early():
    from benchmarks import bench

    full, stopped = race.HypothesisCell(best=2.5), race.HypothesisCell(best=4.0, stopped_early=True)
    assert bench._best_text([full]) == "2.5" and bench._best_text([full, stopped]) == "≥4"

# -- 4: the sweep -------------------------------------------------------------------------------

def test_the_sweep_holds_over_200_distinct_candidate_rules_that_load():
    from loopholes.rules.rulefile import parse_rule

    rules = sweep.candidates()
    assert len(rules) >= 200 and len({rule["id"] for rule in rules}) == len(rules)
    lines = {(policy.rules[0].threshold, policy.rules[0].comparator)
             for policy in (parse_rule(rule, rule["id"]) for rule in rules)}
    assert len(lines) == len(rules)
    assert min(lines)[0] == 10**24 and max(lines)[0] == 10**27


def _fake_executors(monkeypatch, outputs_of_two_workers):
    """Executors that run in this process, so the section's bookkeeping is tested without
    starting clusters (tests/test_executor.py runs the real ones)."""
    import loopholes.executor

    class InProcess(loopholes.executor.SerialExecutor):
        def __init__(self, jobs=None, workers=None):
            self.workers = workers

    monkeypatch.setattr(loopholes.executor, "LocalExecutor", InProcess)
    monkeypatch.setattr(loopholes.executor, "DaskExecutor", InProcess)
    few = sweep.candidates()[100:102]
    monkeypatch.setattr(sweep, "candidates", lambda: few)
    run = sweep.run

    def altered(executor, rules, **options):
        seconds, outputs = run(executor, rules, **options)
        return seconds, outputs_of_two_workers(outputs) if executor.workers == 2 else outputs

    monkeypatch.setattr(sweep, "run", altered)
    return few


def test_the_sweep_section_reports_identical_outputs(monkeypatch, capsys):
    from benchmarks import bench

    few = _fake_executors(monkeypatch, lambda outputs: outputs)
    result = bench.section_sweep({"sweep_evals": 200})
    printed = capsys.readouterr().out
    assert "all 3 executors: 2 outputs byte-identical" in printed and "speed-up from 1 to 2 workers" in printed
    assert set(result["seconds"]) == {"local pool, 2 processes", "Dask LocalCluster, 1 worker",
                                      "Dask LocalCluster, 2 workers"}
    assert json.loads(sweep.search_candidate((few[0], 0, 200)))["id"] == few[0]["id"]


def test_the_sweep_section_fails_when_executors_disagree(monkeypatch, capsys):
    from benchmarks import bench

    few = _fake_executors(monkeypatch, lambda outputs: outputs[:1] + [outputs[1].replace("1", "2", 1)])
    with pytest.raises(bench.SweepMismatch, match=rf"Dask LocalCluster, 2 workers vs the local pool\), first at "
                                                  rf"candidate {few[1]['id']}$"):
        bench.section_sweep({"sweep_evals": 200})
    assert "DIFFERENT" in capsys.readouterr().out


def test_the_leakiest_draw_is_kept_and_replays_to_the_same_verdict_and_leakage():
    """A Hypothesis run keeps the spec of its leakiest uncovered draw; read back through the
    public loader it is uncovered under the kept reading and scores the same leakage."""
    from loopholes.loading import parse_lifecycle

    cell = race.hypothesis_cell(RULE, "general", seed=0, budget=60, targeted=True)
    assert cell.best > 0 and cell.best_spec is not None and cell.best_at <= cell.evaluations
    policy = load_policy(RULE)
    reading = next(r for r in policy.readings if r.id == cell.best_reading)
    lc = parse_lifecycle(cell.best_spec)
    goal = loopholes.search.honest_target(policy, "general").bands[1]
    assert race.judge(policy, lc, reading, "general", goal, race.HypothesisCell()) == pytest.approx(cell.best)


def test_keep_writes_a_draw_above_the_searchs_best_as_a_spec_check_reads(tmp_path, capsys):
    """`--keep`: a race find is written with a header that says it beat the search, and
    `loopholes check` reads the file and finds it uncovered under its reading."""
    from benchmarks import bench
    from loopholes import cli
    from loopholes.loading import load_lifecycle

    find = Path(__file__).parent / "race_finds" / "ny-raise-general.yaml"
    spec = load_lifecycle(find).to_spec()
    ours = race.SearchCell(first=85, best=4860, leakage=3.12, total=9000)
    above = race.HypothesisCell(best=4.46, best_spec=spec, best_reading="developer-only", best_at=3641)
    below = race.HypothesisCell(best=0.5, best_spec=spec, best_reading="developer-only", best_at=7)
    report = race.CellReport("ny-raise", "general", [ours], [below], [above])
    assert bench.above_the_search([report], [0]) == [
        "ny-raise/general seed 0 target: 4.46x (reading developer-only, evaluation 3,641) against the search's 3.12x"]
    written = bench.keep_draws([report], [0], tmp_path)
    assert written == [tmp_path / "ny-raise-general-seed0-target.yaml"]  # plain's best does not evade: not kept
    text = written[0].read_text()
    assert "ABOVE the search's best of 3.12x" in text and "evaluation" in text
    assert f"Hypothesis {hypothesis.__version__}" in text
    assert cli.main(["check", "ny-raise", str(written[0]), "--reading", "developer-only"]) == 0
    assert "not covered" in capsys.readouterr().out.lower()
