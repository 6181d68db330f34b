"""Facts about the vendored Epoch population, checked against the shared data README."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from loopholes.errors import PolicyError
from loopholes.population import (
    REFERENCE_CLASSES,
    ModelRecord,
    Population,
    load_population,
    months_before,
    product_name,
    reference_class,
)

REPO = Path(__file__).resolve().parent.parent
VENDORED = REPO / "loopholes" / "data" / "epoch_models.csv"
THRESHOLDS = (1e23, 1e24, 1e25, 1e26)

# Per year: rows, rows with numeric compute, counts >= 1e23/1e24/1e25/1e26 on numeric
# compute, and the same counts with benchmark-imputed compute (README §4, per-year table).
README_YEARS = {
    2019: (154, 82, (1, 0, 0, 0), (1, 0, 0, 0)),
    2020: (116, 77, (2, 0, 0, 0), (2, 0, 0, 0)),
    2021: (202, 139, (11, 4, 0, 0), (11, 4, 0, 0)),
    2022: (220, 130, (29, 5, 0, 0), (29, 5, 0, 0)),
    2023: (520, 229, (71, 18, 4, 0), (73, 20, 6, 0)),
    2024: (948, 310, (131, 51, 8, 0), (139, 59, 15, 0)),
    2025: (549, 168, (122, 80, 9, 3), (124, 82, 11, 3)),
    2026: (42, 11, (11, 11, 2, 0), (11, 11, 2, 0)),
}

# The same table after collapsing versions (the default population). The 16 rows folded
# into an earlier row of the same product, and the years they leave:
#   2023: GPT-4 (Jun 2023) -> GPT-4 (Mar 2023), 2.1e25 numeric:
#         numeric >=1e23/1e24/1e25 each -1; with imputed likewise.
#   2024: GPT-4o (Aug 2024), GPT-4o (Nov 2024) -> GPT-4o (May 2024), imputed 3.8e25;
#         GPT-4 Turbo (Apr 2024) -> GPT-4 Turbo (Nov 2023, so it counts in 2023), imputed 2.2e25:
#         numeric counts unchanged, imputed >=1e23/1e24/1e25 each -3.
#         GLM-4, GLM-4 (0520) -> GLM-4 (0116) and a duplicate Typhoon2-Vision row: no compute.
#   2025: Qwen3-235B-A22B (Jul 2025) -> Qwen3-235B-A22B (Apr 2025), 4.752e24 numeric;
#         DeepSeek-V3 (Mar 2025) -> DeepSeek-V3 (Dec 2024), 3.3e24 numeric:
#         numeric >=1e23/1e24 each -2 (both below 1e25);
#         GPT-4o (Jan 2025), GPT-4o (Mar 2025), imputed 3.8e25: imputed counts another -2 at
#         every threshold up to 1e25; Gemini 2.5 Pro (May, Jun 2025) -> (Mar 2025) and
#         duplicate rows of Cosmos-Predict2-2B-Text2Image, OpenAudio-S1-mini and
#         LTX-Video-0.9.7. 13B: no compute.
COLLAPSED_YEARS = {
    **README_YEARS,
    2023: (519, 228, (70, 17, 3, 0), (72, 19, 5, 0)),
    2024: (942, 310, (131, 51, 8, 0), (136, 56, 12, 0)),
    2025: (540, 166, (120, 78, 9, 3), (120, 78, 9, 3)),
}

COLLAPSED = {  # kept name -> names folded into it
    "GPT-4 (Mar 2023)": ("GPT-4 (Jun 2023)",),
    "GPT-4 Turbo (Nov 2023)": ("GPT-4 Turbo (Apr 2024)",),
    "GPT-4o": ("GPT-4o (Aug 2024)", "GPT-4o (Nov 2024)", "GPT-4o (Jan 2025)", "GPT-4o (Mar 2025)"),
    "Gemini 2.5 Pro (Mar 2025)": ("Gemini 2.5 Pro (May 2025)", "Gemini 2.5 Pro (Jun 2025)"),
    "Qwen3-235B-A22B": ("Qwen3-235B-A22B (Jul 2025)",),
    "DeepSeek-V3": ("DeepSeek-V3 (Mar 2025)",),
    "GLM-4 (0116)": ("GLM-4", "GLM-4 (0520)"),
    "Typhoon2-Vision": ("Typhoon2-Vision",),
    "Cosmos-Predict2-2B-Text2Image": ("Cosmos-Predict2-2B-Text2Image",),
    "OpenAudio-S1-mini": ("OpenAudio-S1-mini",),
    "LTX-Video-0.9.7. 13B": ("LTX-Video-0.9.7. 13B",),
}


@pytest.fixture(scope="module")
def pop() -> Population:
    return load_population()


@pytest.fixture(scope="module")
def raw() -> Population:
    return load_population(collapse=False)


def by_name(population: Population) -> dict[str, ModelRecord]:
    return {r.model: r for r in population}


def year_table(population: Population) -> dict[int, tuple]:
    table = {}
    for year, records in population.by_year().items():
        if year < 2019:
            continue
        numeric = [r.flop() for r in records if r.flop() is not None]
        best = [r.flop(include_imputed=True) for r in records if r.flop(include_imputed=True) is not None]
        table[year] = (
            len(records),
            len(numeric),
            tuple(sum(v >= t for v in numeric) for t in THRESHOLDS),
            tuple(sum(v >= t for v in best) for t in THRESHOLDS),
        )
    return table


# --- the data as Epoch lists it -----------------------------------------------------


def test_vendored_file_keeps_every_row_and_the_chosen_columns():
    with VENDORED.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert len(rows) == 3370
    assert header[:3] == ["model", "organization", "publication_date"]
    assert len(header) == 20 and "training_compute_notes" not in header


def test_raw_population_matches_readme_totals(raw):
    assert len(raw) == 3370
    assert len(raw.known()) == 1393
    assert len(raw.unknown()) == 1977  # kept and reported, not dropped
    assert len(raw.known(include_imputed=True)) == 1405
    assert len(raw.unknown(include_imputed=True)) == 1965
    assert sum(r.published is None for r in raw) == 22


def test_raw_population_matches_readme_per_year_table(raw):
    assert year_table(raw) == README_YEARS


def test_no_compute_value_is_a_power_of_ten(raw):
    """So a rule's '>' and '>=' cover the same real models."""
    values = [r.flop(include_imputed=True) for r in raw.known(include_imputed=True)]
    for t in (1e21, *THRESHOLDS, 1e27):
        assert t not in values
        assert sum(v > t for v in values) == sum(v >= t for v in values)


def test_names_are_clean(raw):
    assert all(r.model == " ".join(r.model.split()) for r in raw)
    assert all(r.organization == " ".join(r.organization.split()) for r in raw)
    assert "Cosmos-1.0- Diffusion-14B Video2World" in by_name(raw)  # had an embedded newline


# --- collapsing versions ----------------------------------------------------------------


def test_versions_collapse_into_the_earliest_row(pop, raw):
    collapsed = {r.model: r.versions for r in pop if r.versions}
    assert collapsed == COLLAPSED
    assert len(raw) - len(pop) == sum(len(v) for v in COLLAPSED.values()) == 16
    named = by_name(pop)
    assert named["GPT-4o"].published == dt.date(2024, 5, 13)
    assert named["GPT-4o"].imputed_flop == 3.8e25 and named["GPT-4o"].training_flop is None
    assert named["GPT-4 (Mar 2023)"].training_flop == 2.1e25
    assert "GPT-4o (Aug 2024)" not in named


def test_collapsed_population_per_year_table(pop):
    assert year_table(pop) == COLLAPSED_YEARS
    assert len(pop.unknown()) == 1977 - 13  # 13 of the 16 folded rows had no compute


def test_blank_fields_are_filled_from_later_versions(raw, pop):
    # The earliest Typhoon2-Vision row has no domain; the later duplicate says Vision.
    assert sorted(r.domains for r in raw if r.model == "Typhoon2-Vision") == [(), ("Vision", "Language", "Multimodal")]
    assert by_name(pop)["Typhoon2-Vision"].domains == ("Vision", "Language", "Multimodal")


def test_different_products_sharing_compute_stay_apart(pop):
    named = by_name(pop)
    # A fine-tune repeating its base model's compute is judged as its own product.
    assert named["Llama-3.1-Nemotron-70B-Instruct"].training_flop == named["Llama 3.1-70B"].training_flop
    # Same date tag, same compute, different product name.
    assert named["Qwen3-235B-A22B-Thinking (Jul 2025)"].versions == ()
    # Same compute, same organization, but a different model in parentheses.
    assert sum(r.model.startswith("MEGNet (") for r in pop) == 4


def test_product_name_strips_release_tags_only():
    assert product_name("GPT-4o (Aug 2024)") == product_name("GPT-4o") == "gpt-4o"
    assert product_name("GLM-4 (0520)") == "glm-4"
    assert product_name("Bailing-Pro-20250225") == "bailing-pro"
    assert product_name("ResNet-1001") == "resnet-1001"
    assert product_name("MEGNet (molecule model)") == "megnet (molecule model)"
    assert product_name("Llama 4 Behemoth (preview)") == "llama 4 behemoth (preview)"


# --- biology ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, flop",
    [("xTrimoPGLM -100B", 6.2e23), ("ESM3 (98B)", 1.07e24), ("Evo 2 40B", 2.25e24), ("ESM2-15B", 7.35e22)],
)
def test_biological_sequence_models(pop, name, flop):
    record = by_name(pop)[name]
    assert record.biological_sequence
    assert record.reference_class == "biology"
    assert record.training_flop == pytest.approx(flop, rel=1e-9)


def test_evo_1_is_present_with_compute_under_1e23(pop):
    evo = by_name(pop)["Evo"]
    assert evo.biological_sequence and evo.published == dt.date(2024, 2, 27)
    assert evo.training_flop == pytest.approx(2e22, rel=1e-9)


def test_biology_counts(pop):
    biology_domain = [r for r in pop.known() if "Biology" in r.domains]
    assert len(biology_domain) == 165
    assert sum(r.flop() >= 1e23 for r in biology_domain) == 11  # README §4
    over = {r.model for r in pop.known() if r.biological_sequence and r.flop() >= 1e23}
    # Galactica, PLLaMa (language modelling) and ProtChatGPT (protein question answering)
    # are Biology-domain models over 1e23 that the task rule does not call sequence models.
    assert over == {
        "Evo 2 40B", "Evo 2 7B", "ESM3 (98B)", "xTrimoPGLM -100B", "Odyssey 102B",
        "TxGemma 27B", "TxGemma 9B", "P-LLama3",
    }
    named = by_name(pop)
    assert not named["AlphaFold 3"].biological_sequence
    assert named["Galactica"].reference_class == "biology"


# --- reference classes -------------------------------------------------------------------


def test_reference_class_mapping():
    assert reference_class(("Language", "Vision", "Multimodal")) == "language"
    assert reference_class(("Video",)) == "vision"
    assert reference_class(("Audio",)) == "speech"
    assert reference_class(("Language", "Biology")) == "biology"
    assert reference_class(("Language",), "Protein generation") == "biology"
    assert reference_class(()) == "other"
    assert reference_class(("Robotics",)) == "other"
    assert reference_class(("Not a domain",)) == "other"
    assert set(REFERENCE_CLASSES.values()) == {"biology", "language", "vision", "speech", "other"}


def test_a_policy_can_regroup(pop):
    grouping = {**REFERENCE_CLASSES, "Multimodal": "multimodal"}
    order = ("biology", "multimodal", "language", "vision", "speech", "other")
    regrouped = pop.regroup(grouping, order)
    named = by_name(regrouped)
    assert named["GPT-4o"].reference_class == "multimodal"
    assert by_name(pop)["GPT-4o"].reference_class == "language"
    assert named["Llama 3.1-70B"].reference_class == "language"


def test_unknown_reference_class_is_an_error(pop):
    with pytest.raises(PolicyError, match="unknown reference class 'lanugage'"):
        pop.trailing_flops(dt.date(2024, 1, 1), reference_class="lanugage")


# --- date queries ----------------------------------------------------------------------


def test_largest_flop_by(pop):
    # Before Gemini 1.0 Ultra (2023-12-06), GPT-4 was the largest estimate.
    assert pop.largest_flop_by(dt.date(2023, 10, 30)) == 2.1e25
    assert pop.largest_flop_by(dt.date(2023, 12, 6)) == pytest.approx(5e25)
    # GPT-4 Turbo's imputed 2.2e25 (2023-11-06) only counts when asked for.
    assert pop.largest_flop_by(dt.date(2023, 12, 5), include_imputed=True) == 2.2e25
    # Grok 4 (2025-07-09) is the largest estimate in the data.
    assert pop.largest_flop_by(dt.date(2025, 9, 29)) == pytest.approx(5e26)
    assert pop.largest_flop_by(dt.date(2025, 7, 8)) == pytest.approx(3.8e26)  # GPT-4.5
    assert pop.largest_flop_by(dt.date(1900, 1, 1)) == 0.0


def test_released_between_is_open_closed(pop):
    day = dt.date(2023, 3, 15)  # GPT-4 (Mar 2023)
    assert "GPT-4 (Mar 2023)" in {r.model for r in pop.released_between(day - dt.timedelta(days=1), day)}
    assert "GPT-4 (Mar 2023)" not in {r.model for r in pop.released_between(day, day + dt.timedelta(days=1))}


@pytest.mark.parametrize("end", [dt.date(2023, 10, 30), dt.date(2024, 8, 1), dt.date(2025, 9, 29), dt.date(2026, 6, 30)])
@pytest.mark.parametrize("cls", [None, "language", "vision", "biology", "speech"])
@pytest.mark.parametrize("months", [1, 12, 36])
def test_trailing_flops_equals_a_plain_filter(pop, end, cls, months):
    start = months_before(end, months)
    expected = sorted(
        r.training_flop
        for r in pop.known()
        if r.published is not None and start < r.published <= end and cls in (None, r.reference_class)
    )
    got = pop.trailing_flops(end, months=months, reference_class=cls)
    assert list(got) == expected
    assert list(got) == sorted(got)


def test_trailing_window_boundaries(pop):
    gpt4 = 2.1e25  # GPT-4 (Mar 2023), published 2023-03-15; no other model has this figure
    assert pop.trailing_flops(dt.date(2023, 3, 15)).count(gpt4) == 1
    assert gpt4 not in pop.trailing_flops(dt.date(2023, 3, 14))
    assert pop.trailing_flops(dt.date(2024, 3, 14)).count(gpt4) == 1  # start 2023-03-14 excluded
    assert gpt4 not in pop.trailing_flops(dt.date(2024, 3, 15))  # start 2023-03-15 excluded


def test_trailing_flops_are_cached_and_imputed_on_request(pop):
    end = dt.date(2024, 8, 1)
    assert pop.trailing_flops(end, reference_class="language") is pop.trailing_flops(end, reference_class="language")
    plain = pop.trailing_flops(end, reference_class="language")
    with_imputed = pop.trailing_flops(end, reference_class="language", include_imputed=True)
    # GPT-4o (2024-05-13, imputed 3.8e25) joins Llama 3.1-405B (2024-07-23, numeric 3.8e25).
    assert plain.count(3.8e25) == 1 and with_imputed.count(3.8e25) == 2


def test_months_before_clamps_to_month_end():
    assert months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2025, 1, 15), 12) == dt.date(2024, 1, 15)
    assert months_before(dt.date(2025, 1, 31), 2) == dt.date(2024, 11, 30)


def test_bad_window_is_an_error(pop):
    with pytest.raises(PolicyError):
        pop.trailing_flops(dt.date(2024, 1, 1), months=0)


# --- provenance -----------------------------------------------------------------------


def test_vendored_csv_is_a_fresh_run_of_the_vendor_script(tmp_path):
    source = REPO.parent / "shared" / "data" / "epoch_models_merged_for_backtest.csv"
    if not source.is_file():
        pytest.skip(f"shared data not present at {source}")
    out = tmp_path / "epoch_models.csv"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "vendor_epoch.py"), str(source), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == VENDORED.read_bytes()


def test_attribution_note_names_source_and_license():
    note = (REPO / "loopholes" / "data" / "EPOCH_DATA.md").read_text(encoding="utf-8")
    assert "Epoch AI" in note and "CC BY 4.0" in note
    assert "https://creativecommons.org/licenses/by/4.0/" in note
