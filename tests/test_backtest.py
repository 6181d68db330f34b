"""Backtests on real facts: which Epoch models each bundled rule would have covered, and when.

Facts are those of ../shared/data/README.md §4 (biology table, largest models, counts per
year), on the version-collapsed population `loopholes.population.load_population()`.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from loopholes.backtest import backtest
from loopholes.probes import MEMBER_OPTION, coverage_line, member_reading, record_lifecycle
from loopholes.cli import main
from loopholes.rules.bundled import BUNDLED
from loopholes.population import load_population
from loopholes.rules.registry import load_policy


@pytest.fixture(scope="module")
def pop():
    return load_population()


@pytest.fixture(scope="module")
def eo():
    return backtest("us-eo-14110")


@pytest.fixture(scope="module")
def eu():
    return backtest("eu-ai-act")


@pytest.fixture(scope="module")
def dynamic():
    return backtest("dynamic-percentile")


def covered_by(result, clause: str | None = None) -> dict[str, object]:
    return {p.model: p for p in result.covered_models if clause is None or clause in p.clauses}


def record(pop, name: str):
    found = [r for r in pop if r.model == name]
    assert len(found) == 1, f"{name!r} should be one record of the vendored population"
    return found[0]


# -- EO 14110 ----------------------------------------------------------------------------

def test_eo_bio_clause_covers_the_sequence_models_above_1e23(eo, pop):
    bio = covered_by(eo, "bio")
    for name in ("xTrimoPGLM -100B", "ESM3 (98B)", "Evo 2 40B"):
        assert name in bio, name
        assert bio[name].flop > 1e23 and record(pop, name).biological_sequence
    for name in ("Evo", "ESM2-15B"):  # sequence models with known compute, below 1e23
        rec = record(pop, name)
        assert rec.biological_sequence and rec.training_flop is not None and rec.training_flop < 1e23
        assert name not in covered_by(eo)


def test_eo_bio_clause_needs_sequence_data_not_just_a_biology_tag(eo, pop):
    # ProtChatGPT (7.2e23) answers questions about proteins: Epoch tags it Biology, but its
    # task is not sequence modelling, so "primarily biological sequence data" fails.
    rec = record(pop, "ProtChatGPT")
    assert rec.reference_class == "biology" and not rec.biological_sequence and rec.training_flop > 1e23
    assert "ProtChatGPT" not in covered_by(eo)


def test_eo_general_clause_covers_exactly_the_models_over_1e26(eo, pop):
    general = covered_by(eo, "general")
    assert set(general) == {"Grok 3", "GPT-4.5", "Grok 4"}
    assert set(general) == {r.model for r in pop if r.published and (r.training_flop or 0) > 1e26}
    assert all(p.published.year >= 2025 for p in general.values())
    assert not [p for p in eo.covered_models if p.published.year < 2023]


# -- EU AI Act and the static line ---------------------------------------------------------

def test_eu_covers_exactly_the_models_over_1e25(eu, pop):
    over = {r.model for r in pop if r.published and (r.training_flop or 0) > 1e25}
    assert set(covered_by(eu)) == over
    assert {"Gemini 1.0 Ultra", "Llama 3.1-405B", "Inflection-2", "GPT-4 (Mar 2023)"} <= over


def test_static_line_covers_none_early_and_many_late_while_dynamic_covers_a_share_every_year(eu, dynamic):
    for year in range(2010, 2023):
        assert eu.year(year).covered == 0, year
    assert eu.year(2024).covered >= 8 and eu.year(2025).covered >= 8
    for year in range(2018, 2026):
        row = dynamic.year(year)
        assert row.with_compute >= 50
        # A trailing-year percentile covers a bounded share every year. It is above p
        # (5 %) in every year: the line is drawn from the past 12 months, so in years of
        # fast growth (2019: 23 %) more new models clear it.
        assert 0.05 < row.share < 0.25, (year, row.share)
    late = [dynamic.year(y).share for y in range(2022, 2026)]
    assert max(late) < 0.13 and min(late) > 0.05


def test_dynamic_rule_covers_a_model_in_every_year_from_2010(dynamic):
    assert all(dynamic.year(y).covered >= 1 for y in range(2010, 2026))


# -- counting: nothing is dropped ----------------------------------------------------------

def test_every_record_is_counted_once(eo, pop):
    dated = [r for r in pop if r.published is not None]
    assert sum(row.models for row in eo.years) == len(dated)
    assert sum(row.models for row in eo.years) + eo.undated == len(pop)
    for row in eo.years:
        assert row.models == row.with_compute + row.unknown
    assert eo.year(2023).with_compute == 228 and eo.year(2024).with_compute == 310  # collapsed-population counts
    assert eo.year(2024).unknown == 942 - 310
    assert eo.year(2023).unknown_flagged > 0  # unknown models Epoch thinks may be over 1e23


def test_include_imputed_judges_the_closed_models_with_benchmark_estimates(eu):
    with_imputed = backtest("eu-ai-act", include_imputed=True)
    gpt4o = covered_by(with_imputed).get("GPT-4o")
    assert gpt4o is not None and gpt4o.imputed and math.isclose(gpt4o.flop, 3.8e25)
    assert "GPT-4o" not in covered_by(eu)
    assert len(with_imputed.covered_models) > len(eu.covered_models)
    assert with_imputed.year(2024).unknown < eu.year(2024).unknown


def test_population_member_is_not_counted_twice(dynamic, pop):
    """Each verdict matches a hand count: the model is in the top ceil(5 % x n) of the n
    models of its class released in the trailing year, itself included once."""
    from loopholes.population import months_before

    checked = 0
    for p in dynamic.points:
        if p.published.year != 2024 or p.reference_class != "language":
            continue
        start = months_before(p.published, 12)
        window = [r.training_flop for r in pop if r.reference_class == "language" and r.training_flop is not None
                  and r.published and start < r.published <= p.published]
        places = math.ceil(round(0.05 * len(window), 9))
        above = sum(f > p.flop for f in window)
        assert p.covered == (above < places), p.model
        checked += 1
    assert checked > 150


def test_member_option_marks_the_record(pop):
    rec = record(pop, "ESM3 (98B)")
    lc = record_lifecycle(rec, rec.training_flop)
    assert lc.released == rec.published and lc.artifact.flop == rec.training_flop
    assert dict(lc.artifact.data) == {"bio": 1.0}
    reading = member_reading(load_policy("dynamic-percentile").reading(), rec)
    assert reading.options[MEMBER_OPTION] is rec and reading.options["scope"] == "model"


def test_backtest_runs_the_same_path_as_check(pop):
    policy = load_policy("us-eo-14110")
    rec = record(pop, "Evo 2 40B")
    verdict = policy.evaluate(record_lifecycle(rec, rec.training_flop))
    assert verdict.covered and [c.rule for c in verdict.clauses if c.triggered] == ["bio"]


# -- lines ---------------------------------------------------------------------------------

def test_traced_lines_are_the_rules_thresholds(eo, eu):
    assert eo.lines["language"][-1][1] == 1e26 and eo.lines["biology"][-1][1] == 1e23
    assert eu.lines["biology"][-1][1] == 1e25
    policy = load_policy("dynamic-percentile")
    from loopholes.rules.bundled.dynamic_percentile import line_at

    day = dt.date(2024, 7, 8)
    assert coverage_line(policy, policy.reading(), "language", day) == line_at(day, "language")


def test_dynamic_lines_move_with_the_population(dynamic):
    values = [v for _, v in dynamic.lines["language"] if v]
    assert len(set(values)) > 20 and max(values) / min(values) > 1e6


# -- JSON and command line -------------------------------------------------------------------

def test_json_fields(eo):
    data = json.loads(json.dumps(eo.to_json()))
    assert data["policy"] == "us-eo-14110" and data["reading"] == "single-run"
    assert {"year", "covered", "with_compute", "unknown"} <= set(data["years"][0])
    assert {"model", "year", "flop"} <= set(data["covered_models"][0])
    assert data["totals"]["covered"] == len(data["covered_models"]) == 11


def test_cli_json(capsys):
    assert main(["backtest", "ca-sb53", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {m["model"] for m in data["covered_models"]} == {"Grok 3", "GPT-4.5", "Grok 4"}


@pytest.mark.parametrize("policy_id", sorted(BUNDLED))
def test_cli_backtest_every_bundled_policy(policy_id, capsys):
    assert main(["backtest", policy_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(policy_id) and ("covered model" in out or "No model is covered" in out)


def test_cli_unknown_policy_is_one_line_exit_2(capsys):
    assert main(["backtest", "no-such-policy"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "unknown policy 'no-such-policy'" in captured.err


def test_cli_unknown_reading_is_exit_2(capsys):
    assert main(["backtest", "us-eo-14110", "--reading", "nope"]) == 2
    assert "valid readings: single-run, cumulative" in capsys.readouterr().err


def test_out_writes_figure_and_json_byte_identical(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["backtest", "dynamic-percentile", "--out", str(first)]) == 0
    assert main(["backtest", "dynamic-percentile", "--out", str(second)]) == 0
    png = first / "backtest-dynamic-percentile.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    assert png.read_bytes() == (second / png.name).read_bytes()
    data = json.loads((first / "backtest-dynamic-percentile.json").read_text())
    assert data["policy"] == "dynamic-percentile"
    assert sorted(p.name for p in first.iterdir()) == ["backtest-dynamic-percentile.json", "backtest-dynamic-percentile.png"]
    assert "wrote" in capsys.readouterr().out


def test_out_onto_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["backtest", "us-eo-14110", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
