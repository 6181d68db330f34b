"""pytest plugin (docs/design.md §10): one test per gaming strategy against a rule.

`pytest policies/my_draft.py` or `pytest --policy ID_OR_PATH` runs the loophole search
once per rule and turns its matrix into tests named `[rule::strategy::reading]`. A test
fails when some finding needs that strategy under that reading, and the failure reads
like `loopholes search` output: the minimal lifecycle, the clauses it slipped past, the
capability kept and a `loopholes check` command that replays it. Only *material* findings
fail a test (leakage at least `--loopholes-material`, default 2x an honest model at the
line; docs/findings.md): a marginal gain of a few per cent is listed by `loopholes search`
but is not a loophole a drafter should chase. Loopholes a rule
declares in `known_loopholes` run as strict xfail, so a known loophole that stops being
found turns the run red.

Each rule is searched once per run; under pytest-xdist, workers share that search
through pytest's temporary folder. Workers run the rules' tests longest search first, and
a worker that needs a rule another worker is still searching searches the next rule
nobody has claimed instead of waiting, so every scheduler (`-n 2` alone included) keeps
all workers searching. (The tests also carry `xdist_group` marks for `--dist loadgroup`;
pytest 9.2 with pytest-xdist 3.8 ignores them: pytest-dev/pytest-xdist#1386.)

Every pytest run in an environment where loopholes is installed loads this module (the
`pytest11` entry point), so it imports only pytest and the standard library itself; the
search, the strategies and networkx load when a rule is collected or tested.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import pytest

if TYPE_CHECKING:
    from .lifecycle import Lifecycle
    from .rules.framework import Policy, Verdict
    from .search import Finding, SearchResult

__all__ = ["LoopholeFound", "Loopholes", "SearchBudgetWarning", "assert_no_loophole"]

ALL_READINGS = "all"
"""Reading of the one test kept for a strategy that cannot apply to a rule at all."""
DEFAULT_MAX_EVALS = 400_000
"""Same default as `loopholes search`, so a test and the command agree."""

_SEARCHES = pytest.StashKey[dict]()
_POLICIES = pytest.StashKey[list]()
_SPEC_DIR = pytest.StashKey[Path]()


class LoopholeFound(Exception):
    """A search found a lifecycle that escapes the rule; the message is the finding."""


class SearchBudgetWarning(UserWarning):
    """The search stopped at its evaluation budget: a pass means "nothing found so far"."""


# -- options -----------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("loopholes", "loopholes: test a compute-threshold rule against gaming strategies")
    group.addoption("--policy", action="append", dest="loopholes_policies", default=[], metavar="ID_OR_PATH",
                    help="test this rule (bundled id or path to a policy module; repeatable). "
                         "Without path arguments only these rules are tested.")
    group.addoption("--loopholes-strategy", action="append", dest="loopholes_strategies", default=[], metavar="S",
                    help="only the tests of this strategy (repeatable; see 'loopholes list'). The search still "
                         "composes every strategy, so a test's outcome does not depend on which tests run.")
    group.addoption("--loopholes-max-evals", type=int, default=DEFAULT_MAX_EVALS, metavar="N",
                    help=f"evaluation budget of each rule's search (default {DEFAULT_MAX_EVALS})")
    group.addoption("--loopholes-seed", type=int, default=0, metavar="N",
                    help="random seed of the search (default 0; same seed, same outcomes)")
    group.addoption("--loopholes-depth", type=int, default=3, metavar="N",
                    help="largest number of strategies composed in one lifecycle (1-4, default 3)")
    group.addoption("--loopholes-material", type=float, default=2.0, metavar="X",
                    help="a test fails only on findings whose leakage reaches X times an honest model at the line "
                         "(default 2; 1 fails on any evasion)")
    group.addoption("--loopholes-save", metavar="DIR",
                    help="write every finding as a replayable lifecycle spec (.json) into DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SEARCHES] = {}
    if config.getoption("loopholes_max_evals") < 1:
        raise pytest.UsageError("--loopholes-max-evals must be at least 1")
    if not 1 <= config.getoption("loopholes_depth") <= 4:
        raise pytest.UsageError("--loopholes-depth must be between 1 and 4")
    if not config.getoption("loopholes_material") >= 1:
        raise pytest.UsageError("--loopholes-material must be a factor of at least 1")
    save = config.getoption("loopholes_save")
    if save and not hasattr(config, "workerinput"):  # xdist: the controller has checked it, once
        from .errors import UsageError
        from .files import check_output_folder

        here = Path(config.invocation_params.dir)
        try:  # before any search: one usage error, not a failure per test after the searches
            check_output_folder(here / save, "--loopholes-save")
        except UsageError as error:  # paths as the drafter typed them, relative to here
            raise pytest.UsageError(str(error).replace(str(here / save), save).replace(f"{here}/", "")) from None
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        for arg in config.args:
            problem = _named_file_problem(arg, config)
            if problem:
                raise pytest.UsageError(problem)
    strategies = config.getoption("loopholes_strategies")
    refs = config.getoption("loopholes_policies")
    if strategies:
        from .strategies import registry

        unknown = [s for s in strategies if s not in registry()]
        if unknown:
            raise pytest.UsageError(f"--loopholes-strategy {unknown[0]}: no such strategy; valid: {', '.join(registry())}")
    loaded = []
    for ref in refs:
        from .errors import LoopholesError
        from .rules.registry import load_policy

        try:
            policy = load_policy(ref)
            _check_known_loopholes(policy)
        except LoopholesError as error:
            raise pytest.UsageError(f"--policy {ref}: {error}") from None
        loaded.append((ref, policy))
    config.stash[_POLICIES] = loaded
    if refs and config.args_source != pytest.Config.ArgsSource.ARGS:
        # `pytest --policy X` means "test X", not "test X and everything under testpaths".
        config.args = []


def pytest_report_header(config: pytest.Config) -> str:
    return (f"loopholes: seed {config.getoption('loopholes_seed')}, max-evals {config.getoption('loopholes_max_evals')}, "
            f"depth {config.getoption('loopholes_depth')}")


# -- collection --------------------------------------------------------------------------

# Rules as data (issue 13): a rule file (loopholes.rules.rulefile.SUFFIXES) is collected
# like a rule module and read by `_load_rule` when it is named on the command line, or
# found in a `policies/` folder with a top-level `rules` key (a YAML file there may also
# be a lifecycle spec, which has `steps`).


def _load_rule(path: Path) -> "Policy":
    """The one loader of a rule file pytest collects, whatever its format (a .py module,
    or a YAML/TOML rule file, which `load_policy` reads as data)."""
    from .rules.registry import load_policy

    return load_policy(path)


def _is_policy_file(file_path: Path, parent: pytest.Collector) -> bool:
    if file_path.suffix != ".py":
        named = parent.session.isinitpath(file_path)
        if not (named or _in_policies_folder(file_path, parent.config.rootpath)):
            return False
        from .rules.rulefile import is_rule_file, reads_as_rule_file  # only for named files and policies/

        return is_rule_file(file_path) and (named or reads_as_rule_file(file_path))
    if file_path.suffix != ".py" or file_path.name in ("conftest.py", "__init__.py"):
        return False
    config = parent.config
    if not (parent.session.isinitpath(file_path) or _in_policies_folder(file_path, config.rootpath)):
        return False
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in config.getini("python_files")):
        return False  # test modules belong to pytest, even when they build a POLICY for their own use
    return _binds_policy(file_path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> "PolicyFile | None":
    """A policy module becomes a `PolicyFile` (one test per strategy and reading)."""
    return PolicyFile.from_parent(parent, path=file_path) if _is_policy_file(file_path, parent) else None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> "pytest.File | None":
    """pytest would also import an explicitly named policy file as a test module; it holds
    no tests, and a draft that fails to load should be reported once, in one line, by
    `PolicyFile` rather than as an import traceback."""
    return _NoTests.from_parent(parent, path=module_path) if _is_policy_file(module_path, parent) else None


class _NoTests(pytest.File):
    def collect(self) -> list:
        return []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the tests of `--policy` rules (before -k and xdist see the item list); in an
    xdist worker, put the rules with the longest searches first."""
    for ref, policy in config.stash.get(_POLICIES, []):
        collector = PolicyArg.from_parent(session, name=ref, nodeid=ref, path=_module_path(policy, config),
                                          policy=policy, ref=_policy_ref(policy, config) or ref)
        report = collector.ihook.pytest_make_collect_report(collector=collector)
        session.ihook.pytest_collectreport(report=report)  # counted and shown like any collected file
        items.extend(node for node in report.result if isinstance(node, pytest.Item))
    if hasattr(config, "workerinput"):
        _longest_first(items)


def _longest_first(items: list[pytest.Item]) -> None:
    """Reorder the rules' tests in place, longest expected search first (`compare.search_cost`),
    keeping every other test where it is and each rule's tests in their order. Workers
    must collect the same list, so the order depends on the rules only, never on timing;
    a serial run keeps the file order."""
    from .reporting.analysis import search_cost

    slots = [i for i, item in enumerate(items) if isinstance(item, LoopholeItem)]
    costs: dict[int, int] = {}
    for i in slots:
        policy = items[i].policy  # type: ignore[attr-defined]
        if id(policy) not in costs:
            costs[id(policy)] = search_cost(policy)
    ordered = sorted((items[i] for i in slots), key=lambda item: -costs[id(item.policy)])  # type: ignore[attr-defined]
    for i, item in zip(slots, ordered):
        items[i] = item


def _named_file_problem(arg: str, config: pytest.Config) -> str | None:
    """Why a .py file named on the command line would yield no test, or None: it is not a
    test module, binds no POLICY and defines no test. Read without running it, so this
    holds under xdist too (the controller collects nothing)."""
    path = Path(config.invocation_params.dir, arg.split("::")[0])
    if path.suffix != ".py" or path.name in ("conftest.py", "__init__.py") or not path.is_file():
        return None
    if any(fnmatch.fnmatch(path.name, pattern) for pattern in config.getini("python_files")):
        return None  # a test module: pytest's own business
    if config.getoption("doctestmodules", False):
        return None  # its doctests may be the tests
    if _binds_policy(path) or _defines_tests(path, config):
        return None
    return f"{arg} defines no POLICY: a rule file must define POLICY = Policy(...)"


def _defines_tests(path: Path, config: pytest.Config) -> bool:
    """Whether the module has a top-level test function or class, by pytest's name patterns
    (a file that does not parse counts, so that pytest reports the error)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return True

    def matches(name: str, patterns: list[str]) -> bool:
        return any(name.startswith(p) or fnmatch.fnmatch(name, p) for p in patterns)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and matches(node.name, config.getini("python_functions")):
            return True
        if isinstance(node, ast.ClassDef) and matches(node.name, config.getini("python_classes")):
            return True
    return False


def _in_policies_folder(path: Path, root: Path) -> bool:
    try:
        folders = path.relative_to(root).parts[:-1]
    except ValueError:
        folders = path.parts[:-1]
    return "policies" in folders


def _binds_policy(path: Path) -> bool:
    """Whether the module binds POLICY at top level (assignment or import), read without
    running it; a file that does not parse counts, so that loading it reports the error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "POLICY" not in text:
        return False
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:
        return True
    return any(_statement_binds(node) for node in tree.body)


def _statement_binds(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "POLICY" for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == "POLICY"
    if isinstance(node, ast.ImportFrom):
        return any((alias.asname or alias.name) in ("POLICY", "*") for alias in node.names)
    if isinstance(node, (ast.If, ast.Try)):
        bodies = [node.body, node.orelse] + ([h.body for h in node.handlers] if isinstance(node, ast.Try) else [])
        return any(_statement_binds(child) for body in bodies for child in body)
    return False


class PolicyFile(pytest.File):
    """A policy module: one test per strategy and reading."""

    def collect(self) -> Iterator["LoopholeItem"]:
        from .errors import LoopholesError

        try:
            policy = _load_rule(self.path)
            _check_known_loopholes(policy)
        except LoopholesError as error:
            raise self.CollectError(str(error)) from None
        ref = _policy_ref(policy, self.config) or _shown_path(self.path, self.config)
        yield from _items(self, policy, ref)


class PolicyArg(pytest.Collector):
    """A rule named with --policy (already loaded and checked when pytest was configured)."""

    def __init__(self, *, policy: "Policy", ref: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.policy, self.ref = policy, ref

    def collect(self) -> Iterator["LoopholeItem"]:
        return _items(self, self.policy, self.ref)


def _items(parent: pytest.Collector, policy: "Policy", ref: str) -> Iterator["LoopholeItem"]:
    """Strategies in registry order, readings in the rule's order; a strategy that cannot
    apply to any domain the rule draws a line in gets one test for all readings."""
    from .strategies import registry

    config = parent.config
    wanted = config.getoption("loopholes_strategies")
    grouped = config.pluginmanager.hasplugin("xdist")
    for strategy in registry().values():
        if wanted and strategy.id not in wanted:
            continue
        applies = any(strategy.applies(policy, domain) for domain in policy.target_lines)
        readings = [r.id for r in policy.readings] if applies else [ALL_READINGS]
        for reading in readings:
            item = LoopholeItem.from_parent(parent, name=f"[{policy.id}::{strategy.id}::{reading}]", policy=policy,
                                            strategy=strategy.id, reading=reading, ref=ref)
            known = _known(policy, strategy.id, reading)
            if known is not None:
                item.add_marker(pytest.mark.xfail(strict=True, raises=LoopholeFound,
                                                  reason=f"known loophole: {known.reason}"))
            if grouped:
                # with --dist loadgroup one worker runs a rule's tests (where xdist can apply
                # the mark: not with pytest 9.2, pytest-dev/pytest-xdist#1386)
                item.add_marker(pytest.mark.xdist_group(policy.id))
            yield item


def _known(policy: "Policy", strategy: str, reading: str):
    for known in policy.known_loopholes:
        if known.strategy == strategy and (not known.readings or reading == ALL_READINGS or reading in known.readings):
            return known
    return None


def _check_known_loopholes(policy: "Policy") -> None:
    """A misspelt known loophole would silently stop being an xfail; say so instead."""
    from .errors import PolicyError
    from .strategies import registry

    readings = [r.id for r in policy.readings]
    for known in policy.known_loopholes:
        if known.strategy not in registry():
            raise PolicyError(f"policy '{policy.id}': known loophole '{known.strategy}' is not a strategy; "
                              f"valid: {', '.join(registry())}")
        for reading in known.readings:
            if reading not in readings:
                raise PolicyError(f"policy '{policy.id}': known loophole '{known.strategy}' names reading "
                                  f"'{reading}'; the rule's readings: {', '.join(readings)}")


# -- the test ----------------------------------------------------------------------------

class LoopholeItem(pytest.Item):
    """Passes when no finding needs `strategy` under `reading`; fails with the best one."""

    def __init__(self, *, policy: "Policy", strategy: str, reading: str, ref: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.policy, self.strategy, self.reading, self.ref = policy, strategy, reading, ref

    def runtest(self) -> None:
        data = _outcomes(self.config, self.policy, self.ref, self.session)
        text = data["outcomes"].get(_outcome_key(self.strategy, self.reading))
        if text:
            raise LoopholeFound(text)
        if data["exhausted"]:
            warnings.warn(SearchBudgetWarning(
                f"{self.policy.id}: the search stopped at --loopholes-max-evals "
                f"{self.config.getoption('loopholes_max_evals')} before trying every composition; "
                "a pass means nothing was found within that budget"), stacklevel=1)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> Any:
        from .errors import LoopholesError

        if isinstance(excinfo.value, (LoopholeFound, _RuleFailed)):
            return str(excinfo.value)
        if isinstance(excinfo.value, LoopholesError):
            return f"loopholes: error: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)  # an engine bug: keep the traceback

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A known loophole that is no longer found fails (strict xfail); say what to do. A
    test using the `loopholes` fixture that stops on a loopholes error (a broken rule, a
    bad spec) shows it as the CLI does, in one line, and the test line that asked."""
    report = yield
    if call.excinfo is not None and report.failed and "loopholes" in getattr(item, "fixturenames", ()):
        from .errors import LoopholesError, one_line

        if isinstance(call.excinfo.value, LoopholesError):
            report.longrepr = f"loopholes: error: {one_line(str(call.excinfo.value))}" + _where_in_test(item, call.excinfo)
    if isinstance(item, LoopholeItem) and call.when == "call" and report.failed and call.excinfo is None:
        known = _known(item.policy, item.strategy, item.reading)
        if known is not None:
            under = "any reading" if item.reading == ALL_READINGS else f"reading {item.reading}"
            report.longrepr = (f"[XPASS(strict)] {item.policy.id} no longer leaks through {item.strategy} under "
                               f"{under}, yet declares it a known loophole ({known.reason}).\n"
                               "Remove it from known_loopholes; if the search stopped at its budget, "
                               "raise --loopholes-max-evals first.")
    return report


def _where_in_test(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """'\n  (in test_my_rule.py:12)' for the innermost line of the test's own file, else ''."""
    for entry in reversed(excinfo.traceback):
        if Path(entry.path) == Path(item.path):
            return f"\n  (in {_shown_path(Path(entry.path), item.config)}:{entry.lineno + 1})"
    return ""


class _RuleFailed(Exception):
    """The rule's search failed; the message is the whole failure block. A fresh one is
    raised for each test, so no traceback grows from test to test."""


_OUTCOMES = pytest.StashKey[dict]()
CACHE_VERSION = 2


def _options(config: pytest.Config, **kwargs: Any) -> dict[str, Any]:
    options = {"seed": config.getoption("loopholes_seed"), "max_evals": config.getoption("loopholes_max_evals"),
               "depth": config.getoption("loopholes_depth"), "material": config.getoption("loopholes_material")}
    options.update({k: v for k, v in kwargs.items() if v is not None})
    if options.get("strategies") is not None:
        options["strategies"] = tuple(options["strategies"])
    return options


def _outcome_key(strategy: str, reading: str) -> str:
    return f"{strategy}::{reading}"


def _outcomes(config: pytest.Config, policy: "Policy", ref: str, session: pytest.Session | None = None) -> dict[str, Any]:
    """What the tests of a rule need, from one search per session: per strategy and
    reading the failure text (None when nothing leaks), whether the budget ran out, or the
    error that stopped the search. Under pytest-xdist the first worker to need a rule
    searches it and the others read its outcomes from a JSON file."""
    memo = config.stash.setdefault(_OUTCOMES, {})
    key = (id(policy), ref)
    if key not in memo:
        memo[key] = _shared_outcomes(config, policy, ref, session)
    data = memo[key]
    if data["error"] is not None:
        raise _RuleFailed(data["error"])
    return data


def _shared_outcomes(config: pytest.Config, policy: "Policy", ref: str,
                     session: pytest.Session | None = None) -> dict[str, Any]:
    """Under xdist a rule is searched by the first worker to claim its lock; the others
    read its outcomes. A worker that finds the rule claimed does not wait while a rule
    of this session is still unclaimed: it searches that one (longest first) and comes
    back. The file is JSON, checked on reading: a truncated, foreign or planted file is
    searched again, and cannot run code."""
    shared = _shared_folder(config)
    files = _outcome_files(config, policy, ref, shared)
    if files is None:
        return _search_outcomes(config, policy, ref)
    import fcntl

    stored, lock_path = files
    with open(lock_path, "w") as lock:  # the lock is released when the file closes, or if this worker dies
        if not _try_lock(lock):
            _search_unclaimed(config, session, shared, lock)
            fcntl.flock(lock, fcntl.LOCK_EX)
        return _stored_or_searched(config, policy, ref, stored)


def _outcome_files(config: pytest.Config, policy: "Policy", ref: str, shared: Path | None) -> tuple[Path, Path] | None:
    """Where a rule's outcomes and its lock live in the shared folder; None when they
    cannot be shared (no xdist, a rule built in a test, or no POSIX file locks)."""
    path = _defining_file(policy)
    try:
        import fcntl  # noqa: F401
    except ImportError:  # Windows: every worker searches for itself
        return None
    if shared is None or path is None:
        return None
    import hashlib

    options = sorted(_options(config).items())
    key = hashlib.sha1(repr((policy.id, str(path.resolve()), ref, options)).encode()).hexdigest()[:16]
    return shared / f"loopholes-outcomes-{key}.json", shared / f"loopholes-outcomes-{key}.lock"


def _try_lock(lock: Any) -> bool:
    import fcntl

    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _stored_or_searched(config: pytest.Config, policy: "Policy", ref: str, stored: Path) -> dict[str, Any]:
    """With the rule's lock held: its stored outcomes, or a search whose outcomes are stored."""
    import json

    from .files import write_atomic

    data = _read_outcomes(stored, policy)
    if data is None:
        data = _search_outcomes(config, policy, ref)
        write_atomic(stored, json.dumps(data))
    return data


def _search_unclaimed(config: pytest.Config, session: pytest.Session | None, shared: Path, awaited: Any) -> None:
    """While another worker searches the rule this one waits for, search the rules of the
    session that nobody has claimed, longest first, until the awaited lock comes free."""
    if session is None:
        return
    from .reporting.analysis import search_cost

    memo = config.stash.setdefault(_OUTCOMES, {})
    rules: dict[tuple[int, str], tuple["Policy", str]] = {}
    for item in session.items:
        if isinstance(item, LoopholeItem):
            rules.setdefault((id(item.policy), item.ref), (item.policy, item.ref))
    for key, (policy, ref) in sorted(rules.items(), key=lambda entry: -search_cost(entry[1][0])):
        if key in memo:
            continue
        files = _outcome_files(config, policy, ref, shared)
        if files is None:
            continue
        stored, lock_path = files
        with open(lock_path, "w") as lock:
            if not _try_lock(lock):
                continue  # claimed by a worker, perhaps the one this worker waits for
            memo[key] = _stored_or_searched(config, policy, ref, stored)
        if _try_lock(awaited):
            return


def _read_outcomes(path: Path, policy: "Policy") -> dict[str, Any] | None:
    """The stored outcomes if the file holds exactly what this rule's tests need, else None."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and data.get("version") == CACHE_VERSION and data.get("policy") == policy.id
            and isinstance(data.get("exhausted"), bool) and isinstance(data.get("outcomes"), dict)
            and (data.get("error") is None or isinstance(data["error"], str))):
        return None
    outcomes = data["outcomes"]
    if data["error"] is None and set(outcomes) != set(_expected_keys(policy)):
        return None
    if not all(text is None or isinstance(text, str) for text in outcomes.values()):
        return None
    return data


def _expected_keys(policy: "Policy") -> list[str]:
    from .strategies import registry

    readings = [r.id for r in policy.readings] + [ALL_READINGS]
    return [_outcome_key(s, r) for s in registry() for r in readings]


def _search_outcomes(config: pytest.Config, policy: "Policy", ref: str) -> dict[str, Any]:
    """Search the rule (or take the search the `loopholes` fixture already ran with the
    session's options) and render every test's failure text."""
    import traceback

    from .errors import LoopholesError, one_line

    try:
        cache = config.stash.setdefault(_SEARCHES, {})
        hit = cache.get(_search_key(policy, _options(config)))
        if hit is not None and hit[2] is None:
            result = hit[1]
        else:
            from .search import search

            result = search(policy, **_options(config))
            cache[_search_key(policy, _options(config))] = (policy, result, None)
        return _render_outcomes(config, policy, ref, result)
    except LoopholesError as error:
        return _outcomes_data(policy, error=f"loopholes: error: {one_line(str(error))}")
    except Exception:  # an engine bug: keep its traceback, once
        return _outcomes_data(policy, error=traceback.format_exc())


def _outcomes_data(policy: "Policy", *, error: str | None = None) -> dict[str, Any]:
    return {"version": CACHE_VERSION, "policy": policy.id, "exhausted": False, "outcomes": {}, "error": error}


def _render_outcomes(config: pytest.Config, policy: "Policy", ref: str, result: "SearchResult") -> dict[str, Any]:
    """Every test's failure text from the rule's search: plain strings, so the stored
    outcomes do not depend on the search's objects."""
    data = _outcomes_data(policy)
    paths = _save_all(config, result)
    readings = [r.id for r in policy.readings]
    for key in _expected_keys(policy):
        strategy, reading = key.split("::")
        findings = [f for f in result.findings if strategy in f.strategies and f.material
                    and (reading == ALL_READINGS or reading in f.evades_under)]
        text = None
        if findings and (reading == ALL_READINGS or reading in readings):
            best = _under_reading(findings[0], policy, reading)
            path = paths.get(best.id) or _write_spec(config, result, best)
            text = _failure_text(policy, best, findings[1:], ref, path, config, strategy)
        data["outcomes"][key] = text
    data["exhausted"] = bool(result.exhausted)
    return data


def _search_key(policy: "Policy", options: dict[str, Any]) -> tuple:
    return (id(policy), tuple(sorted(options.items())))


def _search(config: pytest.Config, policy: "Policy", **kwargs: Any) -> "SearchResult":
    """The fixture's searches, once per session and options. A failure is remembered, and
    every test that asks again gets a fresh exception: re-raising the remembered object
    made its traceback grow by one test each time (115,646 lines for one typo). A search
    with the session's own options is the one the rule's tests need: it is shared with
    them (and, under xdist, with the other workers' tests, as stored outcomes)."""
    __tracebackhide__ = True
    from .errors import LoopholesError
    from .search import search

    options = _options(config, **kwargs)
    cache = config.stash.setdefault(_SEARCHES, {})
    key = _search_key(policy, options)
    if key not in cache:
        try:
            if options == _options(config):
                cache[key] = (policy, _search_sharing_outcomes(config, policy), None)
            else:
                cache[key] = (policy, search(policy, **options), None)
        except LoopholesError as error:
            cache[key] = (policy, None, error)
        except Exception:  # an engine bug: its traceback, as text, once per test that meets it
            import traceback

            cache[key] = (policy, None, traceback.format_exc())
    _, value, failure = cache[key]
    if isinstance(failure, str):
        pytest.fail(f"the search of '{policy.id}' failed inside loopholes:\n{failure}", pytrace=False)
    if failure is not None:
        raise _fresh(failure)
    return value


def _fresh(error: BaseException) -> BaseException:
    """A new exception like `error` (same type and message, no traceback or chain), so a
    drafter's `pytest.raises(PolicyError)` still matches."""
    import copy

    try:
        again = copy.copy(error)
    except Exception:  # a subclass that cannot be rebuilt from its arguments
        from .errors import LoopholesError

        again = LoopholesError(str(error))
    again.__cause__ = again.__context__ = None
    return again.with_traceback(None)


def _search_sharing_outcomes(config: pytest.Config, policy: "Policy") -> "SearchResult":
    """The session's search of a rule, run by the fixture: under xdist, when no worker has
    claimed the rule yet, claim it and store the outcomes its tests will read, so that
    they are not searched a second time."""
    from .search import search

    ref = _policy_ref(policy, config)
    files = _outcome_files(config, policy, ref, _shared_folder(config)) if ref else None
    if files is None:
        return search(policy, **_options(config))
    import json

    from .files import write_atomic

    stored, lock_path = files
    with open(lock_path, "w") as lock:
        if not _try_lock(lock) or _read_outcomes(stored, policy) is not None:
            lock.close()  # claimed or done by another worker: search for this fixture alone
            return search(policy, **_options(config))
        result = search(policy, **_options(config))
        try:
            data = _render_outcomes(config, policy, ref, result)
        except Exception:  # e.g. --loopholes-save cannot write: the rule's tests report it themselves
            return result
        write_atomic(stored, json.dumps(data))
        config.stash.setdefault(_OUTCOMES, {})[(id(policy), ref)] = data
        return result


def _shared_folder(config: pytest.Config) -> Path | None:
    """The session's temporary folder that every xdist worker sees; None outside xdist."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or not hasattr(config, "workerinput"):
        return None
    return factory.getbasetemp().parent


def _save_all(config: pytest.Config, result: "SearchResult") -> dict[str, str]:
    folder = config.getoption("loopholes_save")
    if not folder:
        return {}
    from .errors import UsageError
    from .cli.search import save_findings

    try:
        return save_findings(result, Path(config.invocation_params.dir, folder), whole_set=True)
    except OSError as error:
        raise UsageError(f"--loopholes-save {folder}: cannot write the specs there ({error.strerror})") from None


def _write_spec(config: pytest.Config | None, result: "SearchResult", finding: "Finding") -> str:
    """Without --loopholes-save, the shown finding still gets a spec so its replay command
    works: in pytest's temporary folder (kept for the last few runs), else a fresh one."""
    from types import SimpleNamespace

    from .cli.search import save_findings

    global _FALLBACK_SPEC_DIR
    if config is not None and _SPEC_DIR not in config.stash:
        factory = getattr(config, "_tmp_path_factory", None)
        if factory is not None:
            config.stash[_SPEC_DIR] = factory.mktemp("loopholes-specs")
    folder = config.stash.get(_SPEC_DIR, None) if config is not None else None
    if folder is None:
        if _FALLBACK_SPEC_DIR is None:
            import tempfile

            _FALLBACK_SPEC_DIR = Path(tempfile.mkdtemp(prefix="loopholes-specs-"))
        folder = _FALLBACK_SPEC_DIR
    return save_findings(SimpleNamespace(policy=result.policy, findings=[finding]), folder)[finding.id]


_FALLBACK_SPEC_DIR: Path | None = None


def _under_reading(finding: "Finding", policy: "Policy", reading: str) -> "Finding":
    """The finding judged under the test's reading, so its trace and replay match the test id."""
    if reading in (ALL_READINGS, finding.reading):
        return finding
    return replace(finding, reading=reading, verdict=policy.evaluate(finding.lifecycle, reading))


def _failure_text(policy: "Policy", best: "Finding", others: Sequence["Finding"], ref: str | None,
                  spec_path: str | None, config: pytest.Config | None, strategy: str | None) -> str:
    from .render import finding_text

    what = strategy or " + ".join(best.strategies)
    lines = [f"{policy.id} leaks through {what} under reading {best.reading}: {len(others) + 1} "
             f"finding{'s' if others else ''}, the best first."]
    own, lead = best.adds.get(strategy or "", 0.0), max(best.adds, key=best.adds.get, default=None)
    rides_along = all(f.adds.get(strategy or "", 0.0) < f.material_factor for f in [best, *others])
    if strategy and lead and lead != strategy and rides_along:  # say it, as the report's matrix would
        lines.append(f"{strategy} is needed for this finding but adds only {own:.3g}x; {lead} adds "
                     f"{best.adds[lead]:.3g}x (no finding owes {strategy} itself a material gain).")
    lines.append("")
    # finding_text looks the rule up by `finding.policy` to know its covered tiers; an id
    # finds only bundled rules, the Policy object finds drafts too. The replay line is
    # added here, with the reference the drafter can type.
    lines.append(finding_text(replace(best, policy=policy)))
    if spec_path:
        path = _shown_path(Path(spec_path), config) if config else spec_path
        if ref:
            import shlex

            lines.append(f"  replay: loopholes check {shlex.quote(ref)} {shlex.quote(path)} --reading {best.reading}")
        else:
            lines.append(f"  spec: {path}")
    if others:
        listed = ", ".join(f.id for f in others[:5]) + (", ..." if len(others) > 5 else "")
        lines.append(f"  {len(others)} more: {listed}"
                     + ("" if config and config.getoption("loopholes_save") else " (--loopholes-save DIR writes them all)"))
    return "\n".join(lines)


# -- references for replay commands ------------------------------------------------------

def _policy_ref(policy: "Policy", config: pytest.Config | None) -> str | None:
    """How `loopholes check` can find this rule again: its bundled id when that resolves to
    this very object, else the module that defines it; None for a rule built in a test."""
    from .rules.bundled import BUNDLED
    from .rules.registry import load_policy

    if policy.id in BUNDLED:
        try:
            if load_policy(policy.id) is policy:
                return policy.id
        except Exception:  # a bundled module that fails to load is reported where it is used
            pass
    path = _defining_file(policy)
    return _shown_path(path, config) if path else None


def _defining_file(policy: "Policy") -> Path | None:
    """The rule file or module a policy came from."""
    from .rules.registry import rule_file_of

    from_data = rule_file_of(policy)
    if from_data is not None:
        return from_data
    for module in list(sys.modules.values()):
        if getattr(module, "POLICY", None) is policy and getattr(module, "__file__", None):
            return Path(module.__file__)
    return None


def _module_path(policy: "Policy", config: pytest.Config) -> Path:
    return _defining_file(policy) or config.rootpath


def _shown_path(path: Path, config: pytest.Config | None) -> str:
    """Relative to where pytest was started when below it, so the command can be pasted."""
    path = Path(path).resolve()
    if config is not None:
        try:
            return str(path.relative_to(Path(config.invocation_params.dir).resolve()))
        except ValueError:
            pass
    return str(path)


# -- the fixture -------------------------------------------------------------------------

class Loopholes:
    """The `loopholes` fixture: searches and checks for a drafter's own assertions.

    Searches use the session's --loopholes-seed, --loopholes-max-evals and
    --loopholes-depth unless given, and are cached for the session together with the
    per-strategy tests, so asking again costs nothing.
    """

    def __init__(self, config: pytest.Config):
        self._config = config

    def policy(self, ref: "str | Path | Policy") -> "Policy":
        """A rule by bundled id or module path (or the Policy itself)."""
        from .rules.registry import load_policy

        return load_policy(ref)

    def search(self, policy: "str | Path | Policy", *, strategy: str | None = None,
               strategies: Sequence[str] | None = None, domain: str | None = None, target_flop: float | None = None,
               seed: int | None = None, max_evals: int | None = None, depth: int | None = None) -> "SearchResult":
        """`loopholes.search.search` with the session's settings. `strategy` (or
        `strategies`) restricts the pool: only compositions of those strategies are tried."""
        chosen = self.policy(policy)
        pool = [strategy] if strategy else strategies
        return _search(self._config, chosen, strategies=pool, domain=domain, target_flop=target_flop,
                       seed=seed, max_evals=max_evals, depth=depth)

    def check(self, policy: "str | Path | Policy", lifecycle: "str | Path | dict | Lifecycle",
              reading: str | None = None) -> "Verdict":
        """The verdict on one lifecycle: a spec file, a spec dict, or a `Lifecycle`."""
        from . import check
        from .loading import parse_lifecycle

        if isinstance(lifecycle, dict):
            lifecycle = parse_lifecycle(lifecycle, source="spec given to the loopholes fixture")
        return check(self.policy(policy), lifecycle if not isinstance(lifecycle, Path) else str(lifecycle), reading)

    def assert_no_loophole(self, result: "SearchResult", *, strategy: str | None = None, reading: str | None = None,
                           above: float | None = None, domain: str | None = None) -> None:
        """Fail, reading like a finding, if `result` has a finding that matches (see the
        module-level `assert_no_loophole`); the spec goes to pytest's temporary folder."""
        _assert_no_loophole(result, self._config, strategy=strategy, reading=reading, above=above, domain=domain)


@pytest.fixture(scope="session")
def loopholes(pytestconfig: pytest.Config) -> Loopholes:
    """Search and check rules in your own tests; see `Loopholes`."""
    return Loopholes(pytestconfig)


def assert_no_loophole(result: "SearchResult", *, strategy: str | None = None, reading: str | None = None,
                       above: float | None = None, domain: str | None = None) -> None:
    """Fail the test if `result` holds a finding that needs `strategy` (any when None),
    evades under `reading` (any when None), in `domain` (any when None) and keeps more
    than `above` effective FLOP (central estimate; any capability when None).

    Effective FLOP is what `loopholes search` prints as "capability kept": the training
    compute a plain dense model of the reference recipe would need to match the artifact.
    The failure reads like a finding, with a spec written so its replay command works.
    """
    _assert_no_loophole(result, None, strategy=strategy, reading=reading, above=above, domain=domain)


def _assert_no_loophole(result: "SearchResult", config: pytest.Config | None, *, strategy: str | None,
                        reading: str | None, above: float | None, domain: str | None) -> None:
    matching = [f for f in result.findings
                if (strategy is None or strategy in f.strategies)
                and (reading is None or reading in f.evades_under)
                and (domain is None or f.domain == domain)
                and (above is None or f.capability[f.domain][1] > above)]
    if not matching:
        return
    best = _under_reading(matching[0], result.policy, reading) if reading else matching[0]
    path = _write_spec(config, result, best)
    text = _failure_text(result.policy, best, matching[1:], _policy_ref(result.policy, config), path, config,
                         strategy)
    if above is not None:
        from .render import fmt

        text += f"\n  (asked: nothing above {fmt(above)} effective FLOP)"
    pytest.fail(text, pytrace=False)
