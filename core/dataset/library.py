"""Where datasets live: the demo set, folders under ``data/``, and uploaded archives."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from core import settings
from core.dataset.archive import ArchiveTooLarge, archive_dest, is_archive, unpack_archive
from core.errors import DatasetError
from core.policy import AccessError, Actor, authorize
from core.storage import quota
from core.storage.atomic import write_bytes

DEMO = "demo"


def resolve(spec: str | Path) -> Path:
    """A dataset path from what a user typed: ``"demo"`` (generated on first use) or a path."""
    if str(spec) == DEMO:
        from core.demo import ensure_demo

        return ensure_demo()
    return Path(spec).expanduser()


def check_dataset_spec(spec: str, data_dir: str | os.PathLike) -> str:
    """Hosted mode: ``spec`` itself if it is the demo or a path inside ``data_dir``.

    Symbolic links and ``..`` are resolved first, so neither leads outside. Raises AccessError
    for anything else (a server path typed in a URL, say).
    """
    if spec == DEMO:
        return spec
    root = Path(data_dir).resolve()
    if not Path(spec).expanduser().resolve().is_relative_to(root):
        raise AccessError(
            "On this server datasets come only from its data folder or from uploaded archives; "
            f"{spec!r} is outside it."
        )
    return spec


def local_datasets() -> list[Path]:
    """Folders under ``data/`` (and unpacked archives) that may hold a dataset, by name."""
    s = settings.current()
    # Folders of data/ that hold something else than a dataset (the demo is listed on its own).
    others = (s.features_dir, s.unpack_dir, s.uploads_dir, s.demo_dir, s.flags_dir)
    not_datasets = {p.name for p in others} | {"downloads"}
    found: list[Path] = []
    for parent in (s.data_dir, s.unpack_dir):
        if parent.is_dir():
            found += sorted(
                p
                for p in parent.iterdir()
                if p.is_dir() and not p.name.startswith((".", "tmp")) and p.name not in not_datasets
            )
    return found


def save_upload(
    name: str, data: bytes, upload_dir: Path | None = None, actor: Actor | None = None
) -> Path:
    """Store an uploaded archive under a content-addressed name, atomically; return its path
    (in ``upload_dir``, default the settings' ``uploads_dir``).

    ``actor`` (None: the local user) must be allowed to write (AccessError for a viewer); the
    upload is theirs, and in hosted mode their disk quota is checked first (QuotaError).
    """
    user = authorize(actor, "upload datasets").user
    suffix = "".join(Path(name).suffixes[-2:]).lower()
    if not is_archive(Path(f"x{suffix}")):
        raise DatasetError(f"{name} is not a .zip or .tar.gz archive.")
    upload_dir = Path(upload_dir) if upload_dir is not None else settings.current().uploads_dir
    upload_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = upload_dir / f"{Path(name).name.removesuffix(suffix)}-{digest}{suffix}"
    if not target.exists():
        with quota.reserve(user, len(data), f"upload {Path(name).name}"):
            write_bytes(target, data)
            quota.claim("uploads", target, user)
    return target


def unpack_dataset(archive: Path, unpack_root: Path | None = None) -> Path:
    """Unpack a dataset archive once (see :func:`core.dataset.archive.unpack_archive`) into a
    folder of ``unpack_root`` (default the settings' ``unpack_dir``) owned by the archive's
    uploader, within their disk quota in hosted mode."""
    s = settings.current()
    dest = archive_dest(archive, unpack_root)
    if dest.is_dir():
        return dest
    user = quota.owner("uploads", archive) if archive.parent == s.uploads_dir else ""
    what = f"unpack {archive.name}"
    try:  # hold what is left of the quota (up to the archive limit) while unpacking
        with quota.reserve(user, s.max_archive_bytes, what, up_to=True) as held:
            limit = s.max_archive_bytes if held is None else held
            unpack_archive(archive, dest, max_bytes=limit)
            quota.claim("datasets", dest, user)
    except ArchiveTooLarge as exc:
        if limit < s.max_archive_bytes:
            quota.check_room(user, exc.needed, what)  # says which quota
        raise
    return dest
