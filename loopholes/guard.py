"""Keep a run bounded when a drafter's rule is not: a watchdog that names a rule stuck on
one lifecycle, SIGTERM that cleans up like Ctrl-C, and pool workers that never outlive
their run."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
from typing import Any, Callable, Iterator

from .errors import PolicyError

RULE_SECONDS = 30.0
"""How long one rule may take on one lifecycle (LOOPHOLES_RULE_SECONDS overrides): real
rules take well under a millisecond, the population-based ones a few on first use."""
TICK = 0.5


class _Stuck(BaseException):
    """Raised by the watchdog inside the stuck rule; a BaseException so that the rule's own
    `except Exception` (or the measure wrapper's) cannot swallow it."""


def rule_seconds() -> float:
    try:
        return max(float(os.environ.get("LOOPHOLES_RULE_SECONDS", RULE_SECONDS)), TICK)
    except ValueError:
        return RULE_SECONDS


@contextlib.contextmanager
def watch_rules(seconds: float | None = None) -> Iterator[None]:
    """Inside this block, a rule that spends more than `seconds` on one lifecycle stops
    the run with a PolicyError naming the policy, the rule, and the line it is at.

    A timer ticks every half second and looks at the rule being evaluated; the same
    evaluation (the same frame) seen for `seconds` is stuck. Costs nothing per
    evaluation. Only in the main thread of a POSIX process, and only when nobody else
    uses SIGALRM; elsewhere it does nothing."""
    limit = rule_seconds() if seconds is None else seconds
    if (not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)):
        yield
        return
    seen: dict[str, Any] = {"frame": None, "since": 0.0}

    def tick(signum: int, frame: Any) -> None:
        current = _rule_frame(frame)
        if current is None or current is not seen["frame"]:
            seen["frame"], seen["since"] = current, 0.0
            return
        seen["since"] += TICK
        if seen["since"] >= limit:
            raise _Stuck(_describe(current, frame, limit))

    previous = signal.signal(signal.SIGALRM, tick)
    signal.setitimer(signal.ITIMER_REAL, TICK, TICK)
    try:
        yield
    except _Stuck as stuck:
        raise PolicyError(str(stuck)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        seen.clear()


def _rule_frame(frame: Any) -> Any:
    """The innermost frame evaluating a rule (Rule.evaluate or Rule.triggers), if any."""
    from .rules.framework import Rule

    codes = (Rule.evaluate.__code__, Rule.triggers.__code__)
    while frame is not None:
        if frame.f_code in codes:
            return frame
        frame = frame.f_back
    return None


def _describe(rule_frame: Any, innermost: Any, limit: float) -> str:
    rule = rule_frame.f_locals.get("self")
    ctx = rule_frame.f_locals.get("ctx")
    policy = getattr(getattr(ctx, "policy", None), "id", "?")
    where = f"{innermost.f_code.co_name}() at {innermost.f_code.co_filename}:{innermost.f_lineno}"
    return (f"policy '{policy}', rule '{getattr(rule, 'id', '?')}' ({getattr(rule, 'clause', '?')}): still "
            f"evaluating one lifecycle after {limit:g} s, in {where}; a rule must give its verdict quickly "
            "(LOOPHOLES_RULE_SECONDS sets the limit)")


def watched(function: Callable) -> Callable:
    """`function` run under `watch_rules` (for the search and the check)."""
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with watch_rules():
            return function(*args, **kwargs)

    return run


# -- signals and worker processes ---------------------------------------------------------

class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so `finally` blocks clean up."""


@contextlib.contextmanager
def terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` for the block (main thread only), so staging
    folders are removed and workers stopped, instead of dying where it lands."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def worker_init(parent: int) -> None:
    """ProcessPoolExecutor initializer: the worker dies with its run (Linux: the kernel
    kills it when the parent dies, SIGKILL included) and leaves Ctrl-C to the parent,
    which stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's clean-up handler: stop_pool must stop it
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the run died before the line above took effect
        os._exit(1)


def stop_pool(pool: Any) -> None:
    """Stop a ProcessPoolExecutor now: running searches are killed, not awaited."""
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
