"""Folders published by rename: built out of sight, then renamed into place whole.

A folder is built in a hidden sibling (``.tmp-<name>-<pid>-<token>``), its files and folders are
synced to disk, then it is renamed to its final name, so readers see no folder or a complete
one, even if the builder is killed. Folders are deleted the same way in reverse (renamed to
``.trash-<name>-<pid>-<token>``, then removed). A killed process leaves such a hidden folder
behind; :func:`remove_leftovers` removes those whose process is gone::

    with publishing(root / key) as tmp:
        (tmp / "data.npy").write_bytes(...)
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from core.storage.atomic import fsync_dir
from core.storage.process import pid_alive

_LEFTOVER_RE = re.compile(r"^\.(?:tmp|trash)-.+-(?P<pid>\d+)-[0-9a-f]{8}$")


def _sibling(dest: Path, kind: str) -> Path:
    return dest.with_name(f".{kind}-{dest.name}-{os.getpid()}-{secrets.token_hex(4)}")


def temp_dir(dest: str | os.PathLike) -> Path:
    """Create and return a new hidden folder beside ``dest`` to build it in (see module doc)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(dest, "tmp")
    tmp.mkdir()
    return tmp


def publish(tmp: str | os.PathLike, dest: str | os.PathLike, *, replace: bool = False) -> None:
    """Sync the finished folder ``tmp`` to disk and rename it to ``dest``.

    Raises FileExistsError if ``dest`` exists (another process published it first), unless
    ``replace``, which swaps the old folder out (to be deleted) and the new one in.
    """
    tmp, dest = Path(tmp), Path(dest)
    _fsync_tree(tmp)
    old = None
    if replace and dest.exists():
        old = _sibling(dest, "trash")
        os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except OSError as exc:
        if dest.exists():
            raise FileExistsError(f"{dest} was published meanwhile") from exc
        raise
    fsync_dir(dest.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def publishing(dest: str | os.PathLike, *, replace: bool = False) -> Iterator[Path]:
    """Yield a hidden temporary folder; when the block succeeds it becomes ``dest``.

    On an error (or a kill) nothing appears at ``dest``; see :func:`publish` for ``replace`` and
    the FileExistsError raised when ``dest`` appeared meanwhile.
    """
    tmp = temp_dir(dest)
    try:
        yield tmp
        publish(tmp, dest, replace=replace)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already once published


def discard(path: str | os.PathLike) -> None:
    """Delete the folder ``path``: it disappears at once (renamed away), then is removed."""
    trash = _sibling(Path(path), "trash")
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def remove_leftovers(folder: str | os.PathLike) -> None:
    """Remove the temporary and trash folders under ``folder`` of processes that are gone."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        match = _LEFTOVER_RE.match(path.name)
        if match and not pid_alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    """Sync every file and folder under ``folder`` (so a rename never publishes unwritten data)."""
    for parent, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError), open(os.path.join(parent, name), "rb") as f:
                os.fsync(f.fileno())
        fsync_dir(parent)
