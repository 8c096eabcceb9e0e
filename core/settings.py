"""Settings: paths and limits from ``GENRELAB_*`` environment variables, read at call time.

:func:`current` builds one frozen :class:`Settings` from the environment when it is called
(cached while the relevant variables stay the same), so a changed variable counts without a
reimport; :func:`use` installs one, for this process and the processes it starts::

    >>> from core import settings
    >>> settings.current().job_concurrency >= 1
    True
    >>> with settings.use(settings.Settings(train_threads=1)):
    ...     settings.current().train_threads
    1

Constants that are not settings (the sample rate, file extensions, the checkout's own folders)
stay module constants.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ParamsError

ROOT = Path(__file__).resolve().parent.parent
#: Sample rate every clip is decoded to (GTZAN's own rate).
SAMPLE_RATE: int = 22050
#: Audio file extensions recognised in folder-per-label datasets.
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".flac", ".ogg", ".mp3")
IMAGE_EXTENSIONS: tuple[str, ...] = (".png",)
#: Streamlit's own upload limit (MB): its environment variable, else .streamlit/config.toml.
_STREAMLIT_UPLOAD_ENV = "STREAMLIT_SERVER_MAX_UPLOAD_SIZE"


def _path(var: str, raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def _flag(var: str, raw: str) -> bool:
    value = raw.lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ParamsError(f"{var} must be 1 or 0 (true or false), not {raw!r}.")
    return value in ("1", "true", "yes", "on")


def _int(var: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ParamsError(f"{var} must be a whole number, not {raw!r}.") from None


def _float(var: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ParamsError(f"{var} must be a number, not {raw!r}.") from None


def _names(var: str, raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _text(var: str, raw: str) -> str:
    return raw


#: How a run's folds are trained: in its worker process one after another, or as Ray tasks.
EXECUTORS: tuple[str, ...] = ("local", "ray")
#: Where PyTorch trains and predicts: CUDA when present (``auto``), or forced.
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def _one_of(allowed: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        if raw.lower() not in allowed:
            raise ParamsError(f"{var} must be one of {', '.join(allowed)}, not {raw!r}.")
        return raw.lower()

    return parse


def _setting(
    env: str, parse: Callable[[str, str], Any], default: Any = None, minimum: float | None = None
) -> Any:
    """A field read from the environment variable ``env`` by ``parse(env, raw)``."""
    return field(default=default, metadata={"env": env, "parse": parse, "min": minimum})


@dataclass(frozen=True)
class Settings:
    """Every setting of Genre Lab; each field is read from the environment variable named.

    ``None`` limits mean the default for the mode (hosted or not); see the ``*_bytes``
    properties.
    """

    #: ``GENRELAB_DATA_DIR``: datasets, unpacked archives, uploads, feature stores, flags.
    data_dir: Path = _setting("GENRELAB_DATA_DIR", _path, ROOT / "data")
    #: ``GENRELAB_MODELS_DIR``: one folder per run.
    models_dir: Path = _setting("GENRELAB_MODELS_DIR", _path, ROOT / "models")
    #: ``GENRELAB_HOSTED=1``, for a server others use: datasets only from the data folder, the
    #: demo or uploaded archives; smaller upload and archive limits; a job cap per user.
    hosted: bool = _setting("GENRELAB_HOSTED", _flag, False)
    #: Hosted mode: most jobs one user may have queued or running at once (0: no limit).
    max_queued_per_user: int = _setting("GENRELAB_MAX_QUEUED_PER_USER", _int, 3, minimum=0)
    #: Threads a training process gives its framework (PyTorch intra-op, TensorFlow intra-op).
    train_threads: int = _setting("GENRELAB_TRAIN_THREADS", _int, 2, minimum=1)
    #: Jobs run at once by the scheduler.
    job_concurrency: int = _setting("GENRELAB_JOB_CONCURRENCY", _int, 1, minimum=1)
    #: Most MB an archive may unpack to (default 4096, 2048 hosted).
    max_archive_mb: int | None = _setting("GENRELAB_MAX_ARCHIVE_MB", _int, minimum=1)
    #: Most members an archive may hold.
    max_archive_members: int = _setting("GENRELAB_MAX_ARCHIVE_MEMBERS", _int, 20000, minimum=1)
    #: Largest upload in MB, which core enforces too (default Streamlit's limit, at most 200
    #: hosted).
    max_upload_mb: int | None = _setting("GENRELAB_MAX_UPLOAD_MB", _int, minimum=1)
    #: Longest stretch of one uploaded clip that is analysed, in seconds.
    max_analysis_seconds: float = _setting(
        "GENRELAB_MAX_ANALYSIS_SECONDS", _float, 600.0, minimum=1
    )
    #: Most MB one clip's analysed stretch may decode to, mono float32 at the analysis rate
    #: (600 s at 22050 Hz is 50 MB); checked from the header before decoding.
    max_decoded_mb: int = _setting("GENRELAB_MAX_DECODED_MB", _int, 256, minimum=1)
    #: The same with every channel at the file's own rate (600 s of 8 channels at 192 kHz
    #: would be 3.5 GB).
    max_audio_source_mb: int = _setting("GENRELAB_MAX_AUDIO_SOURCE_MB", _int, 1024, minimum=1)
    #: Most pixels of an image, in millions, checked from its header before it is decoded
    #: (Kaggle's images have 0.12).
    max_image_megapixels: float = _setting(
        "GENRELAB_MAX_IMAGE_MEGAPIXELS", _float, 16.0, minimum=0.01
    )
    #: Most work one clip's mel settings may ask for, in millions: frames x n_fft (samples
    #: through FFTs) and frames x n_mels (spectrogram cells); a whole clip counts as
    #: ``max_analysis_seconds``. The defaults allow 600 s at hop 512 and refuse 30 s at hop 1.
    max_stft_msamples: int = _setting("GENRELAB_MAX_STFT_MSAMPLES", _int, 200, minimum=1)
    max_mel_mcells: int = _setting("GENRELAB_MAX_MEL_MCELLS", _int, 20, minimum=1)
    #: Hosted mode: disk quotas in MB, per user and for everyone together, over uploads,
    #: unpacked datasets, feature stores and runs (see core.storage.quota).
    quota_user_mb: int = _setting("GENRELAB_QUOTA_USER_MB", _int, 5120, minimum=0)
    quota_total_mb: int = _setting("GENRELAB_QUOTA_TOTAL_MB", _int, 51200, minimum=0)
    #: Top-level packages job executors may come from (comma separated).
    executor_packages: tuple[str, ...] = _setting("GENRELAB_EXECUTOR_PACKAGES", _names, ("core",))
    #: Where ``python -m core dataset download`` fetches GTZAN (None: the public archive).
    gtzan_url: str | None = _setting("GENRELAB_GTZAN_URL", _text)
    #: How a run's folds train: ``local`` (in its worker, one after another) or ``ray``.
    executor: str = _setting("GENRELAB_EXECUTOR", _one_of(EXECUTORS), "local")
    #: The Ray cluster: its GCS ``host:port``, ``ray://host:10001`` (Ray Client), or ``local``
    #: to start a Ray on this machine for each run's worker.
    ray_address: str = _setting("GENRELAB_RAY_ADDRESS", _text, "local")
    #: CPUs each fold's Ray task reserves; its framework gets as many threads.
    ray_cpus_per_fold: float = _setting("GENRELAB_RAY_CPUS_PER_FOLD", _float, 1.0, minimum=0.5)
    #: GPUs each fold's Ray task reserves (1, or 0.5 to share one GPU between two folds).
    ray_gpus_per_fold: float = _setting("GENRELAB_RAY_GPUS_PER_FOLD", _float, 0.0, minimum=0)
    #: Times a fold whose Ray worker died is tried again.
    ray_max_retries: int = _setting("GENRELAB_RAY_MAX_RETRIES", _int, 2, minimum=0)
    #: Seconds to wait for a Ray cluster to answer.
    ray_connect_timeout: float = _setting("GENRELAB_RAY_CONNECT_TIMEOUT", _float, 10.0, minimum=0.1)
    #: Where PyTorch trains and predicts: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    device: str = _setting("GENRELAB_DEVICE", _one_of(DEVICES), "auto")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            minimum, value = f.metadata["min"], getattr(self, f.name)
            if minimum is not None and value is not None and not value >= minimum:
                raise ParamsError(f"{f.metadata['env']} must be at least {minimum:g}, not {value}.")

    # -- folders of the data folder -----------------------------------------------------------
    @property
    def demo_dir(self) -> Path:
        """The demo dataset, generated on first use."""
        return self.data_dir / "demo"

    @property
    def unpack_dir(self) -> Path:
        """Archives unpacked, one folder per archive content."""
        return self.data_dir / "unpacked"

    @property
    def uploads_dir(self) -> Path:
        """Uploaded archives, by content."""
        return self.data_dir / "uploads"

    @property
    def features_dir(self) -> Path:
        """Feature stores."""
        return self.data_dir / "features"

    @property
    def flags_dir(self) -> Path:
        """Saved fault-detector flags, one CSV per dataset."""
        return self.data_dir / "flags"

    # -- limits in bytes ----------------------------------------------------------------------
    @property
    def max_archive_bytes(self) -> int:
        """Most bytes an archive may unpack to."""
        default = 2048 if self.hosted else 4096
        return (self.max_archive_mb or default) * 2**20

    @property
    def max_upload_bytes(self) -> int:
        """Largest upload in bytes."""
        default = min(_streamlit_upload_mb(), 200) if self.hosted else _streamlit_upload_mb()
        return (self.max_upload_mb or default) * 2**20

    # -- the environment ----------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment names (unset or empty variables keep their default).

        Raises ParamsError, naming the variable, for a value that is not valid.
        """
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"], "").strip()
            if raw:
                values[f.name] = f.metadata["parse"](f.metadata["env"], raw)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables, for processes started from this one.

        >>> Settings(hosted=True).to_env()["GENRELAB_HOSTED"]
        '1'
        """
        env = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, tuple):
                value = ",".join(value)
            env[f.metadata["env"]] = "" if value is None else str(value)
        return env


#: The environment variable of every setting, by field name.
ENV_VARS: dict[str, str] = {f.name: f.metadata["env"] for f in dataclasses.fields(Settings)}


@functools.cache
def _config_upload_mb() -> int:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return int(config["server"]["maxUploadSize"])


def _streamlit_upload_mb() -> int:
    raw = os.environ.get(_STREAMLIT_UPLOAD_ENV, "").strip()
    return _int(_STREAMLIT_UPLOAD_ENV, raw) if raw else _config_upload_mb()


_cached: tuple[tuple[str | None, ...], Settings] | None = None


def current() -> Settings:
    """The settings now: built from the environment (cheap; cached while it is unchanged)."""
    global _cached
    key = tuple(os.environ.get(var) for var in (*ENV_VARS.values(), _STREAMLIT_UPLOAD_ENV))
    if _cached is None or _cached[0] != key:
        _cached = (key, Settings.from_env())
    return _cached[1]


def child_env() -> dict[str, str]:
    """The environment for a process started from this one: this one's, with the settings."""
    return {**os.environ, **current().to_env()}


@contextlib.contextmanager
def use(settings: Settings) -> Iterator[Settings]:
    """Install ``settings`` for the block: :func:`current` returns them, in this process and in
    the processes it starts (they go through the environment, see :meth:`Settings.to_env`)."""
    saved = {var: os.environ.get(var) for var in ENV_VARS.values()}
    os.environ.update(settings.to_env())
    try:
        yield current()
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
