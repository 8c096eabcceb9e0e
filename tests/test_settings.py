"""Settings are read when asked for (not at import), installable for a block, checked by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core import settings
from core.errors import ParamsError
from core.runs import models_root
from core.settings import ROOT, Settings


def test_session_settings_use_temporary_folders(test_settings):
    assert settings.current() == test_settings
    assert test_settings.data_dir != ROOT / "data" and test_settings.models_dir != ROOT / "models"
    assert models_root() == test_settings.models_dir


def test_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.setenv("GENRELAB_TRAIN_THREADS", "5")
    assert settings.current().train_threads == 5
    monkeypatch.setenv("GENRELAB_TRAIN_THREADS", "7")
    assert settings.current().train_threads == 7
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path))
    assert models_root() == tmp_path.resolve()  # no reimport: the next call sees it


def test_use_installs_for_the_block_and_child_processes(tmp_path):
    before = settings.current()
    chosen = Settings(data_dir=tmp_path / "d", models_dir=tmp_path / "m", hosted=True)
    with settings.use(chosen) as installed:
        assert installed == chosen and settings.current() == chosen
        assert installed.demo_dir == tmp_path / "d" / "demo"
        child = subprocess.run(
            [sys.executable, "-c", "from core import settings; print(settings.current())"],
            cwd=ROOT,
            env=settings.child_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        assert child.stdout.strip() == repr(chosen)
    assert settings.current() == before


def test_to_env_round_trip(tmp_path):
    chosen = Settings(
        data_dir=tmp_path,
        hosted=True,
        max_queued_per_user=0,
        job_concurrency=4,
        max_upload_mb=12,
        max_analysis_seconds=30.5,
        executor_packages=("core", "tests"),
        gtzan_url="http://example.org/g.tar.gz",
    )
    assert Settings.from_env(chosen.to_env()) == chosen
    assert Settings.from_env({}) == Settings()


def test_limits_follow_the_mode():
    assert Settings(hosted=True).max_archive_bytes == 2048 * 2**20
    assert Settings().max_archive_bytes == 4096 * 2**20
    assert Settings(hosted=True).max_upload_bytes <= 200 * 2**20
    assert Settings(hosted=True, max_upload_mb=300).max_upload_bytes == 300 * 2**20


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("GENRELAB_TRAIN_THREADS", "two"),
        ("GENRELAB_TRAIN_THREADS", "0"),
        ("GENRELAB_JOB_CONCURRENCY", "-1"),
        ("GENRELAB_HOSTED", "maybe"),
        ("GENRELAB_MAX_ANALYSIS_SECONDS", "long"),
        ("GENRELAB_MAX_UPLOAD_MB", "0"),
        ("GENRELAB_MAX_QUEUED_PER_USER", "-3"),
    ],
)
def test_invalid_value_names_its_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ParamsError, match=var):
        settings.current()


def test_invalid_value_in_code_names_its_variable():
    with pytest.raises(ParamsError, match="GENRELAB_JOB_CONCURRENCY"):
        Settings(job_concurrency=0)


def test_unset_and_empty_variables_keep_defaults(monkeypatch):
    monkeypatch.setenv("GENRELAB_TRAIN_THREADS", "")
    monkeypatch.delenv("GENRELAB_JOB_CONCURRENCY")
    assert settings.current().train_threads == 2 and settings.current().job_concurrency == 1
    assert isinstance(settings.current().data_dir, Path)


def test_app_shows_an_invalid_setting_by_name(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GENRELAB_JOB_CONCURRENCY", "two")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception, at.exception
    assert any("GENRELAB_JOB_CONCURRENCY" in e.value for e in at.error)
