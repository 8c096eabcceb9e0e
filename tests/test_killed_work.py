"""Killed and concurrent work (issue 15): kill -9 during unpacking, demo generation or import
leaves hidden folders that the next start removes; two processes generating the demo at once
never replace each other's set under a reader."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from core import settings
from core.storage.cleanup import clean_leftovers
from core.storage.publish import temp_dir
from tests.child import ROOT


def _hidden(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _start(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=settings.child_env())


def test_kill_during_unpack_leaves_nothing_after_the_next_start(tmp_path):
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(600):
            zf.writestr(f"blues/{i}.wav", b"\x00" * 2**20)
    unpacked = settings.current().unpack_dir
    proc = _start(
        "from pathlib import Path\n"
        "from core.dataset.archive import archive_dest, unpack_archive\n"
        f"unpack_archive(Path({str(archive)!r}), archive_dest(Path({str(archive)!r})))\n"
    )
    deadline = time.monotonic() + 120
    while not _hidden(unpacked) or _bytes(unpacked) < 2**20:
        assert proc.poll() is None and time.monotonic() < deadline, "unpacking ended too soon"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _hidden(unpacked) and _bytes(unpacked) > 0  # what the kill left
    clean_leftovers()
    assert _hidden(unpacked) == [] and _bytes(unpacked) == 0


def test_cleanup_keeps_the_work_of_live_processes_and_removes_old_style_leftovers():
    s = settings.current()
    live = temp_dir(s.features_dir / "store")  # this process is alive: its build goes on
    old = [
        s.unpack_dir / ".songs-0123456789ab.k2j3h4.part",
        s.data_dir / ".demo-partial-x1y2z3",
        s.data_dir / ".demo-old-a1b2c3",
        s.models_dir / ".import-0a1b2c3d4e5f",
    ]
    for folder in old:
        (folder / "inside").mkdir(parents=True)
    clean_leftovers()
    assert live.is_dir()
    assert not any(folder.exists() for folder in old)


def test_two_processes_generating_the_demo_publish_one_set(tmp_path):
    """Before the lock, the second generator swapped its set in while the first one's was read
    (a reader got 120 of 200 clips); now the second waits and keeps the first's set."""
    dest = tmp_path / "demo"
    code = (
        "import os\n"
        "from core.demo import ensure_demo\n"
        f"d = ensure_demo({str(dest)!r}, clips_per_genre=4, seconds=2.5)\n"
        "print(os.stat(d).st_ino)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=settings.child_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    inodes = {proc.communicate(timeout=300)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert inodes == {str(dest.stat().st_ino)}  # one set, never replaced
    assert len(list(dest.rglob("*.wav"))) == 40
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
