"""Run Python code in a child process and measure it: exit code, output, peak RSS.

The peak is the child's own ``VmHWM`` (``/proc/self/status``, read as it exits): unlike the
``ru_maxrss`` of ``wait4`` it starts afresh at ``exec``, so the memory of the test process that
forked it does not count.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_MARK = "@@peak-kB"
_REPORT = (
    "import atexit\n"
    "def _peak():\n"
    "    status = open('/proc/self/status').read()\n"
    f"    print('\\n{_MARK}', status.split('VmHWM:')[1].split()[0], flush=True)\n"
    "atexit.register(_peak)\n"
)


@dataclass(frozen=True)
class Child:
    """What a finished child process left: its exit code, its output and its peak RSS (MB)."""

    returncode: int
    output: str
    peak_mb: float


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 300) -> Child:
    """Run ``code`` with this interpreter in the checkout's root, killed after ``timeout`` s."""
    done = subprocess.run(
        [sys.executable, "-c", _REPORT + code],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    output, _, peak = done.stdout.decode(errors="replace").rpartition(f"\n{_MARK} ")
    if not peak.strip().isdigit():
        raise AssertionError(f"the child did not report its peak memory:\n{done.stdout!r}")
    return Child(done.returncode, output, int(peak) / 1024)
