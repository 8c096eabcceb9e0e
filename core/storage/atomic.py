"""Atomic file writes: readers see the old file or the new one, never half of one.

Every helper writes to a temporary file in the target's folder, flushes it to disk, then
``os.replace``-s it over the target and syncs the folder, so a crash or a full disk leaves the
previous version (or nothing) in place and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make renames inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` when the block succeeds.

    The temporary name keeps the target's suffix, for writers that insist on one
    (``keras.Model.save`` wants ``.keras``, ``np.save`` appends ``.npy`` otherwise)::

        with atomic_path(fold_dir / "model.keras") as tmp:
            model.save(tmp)
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


@contextlib.contextmanager
def open_atomic(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = None
) -> Iterator[IO]:
    """Open a temporary file for writing (``"w"`` or ``"wb"``); it replaces ``path`` on success."""
    if mode not in ("w", "wb"):
        raise ValueError(f"open_atomic writes whole files: mode must be 'w' or 'wb', not {mode!r}")
    if mode == "w" and encoding is None:
        encoding = "utf-8"
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding) as f:
        yield f


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``."""
    with open_atomic(path, "wb") as f:
        f.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically replace ``path`` with ``text`` (UTF-8)."""
    write_bytes(path, text.encode("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """``json.dumps`` fallback: NumPy scalars and arrays, paths, enums and dataclasses."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "tolist"):  # NumPy arrays and scalars, without importing NumPy here
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps(obj: Any) -> str:
    """Serialise ``obj`` as indented JSON, with :func:`to_jsonable` for non-JSON types."""
    return json.dumps(obj, indent=2, default=to_jsonable)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically replace ``path`` with ``obj`` as indented JSON (see :func:`to_jsonable`)."""
    write_text(path, dumps(obj) + "\n")


def save_npy(path: str | os.PathLike, array: Any) -> None:
    """Atomically replace ``path`` with ``array`` in NumPy's ``.npy`` format."""
    import numpy as np

    with open_atomic(path, "wb") as f:
        np.save(f, np.asarray(array), allow_pickle=False)
