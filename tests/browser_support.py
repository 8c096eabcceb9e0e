"""Browser-test helpers: a free port, the app's server in a subprocess, Debian's chromium."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import settings

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Fail (under CI) or skip (elsewhere) when chromium or Playwright is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright's Python package is not installed (requirements-dev.txt)"
    else:
        reason = "" if CHROMIUM.exists() else f"{CHROMIUM} is missing (apt-get install chromium)"
    if reason and os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)


def launch_chromium(playwright):
    """Debian's chromium, headless (never Playwright's own download)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@dataclass
class Server:
    """A running ``streamlit run app.py`` and the folders it keeps its data and runs in."""

    proc: subprocess.Popen
    port: int
    data_dir: Path
    models_dir: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as reply:
                return reply.read().decode().strip() == "ok"
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, grace: float = 20.0) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(grace)


def start_server(
    data_dir: Path,
    models_dir: Path,
    log: Path,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    port: int | None = None,
    args: list[str] | None = None,
) -> Server:
    """Start the app on ``port`` (default: a free one) with its own data and models folders,
    ``env`` added to its environment and ``args`` to its command line; wait until it answers.

    The server runs in a new session (its own process group), so :meth:`Server.stop` ends it and
    nothing else. Training jobs it queues run in a detached scheduler that exits when idle.
    """
    port = port or free_port()
    env = {
        **os.environ,
        **dataclasses.replace(
            settings.current(), data_dir=Path(data_dir), models_dir=Path(models_dir)
        ).to_env(),
        **(env or {}),
    }
    command = [_python(), "-m", "streamlit", "run", "app.py"]
    command += ["--server.port", str(port), "--server.headless", "true", *(args or [])]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(proc, port, data_dir, models_dir, log)
    deadline = time.monotonic() + timeout
    while not server.healthy():
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the app did not start on port {port}:\n{server.log_tail()}")
        time.sleep(0.5)
    return server


def cancel_active_runs(models_dir: Path) -> None:
    """Cancel queued or running jobs left by a failed test, so no training outlives the tests."""
    from core.runs import jobs, list_runs

    for run in list_runs(models_dir, details=False):
        if run.status.active:
            jobs.cancel(run.id, root=models_dir)
