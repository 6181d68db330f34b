"""Run many independent tasks (the searches of a comparison, a report or a sweep of
candidate rules) through one interface, in this process, in a local process pool, or on
Dask distributed, and get the results back in input order: each task is seeded on its
own, so whichever executor ran it, and in whatever order tasks finished, the results are
the same, byte for byte.

A task is a module-level function and plain picklable data (rule ids, paths, rule-file
mappings), never a loaded Policy: a rule built from a file holds closures that plain
pickle refuses, so the worker builds it from the data."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any, Callable, Iterable, Sequence

from .errors import LoopholesError, UsageError, one_line

CONNECT_SECONDS = 5.0
"""How long `--scheduler` waits for a Dask scheduler to answer, and then for a worker to
be there: a wrong address is an error in seconds, not a hang."""

class Executor:
    """Runs `fn` over items and returns the results in input order (see `map`). Use it as
    a context manager: executors that start workers or connect to a cluster release them
    on exit, Ctrl-C included."""

    name = "executor"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *, costs: Sequence[float] | None = None,
            progress: Callable[[int, int], None] | bool | None = None, label: str = "tasks") -> list[Any]:
        """`[fn(item) for item in items]`, computed by this executor's workers.

        `costs` (one per item) only guess how long each task takes: the costliest are
        started first, so no worker is left alone with a long task at the end; they never
        change a result. `progress`: a function called with (done, total) after each
        task; True for a bar on stderr (done/total, ETA); None for that bar only when
        stderr is a terminal; False for nothing. The first task that raises stops the
        others, and its exception reaches the caller as it was raised."""
        items = list(items)
        if costs is not None and len(costs) != len(items):
            raise ValueError(f"{len(costs)} costs for {len(items)} tasks")
        tracker = _Tracker(progress, len(items), label)
        try:
            if not items:
                return []
            return self._run(fn, items, submission_order(costs, len(items)), tracker.update)
        finally:
            tracker.close()

    def _run(self, fn: Callable[[Any], Any], items: list[Any], order: list[int],
             done: Callable[[], None]) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and connections (nothing for the in-process executors)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def submission_order(costs: Sequence[float] | None, n: int) -> list[int]:
    """Indices in the order tasks are handed out: by decreasing cost (longest processing
    time first), input order among equals; input order without costs."""
    if costs is None:
        return list(range(n))
    return sorted(range(n), key=lambda i: (-costs[i], i))


class SerialExecutor(Executor):
    """Every task in this process, in input order: one worker has nothing to schedule,
    and a task may hold what does not pickle (a loaded Policy)."""

    name = "serial"

    def _run(self, fn, items, order, done):
        out = []
        for item in items:
            out.append(fn(item))
            done()
        return out


class LocalExecutor(Executor):
    """A pool of `jobs` worker processes on this machine (the default). The workers die
    with the run and leave Ctrl-C and SIGTERM to it, which stops them (loopholes.guard)."""

    name = "local"

    def __init__(self, jobs: int = 2):
        if jobs < 1:
            raise UsageError("--jobs must be at least 1")
        self.jobs = jobs

    def _run(self, fn, items, order, done):
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from .guard import stop_pool, worker_init

        pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(items)), initializer=worker_init,
                                   initargs=(os.getpid(),))
        results: list[Any] = [None] * len(items)
        try:
            futures = {pool.submit(fn, items[i]): i for i in order}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done()
        except BaseException:  # Ctrl-C, SIGTERM or a failed task: stop the other tasks now
            stop_pool(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return results


class DaskExecutor(Executor):
    """Dask distributed: `workers=N` starts a LocalCluster of N single-threaded worker
    processes on this machine (and stops it on close); `scheduler="tcp://HOST:PORT"`
    connects to a running cluster, whose workers must have the same loopholes installed
    and see the same rule files at the same paths."""

    name = "dask"

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None,
                 timeout: float = CONNECT_SECONDS):
        if (workers is None) == (scheduler is None):
            raise UsageError("the Dask executor needs either --workers N or --scheduler ADDRESS")
        if workers is not None and workers < 1:
            raise UsageError("--workers must be at least 1")
        distributed = _import_dask()
        self.cluster = None
        self.where = f"a local Dask cluster of {workers} worker(s)" if workers else f"the Dask scheduler at {scheduler}"
        if workers is not None:
            try:
                self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                        dashboard_address=":0", silence_logs=logging.CRITICAL,
                                                        preload=[__name__])
                self.client = distributed.Client(self.cluster, set_as_default=False)
            except Exception as error:  # ports, processes or memory refused here
                self.close()
                raise UsageError(f"--workers {workers}: could not start a local Dask cluster "
                                 f"({type(error).__name__}: {one_line(str(error), 200)})") from None
        else:
            address = _probe(str(scheduler), timeout)
            try:
                self.client = distributed.Client(address, timeout=timeout, set_as_default=False)
            except Exception as error:  # not reached after a probe that connected, unless it went away since
                raise UsageError(f"--scheduler {one_line(address, 200)}: cannot connect "
                                 f"({type(error).__name__}: {one_line(str(error), 200)})") from None
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except Exception:
                self.close()
                raise UsageError(f"--scheduler {one_line(address, 200)}: the scheduler has no workers (none joined "
                                 f"within {timeout:g} s); start some with 'dask worker {one_line(address, 200)}'") from None

    def _run(self, fn, items, order, done):
        from dask.distributed import as_completed

        futures = {}
        try:
            for rank, i in enumerate(order):  # earlier in the order, higher priority: started first
                futures[self.client.submit(fn, items[i], pure=False, priority=len(order) - rank)] = i
            results: list[Any] = [None] * len(items)
            for future in as_completed(list(futures), loop=self.client.loop):
                results[futures[future]] = self._result(future)
                done()
            return results
        except BaseException:
            self.client.cancel(list(futures), force=True)
            raise

    def _result(self, future: Any) -> Any:
        try:
            return future.result()
        except (ImportError, AttributeError) as error:  # a worker without (this version of) loopholes
            if "loopholes" in str(error) and not isinstance(error, LoopholesError):
                raise UsageError(f"{self.where}: a worker cannot run the task ({type(error).__name__}: "
                                 f"{one_line(str(error), 200)}); install the same loopholes on every worker") from None
            raise

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), self.cluster
        self.client = self.cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def dask_setup(worker: Any) -> None:
    """Dask preload of the workers that `--workers` starts: Ctrl-C reaches the whole
    process group, and the run handles it (it closes the cluster, which stops them), so
    the workers ignore it instead of each printing a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_executor(jobs: int | None = 2, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor the command line asks for: `scheduler` or `workers` for Dask,
    otherwise `jobs` local processes (one: in this process)."""
    if workers is not None and scheduler is not None:
        raise UsageError("--workers starts a local Dask cluster and --scheduler connects to one: give one of them")
    if scheduler is not None or workers is not None:
        return DaskExecutor(workers=workers, scheduler=scheduler)
    jobs = 2 if jobs is None else jobs
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    return SerialExecutor() if jobs == 1 else LocalExecutor(jobs)


def _import_dask() -> Any:
    from .extras import missing

    if missing("dask"):
        raise UsageError("--workers and --scheduler run the searches on Dask, which is not installed here: "
                         "pip install 'loopholes[dask]'")
    import dask.distributed

    return dask.distributed


def _probe(address: str, timeout: float) -> str:
    """Connect once with Dask's own transport and hang up, so a wrong address is one
    clear error (and no half-built Client is left to complain when it is collected)."""
    from distributed.comm import connect

    async def knock() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    shown = one_line(address, 200)
    try:
        asyncio.run(knock())
    except ValueError as error:
        raise UsageError(f"--scheduler {shown} is not a scheduler address ({one_line(str(error), 200)}); "
                         "expected tcp://HOST:PORT") from None
    except OSError as error:
        raise UsageError(f"--scheduler {shown}: no Dask scheduler answered within {timeout:g} s "
                         f"({one_line(str(error), 200)})") from None
    except Exception as error:  # something answered, but not in Dask's protocol
        raise UsageError(f"--scheduler {shown}: what answered there is not a Dask scheduler "
                         f"({type(error).__name__}: {one_line(str(error), 200)})") from None
    return address


class _Tracker:
    """Counts finished tasks for `Executor.map` and passes them on to a callback or a
    tqdm bar on stderr (done/total, rate, ETA)."""

    def __init__(self, progress: Callable[[int, int], None] | bool | None, total: int, label: str):
        self.done, self.total, self.call, self.bar = 0, total, None, None
        if callable(progress):
            self.call = progress
        elif progress is True or (progress is None and sys.stderr.isatty()):
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="task", file=sys.stderr, leave=False, mininterval=0)

    def update(self) -> None:
        self.done += 1
        if self.call is not None:
            self.call(self.done, self.total)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
