"""Generating the demo dataset as a job, so a page shows its progress instead of blocking.

The command line keeps calling :func:`core.demo.ensure_demo` inline. A cancelled generation
leaves no demo (the set is published by renaming a complete folder).

>>> demo_config().kind
'demo'
"""

from __future__ import annotations

from collections.abc import Callable

from core.demo.generate import ensure_demo
from core.errors import Cancelled
from core.runs import Run, RunConfig
from core.runs.kinds import DEMO, report

EXECUTOR = "core.runs.kinds.demo:execute_demo"


def demo_config() -> RunConfig:
    """The config of a demo-generation job."""
    return RunConfig(kind=DEMO, executor=EXECUTOR)


def execute_demo(
    run: Run, on_event: Callable[[dict], None], should_stop: Callable[[], bool]
) -> None:
    """Generate the demo dataset into the settings' ``demo_dir`` unless it is complete already."""

    def progress(done: int, total: int) -> None:
        report(on_event, done / total, f"Synthesising clip {done} / {total}")
        if should_stop():
            raise Cancelled("The demo generation was cancelled.")

    ensure_demo(None, progress)
    report(on_event, 1.0, "The demo dataset is ready.")
