"""Paths and limits, read from environment variables with sane defaults: the one place for them."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def _int(var: str, default: int) -> int:
    value = os.environ.get(var)
    return int(value) if value else default


DATA_DIR: Path = _path("GENRELAB_DATA_DIR", ROOT / "data")
MODELS_DIR: Path = _path("GENRELAB_MODELS_DIR", ROOT / "models")
DEMO_DIR: Path = DATA_DIR / "demo"
UNPACK_DIR: Path = DATA_DIR / "unpacked"
FEATURES_DIR: Path = DATA_DIR / "features"
GTZAN_META_DIR: Path = ROOT / "data" / "gtzan"

#: Sample rate every clip is decoded to (GTZAN's own rate).
SAMPLE_RATE: int = 22050
#: Archives: most bytes they may unpack to, and most members they may hold.
MAX_ARCHIVE_BYTES: int = _int("GENRELAB_MAX_ARCHIVE_MB", 4096) * 2**20
MAX_ARCHIVE_MEMBERS: int = _int("GENRELAB_MAX_ARCHIVE_MEMBERS", 20000)
#: Largest upload in bytes: Streamlit's own limit (``server.maxUploadSize`` in
#: .streamlit/config.toml), which core enforces too.
MAX_UPLOAD_BYTES: int = (
    tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    * 2**20
)
#: Longest stretch of one uploaded clip that is analysed, in seconds.
MAX_ANALYSIS_SECONDS: float = float(_int("GENRELAB_MAX_ANALYSIS_SECONDS", 600))
#: Audio file extensions recognised in folder-per-label datasets.
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".flac", ".ogg", ".mp3")
IMAGE_EXTENSIONS: tuple[str, ...] = (".png",)
