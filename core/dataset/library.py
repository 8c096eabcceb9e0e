"""Where datasets live: the demo set, folders under ``data/``, and uploaded archives."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from core.access import Actor, authorize
from core.dataset.archive import is_archive
from core.errors import DatasetError
from core.settings import DATA_DIR, DEMO_DIR, FEATURES_DIR, UNPACK_DIR

DEMO = "demo"
UPLOAD_DIR = DATA_DIR / "uploads"
#: Folders of ``data/`` that hold something else than a dataset (the demo is listed on its own).
_NOT_DATASETS = {p.name for p in (FEATURES_DIR, UNPACK_DIR, UPLOAD_DIR, DEMO_DIR)} | {
    "downloads",
    "flags",
}


def resolve(spec: str | Path) -> Path:
    """A dataset path from what a user typed: ``"demo"`` (generated on first use) or a path."""
    if str(spec) == DEMO:
        from core.demo import ensure_demo

        return ensure_demo(DEMO_DIR)
    return Path(spec).expanduser()


def local_datasets(data_dir: Path = DATA_DIR) -> list[Path]:
    """Folders under ``data/`` (and unpacked archives) that may hold a dataset, by name."""
    found: list[Path] = []
    for parent in (data_dir, data_dir / UNPACK_DIR.name):
        if parent.is_dir():
            found += sorted(
                p
                for p in parent.iterdir()
                if p.is_dir()
                and not p.name.startswith((".", "tmp"))
                and p.name not in _NOT_DATASETS
            )
    return found


def save_upload(
    name: str, data: bytes, upload_dir: Path = UPLOAD_DIR, actor: Actor | None = None
) -> Path:
    """Store an uploaded archive under a content-addressed name, atomically; return its path.

    ``actor`` (None: the local user) must be allowed to write (AccessError for a viewer).
    """
    authorize(actor, "upload datasets")
    suffix = "".join(Path(name).suffixes[-2:]).lower()
    if not is_archive(Path(f"x{suffix}")):
        raise DatasetError(f"{name} is not a .zip or .tar.gz archive.")
    upload_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = upload_dir / f"{Path(name).name.removesuffix(suffix)}-{digest}{suffix}"
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=upload_dir, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    return target
