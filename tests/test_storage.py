"""core.storage: folders appear whole or not at all (even under SIGKILL), locks exclude other
processes, dead pids are seen dead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from core.settings import ROOT
from core.storage import (
    LockTimeout,
    discard,
    locked,
    pid_alive,
    publish,
    publishing,
    remove_leftovers,
    temp_dir,
    try_lock,
)


def _python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, text=True, **kwargs
    )


def test_publish_killed_midway_leaves_no_half_folder(tmp_path):
    dest = tmp_path / "store"
    child = _python(
        f"""
        import time
        from core.storage import publishing
        with publishing({str(dest)!r}) as tmp:
            for i in range(3):
                (tmp / f"part{{i}}.txt").write_text("x" * 1000)
            print("written", flush=True)
            time.sleep(60)
            (tmp / "last.txt").write_text("done")
        """,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline().strip() == "written"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    assert not dest.exists()
    (leftover,) = tmp_path.iterdir()
    assert leftover.name.startswith(".tmp-store-") and len(list(leftover.iterdir())) == 3
    remove_leftovers(tmp_path)
    assert list(tmp_path.iterdir()) == []
    with publishing(dest) as tmp:
        (tmp / "last.txt").write_text("done")
    assert [p.name for p in tmp_path.iterdir()] == ["store"]
    assert (dest / "last.txt").read_text() == "done"


def test_publish_is_all_or_nothing_on_error(tmp_path):
    dest = tmp_path / "run"
    with pytest.raises(RuntimeError), publishing(dest) as tmp:
        (tmp / "a.txt").write_text("a")
        raise RuntimeError("build failed")
    assert list(tmp_path.iterdir()) == []


def test_publish_refuses_an_existing_folder_unless_replacing(tmp_path):
    dest = tmp_path / "demo"
    with publishing(dest) as tmp:
        (tmp / "v").write_text("1")
    with pytest.raises(FileExistsError), publishing(dest) as tmp:
        (tmp / "v").write_text("2")
    assert (dest / "v").read_text() == "1"
    with publishing(dest, replace=True) as tmp:
        (tmp / "v").write_text("3")
    assert (dest / "v").read_text() == "3"
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]  # the old one is gone too


def test_publish_a_folder_built_elsewhere_and_discard(tmp_path):
    built = temp_dir(tmp_path / "x")
    assert built.name.startswith(".tmp-x-")
    (built / "f").write_text("f")
    publish(built, tmp_path / "x")
    assert (tmp_path / "x" / "f").is_file() and not built.exists()
    discard(tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_live_processes_are_kept(tmp_path):
    mine = temp_dir(tmp_path / "mine")  # this process is alive: maybe still building it
    (tmp_path / "plain").mkdir()
    remove_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, "plain"])


def test_lock_excludes_a_second_process(tmp_path):
    path = tmp_path / ".lock"
    attempt = f"""
        import sys
        from core.storage import LockTimeout, locked
        try:
            with locked({str(path)!r}, timeout=0.3):
                print("got it")
        except LockTimeout:
            print("refused")
        """
    with locked(path):
        held = _python(attempt, stdout=subprocess.PIPE)
        assert held.communicate(timeout=60)[0].strip() == "refused"
    free = _python(attempt, stdout=subprocess.PIPE)
    assert free.communicate(timeout=60)[0].strip() == "got it"


def test_try_lock_and_timeout_in_one_process(tmp_path):
    path = tmp_path / ".lock"
    first = try_lock(path)
    assert first is not None
    assert try_lock(path) is None  # each lock is its own open file: excluded here too
    with pytest.raises(LockTimeout, match="locked"), locked(path, timeout=0.1):
        pass
    first.release()
    with locked(path, timeout=0):
        pass


def test_pid_check():
    child = _python("pass")
    child.wait(timeout=60)
    assert not pid_alive(child.pid)  # exited and reaped
    assert not pid_alive(0) and not pid_alive(-1)
    assert pid_alive(os.getpid())
    assert pid_alive(os.getpid(), marker="pytest")  # this process's command line
    assert not pid_alive(os.getpid(), marker="no-such-program-name")
