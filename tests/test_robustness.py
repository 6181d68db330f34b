"""Issue 12: a broken rule, an unwritable output folder or a killed run never ends in a
traceback, a hang, a silent pass or a half-replaced set of reports.

Each case is built from the minimal input that showed the failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopholes.cli import main

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "llama-3.1-405b.yaml")

RULE = '''
import datetime as dt
from loopholes.rules.framework import Policy, Reading, Rule

def measure(ctx):
    {body}

POLICY = Policy(
    id="broken", title="t", jurisdiction="j", source="s", status="proposal", dates={{}},
    reference_date={date},
    readings=(Reading("r", "q", "a", {{"scope": "lineage"}}),),
    rules=(Rule("main", "Art. 1", "training operations", 1e25, ">", "systemic", measure),),
    tiers=("systemic",), covered_tiers=frozenset({{"systemic"}}), target_lines={{"general": 1e25}},
)
'''

BROKEN = {  # measure body -> words the one-line error must hold
    "return 1 / 0": ("ZeroDivisionError", "rule 'main'", "Art. 1", "measure()", "broken.py:6"),
    "return float('nan')": ("returned nan", "rule 'main'", "Art. 1"),
    "return -1.0": ("returned -1.0", "rule 'main'", "Art. 1"),
    "return '1e25'": ("returned '1e25'", "rule 'main'", "Art. 1"),
    "while True: pass": ("still evaluating", "rule 'main'", "Art. 1", "measure()", "broken.py:6"),
}


def rule_file(tmp_path: Path, body: str, date: str = "dt.date(2025, 8, 2)") -> str:
    path = tmp_path / "broken.py"
    path.write_text(RULE.format(body=body, date=date))
    return str(path)


def one_line(code: int, capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("body", sorted(BROKEN))
@pytest.mark.parametrize("command", ["check", "search"])
def test_a_broken_rule_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, body, command):
    """Was: a 26/46-line traceback, `"measured": NaN` reported as not covered, or a hang."""
    monkeypatch.setenv("LOOPHOLES_RULE_SECONDS", "1")
    path = rule_file(tmp_path, body)
    args = ["check", path, EXAMPLE, "--json"] if command == "check" else ["search", path, "--max-evals", "50"]
    start = time.perf_counter()
    line = one_line(main(args), capsys)
    assert time.perf_counter() - start < 10
    for word in BROKEN[body]:
        assert word in line, line


@pytest.mark.parametrize("condition, words", [
    ("return ctx.lifecycle.artifact.bio_share > 0.5, 'bio'", "primarily() at {path}:6 raised AttributeError: 'Step' "
     "object has no attribute 'bio_share'"),
    ("return True", "primarily() returned True; a condition must return (holds, note)"),
], ids=["raises", "not-a-pair"])
@pytest.mark.parametrize("command", ["check", "search"])
def test_a_broken_condition_is_one_line_like_a_broken_measure(tmp_path, capsys, command, condition, words):
    """Was: a raw AttributeError (or TypeError) traceback: only measures were checked."""
    path = tmp_path / "broken.py"
    path.write_text(RULE.format(body="return 10**26", date="dt.date(2025, 8, 2)")
                    .replace("def measure", f"def primarily(ctx):\n    {condition}\n\ndef measure")
                    .replace("systemic\", measure)", "systemic\", measure, primarily)"))
    args = ["check", str(path), EXAMPLE] if command == "check" else ["search", str(path), "--max-evals", "50"]
    line = one_line(main(args), capsys)
    assert "policy 'broken', rule 'main' (Art. 1): " + words.format(path=path) in line, line


def test_a_rule_that_covers_nothing_does_not_search_as_robust(tmp_path, capsys):
    """Was: every lifecycle 'escapes', no strategy is 'needed', and the rule looks robust."""
    line = one_line(main(["search", rule_file(tmp_path, "return 0.0"), "--max-evals", "50"]), capsys)
    assert "does not cover an honest model at its own line: every lifecycle escapes" in line


def test_a_working_rule_passes_the_sanity_check(tmp_path, capsys):
    path = rule_file(tmp_path, "from loopholes.rules.framework import training_compute\n    return training_compute()(ctx)")
    assert main(["search", path, "--max-evals", "50", "--strategy", "sparsity", "--json"]) == 0
    json.loads(capsys.readouterr().out)


def test_a_wrong_type_in_a_policy_is_one_line_at_load(tmp_path, capsys):
    """Was: a raw TypeError from deep in the capability model (issue 13 §2)."""
    path = rule_file(tmp_path, "return 0.0", date="'2026-01-01'")
    for args in (["check", path, EXAMPLE], ["search", path]):
        line = one_line(main(args), capsys)
        assert "broken.py: policy 'broken': reference_date must be a date" in line and "'2026-01-01'" in line


def _policy_fields() -> dict:
    import datetime as dt

    from loopholes.rules.framework import Reading, compute_threshold

    return dict(id="typed", title="t", jurisdiction="j", source="s", status="draft", dates={},
                reference_date=dt.date(2025, 8, 2), readings=(Reading("r", "q", "a"),),
                rules=(compute_threshold("main", "Art. 1", 10**25, tier="systemic"),), tiers=("systemic",),
                covered_tiers=frozenset({"systemic"}), target_lines={"general": 10**25})


@pytest.mark.parametrize("field, value, words", [
    ("reference_date", "2026-01-01", "reference_date must be a date such as datetime.date(2026, 1, 1), got str '2026-01-01'"),
    ("rules", "RULE", "rules must be a tuple of Rule, got Rule 'main' (a tuple of one needs a trailing comma"),
    ("tiers", "systemic", "tiers must be a tuple of tier names, got str 'systemic' (a tuple of one needs"),
    ("covered_tiers", ["systemic"], "covered_tiers must be a frozenset of tier names, such as frozenset("),
    ("target_lines", {"general": "1e25"}, "target_lines['general'] must be a positive finite number of FLOP, got str"),
    ("parameters", {"line": 1e25}, "parameters['line'] must be a Parameter(value, clause), got float 1e+25"),
    ("dates", {"adopted": "2024-03-13", "in force": 2025}, "dates['in force'] must be a date string, got int 2025"),
    ("readings", ("r",), "readings[0] must be a Reading, got str 'r'"),
], ids=["reference_date", "rules", "tiers", "covered_tiers", "target_lines", "parameters", "dates", "readings"])
def test_a_wrong_type_in_a_policy_is_refused_when_it_is_built(field, value, words):
    """Was: accepted, then a raw TypeError deep inside a search (or, for rules=(rule)
    without its comma, "TypeError: 'Rule' object is not iterable" naming no field)."""
    from loopholes.errors import PolicyError
    from loopholes.rules.framework import Policy

    fields = _policy_fields()
    fields[field] = fields["rules"][0] if value == "RULE" else value
    with pytest.raises(PolicyError) as raised:
        Policy(**fields)
    assert str(raised.value).startswith("policy 'typed': ") and words in str(raised.value), str(raised.value)
    with pytest.raises(PolicyError, match="reference_date must be a date"):  # a copy is checked like the original
        Policy(**_policy_fields()).replace(reference_date="2026-01-01")


def test_a_rules_tuple_without_its_comma_is_one_line_naming_the_field(tmp_path, capsys):
    path = rule_file(tmp_path, "return 0.0")
    Path(path).write_text(Path(path).read_text().replace("measure),),", "measure)),"))
    line = one_line(main(["search", path, "--max-evals", "50"]), capsys)
    assert "broken.py: policy 'broken': rules must be a tuple of Rule, got Rule 'main'" in line and "trailing comma" in line


def test_an_unbounded_measure_is_null_in_strict_json(tmp_path, capsys):
    """+inf (a share of zero compute) is allowed, and written so a strict parser reads it."""
    path = rule_file(tmp_path, "return float('inf')")
    assert main(["check", path, EXAMPLE, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(name))
    assert doc["clauses"][0]["measured"] is None and doc["covered"] is True


# -- output folders, checked before any work -------------------------------------------------

@pytest.mark.parametrize("args", [
    ["search", "eu-ai-act", "--save", "{file}/specs"],
    ["report", "eu-ai-act", "--out", "{file}"],
    ["compare", "eu-ai-act", "us-eo-14110", "--out", "{file}/sub"],
])
def test_an_output_folder_in_the_way_fails_before_the_search(tmp_path, capsys, args):
    """Was: reported only after a long search (or a traceback for search --save)."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    start = time.perf_counter()
    line = one_line(main([a.format(file=blocker) for a in args]), capsys)
    assert time.perf_counter() - start < 2 and str(blocker) in line and "is a file" in line


WORK = {  # command -> the function that starts its work, and the output flag
    "search": ("loopholes.search.search", "--save"),
    "report": ("loopholes.reporting.analysis.analyse_longest_first", "--out"),
    "compare": ("loopholes.reporting.compare.compare", "--out"),
    "backtest": ("loopholes.backtest.backtest", "--out"),
}


@pytest.mark.parametrize("where, words", [
    ("link/out", "cannot be created: link is a link to nothing"),
    ("n" * 300, "cannot write there (File name too long)"),
], ids=["broken-link", "name-too-long"])
@pytest.mark.parametrize("command", sorted(WORK))
def test_an_output_folder_that_cannot_be_created_fails_before_the_work(tmp_path, capsys, monkeypatch, command,
                                                                        where, words):
    """Was: only the nearest existing parent was probed, so these passed the check and then
    failed after the search (compare: after 23 s), or raised a raw OSError (a name too
    long). The folder is now created and written to before the work starts. Real on CI
    as root, where a read-only folder is still writable."""
    import importlib

    module, name = WORK[command][0].rsplit(".", 1)
    monkeypatch.setattr(importlib.import_module(module), name,
                        lambda *a, **k: pytest.fail(f"{command} started its work before checking the output folder"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path / "nothing")
    policies = ["eu-ai-act", "ca-sb53"] if command == "compare" else ["eu-ai-act"]
    line = one_line(main([command, *policies, WORK[command][1], where]), capsys)
    assert line.startswith(f"loopholes: error: {WORK[command][1]} {where[:40]}") and words in line, line


def test_an_unwritable_output_folder_fails_before_the_search(tmp_path, capsys, monkeypatch):
    """Read-only folders (root ignores permissions, so the write itself is made to fail)."""
    import loopholes.files as files

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    line = one_line(main(["search", "eu-ai-act", "--save", str(tmp_path / "specs")]), capsys)
    assert "--save" in line and "Permission denied" in line


# -- reports replaced as one set -------------------------------------------------------------

def _old_set(out: Path) -> None:
    out.mkdir()
    for name in ("a.md", "a.json", "b.md", "stale.md"):
        (out / name).write_text("old")


def _state(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() if p.is_file() else "<folder>" for p in sorted(out.iterdir())}


OLD = {"a.json": "old", "a.md": "old", "b.md": "old", "stale.md": "old"}
NEW = {"a.json": "new", "a.md": "new", "b.md": "new", "c.md": "new"}


def test_a_rename_that_fails_midway_puts_the_old_set_back(tmp_path, monkeypatch):
    """Was: `eu-ai-act.json` new and `eu-ai-act.md` old after one rename failed."""
    import loopholes.files as files
    from loopholes.reporting.report import ReportError, publish

    out = tmp_path / "reports"
    _old_set(out)
    real = files._replace

    def flaky(source, target):
        if target.name == "b.md":
            raise PermissionError(1, "Operation not permitted", str(target))
        real(source, target)

    monkeypatch.setattr(files, "_replace", flaky)

    def produce(stage):
        assert stage.dir.parent == out  # staged inside --out: same file system, even on a mount point
        for name in NEW:
            stage.text(name, "new")
        return set(NEW) | {"stale.md"}

    with pytest.raises(ReportError, match="Operation not permitted"):
        publish(out, produce)
    assert _state(out) == OLD


def test_a_set_is_swapped_whole(tmp_path):
    from loopholes.reporting.report import publish

    out = tmp_path / "reports"
    _old_set(out)
    publish(out, lambda stage: [stage.text(n, "new") for n in NEW] and set(NEW) | {"stale.md"})
    assert _state(out) == NEW


KILLED_RUN = '''
import sys, time
from pathlib import Path
import loopholes.files as files
from loopholes.guard import terminate_cleanly
from loopholes.reporting.report import publish

out, phase = Path(sys.argv[1]), sys.argv[2]
real = files._replace

def slow(source, target):  # a slowed commit: 0.3 s a rename
    time.sleep(0.3)
    real(source, target)

files._replace = slow

def produce(stage):
    for name in ("a.md", "a.json", "b.md", "c.md"):
        stage.text(name, "new")
    print("produced", flush=True)
    if phase == "produce":
        time.sleep(60)
    return {"a.md", "a.json", "b.md", "c.md", "stale.md"}

with terminate_cleanly():
    publish(out, produce)
'''


def _start(tmp_path: Path, phase: str) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "reports"
    _old_set(out)
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN)
    run = subprocess.Popen([sys.executable, str(script), str(out), phase], stdout=subprocess.PIPE, text=True,
                           start_new_session=True)
    assert run.stdout.readline().strip() == "produced"
    return run, out


def _settled(out: Path, timeout: float = 10) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while any(p.name.startswith(".loopholes-stage-") for p in out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _state(out)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_run_killed_during_the_commit_leaves_the_new_set(tmp_path, sig):
    run, out = _start(tmp_path, "commit")
    time.sleep(0.5)  # inside the slowed renames
    os.killpg(run.pid, sig)  # the whole process group, as a terminal or a CI runner does
    run.wait(10)
    assert _settled(out) == NEW


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_run_terminated_while_producing_leaves_the_old_set_and_no_staging(tmp_path):
    run, out = _start(tmp_path, "produce")
    run.send_signal(signal.SIGTERM)
    run.wait(10)
    assert _state(out) == OLD  # no hidden staging folder either


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_staging_folder_left_by_sigkill_is_removed_by_the_next_run(tmp_path):
    from loopholes.reporting.report import publish

    run, out = _start(tmp_path, "produce")
    run.kill()
    run.wait(10)
    assert [p.name for p in out.iterdir() if p.name.startswith(".loopholes-stage-")]
    assert {k: v for k, v in _state(out).items() if not k.startswith(".")} == OLD
    publish(out, lambda stage: [stage.text(n, "new") for n in NEW] and set(NEW) | {"stale.md"})
    assert _state(out) == NEW


# -- no worker outlives its run -----------------------------------------------------------------

def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with open(task / "children") as handle:
            found |= {int(child) for child in handle.read().split()}
    return found


HANG = 300
"""Seconds after which a run that has not started, or not stopped, counts as hung. Only a
failing run waits this long: the waits below end as soon as what they wait for happens,
so a loaded machine makes the test slower, never red."""


def _ready_workers(pid: int) -> set[int]:
    """The run's pool workers that have passed `worker_init`, which makes them ignore
    Ctrl-C: from then on the pool is up and a signal lands in the run proper."""
    return {child for child in _children(pid) if _ignores_sigint(child)}


def _ignores_sigint(pid: int) -> bool:
    try:
        mask = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("SigIgn"))
    except (OSError, StopIteration):
        return False
    return bool(int(mask.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "Z" not in _status(pid)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux /proc only")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killing_a_parallel_report_leaves_no_worker_behind(tmp_path, sig):
    """Was: 2 orphaned pool workers in 8 of 16 kills, one pair idle for 19 minutes."""
    run = subprocess.Popen([sys.executable, "-m", "loopholes", "report", "eu-ai-act", "us-eo-14110", "--jobs", "2",
                            "--out", str(tmp_path / "out")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + HANG
    workers: set[int] = set()
    while len(workers) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = _ready_workers(run.pid)
    if run.poll() is None and len(workers) < 2:
        run.kill()
    assert len(workers) >= 2, "the report did not start its workers"
    run.send_signal(sig)
    try:
        run.wait(HANG)
    except subprocess.TimeoutExpired:
        run.kill()
        raise
    deadline = time.monotonic() + HANG
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def _session(sid: int) -> list[int]:
    """Live processes of session `sid` (a run started with start_new_session: the run and
    every process it started, unless one moved to a session of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux /proc only")
def test_ctrl_c_stops_a_compare_and_its_workers_at_once(tmp_path):
    """Issue 13: Ctrl-C in `compare` took 2-24 s to stop. Ctrl-C in a terminal signals the
    whole process group; the run must be gone, workers included, within a second or two,
    with one line and exit 130, and nothing half-written in --out."""
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "loopholes", "compare", "us-eo-14110", "risk-index", "--out", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + HANG
        while len(_ready_workers(run.pid)) < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_ready_workers(run.pid)) >= 2, "the compare did not start its workers"
        time.sleep(3)  # well into the searches (both take over 10 s)
        assert run.poll() is None, "the compare finished before it could be interrupted"
        os.killpg(run.pid, signal.SIGINT)
        start = time.monotonic()
        _, err = run.communicate(timeout=HANG)
        stopped = time.monotonic() - start
        deadline = time.monotonic() + 1
        while _session(run.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = _session(run.pid)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert stopped < 3, f"took {stopped:.1f} s to stop"
    assert run.returncode == 130 and err == "loopholes: interrupted\n", (run.returncode, err)
    assert not left, f"processes left behind: {left}"
    assert not out.exists() or not list(out.iterdir()), sorted(p.name for p in out.iterdir())


def _status(pid: int) -> str:
    try:
        return next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State"))
    except (OSError, StopIteration):
        return "Z"


def test_search_save_replaces_the_rules_findings_as_one_set(tmp_path, capsys):
    """Saved findings, like reports, are one set: a rule's earlier specs go, others stay."""
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "eu-ai-act--from-an-earlier-run.json").write_text("{}")
    (folder / "us-eo-14110--kept.json").write_text("{}")
    assert main(["search", "eu-ai-act", "--strategy", "integer-precision", "--depth", "1", "--max-evals", "3000",
                 "--save", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert "eu-ai-act--from-an-earlier-run.json" not in names and "us-eo-14110--kept.json" in names
    assert any(n.startswith("eu-ai-act--general--integer-precision") for n in names)
    assert not [n for n in names if n.startswith(".")]


def test_an_out_folder_that_is_a_mount_point_is_swapped_in_place(tmp_path):
    """Was: always 'Invalid cross-device link', since staging happened in the parent."""
    from loopholes.reporting.report import publish

    out = tmp_path / "mounted"
    out.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "none", str(out)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        for name in ("a.md", "a.json", "b.md", "stale.md"):
            (out / name).write_text("old")
        publish(out, lambda stage: [stage.text(n, "new") for n in NEW] and set(NEW) | {"stale.md"})
        assert _state(out) == NEW
    finally:
        subprocess.run(["umount", str(out)], check=False)


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth exceeded"), OverflowError("math range")])
def test_an_input_beyond_the_envelope_is_still_one_line(capsys, monkeypatch, error):
    """The last resort for whatever validation lets through: one line, exit 2, and the
    traceback on request (LOOPHOLES_TRACEBACK=1, which the fuzz test sets)."""
    import loopholes

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(loopholes, "check", fail)
    monkeypatch.delenv("LOOPHOLES_TRACEBACK", raising=False)
    line = one_line(main(["check", "eu-ai-act", EXAMPLE]), capsys)
    assert "beyond what the tool can evaluate" in line and "docs/input-envelope.md" in line
    monkeypatch.setenv("LOOPHOLES_TRACEBACK", "1")
    with pytest.raises(type(error)):
        main(["check", "eu-ai-act", EXAMPLE])


def test_a_swap_whose_own_process_was_killed_is_finished_by_the_next_run(tmp_path):
    """The journal: renames cut short (the swapping child itself killed) are completed."""
    from loopholes.files import StagedSet

    out = tmp_path / "reports"
    _old_set(out)
    stage = out / ".loopholes-stage-999999999-cut"
    stage.mkdir()
    (out / "a.md").write_text("new")  # moved before the cut
    for name in ("a.json", "b.md", "c.md"):
        (stage / name).write_text("new")
    (stage / ".commit.json").write_text(json.dumps({"moves": ["a.json", "a.md", "b.md", "c.md"],
                                                    "removes": ["stale.md"]}))
    StagedSet(out).discard()
    assert _state(out) == NEW
