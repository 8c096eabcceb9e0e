"""Shared fixtures: tiny generated audio, and the optional real GTZAN sample beside the checkout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core import settings

SHARED_GTZAN = Path(__file__).resolve().parents[2] / "shared" / "gtzan"


@pytest.fixture(scope="session", autouse=True)
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[settings.Settings]:
    """Tests never write into the checkout's data/ and models/: a fresh pair per session, and
    default limits, for the test process and every process it starts."""
    scratch = tmp_path_factory.mktemp("genrelab")
    chosen = settings.Settings(data_dir=scratch / "data", models_dir=scratch / "models")
    with settings.use(chosen) as installed:
        yield installed


@pytest.fixture(scope="session")
def shared_gtzan() -> Path:
    """The real GTZAN sample (``../shared/gtzan``); the test is skipped when it is absent."""
    if not (SHARED_GTZAN / "audio_sample").is_dir():
        pytest.skip("real GTZAN sample (../shared/gtzan) not present")
    return SHARED_GTZAN


def write_tone(
    path: Path,
    seconds: float = 0.5,
    sr: int = 22050,
    freq: float = 440.0,
    channels: int = 1,
    fmt: str | None = None,
) -> Path:
    """Write a short sine tone; the format follows the extension unless ``fmt`` is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    data = np.repeat(y[:, None], channels, axis=1) if channels > 1 else y
    sf.write(path, data, sr, format=fmt)
    return path


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return int(out.stdout)


def write_pitches(root: Path, seconds: float = 1.0) -> Path:
    """A dataset of two labels told apart by pitch (``low``, ``high``), six tones of
    ``seconds`` each, one folder per label; returns ``root``."""
    for label, base in (("low", 220.0), ("high", 1760.0)):
        for i in range(6):
            freq = base * (1 + 0.05 * i)
            write_tone(root / label / f"{label}{i}.wav", seconds=seconds, freq=freq)
    return root


@pytest.fixture(autouse=True)
def _fresh_login_throttle():
    """Each test starts with no failed logins on record (the throttle is server-wide)."""
    from core.access import throttle_file

    throttle_file().unlink(missing_ok=True)


@pytest.fixture(autouse=True, scope="module")
def _demo_for_app_tests(request):
    """AppTest modules open the demo dataset, which a page would otherwise start generating as
    a job (showing its progress): generate it once, inline, beforehand."""
    if "AppTest" in vars(request.module):
        from core.demo import ensure_demo

        ensure_demo()


def finish_jobs(at, timeout: float = 600.0):
    """Wait until no job is queued or running (real worker processes), then rerun ``at``."""
    import time

    from core.runs import list_runs

    deadline = time.monotonic() + timeout
    while any(r.status.active for r in list_runs(details=False)):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the jobs to finish")
        time.sleep(0.2)
    return at.run()
