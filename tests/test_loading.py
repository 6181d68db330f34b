"""Reading lifecycle specs: every malformed input ends in exit code 2 and one plain line.

docs/design.md §3 and §9: bad input gets one clear error naming the file, the step and the field;
no traceback reaches a user. Each malformed class has its own small file in
`tests/bad_specs/`; the few that cannot be committed (a missing file, a directory, a
50 MB file) are made in `tmp_path` at test time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopholes import SpecError, load_lifecycle, parse_lifecycle
from loopholes.cli import main

BAD = Path(__file__).resolve().parent / "bad_specs"

# file in bad_specs/ -> (step the message must name, field it must name, words it must contain)
CASES: dict[str, tuple[str | None, str | None, tuple[str, ...]]] = {
    "unknown_kind.yaml": ("model", "kind", ("pretrian", "pretrain", "finetune")),
    "missing_id.yaml": ("#1", "id", ("required",)),
    "duplicate_id.yaml": ("model", "id", ("duplicate",)),
    "input_names_no_step.yaml": ("tuned", "inputs", ("bsae", "names no step", "model")),
    "step_lists_itself.yaml": ("model", "inputs", ("own input",)),
    "cycle.yaml": (None, "inputs", ("cycle",)),
    "negative_number.yaml": ("model", "flop", ("greater than or equal to 0",)),
    "nan.yaml": ("model", "flop", ("finite", "nan")),
    "infinite.yaml": ("model", "flop", ("finite", "inf")),
    "share_above_one.yaml": ("model", "data.bio", ("1.2",)),
    "share_below_zero.yaml": ("model", "data.bio", ("-0.1",)),
    "shares_sum_above_one.yaml": ("model", "data", ("sum", "at most 1")),
    "two_compute_forms.yaml": ("model", None, ("two compute forms", "flop", "params")),
    "no_compute.yaml": ("model", None, ("no compute", "flop", "hardware")),
    "params_without_tokens.yaml": ("model", None, ("params", "tokens")),
    "unknown_precision.yaml": ("model", "precision", ("fp12", "bf16", "int8")),
    "unknown_chip.yaml": ("model", "hardware.chip", ("TPU-v9", "H100")),
    "chip_without_rate.yaml": ("model", "precision", ("A100", "fp8", "bf16")),
    "utilization_zero.yaml": ("model", "hardware.utilization", ("greater than 0",)),
    "utilization_above_one.yaml": ("model", "hardware.utilization", ("1.5",)),
    "missing_deploy.yaml": (None, "deploy", ("required",)),
    "deploy_names_no_step.yaml": (None, "deploy", ("modle", "names no step", "model")),
    "impossible_date.yaml": (None, "released", ("2023-02-30", "YYYY-MM-DD")),
    "impossible_date.json": (None, "released", ("2023-02-30", "YYYY-MM-DD")),
    "impossible_date.toml": (None, None, ("date", "line 2")),
    "string_for_number.yaml": ("model", "flop", ("number", "lots")),
    "quoted_number.yaml": ("model", "flop", ("number", "'1e25'")),
    "unknown_field.yaml": ("model", "precison", ("unknown field", "did you mean 'precision'?")),
    # the misspelt key is named before the missing one it causes (issue 13)
    "misspelt_deploy.yaml": (None, "deplyo", ("unknown field", "did you mean 'deploy'?")),
    "no_steps.yaml": (None, "steps", ("at least one step",)),
    "top_level_list.yaml": (None, None, ("list", "mapping")),
    "empty.yaml": (None, None, ("empty",)),
    "whitespace_only.yaml": (None, None, ("empty",)),
    "broken.json": (None, None, ("JSON", "line 5")),
    "broken.yaml": (None, None, ("YAML", "line")),
    "broken.toml": (None, None, ("TOML", "line 1")),
    "not_utf8.yaml": (None, None, ("UTF-8",)),
    "unknown_suffix.txt": (None, None, (".txt", ".json", ".yaml", ".toml")),
    "finetune_without_base.yaml": ("model", "inputs", ("finetune", "base model")),
    "ensemble_of_one.yaml": ("vote", "inputs", ("ensemble", "at least two")),
    "boost_on_pretrain.yaml": ("model", None, ("boost", "inference_boost")),
}


def run_check(path: Path | str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    """`loopholes check us-eo-14110 PATH`, in process: (exit code, stdout, stderr)."""
    code = main(["check", "us-eo-14110", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(code: int, out: str, err: str, path: Path | str) -> str:
    """Exit 2, nothing on stdout, one 'loopholes: error:' line naming the file, no traceback."""
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("loopholes: error: ")
    assert str(path) in line
    assert len(line) < 600, "an error line should be readable, not a dump"
    return line


def test_every_bad_spec_file_has_a_case():
    """Each file in tests/bad_specs/ is exercised below, and each case has its file."""
    assert {p.name for p in BAD.iterdir()} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_spec_gives_one_line_naming_file_step_and_field(name, capsys):
    """A malformed spec exits 2 with one line naming the file, step and field at fault."""
    path = BAD / name
    line = assert_one_error_line(*run_check(path, capsys), path)
    step, field, words = CASES[name]
    if step is not None:
        assert f"step '{step}'" in line
    if field is not None:
        assert f"field '{field}'" in line
    for word in words:
        assert word.lower() in line.lower(), f"{word!r} missing from: {line}"


def test_spec_error_carries_step_and_field_for_scripts():
    """SpecError exposes source, step and field as attributes, not only in its text."""
    with pytest.raises(SpecError) as caught:
        load_lifecycle(BAD / "unknown_chip.yaml")
    assert (caught.value.source, caught.value.step, caught.value.field) == (
        str(BAD / "unknown_chip.yaml"), "model", "hardware.chip")


def test_missing_file(tmp_path, capsys):
    """A path that does not exist is an input error, not a crash."""
    path = tmp_path / "nowhere.yaml"
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "no such file" in line


def test_directory(tmp_path, capsys):
    """A directory given as a spec (even with a .yaml name) is refused in one line."""
    path = tmp_path / "specs.yaml"
    path.mkdir()
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "directory" in line


def test_fifty_megabyte_file_is_refused_by_size(tmp_path, capsys):
    """A 50 MB file is refused by its size, before it is parsed."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        chunk = b"# padding\n" * (1024 * 1024 // 10)
        for _ in range(50):
            handle.write(chunk)
    assert path.stat().st_size > 50_000_000
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "MB" in line and "at most" in line


def test_real_command_prints_one_line_and_exits_2():
    """The installed `loopholes` executable turns a bad spec into exit 2 and one stderr line."""
    exe = Path(sys.executable).with_name("loopholes")  # the console script, where it is installed beside
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "loopholes"]  # never from PATH
    path = BAD / "cycle.yaml"
    done = subprocess.run([*command, "check", "us-eo-14110", str(path)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "LOOPHOLES_NO_PLUGINS": "1"})
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loopholes: error: ") and "cycle" in lines[0]


# -- the positive side ----------------------------------------------------------------

SPEC_YAML = """\
name: two-formats
released: 2024-05-01
deploy: tuned
developers:
  Lab: {revenue_usd: 6.0e8}
steps:
  - id: base
    kind: pretrain
    developer: Lab
    params: 7.0e10
    tokens: 1.5e13
    data: {bio: 0.3}
  - id: tuned
    kind: finetune
    developer: Other
    inputs: [base]
    hardware: {chip: H100, count: 512, hours: 100.0, utilization: 0.4}
    precision: fp8
"""

SPEC_TOML = """\
name = "two-formats"
released = 2024-05-01
deploy = "tuned"

[developers.Lab]
revenue_usd = 6.0e8

[[steps]]
id = "base"
kind = "pretrain"
developer = "Lab"
params = 7.0e10
tokens = 1.5e13
data = { bio = 0.3 }

[[steps]]
id = "tuned"
kind = "finetune"
developer = "Other"
inputs = ["base"]
hardware = { chip = "H100", count = 512, hours = 100.0, utilization = 0.4 }
precision = "fp8"
"""

SPEC_JSON = """\
{"name": "two-formats", "released": "2024-05-01", "deploy": "tuned",
 "developers": {"Lab": {"revenue_usd": 6.0e8}},
 "steps": [
  {"id": "base", "kind": "pretrain", "developer": "Lab", "params": 7.0e10, "tokens": 1.5e13, "data": {"bio": 0.3}},
  {"id": "tuned", "kind": "finetune", "developer": "Other", "inputs": ["base"],
   "hardware": {"chip": "H100", "count": 512, "hours": 100.0, "utilization": 0.4}, "precision": "fp8"}
 ]}
"""


@pytest.mark.parametrize("written", ["1e25", "1E25", "1.0e+25", "10e24"])
def test_unquoted_exponent_in_yaml_is_a_number(tmp_path, written):
    """YAML 1.1 reads `1e25` as a string; the loader reads it as the number drafters mean."""
    path = tmp_path / "exp.yaml"
    path.write_text(f"name: e\nreleased: 2024-05-01\ndeploy: m\nsteps:\n"
                    f"  - {{id: m, kind: pretrain, developer: Lab, flop: {written}}}\n")
    step = load_lifecycle(path).artifact
    assert isinstance(step.flop, float)
    assert step.flop == pytest.approx(1e25, rel=1e-12)


def test_json_yaml_and_toml_give_identical_verdicts(tmp_path, capsys):
    """The same lifecycle in JSON, YAML and TOML gives byte-identical `check --json` output."""
    (tmp_path / "spec.yaml").write_text(SPEC_YAML)
    (tmp_path / "spec.toml").write_text(SPEC_TOML)
    (tmp_path / "spec.json").write_text(SPEC_JSON)
    for policy, readings in (("us-eo-14110", ("single-run", "cumulative")), ("eu-ai-act", ("float-only", "all-operations")),
                             ("ca-sb53", ("developer-only", "include-upstream"))):
        for reading in readings:
            outputs = []
            for suffix in ("json", "yaml", "toml"):
                assert main(["check", policy, str(tmp_path / f"spec.{suffix}"), "--reading", reading, "--json"]) == 0
                outputs.append(capsys.readouterr().out)
            assert outputs[0] == outputs[1] == outputs[2]
            assert json.loads(outputs[0])["compute"]["total_flop"] > 6 * 7e10 * 1.5e13


def test_parse_lifecycle_accepts_a_dict_and_names_its_source():
    """parse_lifecycle takes an already-parsed dict; errors name the source it was given."""
    spec = {"name": "d", "released": "2024-05-01", "deploy": "m",
            "steps": [{"id": "m", "kind": "pretrain", "developer": "Lab", "flop": 1e24}]}
    assert parse_lifecycle(spec).artifact.flop == 1e24
    spec["steps"][0]["flop"] = -1.0
    with pytest.raises(SpecError, match=r"^from-script: step 'm': field 'flop'"):
        parse_lifecycle(spec, source="from-script")


# -- known bugs in code this file does not own (strict xfail: they fail until fixed) ------

def test_impossible_yaml_date_names_the_field(capsys):
    """An impossible date in YAML should say which field holds it, as JSON does."""
    line = assert_one_error_line(*run_check(BAD / "impossible_date.yaml", capsys), BAD / "impossible_date.yaml")
    assert "released" in line


def test_peak_precision_without_rate_names_peak_precision(tmp_path, capsys):
    """An A100 estimate at the fp8 peak (the A100 has none) should blame hardware.peak_precision."""
    path = tmp_path / "peak.yaml"
    path.write_text("name: p\nreleased: 2024-05-01\ndeploy: m\nsteps:\n  - {id: m, kind: pretrain, developer: Lab, "
                    "hardware: {chip: A100, count: 8, hours: 10, utilization: 0.4, peak_precision: fp8}}\n")
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "field 'hardware.peak_precision'" in line


def test_huge_integer_chip_count_is_a_spec_error(tmp_path):
    """A 400-digit chip count must be a SpecError, not an OverflowError out of the loader."""
    path = tmp_path / "count.json"
    path.write_text('{"name": "c", "released": "2024-05-01", "deploy": "m", "steps": [{"id": "m", "kind": "pretrain", '
                    '"developer": "Lab", "hardware": {"chip": "H100", "count": 1' + "0" * 400 + ', "hours": 1.0, '
                    '"utilization": 0.5}}]}')
    with pytest.raises(SpecError):
        load_lifecycle(path)


@pytest.mark.parametrize("steps", [
    "  - {id: a, kind: pretrain, developer: Lab, flop: 1.0e308}\n"
    "  - {id: m, kind: finetune, developer: Lab, inputs: [a], flop: 1.0e308}\n",
    "  - {id: m, kind: pretrain, developer: Lab, params: 1.0e60, tokens: 1.0e60}\n",
], ids=["flop-sum-overflows", "loss-law-underflows"])
def test_absurd_but_finite_numbers_do_not_crash_check(tmp_path, capsys, steps):
    """Every number is finite and positive; `check` must answer or refuse in one line."""
    path = tmp_path / "absurd.yaml"
    path.write_text("name: a\nreleased: 2024-05-01\ndeploy: m\nsteps:\n" + steps)
    code = main(["check", "us-eo-14110", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"name": "x", "released": "2024-01-01", "deploy": "m", "steps": [{"id": "m", "kind": "pretrain", '
              '"developer": "A", "flop": 1e27, "flop": 1e20}]}'),
    (".yaml", "name: x\nreleased: 2024-01-01\ndeploy: m\nsteps:\n  - {id: m, kind: pretrain, developer: A, "
              "flop: 1e27, flop: 1e20}\n"),
])
def test_a_repeated_key_is_refused_not_silently_overwritten(tmp_path, capsys, suffix, text):
    """A repeated `flop` would otherwise keep its last value and judge a 1e27 run as 1e20."""
    path = tmp_path / f"dup{suffix}"
    path.write_text(text)
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "the key 'flop' appears twice" in line


def test_a_long_bad_value_is_cut_in_the_message(tmp_path, capsys):
    path = tmp_path / "long.yaml"
    path.write_text("name: x\nreleased: 2024-01-01\ndeploy: m\nsteps:\n  - {id: m, kind: pretrain, developer: A, "
                    f"flop: '{'9' * 100_000}'}}\n")
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert len(line) < 400


# -- issue 12: the failure classes fuzzing found, each from its minimal input -------------

STEP = {"id": "b", "kind": "pretrain", "developer": "A", "flop": 1e25}


def _spec(**changes) -> dict:
    return {"name": "x", "released": "2025-01-01", "deploy": "b", "steps": [STEP], **changes}


def _bomb(levels: int = 9, width: int = 9) -> str:
    """A 'billion laughs' of YAML anchors: `levels` lists of `width` aliases to the last."""
    rows = ["  a0: &a0 [" + ", ".join(["1.0e25"] * width) + "]"]
    rows += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "x:\n" + "\n".join(rows) + f"\nname: x\nreleased: 2025-01-01\ndeploy: b\nsteps:\n" \
        f"  - {{id: b, kind: pretrain, developer: A, flop: *a{levels - 1}}}\n"


@pytest.mark.parametrize("policy", ["us-eo-14110", "eu-ai-act", "ca-sb53", "dynamic-percentile", "risk-index"])
@pytest.mark.parametrize("released", ["0001-01-01", "0001-12-31", "2450-01-01", "9999-12-31"])
def test_a_release_date_outside_the_envelope_is_refused_on_its_field(tmp_path, capsys, policy, released):
    """Was: OverflowError (9999), ValueError year 0 (0001) or Infinity in --json (2450)."""
    path = tmp_path / "far.json"
    path.write_text(json.dumps(_spec(released=released)))
    line = assert_one_error_line(main(["check", policy, str(path)]), *capsys.readouterr(), path)
    assert "field 'released'" in line and "1950-01-01 to 2100-12-31" in line


@pytest.mark.parametrize("policy", ["us-eo-14110", "dynamic-percentile", "risk-index"])
@pytest.mark.parametrize("released", ["1950-01-01", "2100-12-31"])
def test_the_envelope_edges_give_strict_json(tmp_path, capsys, policy, released):
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(_spec(released=released, reach={"business_users": 10**12, "end_users": 10**12},
                                     developers={"A": {"revenue_usd": 1e40}},
                                     steps=[dict(STEP, flop=1e40)])))
    assert main(["check", policy, str(path), "--json"]) == 0
    json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))


@pytest.mark.parametrize("suffix, text, field", [
    (".toml", 'name = "x"\nreleased = "2025-01-01"\ndeploy = "b"\nreach = {business_users = %s}\n'
              '[[steps]]\nid = "b"\nkind = "pretrain"\ndeveloper = "A"\nflop = 1e25\n' % (10**400), "reach.business_users"),
    (".toml", 'name = "x"\nreleased = "2025-01-01"\ndeploy = "b"\ndevelopers = {Lab = {revenue_usd = %s}}\n'
              '[[steps]]\nid = "b"\nkind = "pretrain"\ndeveloper = "A"\nflop = 1e25\n' % (10**400),
     "developers.Lab.revenue_usd"),
    (".json", json.dumps(_spec()).replace("1e+25", "9" * 5000), "flop"),
    (".yaml", "name: x\nreleased: 2025-01-01\ndeploy: b\nsteps:\n  - {id: b, kind: pretrain, developer: A, flop: %s}\n"
              % ("9" * 5000), "flop"),
])
def test_a_huge_integer_is_refused_on_its_field(tmp_path, capsys, suffix, text, field):
    """Was: OverflowError in risk_index.py, or a 5,000-digit JSON number called 'broken YAML'."""
    path = tmp_path / f"huge{suffix}"
    path.write_text(text)
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert f"field '{field}'" in line and "YAML" not in line.replace(".yaml", "")


def test_a_very_long_integer_in_toml_says_so(tmp_path, capsys):
    path = tmp_path / "long.toml"
    path.write_text('name = "x"\nreleased = "2025-01-01"\ndeploy = "b"\n[[steps]]\nid = "b"\nkind = "pretrain"\n'
                    'developer = "A"\nflop = %s\n' % ("9" * 5000))
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "digits" in line and "YAML" not in line.replace(".toml", "")


def test_a_long_fine_tune_chain_is_refused_before_it_recurses(tmp_path, capsys):
    """Was: RecursionError in risk_index's parameter lookup on a 1,000-step chain."""
    steps = [dict(STEP, id="s0")] + [{"id": f"s{i}", "kind": "finetune", "developer": "A", "flop": 1e10,
                                     "inputs": [f"s{i - 1}"]} for i in range(1, 1000)]
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(_spec(steps=steps, deploy="s999")))
    line = assert_one_error_line(main(["check", "risk-index", str(path)]), *capsys.readouterr(), path)
    assert "field 'steps'" in line and "500" in line


def test_the_longest_allowed_chain_evaluates_under_every_policy(tmp_path, capsys):
    steps = [dict(STEP, id="s0")] + [{"id": f"s{i}", "kind": "finetune", "developer": "A", "flop": 1e10,
                                     "inputs": [f"s{i - 1}"]} for i in range(1, 500)]
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(_spec(steps=steps, deploy="s499")))
    for policy in ("risk-index", "dynamic-percentile", "eu-ai-act"):
        assert main(["check", policy, str(path), "--json"]) == 0
        capsys.readouterr()


@pytest.mark.parametrize("where", ["flop", "data"])
def test_a_yaml_alias_bomb_is_refused_quickly_without_echoing_it(tmp_path, capsys, where):
    """Was: 33-63 s and 3 GB for 534 bytes, then the expanded list in the message."""
    import time

    text = _bomb()
    if where == "data":
        text = text.replace("flop: *a8", "flop: 1.0e25, data: {bio: *a8}")
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    start = time.perf_counter()
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert time.perf_counter() - start < 2
    assert "aliases" in line and "1e+25, 1e+25" not in line and "field 'steps[0]." in line


def test_a_yaml_set_is_refused_whatever_the_hash_seed(tmp_path):
    """Was: accepted, with an error text that depended on PYTHONHASHSEED."""
    path = tmp_path / "set.yaml"
    path.write_text("name: x\nreleased: 2025-01-01\ndeploy: b\nsteps: !!set {a, b, c, d}\n")
    lines = set()
    for seed in ("0", "1", "2"):
        run = subprocess.run([sys.executable, "-m", "loopholes", "check", "us-eo-14110", str(path)],
                             capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert run.returncode == 2
        lines.add(run.stderr)
    assert len(lines) == 1 and "!!set is not supported" in lines.pop()


def test_an_ensemble_listing_one_model_twice_is_refused(tmp_path, capsys):
    """Was: an ensemble of the same model 15 times credited with a 15-member gain."""
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(_spec(deploy="e", steps=[dict(STEP, id="a"), {
        "id": "e", "kind": "ensemble", "developer": "A", "flop": 1.0, "inputs": ["a"] * 15}])))
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "step 'e'" in line and "field 'inputs'" in line and "'a' is listed twice" in line


def test_control_characters_from_the_input_are_escaped(tmp_path, capsys):
    """Was: raw control characters (and line breaks) echoed from the input."""
    path = tmp_path / "ctl.json"
    path.write_text(json.dumps(_spec(deploy="b\x1b[31m\nnext\u2028line\x07")))
    line = assert_one_error_line(*run_check(path, capsys), path)
    assert "\\x1b[31m\\nnext\\u2028line\\x07" in line
    assert not any(ord(c) < 32 or c in "\u2028\u2029\x7f" for c in line)


@pytest.mark.parametrize("step, field", [
    ({"id": "b", "kind": "pretrain", "developer": "A"}, "flop"),
    ({"id": "b", "kind": "pretrain", "developer": "A", "flop": 1.0, "params": 1.0, "tokens": 1.0}, "flop"),
    ({"id": "b", "kind": "pretrain", "developer": "A", "params": 1.0}, "params"),
])
def test_a_whole_step_error_names_the_field_it_is_about(tmp_path, capsys, step, field):
    path = tmp_path / "step.json"
    path.write_text(json.dumps(_spec(steps=[step])))
    assert f"field '{field}'" in assert_one_error_line(*run_check(path, capsys), path)


def test_an_unknown_empty_key_is_named(tmp_path, capsys):
    """Found by the fuzz test: an unknown key '' gave a message naming no field."""
    path = tmp_path / "empty-key.json"
    path.write_text(json.dumps(_spec(**{"": 0.0})))
    assert "field '(empty name)'" in assert_one_error_line(*run_check(path, capsys), path)


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"name": ' + "[" * 30 + "]" * 30 + "}"),
    (".yaml", "name: " + "[" * 30 + "]" * 30 + "\n"),
    (".json", '{"name": ' + "[" * 5_000 + "]" * 5_000 + "}"),
    (".yaml", "name: " + "[" * 5_000 + "]" * 5_000 + "\n"),
])
def test_a_deeply_nested_file_is_one_line(tmp_path, capsys, suffix, text):
    """Was: a RecursionError traceback on a deep structure."""
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    assert "nested" in assert_one_error_line(*run_check(path, capsys), path)
