"""Which machine and which code a benchmark number was measured on: a rate means nothing
without them, and this project's machine is shared, so the load average is printed too."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except ImportError:
        return "not installed"


def commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "loopholes"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (loopholes/ modified)" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe() -> list[str]:
    """Lines naming the CPU, cores, Python, numpy and Hypothesis, the code and the load."""
    import loopholes

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return [
        f"machine: {cpu_model()}, {usable_cores()} usable cores of {os.cpu_count()}, {platform.system()} "
        f"{platform.machine()}",
        f"software: Python {platform.python_version()} ({platform.python_implementation()}), numpy "
        f"{_version('numpy')}, hypothesis {_version('hypothesis')}",
        f"code: loopholes from {Path(loopholes.__file__).parent} at commit {commit()}",
        f"load average before the run (1, 5, 15 min): {load}  (a shared machine makes every time noisy)",
    ]
