"""Run Python code in a child process and measure it from outside: exit code, output, peak RSS.

Bounds on memory are shown this way (``os.wait4`` gives the child's own peak resident set),
so a test process that already holds much memory does not blur the figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Child:
    """What a finished child process left: its exit code, its output and its peak RSS (MB)."""

    returncode: int
    output: str
    peak_mb: float


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 300) -> Child:
    """Run ``code`` with this interpreter in the checkout's root, killed after ``timeout`` s."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        output = out.read().decode(errors="replace")
    return Child(proc.returncode, output, usage.ru_maxrss / 1024)
