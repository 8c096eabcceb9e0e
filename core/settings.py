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


def _flag(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on")


DATA_DIR: Path = _path("GENRELAB_DATA_DIR", ROOT / "data")
MODELS_DIR: Path = _path("GENRELAB_MODELS_DIR", ROOT / "models")
DEMO_DIR: Path = DATA_DIR / "demo"
UNPACK_DIR: Path = DATA_DIR / "unpacked"
FEATURES_DIR: Path = DATA_DIR / "features"

#: Hosted mode (``GENRELAB_HOSTED=1``), for a server others use: datasets only from DATA_DIR,
#: the demo or uploaded archives; smaller upload and archive limits; a job cap per user.
HOSTED: bool = _flag("GENRELAB_HOSTED")
#: Hosted mode: most jobs one user may have queued or running at once (0: no limit).
MAX_QUEUED_PER_USER: int = _int("GENRELAB_MAX_QUEUED_PER_USER", 3)

#: Hosted mode: disk quotas in MB, per user and for everyone together, over uploads, unpacked
#: datasets, feature stores and runs (see core.quota); a write that would pass one is refused.
QUOTA_USER_BYTES: int = _int("GENRELAB_QUOTA_USER_MB", 5120) * 2**20
QUOTA_TOTAL_BYTES: int = _int("GENRELAB_QUOTA_TOTAL_MB", 51200) * 2**20

#: Threads a training process gives its framework (PyTorch intra-op, TensorFlow intra-op).
TRAIN_THREADS: int = _int("GENRELAB_TRAIN_THREADS", 2)
#: Sample rate every clip is decoded to (GTZAN's own rate).
SAMPLE_RATE: int = 22050
#: Archives: most bytes they may unpack to, and most members they may hold.
MAX_ARCHIVE_BYTES: int = _int("GENRELAB_MAX_ARCHIVE_MB", 2048 if HOSTED else 4096) * 2**20
MAX_ARCHIVE_MEMBERS: int = _int("GENRELAB_MAX_ARCHIVE_MEMBERS", 20000)
#: Streamlit's own upload limit in MB (``server.maxUploadSize`` in .streamlit/config.toml, or
#: its environment variable).
_STREAMLIT_UPLOAD_MB: int = _int(
    "STREAMLIT_SERVER_MAX_UPLOAD_SIZE",
    tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"],
)
#: Largest upload in bytes (``GENRELAB_MAX_UPLOAD_MB``; default Streamlit's limit, at most
#: 200 MB in hosted mode), which core enforces too.
_DEFAULT_UPLOAD_MB = min(_STREAMLIT_UPLOAD_MB, 200) if HOSTED else _STREAMLIT_UPLOAD_MB
MAX_UPLOAD_BYTES: int = _int("GENRELAB_MAX_UPLOAD_MB", _DEFAULT_UPLOAD_MB) * 2**20
#: Longest stretch of one uploaded clip that is analysed, in seconds.
MAX_ANALYSIS_SECONDS: float = float(_int("GENRELAB_MAX_ANALYSIS_SECONDS", 600))
#: Most bytes one clip's analysed stretch may decode to, mono float32 at the analysis rate
#: (600 s at 22050 Hz is 50 MB), and with every channel at the file's own rate (8 channels at
#: 192 kHz for 600 s would be 3.5 GB): checked from the header before decoding.
MAX_DECODED_BYTES: int = _int("GENRELAB_MAX_DECODED_MB", 256) * 2**20
MAX_AUDIO_SOURCE_BYTES: int = _int("GENRELAB_MAX_AUDIO_SOURCE_MB", 1024) * 2**20
#: Most work one clip's mel settings may ask for: frames x n_fft (samples through FFTs) and
#: frames x n_mels (spectrogram cells), in millions; a whole clip counts as
#: MAX_ANALYSIS_SECONDS. The defaults allow 600 s at hop 512 and refuse 30 s at hop 1.
MAX_STFT_WORK: int = _int("GENRELAB_MAX_STFT_MSAMPLES", 200) * 10**6
MAX_MEL_CELLS: int = _int("GENRELAB_MAX_MEL_MCELLS", 20) * 10**6
#: Most pixels an image may have, checked from its header before it is decoded (Kaggle's
#: images have 0.12 megapixels).
MAX_IMAGE_PIXELS: int = int(float(os.environ.get("GENRELAB_MAX_IMAGE_MEGAPIXELS") or 16) * 1e6)
#: Audio file extensions recognised in folder-per-label datasets.
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".flac", ".ogg", ".mp3")
IMAGE_EXTENSIONS: tuple[str, ...] = (".png",)
