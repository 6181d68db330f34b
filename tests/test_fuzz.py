"""Fuzzing the check path (issue 12): whatever file a user feeds `loopholes check`, the
answer is exit 0 with strict JSON and finite non-negative quantities, or exit 2 with one
line naming the file (and the field, when the file parses), within two seconds.

Four sources of input: specs generated from the spec's own JSON Schema (walked by
`from_schema` below, with bounds stretched past what the schema allows), structure-aware
mutations of the examples, raw bytes, and YAML alias bombs / deep and wide graphs.

By default each test runs a few dozen cases (a few seconds in all). The `fuzz` profile
(tests/conftest.py) runs 2,500 cases per test, 10,000 in all:

    python -m pytest tests/test_fuzz.py --hypothesis-profile fuzz -p no:xdist
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopholes.cli import main
from loopholes.loading import read_spec_file
from loopholes.rules.registry import policy_ids
from loopholes.spec import KINDS, json_schema

FUZZING = settings.default.max_examples >= 1000
"""True under `--hypothesis-profile fuzz`."""
CASES = settings.default.max_examples // 4 if FUZZING else 25
HANG_SECONDS = 2.0 if FUZZING else 5.0
"""A case slower than this is a hang (the suite allows for a loaded CI machine)."""
RUN = settings(max_examples=CASES, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])
EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
FILE_LEVEL = ("broken ", "the file is empty", "not UTF-8", "the file holds", "nested more than", "more than 100000",
              "a number in the file has")
"""Errors about the file as a whole, where no field can be named."""


# -- running one case ----------------------------------------------------------------------

STATS: dict[str, Any] = {"cases": 0, "exit 0": 0, "exit 2": 0, "slowest": 0.0}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    spec = folder / "warm.yaml"
    spec.write_bytes(EXAMPLES[0].read_bytes())
    for policy in policy_ids():  # load the population and coefficients before timing anything
        _run(policy, spec)
    yield folder
    print(f"\nfuzz: {STATS['cases']} cases, {STATS['exit 0']} exit 0, {STATS['exit 2']} exit 2, "
          f"slowest {STATS['slowest']:.2f} s")  # shown with -s


def _run(policy: str, path: Path) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    previous = os.environ.get("LOOPHOLES_TRACEBACK")
    os.environ["LOOPHOLES_TRACEBACK"] = "1"  # the CLI's last-resort net must not hide a bug here
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", policy, str(path), "--json"])
    finally:
        if previous is None:
            del os.environ["LOOPHOLES_TRACEBACK"]
        else:
            os.environ["LOOPHOLES_TRACEBACK"] = previous
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


def _strict(name: str) -> Any:
    raise AssertionError(f"non-strict JSON literal {name}")


def _numbers(value: Any, where: str = "") -> list[tuple[str, float]]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [(where, value)]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _numbers(v, f"{where}.{k}")]
    return [n for i, v in enumerate(value) for n in _numbers(v, f"{where}[{i}]")]


def assert_clean(policy: str, path: Path, *, parses: bool) -> None:
    """The contract: exit 0 and strict JSON with finite non-negative numbers, or exit 2 and
    one line naming the file and (for a file that parses) the field."""
    code, out, err, seconds = _run(policy, path)
    STATS["cases"] += 1
    STATS[f"exit {code}"] = STATS.get(f"exit {code}", 0) + 1
    STATS["slowest"] = max(STATS["slowest"], seconds)
    assert seconds < HANG_SECONDS, f"{seconds:.1f} s on {path.read_bytes()[:200]!r}"
    assert code in (0, 2), err
    if code == 0:
        doc = json.loads(out, parse_constant=_strict)
        for where, number in _numbers(doc):
            assert math.isfinite(number) and number >= 0, f"{where} = {number}"
        return
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"loopholes: error: {path}: "), lines[0]
    assert all(ord(c) >= 32 and c not in "\x7f\u2028\u2029" for c in lines[0]), repr(lines[0])
    if parses:
        assert "field '" in lines[0] or "step '" in lines[0] or any(p in lines[0] for p in FILE_LEVEL), lines[0]


def _write(workdir: Path, spec: Any, fmt: str, n: list[int] = [0]) -> Path:  # noqa: B006 - a counter
    import yaml

    n[0] += 1
    path = workdir / f"case{n[0]}.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(spec, default=str))
    else:
        path.write_text(yaml.safe_dump(spec, allow_unicode=True, default_flow_style=None))
    return path


# -- specs from the JSON Schema -------------------------------------------------------------

SCHEMA = json_schema()
NASTY_NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**60), 10**60),
                          st.sampled_from([0, -1, 1e40, 1.0000001e40, 1e300, 10**400, 5e-324, -0.0]))
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
DATES = st.one_of(st.dates().map(str), st.sampled_from(["0001-01-01", "9999-12-31", "2450-01-01", "1949-12-31",
                                                        "1950-01-01", "2100-12-31", "2101-01-01", "2025-02-30"]))


def from_schema(node: dict, depth: int = 0) -> st.SearchStrategy:
    """Values shaped by a JSON Schema node: objects with their properties (optional ones
    sometimes left out, now and then an unknown key), enums, numbers and strings, with
    numbers drawn past the schema's bounds so validation has something to refuse."""
    if "$ref" in node:
        return st.deferred(lambda: from_schema(SCHEMA["$defs"][node["$ref"].split("/")[-1]], depth + 1))
    if "anyOf" in node:
        return st.one_of([from_schema(option, depth) for option in node["anyOf"]])
    if "enum" in node:
        return st.one_of(st.sampled_from(node["enum"]), TEXT) if depth < 3 else st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        return _object(node, depth)
    if kind == "array":
        return st.lists(from_schema(node.get("items", {}), depth + 1), max_size=6 if depth else 8)
    if kind == "number":
        return st.one_of(st.floats(0, 1e40), NASTY_NUMBERS)
    if kind == "integer":
        return st.one_of(st.integers(0, 10**13), NASTY_NUMBERS)
    if kind == "boolean":
        return st.one_of(st.booleans(), st.sampled_from([0, "yes"]))
    if kind == "null":
        return st.none()
    if kind == "string":
        return DATES if node.get("format") == "date" else st.one_of(st.sampled_from(["a", "b", "base", "A"]), TEXT)
    return st.one_of(st.none(), TEXT, NASTY_NUMBERS)


def _object(node: dict, depth: int) -> st.SearchStrategy:
    properties = node.get("properties", {})
    required = set(node.get("required", []))
    extra = node.get("additionalProperties")
    if not properties and isinstance(extra, dict):  # a mapping such as developers or data
        return st.dictionaries(st.sampled_from(["A", "B", "general", "bio", "cyber"]), from_schema(extra, depth + 1),
                               max_size=3)
    fields = {name: from_schema(sub, depth + 1) for name, sub in properties.items()}

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        out = {}
        for name, strategy in fields.items():
            if name in required or draw(st.booleans()):
                if name not in required or draw(st.integers(0, 30)) > 0:
                    out[name] = draw(strategy)
        if draw(st.integers(0, 30)) == 0:
            out[draw(st.sampled_from(["deplyo", "flops", "step", "\x1b[31m", ""]))] = draw(TEXT)
        return out

    return build()


@RUN
@given(spec=from_schema(SCHEMA), policy=st.sampled_from(policy_ids()), fmt=st.sampled_from(["json", "yaml"]))
def test_specs_from_the_schema(workdir, spec, policy, fmt):
    assert_clean(policy, _write(workdir, spec, fmt), parses=True)


# -- mutations of the examples ----------------------------------------------------------------

BASES = [read_spec_file(path) for path in EXAMPLES]
VALUES = st.one_of(NASTY_NUMBERS, TEXT, DATES, st.none(), st.booleans(), st.sampled_from(KINDS),
                   st.lists(st.sampled_from(["base", "instruct", "a", "x"]), max_size=20),
                   st.dictionaries(TEXT, NASTY_NUMBERS, max_size=3))


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, prefix + (i,))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    spec = json.loads(json.dumps(draw(st.sampled_from(BASES)), default=str))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(spec)))
        if not path:
            continue
        parent = spec
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["set", "set", "delete", "duplicate", "extra"]))
        if action == "set":
            parent[key] = draw(VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[key], default=str)))
        elif action == "extra" and isinstance(parent, dict):
            parent[draw(TEXT)] = draw(VALUES)
    return spec


@RUN
@given(spec=mutated(), policy=st.sampled_from(policy_ids()), fmt=st.sampled_from(["json", "yaml"]))
def test_mutated_examples(workdir, spec, policy, fmt):
    assert_clean(policy, _write(workdir, spec, fmt), parses=True)


# -- raw bytes ------------------------------------------------------------------------------

@RUN
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode),
                      st.sampled_from(EXAMPLES).map(Path.read_bytes).flatmap(
                          lambda raw: st.tuples(st.integers(0, len(raw)), st.binary(max_size=8)).map(
                              lambda cut: raw[:cut[0]] + cut[1] + raw[cut[0] + len(cut[1]):]))),
       suffix=st.sampled_from(["json", "yaml", "yml", "toml"]), policy=st.sampled_from(policy_ids()))
def test_raw_bytes(workdir, data, suffix, policy):
    path = workdir / f"raw.{suffix}"
    path.write_bytes(data)
    assert_clean(policy, path, parses=False)


# -- alias bombs, deep and wide graphs --------------------------------------------------------

@st.composite
def bombs_and_graphs(draw: st.DrawFn) -> tuple[str, str]:
    shape = draw(st.sampled_from(["bomb", "chain", "wide", "fan"]))
    if shape == "bomb":
        levels, width = draw(st.integers(2, 10)), draw(st.integers(2, 12))
        rows = ["  a0: &a0 [" + ", ".join(["1.0e25"] * width) + "]"]
        rows += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
        where = draw(st.sampled_from(["flop: *a{n}", "flop: 1.0e25, data: {{bio: *a{n}}}",
                                      "flop: 1.0e25, inputs: *a{n}", "flop: 1.0e25, developer: *a{n}"]))
        owner = "" if "developer" in where else "developer: A, "
        step = "{id: b, kind: pretrain, " + owner + where.format(n=levels - 1) + "}"
        return "yaml", "x:\n" + "\n".join(rows) + f"\nname: x\nreleased: 2025-01-01\ndeploy: b\nsteps:\n  - {step}\n"
    n = draw(st.integers(2, 700))
    steps = [{"id": "s0", "kind": "pretrain", "developer": "A", "flop": 1e24}]
    if shape == "chain":
        steps += [{"id": f"s{i}", "kind": draw(st.sampled_from(["finetune", "rl", "quantize"])), "developer": "A",
                   "flop": 1e20, "inputs": [f"s{i - 1}"]} for i in range(1, n)]
        deploy = f"s{n - 1}"
    elif shape == "wide":
        steps += [{"id": f"s{i}", "kind": "pretrain", "developer": "A", "flop": 1e22} for i in range(1, n)]
        steps.append({"id": "all", "kind": draw(st.sampled_from(["ensemble", "merge", "moe_assemble", "cascade"])),
                      "developer": "A", "flop": 1.0, "inputs": [f"s{i}" for i in range(n)]})
        deploy = "all"
    else:
        steps += [{"id": f"s{i}", "kind": "finetune", "developer": f"D{i % 7}", "flop": 1e21, "inputs": ["s0"]}
                  for i in range(1, n)]
        deploy = f"s{n - 1}"
    return "json", json.dumps({"name": "graph", "released": "2025-06-01", "deploy": deploy, "steps": steps})


@RUN
@given(case=bombs_and_graphs(), policy=st.sampled_from(policy_ids()))
def test_alias_bombs_and_big_graphs(workdir, case, policy):
    suffix, text = case
    path = workdir / f"graph.{suffix}"
    path.write_text(text)
    assert_clean(policy, path, parses=True)
