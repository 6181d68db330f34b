"""Rules as data (issue 13): the YAML encodings of the static rules give the verdicts their
Python encodings gave, the format rejects what it cannot mean with one line, numbers are
exact, dated values keep their history, and loading runs no code."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopholes.cli import main
from loopholes.errors import PolicyError
from loopholes.loading import load_lifecycle
from loopholes.rules.registry import load_policy
from loopholes.rules.rulefile import exact, json_schema, load_rule_file, parse_rule
from loopholes.testing import lifecycles, near_threshold_lifecycles

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = Path(__file__).resolve().parent / "previous_encodings"
YAML_RULES = {"ca-sb53": "ca_sb53", "ny-raise": "ny_raise", "us-eo-14110": "us_eo_14110",
              "kr-ai-basic-act": "kr_ai_basic_act", "eu-ai-act": "eu_ai_act"}


def previous(module: str):
    """The Python encoding a YAML rule replaced (kept under tests/ as the reference)."""
    spec = importlib.util.spec_from_file_location(f"previous_{module}", PREVIOUS / f"{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded.POLICY


PAIRS = {pid: (load_policy(pid), previous(module)) for pid, module in YAML_RULES.items()}


def trace(policy, lc, reading):
    """Everything a verdict decides, without the free-text notes."""
    verdict = policy.evaluate(lc, reading)
    return (verdict.covered, verdict.tier,
            [(c.rule, c.clause, c.measures, c.measured, c.threshold, c.comparator, c.triggered, c.tier, c.unit,
              c.artifact, c.party) for c in verdict.clauses],
            [o.to_json() for o in verdict.obligated])


@pytest.mark.parametrize("pid", sorted(YAML_RULES))
def test_a_bundled_yaml_rule_is_the_python_rule_it_replaced(pid):
    new, old = PAIRS[pid]
    assert new.describe() == old.describe()
    assert new.parameters == old.parameters
    assert new.known_loopholes == old.known_loopholes and new.ambiguities == old.ambiguities
    assert (new.dates, new.in_force_until, new.superseded_by, new.duty) == \
           (old.dates, old.in_force_until, old.superseded_by, old.duty)
    assert [type(r.threshold) for r in new.rules] == [type(r.threshold) for r in old.rules]  # exact ints stay ints


@pytest.mark.parametrize("pid", sorted(YAML_RULES))
def test_yaml_and_python_encodings_agree_on_every_example(pid):
    new, old = PAIRS[pid]
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    assert len(examples) >= 5
    for path in examples:
        lc = load_lifecycle(path)
        for reading in old.readings:
            assert trace(new, lc, reading.id) == trace(old, lc, reading.id), (path.name, reading.id)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pid=st.sampled_from(sorted(YAML_RULES)), data=st.data())
def test_yaml_and_python_encodings_agree_on_generated_lifecycles(pid, data):
    new, old = PAIRS[pid]
    line = max(old.target_lines.values())
    lc = data.draw(st.one_of(lifecycles(max_steps=5), near_threshold_lifecycles(line, max_steps=4)))
    for reading in old.readings:
        assert trace(new, lc, reading.id) == trace(old, lc, reading.id), reading.id
        assert new.is_covered(lc, new.reading(reading.id)) == old.is_covered(lc, old.reading(reading.id))


def test_yaml_and_python_encodings_find_the_same_loopholes():
    from loopholes.search import search

    new, old = PAIRS["us-eo-14110"]
    found = [search(p, strategies=["bio-dilution", "cascade"], seed=3, max_evals=4000).to_json(timing=False)
             for p in (new, old)]
    assert [f["lifecycle"] for f in found[0]["findings"]] == [f["lifecycle"] for f in found[1]["findings"]]
    assert found[0]["findings"], "the EO's bio line is known to leak through bio-dilution"


# -- the format ---------------------------------------------------------------------------

MINIMAL = """
id: my-draft
title: A draft line
jurisdiction: Nowhere
source: https://example.org/draft
status: draft
reference_date: 2026-06-01
parameters:
  line: {value: 1e25, clause: "Draft §1"}
readings:
  - {id: plain, question: "Which compute counts?", answer: "The lineage.", options: {scope: lineage}}
tiers: [covered]
covered_tiers: [covered]
target_lines: {general: 1e25}
rules:
  - {id: line, kind: compute, clause: "Draft §1", threshold: line, tier: covered}
"""


def write(tmp_path, text: str, name: str = "draft.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        load_rule_file(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_minimal_rule_file_loads_and_judges(tmp_path):
    policy = load_rule_file(write(tmp_path, MINIMAL))
    assert policy.rules[0].threshold == 10**25 and type(policy.rules[0].threshold) is int
    lc = load_lifecycle(ROOT / "examples" / "llama-3.1-405b.yaml")
    assert policy.evaluate(lc).covered


def test_an_unknown_key_is_named_with_its_rule_and_a_suggestion(tmp_path):
    message = error_of(tmp_path, MINIMAL.replace("threshold: line", "thresold: line"))
    assert "draft.yaml" in message and "rule 'line'" in message
    assert "unknown key 'thresold'" in message and "did you mean 'threshold'" in message


def test_an_unknown_top_level_key_and_a_misspelt_condition_are_named(tmp_path):
    assert "unknown key 'tiers_covered'" in error_of(tmp_path, MINIMAL + "tiers_covered: [covered]\n")
    text = MINIMAL.replace("tier: covered}", "tier: covered, all: [{parametre: line}]}")
    message = error_of(tmp_path, text)
    assert "unknown key 'parametre'" in message and "did you mean 'parameter'" in message


def test_a_parameter_a_tier_and_a_required_rule_must_exist(tmp_path):
    assert "names parameter 'lien'" in error_of(tmp_path, MINIMAL.replace("threshold: line", "threshold: lien"))
    assert "tier 'high'" in error_of(tmp_path, MINIMAL.replace("tier: covered}", "tier: high}"))
    text = MINIMAL + "  - {id: rich, kind: revenue, clause: x, threshold: 1e9, tier: covered, requires: big}\n"
    assert "requires rule 'big'" in error_of(tmp_path, text)


def test_an_unknown_kind_scope_or_comparator_is_refused(tmp_path):
    assert "kind 'threshold' is not one of compute" in error_of(tmp_path, MINIMAL.replace("kind: compute", "kind: threshold"))
    assert "'everything'" in error_of(tmp_path, MINIMAL.replace("kind: compute,", "kind: compute, scope: everything,"))
    assert "'=>'" in error_of(tmp_path, MINIMAL.replace("tier: covered}", "tier: covered, comparator: '=>'}"))


def test_loading_a_rule_runs_no_code(tmp_path):
    marker = tmp_path / "ran"
    text = MINIMAL.replace("title: A draft line",
                           f"title: !!python/object/apply:os.system ['touch {marker}']")
    message = error_of(tmp_path, text)
    assert not marker.exists() and "draft.yaml" in message


@pytest.mark.parametrize("written, value", [
    (10**26, 10**26), (1e26, 10**26), ("10^26", 10**26), ("10**26", 10**26), ("5 x 10^25", 5 * 10**25),
    ("2.5e25", 25 * 10**24), ("1/3", Fraction(1, 3)), (0.5, 0.5), ("0.5", 0.5), (500_000_000, 500_000_000)])
def test_numbers_are_exact_as_written(written, value):
    got = exact(written, "x")
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("written", ["ten", "1e", True, None, float("nan"), "1/0"])
def test_a_non_number_is_one_line(written):
    with pytest.raises(PolicyError):
        exact(written, "rule 'x': threshold")


def test_dated_values_keep_their_history_and_use_the_reference_date(tmp_path):
    text = MINIMAL.replace('line: {value: 1e25, clause: "Draft §1"}',
                           'line: {clause: "Draft §1", values: {2024-01-01: 1e25, 2026-01-01: 5e25, 2027-01-01: 1e26}}')
    policy = load_rule_file(write(tmp_path, text))
    parameter = policy.parameters["line"]
    assert parameter.value == 5 * 10**25 == policy.rules[0].threshold
    assert [day for day, _ in parameter.history] == [dt.date(2024, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    assert parameter.at(dt.date(2027, 6, 1)) == 10**26 and parameter.at(dt.date(2020, 1, 1)) == 10**25
    both = text.replace('clause: "Draft §1", values', 'clause: "Draft §1", value: 1, values')
    assert "either value or values" in error_of(tmp_path, both)


def test_all_and_any_conditions_compose(tmp_path):
    text = MINIMAL.replace("parameters:\n", "parameters:\n  frontier: {value: false, clause: J}\n  sota: {value: true, clause: J}\n")
    lc = load_lifecycle(ROOT / "examples" / "llama-3.1-405b.yaml")
    needs_both = load_rule_file(write(tmp_path, text.replace(
        "tier: covered}", "tier: covered, all: [{parameter: sota}, {parameter: frontier}]}")))
    needs_one = load_rule_file(write(tmp_path, text.replace(
        "tier: covered}", "tier: covered, any: [{parameter: sota}, {parameter: frontier}]}"), "any.yaml"))
    assert not needs_both.evaluate(lc).covered and needs_one.evaluate(lc).covered
    shared = load_rule_file(write(tmp_path, text.replace(
        "tier: covered}", "tier: covered, all: [{share: {domain: bio, above: 0.5}}]}"), "share.yaml"))
    assert not shared.evaluate(lc).covered  # a general-data model is not primarily bio


def test_a_toml_rule_is_the_same_rule(tmp_path):
    import yaml

    data = yaml.safe_load(MINIMAL)
    toml = f"""id = "my-draft"
title = "A draft line"
jurisdiction = "Nowhere"
source = "https://example.org/draft"
status = "draft"
reference_date = 2026-06-01
tiers = ["covered"]
covered_tiers = ["covered"]
target_lines = {{ general = 1e25 }}
[parameters.line]
value = 1e25
clause = "Draft §1"
[[readings]]
id = "plain"
question = "Which compute counts?"
answer = "The lineage."
options = {{ scope = "lineage" }}
[[rules]]
id = "line"
kind = "compute"
clause = "Draft §1"
threshold = "line"
tier = "covered"
"""
    from_toml = load_rule_file(write(tmp_path, toml, "draft.toml"))
    from_yaml = parse_rule(data, "draft.yaml")
    assert from_toml.describe() == from_yaml.describe() and from_toml.parameters == from_yaml.parameters


def test_the_cli_takes_a_yaml_rule_and_prints_its_schema(tmp_path, capsys):
    path = write(tmp_path, MINIMAL)
    assert main(["check", str(path), str(ROOT / "examples" / "llama-3.1-405b.yaml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["covered"] is True
    assert main(["schema", "--rule"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json_schema() and "rules" in schema["properties"] and schema["additionalProperties"] is False
    assert main(["check", str(write(tmp_path, MINIMAL.replace("threshold", "thresold"), "bad.yaml")),
                 str(ROOT / "examples" / "llama-3.1-405b.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key 'thresold'" in err


def test_a_reading_option_is_checked_by_name_and_value(tmp_path):
    message = error_of(tmp_path, MINIMAL.replace("options: {scope: lineage}", "options: {scop: lineage}"))
    assert "reading 'plain'" in message and "unknown key 'scop'" in message and "did you mean 'scope'" in message
    assert "'guessed'" in error_of(tmp_path, MINIMAL.replace("{scope: lineage}", "{scope: lineage, estimate: guessed}"))


def test_the_dense_estimate_counts_a_sparse_run_at_its_dense_size():
    from loopholes.accounting import Counting, counted
    from loopholes.lifecycle import make_step

    sparse = make_step("base", "pretrain", "A", params=1e9, tokens=1e12, sparsity=0.5)
    assert counted(sparse, Counting(estimate="executed")) == 3e21
    assert counted(sparse, Counting(estimate="dense")) == 6e21
    hardware_estimate = make_step("base", "pretrain", "A", flop=1e24)
    assert counted(hardware_estimate, Counting(estimate="dense")) == 1e24


def test_the_percentile_kind_expresses_the_dynamic_rule():
    """The format covers the papers' percentile line: dynamic-percentile written as a rule
    file (tests/rule_files/) judges like the bundled module (which stays Python only
    because it computes its target lines from the population)."""
    module = load_policy("dynamic-percentile")
    data = load_rule_file(Path(__file__).parent / "rule_files" / "dynamic_percentile.yaml")
    assert data.population_based and module.population_based
    described = [dict(r, threshold=float(r["threshold"])) for r in data.describe()["rules"]]
    assert described == module.describe()["rules"]  # the nominal line, written exactly in the file
    assert {k: v.value for k, v in data.parameters.items()} == {k: v.value for k, v in module.parameters.items()}
    lifecycles_seen = [load_lifecycle(path) for path in sorted((ROOT / "examples").glob("*.yaml"))]
    for lc in lifecycles_seen:
        for reading in module.readings:
            assert trace(data, lc, reading.id) == trace(module, lc, reading.id), reading.id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lc=st.one_of(lifecycles(max_steps=4), near_threshold_lifecycles(4.8e24, max_steps=3)))
def test_the_percentile_kind_agrees_on_generated_lifecycles(lc):
    module = load_policy("dynamic-percentile")
    data = load_rule_file(Path(__file__).parent / "rule_files" / "dynamic_percentile.yaml")
    for reading in module.readings:
        assert trace(data, lc, reading.id) == trace(module, lc, reading.id), reading.id


def test_every_command_takes_a_rule_file(tmp_path, capsys):
    path = str(write(tmp_path, MINIMAL.replace("{scope: lineage}", "{scope: lineage, count_integer: false}")))
    assert main(["search", path, "--strategy", "integer-precision", "--max-evals", "3000", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["policy"] == "my-draft" and found["findings"], "integer training escapes a line on float operations"
    assert main(["backtest", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"] == "my-draft"
    assert main(["compare", path, "ca-sb53", "--max-evals", "3000", "--jobs", "1", "--json"]) == 0
    assert {m["policy"] for m in json.loads(capsys.readouterr().out)["metrics"]} == {"my-draft", "ca-sb53"}


@pytest.mark.parametrize("change, expected", [
    (("threshold: line", "threshold: null"), "threshold: expected a number (e.g. 1e26, 10^26, 0.5) or a parameter's name, got nothing"),
    (("threshold: line", "threshold: true"), "or a parameter's name, got True"),
    (("id: my-draft", "id: My Draft"), "is not a rule id: use lower-case letters"),
    (("reference_date: 2026-06-01", "reference_date: 12/06/2025"), "is not a date; write it as YYYY-MM-DD"),
    (("tier: covered}", "tier: covered, all: [{share: {domain: bio, above: 50}}]}"), "for 50 % write 0.5"),
    (("target_lines: {general: 1e25}", "target_lines: {general: 1e25, biology: 1e23}"),
     "unknown domain 'biology'; did you mean 'bio'?"),
    (("covered_tiers: [covered]", "covered_tiers: [coverd]"), "covered_tiers names 'coverd'"),
    (("tier: covered}", "tier: covered}\nknown_loopholes:\n  - {strategy: algorithmic-progres, reason: x}"),
     "did you mean 'algorithmic-progress'?"),
    (("  - {id: line", "\t- {id: line"), "YAML indents with spaces, not tabs"),
    (("tier: covered}", "tier: covered, all: [{parameter: line}]}"), "must be true or false"),
])
def test_the_mistakes_a_drafter_made_are_one_line_that_says_how_to_fix_them(tmp_path, change, expected):
    """Found by a drafter's review: each was accepted with a wrong verdict, or a raw error."""
    message = error_of(tmp_path, MINIMAL.replace(*change))
    assert expected in message and "(and " not in message


def test_an_empty_file_or_a_bom_and_a_fraction_share(tmp_path):
    assert "the file is empty" in error_of(tmp_path, "")
    with_bom = load_rule_file(write(tmp_path, "\ufeff" + MINIMAL, "bom.yaml"))
    assert with_bom.id == "my-draft"
    third = load_rule_file(write(tmp_path, MINIMAL.replace(
        "tier: covered}", "tier: covered, all: [{share: {domain: bio, above: '1/3'}}]}"), "third.yaml"))
    verdict = third.evaluate(load_lifecycle(ROOT / "examples" / "evo2-40b.yaml"))
    assert "passes > 33%" in verdict.clauses[0].note or "does not pass > 33%" in verdict.clauses[0].note


def test_toml_says_to_quote_a_power_of_ten(tmp_path):
    with pytest.raises(PolicyError, match='write threshold = "10\\^26"'):
        load_rule_file(write(tmp_path, '\ufeffid = "x"\nthreshold = 10^23\n', "bad.toml"))


def test_the_toml_example_in_the_reference_loads(tmp_path):
    import re

    block = re.search(r"```toml\n(.*?)```", (ROOT / "docs" / "rule-api.md").read_text(encoding="utf-8"), re.S).group(1)
    policy = load_rule_file(write(tmp_path, block, "example.toml"))
    assert policy.rules[0].threshold == 10**25


def test_a_reading_option_no_rule_reads_is_refused(tmp_path):
    message = error_of(tmp_path, MINIMAL.replace("{scope: lineage}", "{scope: lineage, pooled: true}"))
    assert "reading 'plain': option 'pooled' is read only by a percentile rule, and this file has none" in message


def test_a_domain_rules_own_scope_decides_its_share_test_too(tmp_path):
    """A rule that fixes its scope measures compute there whatever the reading says; its
    "primarily" share must be read over the same steps (it used to follow the reading)."""
    from importlib import resources

    from loopholes import Lifecycle, make_step

    text = (resources.files("loopholes.rules.bundled") / "us_eo_14110.yaml").read_text(encoding="utf-8")
    text = text.replace("    domain: bio\n", "    domain: bio\n    scope: lineage\n", 1)
    path = tmp_path / "eo-lineage-bio.yaml"
    path.write_text(text.replace("id: us-eo-14110", "id: eo-lineage-bio", 1), encoding="utf-8")
    policy = load_policy(path)
    lc = Lifecycle(name="t", released=dt.date(2024, 1, 1), deploy="student", steps=(
        make_step("teacher", "pretrain", "T", flop=1e24, data={"bio": 1.0}),
        make_step("data", "synthetic_data", "A", ["teacher"], flop=1e21),
        make_step("student", "distill", "A", ["data"], flop=1e22, data={"general": 1.0})))
    verdict = policy.evaluate(lc, policy.reading("single-run"))
    bio = next(c for c in verdict.clauses if c.rule == "bio")
    assert bio.measured > 1e24 and bio.triggered and "over the model's runs" not in bio.note
