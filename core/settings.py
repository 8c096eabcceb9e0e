"""Paths and limits, read from environment variables with sane defaults: the one place for them."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from core.errors import ParamsError

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
#: Audio file extensions recognised in folder-per-label datasets.
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".flac", ".ogg", ".mp3")
IMAGE_EXTENSIONS: tuple[str, ...] = (".png",)

# -- where training runs (read at call time) ---------------------------------------------------
#: How a run's folds are executed: in the worker process one after another, or as Ray tasks.
EXECUTORS: tuple[str, ...] = ("local", "ray")
#: Where PyTorch trains and predicts: CUDA when present (``auto``), or forced.
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def _choice(var: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(var, "").strip().lower() or default
    if value not in allowed:
        raise ParamsError(f"{var} must be one of {', '.join(allowed)}, not {value!r}.")
    return value


def _number(var: str, default: float, minimum: float) -> float:
    raw = os.environ.get(var, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ParamsError(f"{var} must be a number, not {raw!r}.") from None
    if value < minimum:
        raise ParamsError(f"{var} must be at least {minimum:g}, not {raw}.")
    return value


def executor() -> str:
    """``GENRELAB_EXECUTOR``: ``local`` (default) or ``ray``."""
    return _choice("GENRELAB_EXECUTOR", "local", EXECUTORS)


def ray_address() -> str:
    """``GENRELAB_RAY_ADDRESS``: a Ray cluster's GCS ``host:port``, ``ray://host:10001`` (Ray
    Client), or ``local`` (default) to start a Ray on this machine for each run."""
    return os.environ.get("GENRELAB_RAY_ADDRESS", "").strip() or "local"


def ray_cpus_per_fold() -> float:
    """``GENRELAB_RAY_CPUS_PER_FOLD``: CPUs each fold's Ray task reserves (default 1); its
    framework gets as many threads."""
    return _number("GENRELAB_RAY_CPUS_PER_FOLD", 1.0, 0.5)


def ray_gpus_per_fold() -> float:
    """``GENRELAB_RAY_GPUS_PER_FOLD``: GPUs each fold's Ray task reserves (default 0; 1, or 0.5
    to share one GPU between two folds)."""
    return _number("GENRELAB_RAY_GPUS_PER_FOLD", 0.0, 0.0)


def ray_max_retries() -> int:
    """``GENRELAB_RAY_MAX_RETRIES``: times a fold whose Ray worker died is retried (default 2)."""
    return int(_number("GENRELAB_RAY_MAX_RETRIES", 2, 0))


def ray_connect_timeout() -> float:
    """``GENRELAB_RAY_CONNECT_TIMEOUT``: seconds to wait for a cluster to answer (default 10)."""
    return _number("GENRELAB_RAY_CONNECT_TIMEOUT", 10.0, 0.1)


def device() -> str:
    """``GENRELAB_DEVICE``: ``auto`` (default: CUDA when present), ``cpu`` or ``cuda``."""
    return _choice("GENRELAB_DEVICE", "auto", DEVICES)
