"""Disk usage by category and user, and quotas in hosted mode.

Four categories hold what users make: uploaded archives (``uploads``), archives unpacked
(``datasets``), feature stores (``features``) and runs (``runs``); the owner of each is
recorded when it is written (:func:`claim`); :func:`core.access.delete_stored` deletes one. In
hosted mode (``GENRELAB_HOSTED=1``) every write first asks :func:`check_room`, which raises
:class:`~core.errors.QuotaError` when it would pass the user's quota
(``GENRELAB_QUOTA_USER_MB``) or the server's (``GENRELAB_QUOTA_TOTAL_MB``). A write that
takes time holds its bytes with :func:`reserve` while it writes, so that two writes at once (two
sessions of one user uploading together) cannot pass a quota together::

    check_room("ann", len(data), "upload this archive")   # a quick check
    with reserve("ann", len(data), "upload this archive"):  # checked and held while writing
        ...
    table = usage()                                         # user, category, items, bytes
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core import settings
from core.errors import QuotaError

if TYPE_CHECKING:
    import pandas as pd

CATEGORIES: dict[str, str] = {
    "uploads": "uploaded archives",
    "datasets": "unpacked datasets",
    "features": "feature stores",
    "runs": "runs",
}
_OWNERS = ".owners"
_RESERVED = ".reserved"


@dataclass(frozen=True)
class Item:
    """One stored thing: its category, name (file or folder name), path, owner and size."""

    category: str
    name: str
    path: Path
    user: str
    bytes: int


def roots() -> dict[str, Path]:
    """The folder of each category."""
    s = settings.current()
    return {
        "uploads": s.uploads_dir,
        "datasets": s.unpack_dir,
        "features": s.features_dir,
        "runs": s.models_dir,
    }


def claim(category: str, path: str | os.PathLike, user: str) -> None:
    """Record ``user`` as the owner of ``path``, an item of ``category`` just written."""
    from core.storage.atomic import write_text

    record = _record(category, Path(path).name)
    record.parent.mkdir(parents=True, exist_ok=True)
    write_text(record, user)


def forget(category: str, name: str) -> None:
    """Drop the owner record of a deleted item."""
    _record(category, name).unlink(missing_ok=True)


def owner(category: str, path: str | os.PathLike) -> str:
    """Who owns ``path`` ('' when nobody is recorded: the server's own)."""
    try:
        return _record(category, Path(path).name).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def items(user: str | None = None) -> list[Item]:
    """Every stored item (of ``user`` only, when given), by category then name."""
    found = []
    for category, root in roots().items():
        if not root.is_dir():
            continue
        for path in sorted(root.iterdir()):
            if path.name.startswith(".") or (category == "runs" and not path.is_dir()):
                continue
            who = owner(category, path)
            if user is None or who == user:
                found.append(Item(category, path.name, path, who, _size(path)))
    return found


def usage() -> pd.DataFrame:
    """Bytes and items per user and category (``user`` '' is the server's own)."""
    import pandas as pd

    rows = [(i.user, i.category, i.bytes) for i in items()]
    table = pd.DataFrame(rows, columns=["user", "category", "bytes"])
    return (
        table.groupby(["user", "category"], as_index=False)
        .agg(items=("bytes", "size"), bytes=("bytes", "sum"))
        .sort_values(["user", "category"], ignore_index=True)
    )


def room(user: str) -> int | None:
    """Bytes ``user`` may still write (None: no quota, outside hosted mode)."""
    if not settings.current().hosted:
        return None
    return min(max(limit - used, 0) for used, limit, _, _ in _quotas(user))


def check_room(user: str, more: int, what: str) -> None:
    """Raise QuotaError when ``user`` writing ``more`` bytes (to ``what``) would pass a quota.

    Outside hosted mode there are no quotas. ``more=0`` checks that the user is not over one.
    """
    if not settings.current().hosted:
        return
    for used, limit, whose, var in _quotas(user):
        if used + more > limit or (more == 0 and used >= limit):
            raise QuotaError(
                f"Cannot {what}: it needs {_mb(more)} and {whose} disk quota of {_mb(limit)} "
                f"({var}) has {_mb(max(limit - used, 0))} left. Delete uploads, datasets, "
                "feature stores or runs you no longer need (Home page, Storage)."
            )


@contextlib.contextmanager
def reserve(user: str, more: int, what: str, up_to: bool = False) -> Iterator[int | None]:
    """Check that ``user`` may write ``more`` bytes (to ``what``; QuotaError otherwise) and hold
    them, counted as used, until the block ends; yields the bytes held (None outside hosted
    mode, where there are no quotas). With ``up_to``, hold what is left of the quotas, at most
    ``more``, instead of refusing.

    The check and the reservation happen under one lock, so concurrent writers are counted
    against each other; a reservation of a killed process is ignored (its pid is gone).
    """
    from core.storage.atomic import write_json
    from core.storage.lock import locked

    if not settings.current().hosted:
        yield None
        return
    folder = _reservations()
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / ".lock"):
        if up_to:
            more = min(more, room(user) or 0)
        check_room(user, more, what)
        record = folder / f"{os.getpid()}-{secrets.token_hex(6)}.json"
        write_json(record, {"user": user, "bytes": int(more)})
    try:
        yield more
    finally:
        record.unlink(missing_ok=True)


def _reserved() -> list[tuple[str, int]]:
    """``(user, bytes)`` of every reservation held by a live process."""
    from core.storage.process import pid_alive

    held, folder = [], _reservations()
    for record in folder.glob("*.json") if folder.is_dir() else ():
        pid = record.name.split("-", 1)[0]
        try:
            if not (pid.isdigit() and pid_alive(int(pid))):
                record.unlink(missing_ok=True)  # its writer was killed
                continue
            data = json.loads(record.read_text(encoding="utf-8"))
            held.append((str(data["user"]), int(data["bytes"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # released meanwhile, or being written
    return held


def _reservations() -> Path:
    return settings.current().data_dir / _OWNERS / _RESERVED


def _quotas(user: str) -> list[tuple[int, int, str, str]]:
    """``(used, limit, whose, variable)`` of each quota that applies to ``user``: theirs (not
    for '', the server's own) and the server's; bytes reserved by writes under way count as
    used."""
    s = settings.current()
    everything = [(i.user, i.bytes) for i in items()] + _reserved()
    total = sum(n for _, n in everything)
    quotas = [(total, s.quota_total_mb * 2**20, "this server's", "GENRELAB_QUOTA_TOTAL_MB")]
    if user:
        mine = sum(n for who, n in everything if who == user)
        quotas.insert(0, (mine, s.quota_user_mb * 2**20, "your", "GENRELAB_QUOTA_USER_MB"))
    return quotas


def _record(category: str, name: str) -> Path:
    return settings.current().data_dir / _OWNERS / category / name


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for parent, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                continue  # removed meanwhile
    return total


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 or n == 0 else f"{n / 2**20:.2f} MB"
