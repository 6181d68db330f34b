"""Hypothesis profiles: `--hypothesis-profile fuzz` runs tests/test_fuzz.py at 10,000
cases (docs/input-envelope.md); the default keeps the suite fast.

Under pytest-xdist (`pytest -n 2`, as the README runs the suite), tests go to workers in
*units*, one unit at a time to whichever worker is free, the longest first:

- tests that share a module or session fixture of this suite form one unit, so the
  fixture is built once in the run rather than once per worker. The rules' own tests
  under policies/ join the unit of the tests that search through the `loopholes` fixture:
  they read those searches (`pytest policies` searches each rule once per process);
- every other test is a unit of its own.

The order is a guess from `SECONDS` (about how long a test or a fixture takes on one
core); it changes when a test runs, never what it checks. Without xdist the file order
stands.

The pytests that tests start in other processes keep their bytecode in the run's
temporary folder when the environment forbids writing it
(`child_pytests_keep_bytecode`)."""

import os

import pytest
from hypothesis import settings

settings.register_profile("fuzz", max_examples=10_000, deadline=None, database=None)

REPORT_BUDGET = 2000
"""Evaluations per rule for the reports the tests write: enough for findings in every section, fast."""


BUDGET_RULES = ("us-eo-14110", "eu-ai-act", "ca-sb53")
"""The static rules compared at REPORT_BUDGET; the reports are written for the first two."""


@pytest.fixture(scope="session")
def budget_comparison():
    """`compare.compare` of three static rules at REPORT_BUDGET in this process: the
    comparison and the analyses (input order), shared by the tests of compare and of the
    report files, which only read them. Each rule's analysis is seeded on its own, so the
    first two are what `analysis.analyse_all` of those two rules returns."""
    from loopholes.reporting import compare

    return compare.compare(list(BUDGET_RULES), max_evals=REPORT_BUDGET, jobs=1)


@pytest.fixture(scope="session")
def budget_analyses(budget_comparison):
    """Each BUDGET_RULES rule's analysis at REPORT_BUDGET, by id."""
    return {a.policy: a for a in budget_comparison[1]}


@pytest.fixture(scope="session")
def report_analyses(budget_analyses):
    """The analyses of two static rules, shared by the tests of the report files."""
    return [budget_analyses["us-eo-14110"], budget_analyses["eu-ai-act"]]


@pytest.fixture(scope="session")
def written_reports(report_analyses, tmp_path_factory):
    """Their reports and comparison, as `loopholes report --compare` writes them (tests only read them)."""
    from loopholes.reporting import report
    from loopholes.reporting.compare import comparison

    out = tmp_path_factory.mktemp("reports")
    report.write_reports(report_analyses, out, comparison=comparison([a.measures for a in report_analyses], seed=0,
                                                                     max_evals=REPORT_BUDGET))
    return out


def pytest_configure(config):
    config.addinivalue_line("markers", "full_search: the test runs a full default search (400,000 evaluations); "
                                       "under xdist it starts early")


@pytest.fixture(scope="module")
def child_pytests_keep_bytecode(tmp_path_factory):
    """For the modules that start pytest in other processes (the plugin's inner runs, the
    drafting guide's session): with PYTHONDONTWRITEBYTECODE set (and no
    PYTHONPYCACHEPREFIX), pytest may not cache the modules it rewrites, so each of those
    pytests rewrote the asserts of hypothesis, loopholes and xdist from source, 0.5-1.3 s
    each. Their processes keep their bytecode in the run's temporary folder instead:
    nothing is written next to the sources, and what runs is the same. (Not for the whole
    suite: under a pycache prefix Python reads no installed bytecode, so every other
    process, a Dask worker say, would compile its imports from source once more.)"""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        yield
        return
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, all workers'
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE")
        patch.setenv("PYTHONPYCACHEPREFIX", str(shared / "bytecode"))
        yield


# -- scheduling under xdist ------------------------------------------------------------------

CHEAP_FIXTURES = frozenset({"child_pytests_keep_bytecode"})
"""Module fixtures that cost nothing to build: sharing one is no reason to keep tests together."""

SECONDS = {
    # fixtures: the full default searches of five bundled rules, plus the three rules
    # only policies/ searches; the REPORT_BUDGET comparison and its reports; Chromium;
    # test_executor's Dask LocalCluster; the drafting guide's session
    "loopholes": 30, "budget_comparison": 9, "browser": 1, "dask": 2, "fresh": 6.5,
    # tests, by function name (every parameter)
    "test_the_sweep_is_the_same_whichever_executor_runs_it": 16,
    "test_amend_end_to_end_through_the_command_line": 15,
    "test_committed_report_is_up_to_date": 10,
    "test_cli_json_has_the_design_fields": 5,
    "test_two_regenerations_are_byte_identical": 8,
    "test_compare_prints_the_same_json_whichever_executor_ran_it": 5,
    "test_out_writes_markdown_html_json_csv_and_four_figures": 5,
    "test_xdist_gives_the_same_outcomes_as_a_serial_run": 3.5,
    "test_the_diff_is_the_same_whichever_executor_runs_its_searches": 4.5,
    "test_ctrl_c_stops_a_compare_and_its_workers_at_once": 3.5,
    "test_a_local_pool_and_a_dask_cluster_return_what_one_process_computes": 4,
    "test_the_terminal_commands_never_import_the_reports_extra": 3,
    "test_the_cli_prints_both_directions_and_json": 4,
    "test_workers_run_the_longest_search_first": 3,
    "test_the_committed_pages_open_in_chromium": 3,
    "test_a_stricter_rule_never_has_more_loopholes": 4,
    "test_soundness_every_finding_reverifies": 4,
    "test_failed_regeneration_leaves_previous_reports_intact": 2.5,
    "test_matrix_states_agree_with_the_search": 2.5,
    "test_the_2026_raise_act_drops_the_distillation_limb_and_adds_cumulative_counting": 2,
    "test_sb53_covers_everything_sb1047_did_and_more": 2,
    "test_the_sweep_section_reports_identical_outputs": 2,
    "test_the_sweep_section_fails_when_executors_disagree": 2,
    "test_every_command_takes_a_rule_file": 2,
    "test_a_worker_searches_another_rule_instead_of_waiting": 2,
    "test_shared_placements_give_the_findings_of_a_search_on_its_own": 1.5,
    "test_out_writes_figure_and_json_byte_identical": 1.5,
    "test_a_broken_rule_is_one_line_and_exit_2": 0.5,
    "test_a_run_killed_during_the_commit_leaves_the_new_set": 1.5,
    "test_a_lower_line_covers_more_and_the_difference_is_minimal_and_rechecked": 1.5,
    "test_a_rule_is_equivalent_to_itself_and_not_disjoint": 1.5,
    "test_same_seed_same_output": 1,
}
"""About how many seconds of CPU the slowest tests and the shared fixtures take, the
processes they start included (`pytest --durations` shows wall time); anything not
named counts as nothing (or FULL_SEARCH_SECONDS when marked `full_search`). Only the
order of the units under xdist depends on it."""

FULL_SEARCH_SECONDS = 8.0

_UNITS_FILE = "xdist-units.json"


def _shared_instances(item) -> list[str]:
    """The fixture instances beyond a single test that `item` uses, as `name@where`: each
    of this suite's session fixtures (where: where it is defined), module fixtures (the
    module) and class fixtures (the class), CHEAP_FIXTURES and the plugins' own fixtures
    aside; and the `loopholes` fixture's searches, which the rules' tests under policies/
    read too."""
    from loopholes.pytest_plugin import LoopholeItem

    if isinstance(item, LoopholeItem):
        return ["loopholes"]
    info = getattr(item, "_fixtureinfo", None)
    shared = []
    for name in getattr(item, "fixturenames", ()):
        if name == "loopholes":
            shared.append(name)
            continue
        definitions = info.name2fixturedefs.get(name) if info is not None else None
        if not definitions or name in CHEAP_FIXTURES:
            continue
        fixture = definitions[-1]
        if fixture.scope == "function" or not fixture.baseid:  # one per test, or a plugin's
            continue
        where = {"session": fixture.baseid, "package": fixture.baseid,
                 "module": item.nodeid.split("::")[0]}.get(fixture.scope, item.nodeid.rsplit("::", 1)[0])
        shared.append(f"{name}@{where}")
    return shared


def _shared_fixture_units(items) -> dict[str, str]:
    """nodeid -> unit name for the tests that share a fixture instance
    (`_shared_instances`); tests that share any of them, directly or through other tests,
    are one unit."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    used = {}
    for item in items:
        shared = _shared_instances(item)
        if shared:
            used[item.nodeid] = shared
            for key in shared:
                parent[root(key)] = root(shared[0])
    members: dict[str, list[str]] = {}
    for key in sorted(parent):
        members.setdefault(root(key), []).append(key)
    return {nodeid: "+".join(members[root(shared[0])]) for nodeid, shared in used.items()}


def _unit_order(items, units: dict[str, str]) -> None:
    """Sort `items` in place: units by decreasing SECONDS (their fixtures and tests), each
    unit's tests together in file order; equal units keep the file order."""
    cost: dict[str, float] = {}
    for item in items:
        unit = units.get(item.nodeid, item.nodeid)
        default = FULL_SEARCH_SECONDS if item.get_closest_marker("full_search") else 0.0
        cost[unit] = cost.get(unit, 0.0) + SECONDS.get(getattr(item, "originalname", item.name), default)
    for unit in set(units.values()):
        cost[unit] += sum(SECONDS.get(key.split("@")[0], 0.0) for key in unit.split("+"))
    first = {}
    for i, item in enumerate(items):
        first.setdefault(units.get(item.nodeid, item.nodeid), i)
    items.sort(key=lambda item: (-cost[units.get(item.nodeid, item.nodeid)], first[units.get(item.nodeid, item.nodeid)]))


def pytest_collection_modifyitems(config, items):
    """In xdist workers (which must all collect the same order): the units longest first,
    and the units written down for the scheduler (`_UnitScheduling`), which sees only
    test ids."""
    if not hasattr(config, "workerinput"):
        return
    import json
    import os

    units = _shared_fixture_units(items)
    _unit_order(items, units)
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:  # no temporary folders: the scheduler takes every test as a unit
        return
    folder = factory.getbasetemp().parent  # the controller's basetemp
    partial = folder / f"{_UNITS_FILE}.{os.getpid()}"
    partial.write_text(json.dumps(units), encoding="utf-8")
    os.replace(partial, folder / _UNITS_FILE)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """A plain `-n N` (the default `--dist load`) hands out units (see above); any other
    `--dist` stands."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class _UnitScheduling(LoadScopeScheduling):
        """xdist's scope scheduling (a unit at a time to a free worker, in collection
        order), with this suite's units as scopes: the units the workers wrote down, and
        every other test on its own. Without the file (a worker failed to write it), every
        test is its own unit."""

        units: dict[str, str] = {}

        def _split_scope(self, nodeid: str) -> str:
            return self.units.get(nodeid, nodeid)

        def schedule(self) -> None:
            if self.collection is None:
                import json

                try:
                    path = config._tmp_path_factory.getbasetemp() / _UNITS_FILE
                    self.units = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    self.units = {}
            reorder, config.option.loadscopereorder = config.option.loadscopereorder, False  # keep the workers' order
            try:
                super().schedule()
            finally:
                config.option.loadscopereorder = reorder

    return _UnitScheduling(config, log)
