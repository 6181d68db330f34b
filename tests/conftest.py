"""Hypothesis profiles: `--hypothesis-profile fuzz` runs tests/test_fuzz.py at 10,000
cases (docs/input-envelope.md); the default keeps the suite fast.

Under pytest-xdist (`pytest -n 2`, as the README runs the suite), tests are handed out by
work stealing rather than in fixed slices: their durations range from milliseconds to a
minute, and a worker that runs out of tests takes some of the other's instead of waiting
for it. Tests that run full default searches go first: those that search through the
`loopholes` fixture (whose outcomes `pytest policies` in the same run then reads instead
of searching the rules again), then those marked `full_search`."""

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


@pytest.fixture(scope="session")
def dask():
    """A Dask LocalCluster of two worker processes (`DaskExecutor(workers=2)`, what
    `make_executor(workers=2)` starts), shared by the tests that run tasks on one."""
    pytest.importorskip("dask.distributed")
    from loopholes.executor import DaskExecutor

    with DaskExecutor(workers=2) as executor:
        yield executor


def pytest_configure(config):
    config.addinivalue_line("markers", "full_search: the test runs a full default search (400,000 evaluations); "
                                       "under xdist it starts first")


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Work stealing for a plain `-n N` (the default `--dist load`); any other `--dist` stands."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import WorkStealingScheduling

    return WorkStealingScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """In xdist workers (which must all collect the same order): the shared searches first."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: ("loopholes" not in getattr(item, "fixturenames", ()),
                                     item.get_closest_marker("full_search") is None))
