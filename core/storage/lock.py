"""Exclusive file locks between processes (``fcntl.flock``), released when the holder exits.

::

    with locked(root / ".submit.lock"):        # wait for it
        ...
    with locked(path, timeout=0):              # LockTimeout at once if another holds it
        ...
    held = try_lock(path)                      # held for as long as you like, or None
    if held is not None:
        held.release()
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from core.errors import GenreLabError

_POLL_S = 0.05


class LockTimeout(GenreLabError, TimeoutError):
    """Another process held the lock for longer than the timeout."""


class FileLock:
    """An exclusive lock on the file ``path`` (created if missing), held until :meth:`release`."""

    def __init__(self, path: str | os.PathLike, timeout: float | None = None) -> None:
        """Acquire the lock, waiting at most ``timeout`` seconds (None: forever; 0: one try)."""
        self.path = Path(path)
        self._file = open(self.path, "a")  # noqa: SIM115 (held until release)
        deadline = None if timeout is None else time.monotonic() + timeout
        flags = fcntl.LOCK_EX if timeout is None else fcntl.LOCK_EX | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(self._file, flags)
                return
            except BlockingIOError:
                if deadline is None or time.monotonic() >= deadline:
                    self._file.close()
                    raise LockTimeout(f"{self.path} is locked by another process.") from None
                time.sleep(_POLL_S)

    def release(self) -> None:
        """Release the lock (closing the file; a second call does nothing)."""
        self._file.close()


@contextlib.contextmanager
def locked(path: str | os.PathLike, timeout: float | None = None) -> Iterator[FileLock]:
    """Hold the lock on ``path`` for the block; see :class:`FileLock` for ``timeout``."""
    held = FileLock(path, timeout)
    try:
        yield held
    finally:
        held.release()


def try_lock(path: str | os.PathLike) -> FileLock | None:
    """The lock on ``path`` if it is free now (release it when done), else None."""
    try:
        return FileLock(path, timeout=0)
    except LockTimeout:
        return None
