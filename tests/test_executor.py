"""The executors of loopholes.executor: in this process, a local process pool and Dask
distributed (a real LocalCluster of two worker processes, and the same cluster reached by
its scheduler address) return the same results, byte for byte, in input order, whatever
order the tasks were handed out or finished in; a failed task's error reaches the caller
as raised; a wrong scheduler address or a missing Dask is one line, in seconds."""

from __future__ import annotations

import copy
import json
import socket
import sys
import time
from pathlib import Path

import cloudpickle
import pytest
import yaml

from loopholes.cli import main
from loopholes.errors import PolicyError, UsageError
from loopholes.executor import DaskExecutor, LocalExecutor, SerialExecutor, make_executor, submission_order
from loopholes.files import json_text
from loopholes.rules.rulefile import parse_rule
from loopholes.search import search

# The tasks below are defined in this test module, which Dask's workers cannot import by
# name: ship them by value (loopholes' own tasks are importable and travel by name).
cloudpickle.register_pickle_by_value(sys.modules[__name__])

BUDGET = 2000
SB53 = yaml.safe_load((Path(__file__).resolve().parent.parent / "loopholes/rules/bundled/ca_sb53.yaml").read_text())


def amended(line: str, comparator: str) -> dict:
    """California SB 53 with another line and comparator: a candidate rule as data."""
    data = copy.deepcopy(SB53)
    data["id"] = f"ca-sb53-{line.replace(' x 10^', 'e').replace('10^', '1e')}-{'ge' if comparator == '>=' else 'gt'}"
    data["parameters"]["frontier_line"]["value"] = line
    data["rules"][0]["comparator"] = comparator
    return data


TASKS = [("ny-raise", 0), ("us-eo-14110", 1), (amended("3 x 10^25", ">="), 0), ("kr-ai-basic-act", 2),
         (amended("10^25", ">"), 1)]


def search_json(task: tuple) -> str:
    """A small search, as the JSON text a sweep compares; a rule-file mapping is built
    into a Policy in the worker (a Policy itself does not pickle)."""
    rule, seed = task
    policy = parse_rule(rule, f"{rule['id']}.yaml") if isinstance(rule, dict) else rule
    return json_text(search(policy, max_evals=BUDGET, seed=seed).to_json(timing=False), sort_keys=True)


def broken_at_three(x: int) -> int:
    if x == 3:
        raise PolicyError(f"rule {x}: the threshold is not a number")
    return x * 10


def without_loopholes(x: int) -> int:
    raise ModuleNotFoundError("No module named 'loopholes'", name="loopholes")  # what a bare worker raises


@pytest.fixture(scope="module")
def dask():
    with DaskExecutor(workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def expected():
    return SerialExecutor().map(search_json, TASKS)


def test_a_local_pool_and_a_dask_cluster_return_what_one_process_computes(dask, expected):
    assert len(dask.client.scheduler_info()["workers"]) == 2
    assert len(set(expected)) == len(TASKS) and all(json.loads(text)["findings"] is not None for text in expected)
    costs = [1, 5, 2, 9, 3]  # hand them out in another order than they came in
    with LocalExecutor(jobs=2) as pool:
        assert pool.map(search_json, TASKS, costs=costs) == expected
    assert dask.map(search_json, TASKS, costs=costs) == expected
    assert dask.map(search_json, TASKS) == expected


def test_the_same_cluster_reached_by_its_scheduler_address(dask, expected):
    with make_executor(scheduler=dask.cluster.scheduler_address) as remote:
        assert isinstance(remote, DaskExecutor) and remote.cluster is None
        assert remote.map(search_json, TASKS[:3]) == expected[:3]


def test_the_costliest_tasks_are_handed_out_first_and_results_keep_the_input_order(dask, monkeypatch):
    assert submission_order([1, 5, 2, 5, 3], 5) == [1, 3, 4, 2, 0]  # equals keep input order
    assert submission_order(None, 3) == [0, 1, 2]
    handed: list[tuple[int, int]] = []
    submit = dask.client.submit

    def recording(fn, item, **options):
        handed.append((item, options["priority"]))
        return submit(fn, item, **options)

    monkeypatch.setattr(dask.client, "submit", recording)
    items = [0, 1, 2, 4, 5]
    assert dask.map(broken_at_three, items, costs=[1, 5, 2, 5, 3]) == [0, 10, 20, 40, 50]
    assert [item for item, _ in handed] == [1, 4, 5, 2, 0]
    assert [priority for _, priority in handed] == sorted((p for _, p in handed), reverse=True)


@pytest.mark.parametrize("kind", ["serial", "local", "dask"])
def test_a_failed_task_reaches_the_caller_with_its_message(dask, kind):
    executor = {"serial": SerialExecutor(), "local": LocalExecutor(2), "dask": dask}[kind]
    with pytest.raises(PolicyError, match=r"^rule 3: the threshold is not a number$"):
        executor.map(broken_at_three, range(6))
    assert executor.map(broken_at_three, [1, 2]) == [10, 20]  # still usable afterwards


def test_a_worker_without_loopholes_is_named_as_such(dask):
    with pytest.raises(UsageError, match=r"a local Dask cluster of 2 worker\(s\): a worker cannot run the task "
                                         r"\(ModuleNotFoundError: No module named 'loopholes'\); install the same "
                                         r"loopholes on every worker"):
        dask.map(without_loopholes, [1, 2])


def test_a_wrong_scheduler_address_is_one_line_in_seconds(capsys):
    assert main(["compare", "ca-sb53", "us-eo-14110", "--max-evals", "300", "--scheduler", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler nowhere is not a scheduler address" in err and "tcp://HOST:PORT" in err
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.perf_counter()
    with pytest.raises(UsageError, match=rf"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered within 1 s"):
        DaskExecutor(scheduler=f"tcp://127.0.0.1:{port}", timeout=1)
    assert time.perf_counter() - start < 4


def test_a_scheduler_without_workers_is_refused():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=":0") as empty:
        with pytest.raises(UsageError, match="the scheduler has no workers .* start some with 'dask worker tcp://"):
            DaskExecutor(scheduler=empty.scheduler_address, timeout=0.5)


@pytest.mark.parametrize("args, words", [
    (["--workers", "2", "--jobs", "2"], "argument --jobs: not allowed with argument --workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "argument --scheduler: not allowed with argument --workers"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--jobs", "0"], "--jobs must be at least 1"),
])
def test_executor_options_that_do_not_fit_are_one_line(capsys, args, words):
    assert main(["report", "ca-sb53", "--max-evals", "300", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_without_dask_the_option_says_what_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["compare", "ca-sb53", "us-eo-14110", "--max-evals", "300", "--workers", "2"]) == 2
    assert capsys.readouterr().err == ("loopholes: error: --workers and --scheduler run the searches on Dask, which "
                                       "is not installed here: pip install 'loopholes[dask]'\n")
    assert make_executor(jobs=1).map(abs, [-1]) == [1]  # the local executors need no Dask


def test_compare_prints_the_same_json_whichever_executor_ran_it(capsys):
    outputs = {}
    for args in (["--jobs", "1"], [], ["--workers", "2"]):
        assert main(["compare", "ca-sb53", "kr-ai-basic-act", "--max-evals", "800", "--json",
                     *args]) == 0
        outputs[" ".join(args) or "default"] = capsys.readouterr().out
    assert len(set(outputs.values())) == 1, {k: len(v) for k, v in outputs.items()}
    assert json.loads(outputs["default"])["policies"] == ["ca-sb53", "kr-ai-basic-act"]


def test_progress_counts_tasks_and_draws_a_bar_only_when_asked_or_on_a_terminal(capsys):
    calls: list[tuple[int, int]] = []
    assert SerialExecutor().map(abs, [-1, -2, -3], progress=lambda done, total: calls.append((done, total))) == [1, 2, 3]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert capsys.readouterr().err == ""
    SerialExecutor().map(abs, [-1, -2, -3], label="probing")  # stderr is no terminal here: silent
    assert capsys.readouterr().err == ""
    SerialExecutor().map(abs, [-1, -2, -3], progress=True, label="probing")
    err = capsys.readouterr().err
    assert "probing" in err and "3/3" in err and "<00:00" in err  # done/total and the time left


def test_a_rule_file_reaches_the_workers_by_its_absolute_path_and_an_id_as_an_id(tmp_path, monkeypatch):
    from loopholes.rules.registry import shipped as _shipped

    monkeypatch.chdir(tmp_path)
    Path("draft.yaml").write_text(yaml.safe_dump(amended("10^25", ">")))
    Path("ca-sb53").write_text("not a rule")  # the id wins over a file of its name, as when loading
    assert _shipped("draft.yaml") == str(tmp_path / "draft.yaml")
    assert _shipped(Path("draft.yaml")) == str(tmp_path / "draft.yaml")
    assert _shipped("ca-sb53") == "ca-sb53"
