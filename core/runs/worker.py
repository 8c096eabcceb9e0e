"""Run one queued run in this process: ``python -m core.runs.worker RUN_DIR``.

The worker claims the run (queued -> running, with its pid), calls the run's executor and
records how it ended. The executor is named in the run's config as ``"module:function"``
(``RunConfig.executor``, default ``core.runs.config.DEFAULT_EXECUTOR``) and is called as::

    executor(run, on_event=run.append_event, should_stop=run.cancel_requested)

It writes the run's files through ``run`` (``write_history``, ``write_summary``...), reports
progress with ``on_event(event)`` (a :mod:`core.runs.events` event, or its dict), polls
``should_stop()`` between batches or epochs and raises :class:`core.errors.Cancelled` when it
returns true. Returning normally means completed.

Configs may come from imported archives, so only executors inside the packages named by the
``GENRELAB_EXECUTOR_PACKAGES`` environment variable (comma separated, default ``core``) may
run; the test suite adds ``tests``.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from core import settings
from core.errors import Cancelled, ParamsError
from core.runs import Run, RunStatus, files
from core.storage.atomic import write_text

_EXECUTOR_RE = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)")


def allowed_packages() -> tuple[str, ...]:
    """Top-level packages executors may come from (``GENRELAB_EXECUTOR_PACKAGES``)."""
    return settings.current().executor_packages


def check_executor(name: str) -> tuple[str, str]:
    """Validate an executor name without importing it; returns ``(module, function)``."""
    match = _EXECUTOR_RE.fullmatch(name) if isinstance(name, str) else None
    if not match:
        raise ParamsError(f"Executor {name!r} must look like 'package.module:function'.")
    module, function = match.groups()
    if module.split(".")[0] not in allowed_packages():
        allowed = ", ".join(allowed_packages())
        raise ParamsError(f"Executor {name!r} is not allowed: it must come from {allowed}.")
    return module, function


def resolve_executor(name: str) -> Callable:
    """Import the executor ``"module:function"`` after checking it is allowed."""
    module, function = check_executor(name)
    executor = getattr(importlib.import_module(module), function, None)
    if not callable(executor):
        raise ParamsError(f"Executor {name!r} is not a function.")
    return executor


def _cancel_on_sigterm(signum: int, frame: object) -> None:
    raise Cancelled("The job was stopped.")


def main(run_dir: str | os.PathLike) -> int:
    """Run the queued run in ``run_dir``; returns the process exit status (0 once recorded)."""
    run = Run.from_dir(Path(run_dir))
    if not run.set_status(RunStatus.RUNNING, pid=os.getpid(), only_from=[RunStatus.QUEUED]):
        return 0  # cancelled, or claimed by another worker, before this one started
    signal.signal(signal.SIGTERM, _cancel_on_sigterm)
    try:
        if run.cancel_requested():
            raise Cancelled("The job was cancelled before it started.")
        executor = resolve_executor(run.run_config.executor)
        executor(run, on_event=run.append_event, should_stop=run.cancel_requested)
    except (Cancelled, KeyboardInterrupt):
        run.set_status(RunStatus.CANCELLED, only_from=[RunStatus.RUNNING])
    except Exception as exc:
        write_text(run.dir / files.ERROR, traceback.format_exc())
        error = f"{type(exc).__name__}: {exc}"
        run.set_status(RunStatus.FAILED, error, only_from=[RunStatus.RUNNING])
    else:
        run.set_status(RunStatus.COMPLETED, only_from=[RunStatus.RUNNING])
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m core.runs.worker RUN_DIR")
    sys.exit(main(sys.argv[1]))
