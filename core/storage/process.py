"""Whether a process is alive (for locks and leftovers of processes that may have died)."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int, marker: str | None = None) -> bool:
    """Whether process ``pid`` exists (and, given ``marker``, has it in its command line).

    ``marker`` guards against a recycled pid now used by another program; a zombie has an empty
    command line and counts as dead then. Without ``/proc`` the pid alone decides::

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
    if marker is None:
        return True
    try:
        return marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid
