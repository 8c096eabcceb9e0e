"""Whether a process is alive (for locks and leftovers of processes that may have died)."""

from __future__ import annotations

import os
from pathlib import Path


def process_started(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot, from ``/proc``), or None when it
    does not exist, is a zombie, or there is no ``/proc``: with its pid, a process's identity.

    >>> process_started(os.getpid()) == process_started(os.getpid())
    True
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return None if fields[0] == "Z" else int(fields[19])  # fields 3 and 22 (after the name)
    except (OSError, IndexError, ValueError):
        return None


def pid_alive(pid: int, marker: str | None = None, started: int | None = None) -> bool:
    """Whether process ``pid`` exists (and, given ``marker``, has it in its command line; given
    ``started``, started then: see :func:`process_started`).

    ``marker`` and ``started`` guard against a recycled pid now used by another program; a
    zombie has an empty command line and counts as dead then. Without ``/proc`` the pid alone
    decides::

        pid_alive(os.getpid())  # True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    if started is not None and os.path.isdir("/proc"):
        return process_started(pid) == started
    if marker is None:
        return True
    try:
        return marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid
