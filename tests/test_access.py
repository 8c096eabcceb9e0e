"""The access gate and hosted mode: core.access's logic, and AppTests of the login page."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from core.access import (
    ADMIN,
    EDITOR,
    VIEWER,
    AccessError,
    Actor,
    Throttle,
    check_hash,
    clean_user_name,
    delay_after,
    hash_password,
    login_failed,
    login_succeeded,
    login_wait,
    read_config,
    submit_job,
    verify_password,
)
from core.audio.mel import PRESETS
from core.dataset.flags import save_flags
from core.dataset.library import check_dataset_spec, save_upload
from core.errors import Cancelled, ParamsError
from core.features import delete_store
from core.runs import Run, RunStatus, create_run, delete_run, jobs, list_runs, rename_run
from core.runs.archive import import_runs
from core.runs.kinds.features import features_config
from core.runs.kinds.scan import scan_config
from core.runs.registry import DELETIONS_LOG
from core.training.config import available_frameworks

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
HASH = hash_password("open sesame")
VIEWER_HASH = hash_password("just looking", method="pbkdf2")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "genrelab",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
}


# ---- hashes, throttle, configuration ------------------------------------------------------------


@pytest.mark.parametrize("method, prefix", [("scrypt", "scrypt$"), ("pbkdf2", "pbkdf2_sha256$")])
def test_hash_and_verify(method, prefix):
    stored = hash_password("correct horse", method=method)
    assert stored.startswith(prefix) and check_hash(stored) == stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horse ", stored)
    assert not verify_password("", stored)
    assert hash_password("correct horse", method=method) != stored  # a fresh salt each time


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "correct horse",  # a plain password where a hash belongs
        "scrypt$abcd",
        "scrypt$zzzzzzzzzzzzzzzzzzzz$00112233445566778899",
        "md5$00112233445566778899$00112233445566778899",
        "pbkdf2_sha256$1000$00112233445566778899$00112233445566778899",  # too few iterations
    ],
)
def test_malformed_hashes_are_refused(stored):
    with pytest.raises(ParamsError, match="hash"):
        verify_password("x", stored)


def test_an_empty_password_cannot_be_hashed():
    with pytest.raises(ParamsError):
        hash_password("")


def test_the_throttle_waits_longer_after_each_failure():
    assert [delay_after(n) for n in range(5)] == [0, 1, 2, 4, 8]
    assert delay_after(100) == 60
    throttle, now = Throttle(), 1000.0
    assert throttle.wait(now) == 0
    for expected in (1, 2, 4):
        throttle = throttle.failed(now)
        assert throttle.wait(now) == expected
        assert throttle.wait(now + expected) == 0
        now += expected


def test_config_from_secrets_and_environment():
    assert read_config({}, {}).open
    config = read_config(
        {"GENRELAB_PASSWORD_HASH": HASH, "GENRELAB_READONLY_USERS": ["Viv@Example.com", " "]},
        {"GENRELAB_VIEWER_PASSWORD_HASH": VIEWER_HASH},
    )
    assert not config.open and config.has_password and config.providers == ()
    assert config.password_role("open sesame") == EDITOR
    assert config.password_role("just looking") == VIEWER
    assert config.password_role("nope") is None
    assert config.readonly_users == {"viv@example.com"}
    assert config.role_of("viv@example.com") == VIEWER and config.role_of("ann") == EDITOR
    assert config.role_of("ann", VIEWER) == VIEWER

    other = hash_password("other")
    env_wins = read_config({"GENRELAB_PASSWORD_HASH": HASH}, {"GENRELAB_PASSWORD_HASH": other})
    assert env_wins.password_hash == other
    listed = read_config({}, {"GENRELAB_READONLY_USERS": "a@x.org, B@x.org"})
    assert listed.readonly_users == {"a@x.org", "b@x.org"} and listed.open


def test_auth_sections_name_their_providers():
    assert read_config({"auth": AUTH}, {}).providers == ("default",)
    shared = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    named = {**shared, "google": dict(AUTH), "okta": dict(AUTH)}
    config = read_config({"auth": named}, {})
    assert config.providers == ("google", "okta") and not config.open
    assert not config.has_password
    with pytest.raises(ParamsError, match="no provider"):
        read_config({"auth": shared}, {})


@pytest.mark.parametrize(
    "secrets_map, env, words",
    [
        ({"GENRELAB_PASSWORD": "hunter2"}, {}, "plain-text"),
        ({}, {"GENRELAB_VIEWER_PASSWORD": "hunter2"}, "plain-text"),
        ({"GENRELAB_PASSWORD_HASH": "hunter2"}, {}, "hash"),
    ],
)
def test_bad_configurations_are_refused(secrets_map, env, words):
    with pytest.raises(ParamsError, match=words):
        read_config(secrets_map, env)


def test_user_names():
    assert clean_user_name("  Ann   Lee ") == "Ann Lee"
    assert len(clean_user_name("x" * 500)) == 40
    with pytest.raises(AccessError, match="name"):
        clean_user_name("   ")


def test_hosted_mode_keeps_datasets_inside_the_data_folder(tmp_path):
    data = tmp_path / "data"
    (data / "gtzan").mkdir(parents=True)
    outside = tmp_path / "private"
    outside.mkdir()
    (data / "sneaky").symlink_to(outside)
    assert check_dataset_spec("demo", data) == "demo"
    assert check_dataset_spec(str(data / "gtzan"), data) == str(data / "gtzan")
    assert check_dataset_spec(str(data / "uploads" / "a.zip"), data)  # need not exist yet
    for spec in (str(outside), str(data / ".." / "private"), str(data / "sneaky"), "/etc"):
        with pytest.raises(AccessError, match="outside"):
            check_dataset_spec(spec, data)


def test_hash_password_command():
    result = subprocess.run(
        [sys.executable, "-m", "core.access", "hash-password", "--method", "pbkdf2"],
        input="s3cret phrase\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    stored = result.stdout.strip()
    assert stored.startswith("pbkdf2_sha256$") and verify_password("s3cret phrase", stored)


def test_frameworks_installed_here():
    assert available_frameworks()[0] == "torch"
    assert set(available_frameworks()) <= {"torch", "keras"}


# ---- queueing jobs: roles and the per-user cap ---------------------------------------------------


def hold(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """A job that runs until it is cancelled (run by the scheduler's worker processes)."""
    while not should_stop():
        time.sleep(0.05)
    raise Cancelled("cancelled")


@pytest.fixture
def jobs_root(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_EXECUTOR_PACKAGES", "core,tests")
    root = tmp_path / "models"
    yield root
    for run in list_runs(root):
        if run.status.active:
            jobs.cancel(run.id, root)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not jobs.scheduler_running(root):
            break
        time.sleep(0.1)


def test_viewers_cannot_queue_and_users_are_capped(jobs_root):
    config = {"executor": "tests.test_access:hold"}
    with pytest.raises(AccessError, match="read-only"):
        submit_job(config, "peek", "viv", role=VIEWER, cap=3, root=jobs_root)
    assert list_runs(jobs_root) == []

    ids = [submit_job(config, f"job {i}", "ann", cap=2, root=jobs_root).id for i in range(2)]
    with pytest.raises(AccessError, match="2 job"):
        submit_job(config, "one too many", "ann", cap=2, root=jobs_root)
    other = submit_job(config, "bob's", "bob", cap=2, root=jobs_root)  # the cap is per user
    runs = {r.id: r for r in list_runs(jobs_root)}
    assert set(runs) == {*ids, other.id}
    assert [runs[i].user for i in ids] == ["ann", "ann"] and runs[other.id].user == "bob"

    jobs.cancel(ids[0], jobs_root)
    assert submit_job(config, "after a cancel", "ann", cap=2, root=jobs_root).user == "ann"


def test_the_login_throttle_is_kept_per_user_name_for_every_session(tmp_path):
    store = tmp_path / "throttle.json"
    assert login_wait("ann", store, now=100.0) == 0.0
    assert login_failed("ann", store, now=100.0).failures == 1
    assert login_failed(" ANN ", store, now=101.0).failures == 2  # the same user name
    assert login_wait("ann", store, now=101.5) == pytest.approx(delay_after(2) - 0.5)
    assert login_wait("bob", store, now=101.5) == 0.0
    login_succeeded("ann", store)
    assert login_wait("ann", store, now=101.5) == 0.0
    store.write_text("not json")  # a damaged file counts as no failures
    assert login_wait("ann", store, now=102.0) == 0.0


def test_a_read_only_actor_changes_nothing_in_core(tmp_path):
    viv = Actor("viv", VIEWER)
    done = create_run({"kind": "scan", "dataset": "demo"}, user="ann", root=tmp_path)
    done.set_status(RunStatus.COMPLETED)
    refused = {
        "scan": lambda: submit_job(scan_config("demo"), "s", "viv", VIEWER, root=tmp_path),
        "build": lambda: submit_job(
            features_config("demo", PRESETS["fast"]), "f", "viv", VIEWER, root=tmp_path
        ),
        "flags": lambda: save_flags(tmp_path / "ds", None, tmp_path, actor=viv),
        "import": lambda: import_runs(tmp_path / "runs.zip", tmp_path, actor=viv),
        "upload": lambda: save_upload("d.zip", b"PK", tmp_path / "up", actor=viv),
        "store": lambda: delete_store("some-store", tmp_path, actor=viv),
        "delete": lambda: delete_run(done.id, tmp_path, actor=viv),
        "rename": lambda: rename_run(done.id, "mine now", tmp_path, actor=viv),
    }
    for call in refused.values():
        with pytest.raises(AccessError, match="read-only"):
            call()
    assert [r.id for r in list_runs(tmp_path)] == [done.id]
    assert not (tmp_path / "flags").exists() and not (tmp_path / "up").exists()


def test_only_the_owner_or_an_admin_deletes_a_run_and_who_did_is_recorded(tmp_path):
    runs = [create_run({"kind": "scan"}, user="ann", root=tmp_path) for _ in range(2)]
    for run in runs:
        run.set_status(RunStatus.COMPLETED)
    with pytest.raises(AccessError, match="Only ann"):
        delete_run(runs[0].id, tmp_path, actor=Actor("bob"))
    delete_run(runs[0].id, tmp_path, actor=Actor("ann"))
    delete_run(runs[1].id, tmp_path, actor=Actor("root", ADMIN))
    assert list_runs(tmp_path) == []
    log = [json.loads(line) for line in (settings.current().data_dir / DELETIONS_LOG).open()]
    assert [(e["id"], e["by"]) for e in log[-2:]] == [(runs[0].id, "ann"), (runs[1].id, "root")]


# ---- AppTests of the gate ----------------------------------------------------------------------


def app(secrets_map: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in (secrets_map or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    return at


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    return next(b for b in at.button if b.label == "Log in with the password").click().run()


def shows_app(at: AppTest) -> bool:
    """Whether anything beyond the login page was drawn (the sidebar's dataset picker)."""
    return any(s.value == "Dataset" for s in at.sidebar.subheader)


def test_wrong_password_shows_nothing_but_the_login_page():
    at = app({"GENRELAB_PASSWORD_HASH": HASH}).run()
    assert not at.exception, at.exception
    assert "Genre Lab" in at.title[0].value and not shows_app(at)
    log_in(at, "ann", "open sesame?")
    assert any("Wrong password" in e.value for e in at.error)
    assert not shows_app(at) and not at.metric


def test_right_password_opens_the_home_page():
    at = app({"GENRELAB_PASSWORD_HASH": HASH}).run()
    log_in(at, "ann", "open sesame")
    assert not at.exception, at.exception
    assert shows_app(at) and int({m.label: m.value for m in at.metric}["Clips"]) >= 100
    assert any("Signed in as **ann**" in c.value for c in at.sidebar.caption)
    assert at.session_state["access_user"] == "ann"


@pytest.fixture
def slow_throttle(monkeypatch):
    """A first wait of 3 s, so a busy machine cannot outlast it between two AppTest runs."""
    import core.access

    monkeypatch.setattr(core.access, "FIRST_DELAY_S", 3.0)


def test_wrong_passwords_slow_the_session_down(slow_throttle):
    at = app({"GENRELAB_PASSWORD_HASH": HASH}).run()
    log_in(at, "ann", "guess 1")
    started = time.monotonic()
    log_in(at, "ann", "open sesame")  # right, but too soon after a wrong one
    assert any("try again in" in e.value for e in at.error) and not shows_app(at)
    time.sleep(max(0.0, delay_after(1) - (time.monotonic() - started)) + 0.1)
    log_in(at, "ann", "open sesame")
    assert shows_app(at)


def test_a_name_is_needed_and_costs_no_attempt():
    at = app({"GENRELAB_PASSWORD_HASH": HASH}).run()
    log_in(at, "  ", "open sesame")
    assert any("Enter your name" in e.value for e in at.error) and not shows_app(at)
    log_in(at, "ann", "open sesame")
    assert shows_app(at)


def test_the_login_throttle_holds_across_sessions(slow_throttle):
    first = app({"GENRELAB_PASSWORD_HASH": HASH}).run()
    second = app({"GENRELAB_PASSWORD_HASH": HASH}).run()  # a new tab: a fresh session
    log_in(first, "ann", "guess 1")
    log_in(second, "Ann", "open sesame")  # right, but too soon after the other tab's miss
    assert any("try again in" in e.value for e in second.error) and not shows_app(second)
    log_in(second, "bob", "open sesame")  # another name is not held up
    assert shows_app(second)


def test_a_read_only_session_cannot_scan_build_or_save():
    at = app({"GENRELAB_PASSWORD_HASH": HASH, "GENRELAB_VIEWER_PASSWORD_HASH": VIEWER_HASH})
    log_in(at.run(), "viv", "just looking")
    at.switch_page("pages/explore.py").run()
    assert not at.exception, at.exception
    assert next(b for b in at.button if b.label == "Scan this dataset").disabled
    at.switch_page("pages/spectrogram_lab.py").run()
    assert not at.exception, at.exception
    build = [b for b in at.button if b.label.startswith("Compute features")]
    assert all(b.disabled for b in build)
    assert build or any("exists" in s.value for s in at.success)  # built by an earlier test


def test_the_viewer_password_gives_a_read_only_session():
    at = app({"GENRELAB_PASSWORD_HASH": HASH, "GENRELAB_VIEWER_PASSWORD_HASH": VIEWER_HASH})
    log_in(at.run(), "viv", "just looking")
    assert any("read-only" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    start = next(b for b in at.button if b.label == "Start training")
    assert start.disabled
    assert any("read-only" in i.value for i in at.info)
    assert any("cannot import" in c.value for c in at.caption)


def test_openid_connect_login():
    logged_out = app({"auth": AUTH}, user={"is_logged_in": False}).run()
    assert not logged_out.exception, logged_out.exception
    assert [b.label for b in logged_out.button] == ["Log in"] and not shows_app(logged_out)
    assert not logged_out.text_input  # no password form without a password

    secrets_map = {"auth": AUTH, "GENRELAB_READONLY_USERS": "bo@example.com"}
    user = {"is_logged_in": True, "email": "bo@example.com", "name": "Bo"}
    at = app(secrets_map, user=user).run()
    assert not at.exception, at.exception
    assert shows_app(at) and at.session_state["access_user"] == "bo@example.com"
    assert any("bo@example.com** · read-only" in c.value for c in at.sidebar.caption)


def test_invalid_settings_stop_the_app_with_a_message():
    at = app({"GENRELAB_PASSWORD_HASH": "hunter2"}).run()
    assert any("access settings are invalid" in e.value for e in at.error)
    assert not shows_app(at)


def test_open_app_in_hosted_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("GENRELAB_HOSTED", "1")
    at = app()
    at.query_params["dataset"] = str(tmp_path)
    at.run()
    assert not at.exception, at.exception
    assert any("outside" in e.value for e in at.sidebar.error)
    options = at.sidebar.selectbox[0].options
    assert "A folder on this machine…" not in options and options[0].startswith("Demo")
    assert at.session_state["dataset_spec"] == "demo" and at.session_state["access_user"] == "guest"
    assert any(s.value.startswith("Dataset:") for s in at.subheader)  # the demo opened

    at.session_state["dataset_spec"] = "/etc"  # however it got there, it is not opened
    at.run()
    assert any("outside" in e.value for e in at.error)


def test_keras_choice_without_tensorflow(monkeypatch):
    import core.training.config

    monkeypatch.setattr(core.training.config, "available_frameworks", lambda: ("torch",))
    at = app().run()
    at.switch_page("pages/train.py").run()
    at.radio(key="tr_framework").set_value("keras").run()
    assert not at.exception, at.exception
    assert any("Keras is not installed" in w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Start training").disabled
