"""Whether a recorded process id still names the process that wrote it.

Examples
--------
>>> import os
>>> process_alive(os.getpid()), process_alive(None)
(True, False)
"""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int | None, marker: str | None = None) -> bool:
    """Whether process ``pid`` is running (and, with ``marker``, has it in its command line).

    A recycled pid belongs to another program, and a zombie has an empty command line: both
    are not alive when a ``marker`` is given. Without ``/proc`` the pid alone is trusted.
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if marker is None:
        return True
    try:
        return marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
