"""The pytest plugin as a drafter meets it: run pytest on a rule file, read the failures.

Every case runs an inner pytest through `pytester` on a small draft rule with one reading
and one domain, searched at depth 1 (singles only) so each inner run takes about a second.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys

import pytest

from loopholes.cli import main
from loopholes.strategies import registry

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.usefixtures("child_pytests_keep_bytecode")  # conftest: their pytests start faster

FAST = ("--loopholes-depth", "1", "-p", "no:randomly")

DRAFT = '''
"""A draft with the EU line over the whole lineage; {what}."""
import datetime as dt

from loopholes.rules.framework import KnownLoophole, Policy, Reading, compute_threshold

POLICY = Policy(
    id="{id}",
    title="Test draft",
    jurisdiction="nowhere",
    source="tests",
    status="proposal",
    dates={{}},
    reference_date=dt.date(2025, 8, 2),
    readings=(Reading("as-drafted", "Which operations count?", "{what}",
                      {{"scope": "lineage", "count_integer": {integer}, "estimate": "executed"}}),),
    rules=(compute_threshold("systemic", "AI Act Art. 51(2)", 1e25, tier="systemic-risk"),),
    tiers=("systemic-risk",),
    covered_tiers=frozenset({{"systemic-risk"}}),
    target_lines={{"general": 1e25}},
    known_loopholes=({known}),
)
'''


def draft(pytester: pytest.Pytester, name: str, *, integer: bool, known: str = "", folder: str = "policies") -> str:
    """Write a draft module; returns its path relative to the test folder."""
    what = "every operation" if integer else "floating-point operations only"
    path = pytester.path / folder / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DRAFT.format(id=name.replace("_", "-"), what=what, integer=integer, known=known))
    return f"{folder}/{name}.py"


def outcomes(text: str) -> dict[str, str]:
    """nodeid -> outcome from `-v` lines, serial or xdist, without xdist's @group suffix."""
    found = {}
    for match in re.finditer(r"(PASSED|FAILED|XFAIL|XPASS|ERROR)\s+(\S+::\[[^\]]+\])|(\S+::\[[^\]]+\])(?:@\S+)?\s+"
                             r"(PASSED|FAILED|XFAIL|XPASS|ERROR)", text):
        outcome, nodeid = (match[1], match[2]) if match[1] else (match[4], match[3])
        found[nodeid] = outcome
    return found


def test_one_test_per_strategy_and_reading(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--policy", "eu-ai-act", "--collect-only", "-q")
    ids = [line for line in result.outlines if line.startswith("eu-ai-act::[")]
    assert "eu-ai-act::[eu-ai-act::integer-precision::float-only]" in ids
    assert "eu-ai-act::[eu-ai-act::integer-precision::all-operations]" in ids
    # bio-dilution cannot apply where the rule draws no bio line: one test for all readings
    assert "eu-ai-act::[eu-ai-act::bio-dilution::all]" in ids
    names = {line.split("::")[2] for line in ids}
    assert names == set(registry())
    assert len(ids) == len(set(ids))


def test_a_leaky_draft_fails_like_a_finding(pytester: pytest.Pytester) -> None:
    ref = draft(pytester, "leaky", integer=False)
    result = pytester.runpytest(ref, "--loopholes-strategy", "integer-precision", *FAST)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "leaky::integer-precision::as-drafted" in text
    assert "leaky leaks through integer-precision under reading as-drafted" in text
    # one line per step (the standard profile may add deployment steps after the base run)
    assert re.search(r"base( \[deploy\])?\s+pretrain .* ops\s+\(int8", text), text
    assert re.search(r"AI Act Art\. 51\(2\): training operations: [0-9.e+]+ > 1e25\? no", text)  # the clause it slipped past
    assert "capability kept (general, effective FLOP, central)" in text
    assert re.search(r"leakage (>= )?[0-9.]+x, (material|marginal)", text)
    assert "Traceback" not in text and "pytest_plugin.py" not in text and "search.py" not in text

    replay = re.search(r"replay: (loopholes check .*)", text)[1].split()
    assert replay[2] == ref
    # the installed module through this interpreter: the suite needs no activated environment
    check = pytester.run(sys.executable, "-m", "loopholes", *replay[1:], "--json")
    assert check.ret == 0
    verdict = json.loads(check.stdout.str())
    assert verdict["covered"] is False and verdict["reading"] == "as-drafted"


def test_strategies_that_find_nothing_pass(pytester: pytest.Pytester) -> None:
    ref = draft(pytester, "tight", integer=True)
    result = pytester.runpytest(ref, "--loopholes-strategy", "integer-precision",
                                "--loopholes-strategy", "bio-dilution", *FAST)
    result.assert_outcomes(passed=2)


def test_known_loopholes_are_strict_xfail(pytester: pytest.Pytester) -> None:
    known = ('KnownLoophole("integer-precision", "Art. 3(67): floating point only"), '
             'KnownLoophole("bio-dilution", "declared but never found")')
    ref = draft(pytester, "declared", integer=False, known=known)
    result = pytester.runpytest(ref, "--loopholes-strategy", "integer-precision",
                                "--loopholes-strategy", "bio-dilution", "-rxX", *FAST)
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(["[[]XPASS(strict)[]] declared no longer leaks through bio-dilution under any "
                                 "reading, yet declares it a known loophole (declared but never found).",
                                 "Remove it from known_loopholes*",
                                 "*XFAIL*declared::integer-precision::as-drafted*Art. 3(67): floating point only*"])


def test_a_misspelt_known_loophole_is_a_collection_error(pytester: pytest.Pytester) -> None:
    ref = draft(pytester, "misspelt", integer=False, known='KnownLoophole("integer-precison", "typo"),')
    result = pytester.runpytest(ref)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*known loophole 'integer-precison' is not a strategy; valid: distillation*"])
    assert "Traceback" not in result.stdout.str()


def test_the_strategy_option_selects_tests(pytester: pytest.Pytester) -> None:
    ref = draft(pytester, "picked", integer=False)
    result = pytester.runpytest(ref, "--collect-only", "-q", "--loopholes-strategy", "sparsity",
                                "--loopholes-strategy", "throttling")
    assert [line.split("::", 1)[1] for line in result.outlines if "::[" in line] == [
        "[picked::sparsity::as-drafted]", "[picked::throttling::as-drafted]"]
    wrong = pytester.runpytest(ref, "--loopholes-strategy", "nope")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(["ERROR: --loopholes-strategy nope: no such strategy; valid: *"])


def test_save_writes_specs_that_check_accepts(pytester: pytest.Pytester, capsys: pytest.CaptureFixture) -> None:
    ref = draft(pytester, "saved", integer=False)
    result = pytester.runpytest(ref, "--loopholes-save", "out", "--loopholes-strategy", "integer-precision", *FAST)
    result.assert_outcomes(failed=1)
    specs = sorted((pytester.path / "out").glob("*.json"))
    assert len(specs) > 1 and all(spec.name.startswith("saved--general--") for spec in specs)
    shown = re.search(r"replay: loopholes check \S+ (\S+)", result.stdout.str())[1]
    assert shown.startswith("out/saved--general--integer-precision--")
    capsys.readouterr()
    for spec in specs:
        assert main(["check", str(pytester.path / ref), str(spec), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["covered"] is False


def test_policy_option_runs_only_that_rule(pytester: pytest.Pytester) -> None:
    ref = draft(pytester, "named", integer=False, folder="drafts")
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = pytester.runpytest("--policy", ref, "--loopholes-strategy", "integer-precision", "-v", *FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"{ref}::[[]named::integer-precision::as-drafted[]] FAILED*"])
    missing = pytester.runpytest("--policy", "no-such-rule")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: --policy no-such-rule: unknown policy 'no-such-rule'*"])


def test_ordinary_test_modules_are_left_alone(pytester: pytest.Pytester) -> None:
    """A test module that builds a POLICY, and a helper without one, collect as usual."""
    draft(pytester, "helper_rule", integer=True, folder="lib")
    pytester.makepyfile(test_uses_rule='''
from loopholes.rules.registry import load_policy

POLICY = load_policy("eu-ai-act")

def test_reads_rule():
    assert POLICY.id == "eu-ai-act"
''')
    (pytester.path / "policies").mkdir()
    (pytester.path / "policies" / "notes.py").write_text("# mentions POLICY but defines none\nX = 1\n")
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)


def test_fixture_for_own_assertions(pytester: pytest.Pytester) -> None:
    leaky = draft(pytester, "fixture_leaky", integer=False)
    tight = draft(pytester, "fixture_tight", integer=True)
    pytester.makepyfile(test_own=f'''
from loopholes.pytest_plugin import assert_no_loophole

def test_tight_keeps_integer_runs_covered(loopholes):
    result = loopholes.search("{tight}", strategy="integer-precision")
    loopholes.assert_no_loophole(result)

def test_leaky_leaks_above_the_target(loopholes):
    result = loopholes.search("{leaky}", strategy="integer-precision")
    loopholes.assert_no_loophole(result, above=1e26)

def test_the_helper_works_without_the_fixture(loopholes):
    assert_no_loophole(loopholes.search("{leaky}", strategy="integer-precision"), reading="as-drafted")

def test_check_a_spec(loopholes):
    spec = {{"name": "int8", "released": "2025-08-02", "deploy": "base",
             "steps": [{{"id": "base", "kind": "pretrain", "developer": "A", "flop": 5e26, "precision": "int8"}}]}}
    assert not loopholes.check("{leaky}", spec).covered
    assert loopholes.check("{tight}", spec).covered
''')
    result = pytester.runpytest("test_own.py", *FAST)
    result.assert_outcomes(passed=2, failed=2)
    text = result.stdout.str()
    # each failure shows the message once; under CI=true pytest also repeats it untruncated in the summary
    assert text.count("fixture-leaky leaks through integer-precision under reading as-drafted") in (2, 4)
    assert "(asked: nothing above 1e26 effective FLOP)" in text
    assert "replay: loopholes check policies/fixture_leaky.py" in text
    assert "Traceback" not in text


def test_xdist_gives_the_same_outcomes_as_a_serial_run(pytester: pytest.Pytester) -> None:
    known = 'KnownLoophole("measured-vs-theoretical", "estimate"), KnownLoophole("sparsity", "sparse kernels"),'
    draft(pytester, "par_leaky", integer=False, known=known)
    draft(pytester, "par_tight", integer=True, known=known + ' KnownLoophole("algorithmic-progress", "time"),')
    args = ("policies", "-v", "-p", "no:cacheprovider", *FAST)
    serial = pytester.runpytest(*args, "-p", "no:xdist")
    parallel = pytester.runpytest_subprocess(*args, "-n", "2")
    grouped = pytester.runpytest_subprocess(*args, "-n", "2", "--dist", "loadgroup")
    expected = outcomes(serial.stdout.str())
    assert len(expected) == 2 * len(registry())
    assert set(expected.values()) == {"PASSED", "FAILED", "XFAIL"}
    assert outcomes(parallel.stdout.str()) == expected
    assert outcomes(grouped.stdout.str()) == expected


def test_the_plugin_imports_no_engine(pytester: pytest.Pytester) -> None:
    """Every pytest run in an environment with loopholes loads the plugin: it must stay light."""
    result = pytester.run(sys.executable, "-c", "import sys, loopholes.pytest_plugin; "
                          "print(sorted(m for m in ('loopholes.search', 'networkx', 'loopholes.strategies') "
                          "if m in sys.modules))")
    assert result.outlines[-1] == "[]"


def test_a_draft_that_fails_to_load_is_one_clear_error(pytester: pytest.Pytester) -> None:
    """A syntax error or an invalid rule in a draft is reported once, naming the file, with
    no import traceback from pytest's own module collector."""
    pytester.mkdir("policies")
    pytester.path.joinpath("policies", "broken.py").write_text("POLICY = (\n")
    pytester.path.joinpath("policies", "badrule.py").write_text(
        "import datetime as dt\n"
        "from loopholes.rules.framework import Policy, Reading, compute_threshold\n"
        "POLICY = Policy(id='bad', title='t', jurisdiction='j', source='s', status='proposal', dates={},\n"
        "    reference_date=dt.date(2025, 1, 1), readings=(Reading('r', 'q', 'a'),),\n"
        "    rules=(compute_threshold('x', 'clause', 1e25, tier='t', comparator='=>'),),\n"
        "    tiers=('t',), covered_tiers=frozenset({'t'}), target_lines={'general': 1e25})\n")
    result = pytester.runpytest("policies/broken.py", "policies/badrule.py", *FAST)
    result.assert_outcomes(errors=2)
    text = result.stdout.str()
    assert "broken.py: the policy module failed to load: SyntaxError" in text
    assert "badrule.py: rule 'x': comparator '=>' is not one of > or >=" in text
    assert "Traceback" not in text and "importlib" not in text and "__post_init__" not in text


# -- issue 12: broken rules, the shared cache, output folders ---------------------------------

BROKEN_RULE = '''
import datetime as dt
from loopholes.rules.framework import Policy, Reading, Rule

def measure(ctx):
    {body}

POLICY = Policy(
    id="{id}", title="t", jurisdiction="j", source="s", status="proposal", dates={{}},
    reference_date=dt.date(2025, 8, 2),
    readings=(Reading("r", "q", "a", {{"scope": "lineage"}}),),
    rules=(Rule("main", "Art. 1", "training operations", 1e25, ">", "systemic", measure),),
    tiers=("systemic",), covered_tiers=frozenset({{"systemic"}}), target_lines={{"general": 1e25}},
)
'''


@pytest.mark.parametrize("body, words", [
    ("return 1 / 0", "ZeroDivisionError"),
    ("return float('nan')", "returned nan"),
    ("return 0.0", "does not cover an honest model at its own line"),
])
def test_a_broken_rule_fails_every_test_with_one_short_block(pytester: pytest.Pytester, body, words) -> None:
    """Was: 317,032 lines (the cached exception re-raised, its traceback growing), or
    '27 passed' for a rule whose measure is NaN or covers nothing."""
    pytester.mkdir("policies")
    pytester.path.joinpath("policies", "broken.py").write_text(BROKEN_RULE.format(id="broken", body=body))
    strategies = ["--loopholes-strategy", "integer-precision", "--loopholes-strategy", "sparsity",
                  "--loopholes-strategy", "throttling"]
    result = pytester.runpytest("policies/broken.py", *strategies, *FAST)
    result.assert_outcomes(failed=3)
    text = result.stdout.str()
    assert text.count(words) >= 3 and "Traceback" not in text
    assert len(result.outlines) < 60, "one short block per test, not a growing traceback"


def _fake_config(tmp_path):
    from types import SimpleNamespace

    options = {"loopholes_seed": 0, "loopholes_max_evals": 100, "loopholes_depth": 1, "loopholes_material": 2.0}
    factory = SimpleNamespace(getbasetemp=lambda: tmp_path / "gw0")
    return SimpleNamespace(getoption=options.__getitem__, _tmp_path_factory=factory, workerinput={})


@pytest.mark.parametrize("content", [b"", b'{"version": 1, "policy": "eu-ai-act", "outcomes"', b"\x80\x04K\x01.",
                                     b'{"version": 1, "policy": "other", "exhausted": false, "outcomes": {}, "error": null}',
                                     b"[1, 2, 3]"])
def test_a_corrupt_or_foreign_cache_file_is_searched_again(tmp_path, monkeypatch, content) -> None:
    """Was: every test failing with UnpicklingError/EOFError and no re-search."""
    import loopholes.pytest_plugin as plugin
    from loopholes.rules.registry import load_policy

    policy = load_policy("eu-ai-act")
    searches = []

    def fake(config, policy, ref):
        searches.append(ref)
        return {"version": plugin.CACHE_VERSION, "policy": policy.id, "exhausted": False, "error": None,
                "outcomes": {key: None for key in plugin._expected_keys(policy)}}

    monkeypatch.setattr(plugin, "_search_outcomes", fake)
    config = _fake_config(tmp_path)
    first = plugin._shared_outcomes(config, policy, "eu-ai-act")
    assert plugin._shared_outcomes(config, policy, "eu-ai-act") == first and len(searches) == 1
    [stored] = tmp_path.glob("loopholes-outcomes-*.json")
    stored.write_bytes(content)
    assert plugin._shared_outcomes(config, policy, "eu-ai-act") == first and len(searches) == 2
    json.loads(stored.read_text())  # rewritten


def test_a_planted_pickle_is_never_loaded(tmp_path, monkeypatch) -> None:
    """Was: a pickle in the shared temporary folder ran arbitrary code when loaded."""
    import os
    import pickle

    import loopholes.pytest_plugin as plugin
    from loopholes.rules.registry import load_policy

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    policy = load_policy("eu-ai-act")
    config = _fake_config(tmp_path)
    monkeypatch.setattr(plugin, "_search_outcomes", lambda config, policy, ref: {
        "version": plugin.CACHE_VERSION, "policy": policy.id, "exhausted": False, "error": None,
        "outcomes": {key: None for key in plugin._expected_keys(policy)}})
    plugin._shared_outcomes(config, policy, "eu-ai-act")
    for stored in tmp_path.glob("loopholes-outcomes-*.json"):
        stored.write_bytes(pickle.dumps(Payload()))
    for name in ("pickle", "partial"):  # the old cache names, too
        (tmp_path / f"loopholes-search-0.{name}").write_bytes(pickle.dumps(Payload()))
    plugin._shared_outcomes(config, policy, "eu-ai-act")
    assert not marker.exists()


def test_an_unwritable_save_folder_is_one_usage_error(pytester: pytest.Pytester) -> None:
    """Was: 16 failures after the searches instead of one usage error."""
    ref = draft(pytester, "unsaved", integer=False)
    pytester.path.joinpath("blocker").write_text("a file, not a folder")
    result = pytester.runpytest(ref, "--loopholes-save", "blocker/specs", *FAST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --loopholes-save blocker/specs: cannot be created: *blocker is a file"])


def test_the_fixture_raises_a_remembered_failure_without_a_growing_traceback(pytester: pytest.Pytester) -> None:
    """Was: the same exception object re-raised, its traceback one test longer each time."""
    pytester.mkdir("lib")
    pytester.path.joinpath("lib", "raising.py").write_text(BROKEN_RULE.format(id="raising", body="return 1 / 0"))
    tests = "\n".join(f"def test_{i}(loopholes):\n    loopholes.search('lib/raising.py', strategy='sparsity')\n"
                      for i in range(8))
    pytester.makepyfile(test_many=tests)
    result = pytester.runpytest("test_many.py", "--tb=long", *FAST)
    result.assert_outcomes(failed=8)
    failures = result.stdout.str().split("short test summary")[0].split("warnings summary")[0]  # a warning
    # (say, the assert-rewrite notice when loopholes is already imported) is not a traceback
    blocks = failures.split("_ test_")[1:]
    sizes = [len(block.splitlines()) for block in blocks]
    assert len(sizes) == 8 and len(set(sizes[:-1])) == 1 and sizes[-1] <= sizes[0] + 2 and sizes[0] < 80, sizes


BARRIER = '''
"""A draft whose search announces itself{waits}."""
import dataclasses
import datetime as dt
import os
import pathlib
import time

from loopholes.rules.framework import Policy, Reading, compute_threshold

MARKS = pathlib.Path(os.environ["LOOPHOLES_TEST_MARKS"])
_started = False


def _measure(ctx, base=compute_threshold("systemic", "AI Act Art. 51(2)", 1e25, tier="systemic-risk").measure):
    global _started
    if not _started:  # the first verdict of this rule in this process: its search has begun
        _started = True
        (MARKS / "{name}-searched-by-{{}}".format(os.getpid())).touch()
        if {waits}:
            deadline = time.monotonic() + 300  # only bounds the failure: the other rule never starts
            while not list(MARKS.glob("{other}-searched-by-*")) and time.monotonic() < deadline:
                time.sleep(0.05)
            (MARKS / ("{name}-saw-{other}" if list(MARKS.glob("{other}-searched-by-*")) else "{name}-gave-up")).touch()
    return base(ctx)


POLICY = Policy(
    id="{id}", title="Test draft", jurisdiction="nowhere", source="tests", status="proposal", dates={{}},
    reference_date=dt.date(2025, 8, 2),
    readings=tuple(Reading(r, "Which operations count?", "every operation",
                           {{"scope": "lineage", "count_integer": True, "estimate": "executed"}}) for r in {readings}),
    rules=(dataclasses.replace(compute_threshold("systemic", "AI Act Art. 51(2)", 1e25, tier="systemic-risk"),
                               measure=_measure),),
    tiers=("systemic-risk",), covered_tiers=frozenset({{"systemic-risk"}}), target_lines={{"general": 1e25}},
)
'''


def barrier_draft(pytester: pytest.Pytester, name: str, other: str, *, waits: bool,
                  readings: tuple[str, ...] = ("as-drafted",)) -> None:
    path = pytester.path / "policies" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BARRIER.format(name=name, id=name.replace("_", "-"), other=other, waits=waits, readings=readings))


def test_a_worker_searches_another_rule_instead_of_waiting(pytester: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Both workers get `alpha`'s tests first (xdist hands each a slice of the list), and
    alpha's search cannot finish until `beta`'s has started: a worker waiting on alpha's
    search, as before, would leave beta to nobody."""
    marks = pytester.mkdir("marks")
    monkeypatch.setenv("LOOPHOLES_TEST_MARKS", str(marks))
    monkeypatch.setenv("LOOPHOLES_RULE_SECONDS", "600")  # alpha's first verdict waits for beta on purpose
    barrier_draft(pytester, "alpha", "beta", waits=True)
    barrier_draft(pytester, "beta", "alpha", waits=False)
    result = pytester.runpytest_subprocess("policies", "-v", "-p", "no:cacheprovider", *FAST, "-n", "2")
    found = outcomes(result.stdout.str())
    assert len(found) == 2 * len(registry()) and "ERROR" not in found.values()
    names = sorted(p.name for p in marks.iterdir())
    assert "alpha-saw-beta" in names and "alpha-gave-up" not in names
    searched = {name.split("-searched-by-")[0]: name.split("-searched-by-")[1] for name in names if "-searched-by-" in name}
    assert len([n for n in names if "-searched-by-" in n]) == 2  # each rule searched once in the whole run
    assert searched.keys() == {"alpha", "beta"} and searched["alpha"] != searched["beta"]


def test_workers_run_the_longest_search_first(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under xdist a rule with more readings (a larger search) runs before one that sorts
    first by file name; a serial run keeps the file order."""
    monkeypatch.setenv("LOOPHOLES_TEST_MARKS", str(pytester.mkdir("marks")))
    barrier_draft(pytester, "aa_small", "none", waits=False)
    barrier_draft(pytester, "zz_large", "none", waits=False, readings=("one", "two", "three"))
    args = ("policies", "-v", "-p", "no:cacheprovider", *FAST)

    def order(text: str) -> list[str]:
        return list(dict.fromkeys(re.findall(r"::\[([a-z_-]+)::", text)))

    assert order(pytester.runpytest_subprocess(*args, "-n", "1").stdout.str()) == ["zz-large", "aa-small"]
    assert order(pytester.runpytest_subprocess(*args, "-p", "no:xdist").stdout.str()) == ["aa-small", "zz-large"]


# -- issue 13: what a new drafter hit ----------------------------------------------------------

TYPO_RULE = '''
import datetime as dt
from loopholes.rules.framework import Policy, Reading, Rule

POLICY = Policy(
    id="typo", title="t", jurisdiction="j", source="s", status="draft", dates={},
    reference_date=dt.date(2025, 8, 2),
    readings=(Reading("r", "q", "a", {"scope": "lineage"}),),
    rules=(Rule("main", "Art. 1", "training operations", 10**25, ">", "systemic",
                measure=lambda ctx: ctx.lifecycle.artifact.reported_flops),),
    tiers=("systemic",), covered_tiers=frozenset({"systemic"}), target_lines={"general": 10**25},
)
'''


def failure_blocks(text: str) -> dict[str, list[str]]:
    """Test name -> the lines of its block in the FAILURES (or ERRORS) section."""
    body = re.split(r"^=+ short test summary", text.split("= FAILURES =")[-1], flags=re.M)[0]
    body = re.split(r"^=+ warnings summary", body, flags=re.M)[0]
    parts = re.split(r"^_{3,} (.+?) _{3,}$", body, flags=re.M)
    return {name: block.strip("\n").splitlines() for name, block in zip(parts[1::2], parts[2::2])}


def test_a_typo_in_a_measure_is_one_short_block_per_test(pytester: pytest.Pytester) -> None:
    """Was: 115,646 lines for one typo under the `loopholes` fixture (the remembered
    exception re-raised, its traceback growing test by test); then a 40-line traceback
    through the plugin's own source per test. Now: the rule, the function, file:line and
    the error, and the test line that asked."""
    pytester.mkdir("drafts")
    pytester.path.joinpath("drafts", "typo.py").write_text(TYPO_RULE)
    pytester.makepyfile(test_typo="import pytest\n\n"
                        "@pytest.mark.parametrize('i', range(4))\n"
                        "def test_mine(loopholes, i):\n"
                        "    loopholes.search('drafts/typo.py', strategy='sparsity')\n")
    result = pytester.runpytest("drafts/typo.py", "test_typo.py", "--loopholes-strategy", "sparsity",
                                "--loopholes-strategy", "throttling", "--tb=long", *FAST)
    result.assert_outcomes(failed=6)
    blocks = failure_blocks(result.stdout.str())
    assert len(blocks) == 6, list(blocks)
    for name, lines in blocks.items():
        text = "\n".join(lines)
        assert len(lines) < 15, (name, text)
        assert re.search(r"rule 'main' \(Art\. 1\): <lambda>\(\) at \S*typo\.py:10 raised AttributeError: "
                         r"'Step' object has no attribute 'reported_flops'", text), text
        assert "Traceback" not in text and "pytest_plugin.py" not in text
    assert all("(in test_typo.py:5)" in "\n".join(lines) for name, lines in blocks.items() if "test_mine" in name)


def test_a_wrong_type_in_a_policy_is_one_collection_error(pytester: pytest.Pytester) -> None:
    """Was: the module imported, then 937 lines of traceback per test that searched it."""
    pytester.makepyfile(test_mine='''
import datetime as dt
import pytest
from loopholes.rules.framework import Policy, Reading, compute_threshold

MINE = Policy(id="mine", title="t", jurisdiction="j", source="s", status="draft", dates={},
              reference_date="2026-01-01", readings=(Reading("r", "q", "a"),),
              rules=(compute_threshold("main", "Art. 1", 10**25, tier="systemic"),), tiers=("systemic",),
              covered_tiers=frozenset({"systemic"}), target_lines={"general": 10**25})

@pytest.mark.parametrize("i", range(5))
def test_mine(loopholes, i):
    loopholes.search(MINE, strategy="sparsity")
''')
    result = pytester.runpytest("test_mine.py", *FAST)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["E   *PolicyError: policy 'mine': reference_date must be a date such as "
                                 "datetime.date(2026, 1, 1), got str '2026-01-01'"])
    assert len(result.outlines) < 30, result.stdout.str()


def test_a_named_file_is_collected_wherever_it_is_or_says_why_not(pytester: pytest.Pytester) -> None:
    """Was: a file without POLICY named on the command line gave "no tests ran" (exit 5)."""
    ref = draft(pytester, "anywhere", integer=False, folder="my/drafts")
    listed = pytester.runpytest(ref, "--collect-only", "-q", "--loopholes-strategy", "sparsity")
    assert listed.ret == pytest.ExitCode.OK
    assert "my/drafts/anywhere.py::[anywhere::sparsity::as-drafted]" in listed.outlines
    pytester.path.joinpath("my", "helper.py").write_text('"""Mentions POLICY only in words."""\nLINE = 10**25\n')
    for extra in ((), ("-n", "2")):
        missing = pytester.runpytest_subprocess("my/helper.py", *extra) if extra else pytester.runpytest("my/helper.py")
        assert missing.ret == pytest.ExitCode.USAGE_ERROR
        assert [line for line in missing.errlines if line.strip()] == ["ERROR: my/helper.py defines no POLICY: a rule file must define POLICY = Policy(...)"]
    # a file with tests of its own, named on the command line, is still pytest's
    pytester.path.joinpath("my", "checks.py").write_text("def test_sum():\n    assert 1 + 1 == 2\n")
    pytester.runpytest("my/checks.py").assert_outcomes(passed=1)


def test_a_named_yaml_rule_goes_through_the_rule_loader(pytester: pytest.Pytester) -> None:
    """Was: "ERROR: not found: my_rule.yaml (no match in any of [<Dir ...>])". A rule as
    data is collected like a module: a broken one is one error naming the file and what
    is missing, a valid one yields one test per strategy and reading."""
    import re

    pytester.path.joinpath("my_rule.yaml").write_text("id: my-rule\n")
    refused = pytester.runpytest("my_rule.yaml")
    refused.assert_outcomes(errors=1)
    refused.stdout.fnmatch_lines(["*my_rule.yaml: 'title' is required*"])
    minimal = re.search(r'MINIMAL = """(.*?)"""', (Path(__file__).parent / "test_rule_files.py").read_text(), re.S)
    pytester.path.joinpath("my_rule.yaml").write_text(minimal.group(1))
    listed = pytester.runpytest("my_rule.yaml", "--collect-only", "-q", "--loopholes-strategy", "sparsity")
    assert "my_rule.yaml::[my-draft::sparsity::plain]" in listed.outlines, listed.outlines
    assert pytester.runpytest("my_rule.yaml", "--loopholes-strategy", "bio-dilution", *FAST).ret == pytest.ExitCode.OK


def test_a_save_folder_behind_a_broken_link_is_one_usage_error(pytester: pytest.Pytester) -> None:
    """Was: the check passed (the nearest existing parent is writable), every test failed
    after its search: 27 failures for ca-sb53 instead of one usage error."""
    pytester.path.joinpath("specs").symlink_to(pytester.path / "gone")
    result = pytester.runpytest("--policy", "ca-sb53", "--loopholes-save", "specs/today", *FAST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line.strip()] == [
        "ERROR: --loopholes-save specs/today: cannot be created: specs is a link to nothing"]


def test_a_rule_file_in_a_policies_folder_is_collected_and_a_spec_there_is_not(pytester: pytest.Pytester) -> None:
    """Was: `pytest policies` skipped a YAML draft saved there, so a green run tested nothing."""
    import re

    folder = pytester.mkdir("policies")
    minimal = re.search(r'MINIMAL = """(.*?)"""', (Path(__file__).parent / "test_rule_files.py").read_text(), re.S)
    (folder / "my_rule.yaml").write_text(minimal.group(1))
    (folder / "a_model.yaml").write_text("name: x\nreleased: 2025-01-01\ndeploy: a\nsteps:\n"
                                         "  - {id: a, kind: pretrain, developer: A, flop: 1e20}\n")
    listed = pytester.runpytest("policies", "--collect-only", "-q", "--loopholes-strategy", "sparsity")
    assert "policies/my_rule.yaml::[my-draft::sparsity::plain]" in listed.outlines, listed.outlines
    assert not any("a_model.yaml" in line for line in listed.outlines)
