"""Storage: atomic writes, folders published by rename, locks and process checks.

The only home of these: :mod:`~core.storage.atomic` (whole files), :mod:`~core.storage.publish`
(whole folders), :mod:`~core.storage.lock` (file locks), :mod:`~core.storage.process` (pids).
"""

from core.storage.atomic import (
    atomic_path,
    dumps,
    fsync_dir,
    open_atomic,
    save_npy,
    write_bytes,
    write_json,
    write_text,
)
from core.storage.lock import FileLock, LockTimeout, locked, try_lock
from core.storage.process import pid_alive
from core.storage.publish import discard, publish, publishing, remove_leftovers, temp_dir

__all__ = [
    "FileLock",
    "LockTimeout",
    "atomic_path",
    "discard",
    "dumps",
    "fsync_dir",
    "locked",
    "open_atomic",
    "pid_alive",
    "publish",
    "publishing",
    "remove_leftovers",
    "save_npy",
    "temp_dir",
    "try_lock",
    "write_bytes",
    "write_json",
    "write_text",
]
