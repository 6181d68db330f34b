"""Atomic writes: a failed or interrupted run never leaves a half-written file, and a set
of files (one run's reports) is replaced as a whole or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Iterator


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as out:
            out.write(data)
        os.chmod(temp, 0o644 & ~_umask())  # mkstemp makes the file private; outputs are not
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def json_text(doc: object, **options: object) -> str:
    """`doc` as strict JSON: a non-finite float (an unbounded ratio) is written as null,
    as in the reports, so any JSON parser reads the output."""
    return json.dumps(_finite(doc), allow_nan=False, **options)  # type: ignore[arg-type]


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def check_output_folder(folder: str | Path, flag: str) -> Path:
    """Fail before any work, in one line, when `folder` cannot be written: create it (and
    its missing parents) if missing, write and remove a probe file in it, then remove what
    was created, so that a run that fails later leaves no empty folder. (Probing only the
    nearest existing parent let through a name too long or a broken link on the way, which
    then failed after the search.)"""
    from .errors import OutputError

    path = Path(folder)
    created: list[Path] = []
    try:
        blocker = _in_the_way(path)
        if blocker is not None:
            raise OutputError(f"{flag} {folder}: {blocker}")
        missing = [path, *path.parents]
        missing = missing[:next(i for i, p in enumerate(missing) if p.is_dir())]
        for step in reversed(missing):
            step.mkdir()
            created.append(step)
        handle, name = tempfile.mkstemp(dir=path, prefix=".loopholes-probe-")
        os.close(handle)
        os.unlink(name)
    except OSError as error:
        raise OutputError(f"{flag} {folder}: cannot write there ({error.strerror or error})") from None
    finally:
        for step in reversed(created):
            with contextlib.suppress(OSError):
                step.rmdir()
    return path


def _in_the_way(path: Path) -> str | None:
    """What stops `path` from being a folder, in words (a file, or a broken link, at it or
    on the way to it), or None."""
    probe = path
    while True:
        if probe.is_symlink() and not probe.exists():
            return f"cannot be created: {probe} is a link to nothing"
        if probe.exists():
            if probe.is_dir():
                return None
            return "is a file, not a folder" if probe == path else f"cannot be created: {probe} is a file"
        if probe.parent == probe:
            return None
        probe = probe.parent


# -- a set of files replaced as one -------------------------------------------------------

STAGE_PREFIX = ".loopholes-stage-"
_JOURNAL = ".commit.json"
_OLD = ".old"
_BLOCKED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class StagedSet:
    """A run's files, written into a hidden folder inside `out` (so on the same file
    system even when `out` is a mount point) and swapped in as one set on `commit`.

    The swap keeps the old files as hard links, writes a journal, then renames in a
    short-lived child process of its own session with the signals that stop a run
    blocked: a kill of the run, even SIGKILL of it or of its process group, cannot stop
    the renames halfway, and a rename that fails (a read-only or immutable file) puts
    the old files back. A run killed while producing leaves its hidden folder; the next
    run into the same `out` removes it (and finishes a swap a killed child left, from
    the journal)."""

    def __init__(self, out: str | Path):
        from .errors import UsageError

        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise UsageError(f"--out {self.out}: not a folder")
        self.out.mkdir(parents=True, exist_ok=True)
        recover(self.out)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=self.out))
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        """Where to write file `name` now; it is published with the rest on commit."""
        from .errors import UsageError

        if name in self.names:
            raise UsageError(f"two outputs of this run are both named {name}")
        self.names.append(name)
        return self.dir / name

    def text(self, name: str, text: str) -> None:
        with open(self.path(name), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    def commit(self, owned: set[str]) -> list[Path]:
        """Swap in every produced file and remove the files of `owned` this run did not
        produce (stale from an earlier run), all as one set."""
        from .errors import UsageError

        missing = [n for n in self.names if not (self.dir / n).is_file()]
        if missing:
            raise UsageError(f"this run did not produce {', '.join(missing)}; the previous files are unchanged")
        mode = 0o666 & ~_umask()
        for name in self.names:
            os.chmod(self.dir / name, mode)  # temp files are private; outputs are not
        moves, removes = sorted(self.names), sorted(set(owned) - set(self.names))
        with _locked(self.out):
            _swap(self.dir, self.out, moves, removes)
        return [self.out / name for name in moves]

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def recover(out: Path) -> None:
    """Finish or remove what killed runs left in `out`: a staging folder with a journal is
    swapped in (its files were complete); one without is removed once its run is gone."""
    with _locked(out):
        for stage in sorted(out.glob(f"{STAGE_PREFIX}*")):
            journal = stage / _JOURNAL
            if journal.is_file():
                try:
                    plan = json.loads(journal.read_text(encoding="utf-8"))
                    _apply(stage, out, plan["moves"], plan["removes"], forward_only=True)
                except (OSError, ValueError, KeyError, TypeError):
                    continue  # leave it for a person to look at rather than guess
                shutil.rmtree(stage, ignore_errors=True)
            elif not _alive(stage.name[len(STAGE_PREFIX):].split("-")[0]):
                shutil.rmtree(stage, ignore_errors=True)


def _swap(stage: Path, out: Path, moves: list[str], removes: list[str]) -> None:
    old = stage / _OLD
    old.mkdir()
    for name in moves + removes:
        if (out / name).is_file():
            try:
                os.link(out / name, old / name)
            except OSError:
                shutil.copy2(out / name, old / name)
    _write_synced(stage / _JOURNAL, json.dumps({"moves": moves, "removes": removes}))
    if not hasattr(os, "fork"):
        error = _apply(stage, out, moves, removes)
    else:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        try:
            error = _apply_in_child(stage, out, moves, removes)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    if error:
        raise OSError(error[0], error[1])


def _apply_in_child(stage: Path, out: Path, moves: list[str], removes: list[str]) -> tuple[int, str] | None:
    """Run `_apply` in a child of its own session; its result comes back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's Python state may run here
        code = 0
        try:
            os.close(read)
            os.setsid()
            error = _apply(stage, out, moves, removes)
            os.write(write, json.dumps(error).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        return (0, "the process that swaps the files failed")
    error = json.loads(b"".join(chunks))
    return tuple(error) if error else None  # type: ignore[return-value]


def _apply(stage: Path, out: Path, moves: list[str], removes: list[str], *,
           forward_only: bool = False) -> tuple[int, str] | None:
    """The renames (and removals); on a failure the old files are put back. Returns
    (errno, message) of the failure, or None. With `forward_only`, as in recovery, a file
    already moved is skipped. Removes the stage folder when done."""
    done: list[str] = []
    try:
        for name in moves:
            if forward_only and not (stage / name).exists():
                continue
            _replace(stage / name, out / name)
            done.append(name)
        for name in removes:
            try:
                os.unlink(out / name)
            except FileNotFoundError:
                pass
    except OSError as error:
        if forward_only:
            raise
        _roll_back(stage, out, moves + removes, done)
        (stage / _JOURNAL).unlink(missing_ok=True)
        return (error.errno or 0, f"{error.strerror or error} ({Path(error.filename or '').name or out})")
    (stage / _JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(stage, ignore_errors=True)
    return None


def _replace(source: Path, target: Path) -> None:
    """One rename of the swap (a seam for tests that slow the commit down)."""
    os.replace(source, target)


def _roll_back(stage: Path, out: Path, names: list[str], done: list[str]) -> None:
    for name in names:
        kept = stage / _OLD / name
        try:
            if kept.exists():
                os.replace(kept, out / name)
            elif name in done:
                os.unlink(out / name)
        except OSError:
            pass  # best effort: the file that failed is the one we could not change


def _write_synced(path: Path, text: str) -> None:
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file left behind), so two runs
    into the same folder swap one after the other, and recovery never races a swap."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
