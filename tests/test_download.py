"""The downloader against a local HTTP server on loopback: resume, Range quirks, checksums, errors.

Nothing here touches the internet.
"""

from __future__ import annotations

import hashlib
import socket
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import soundfile as sf

from core.dataset.download import download, fetch_gtzan
from core.errors import Cancelled, DownloadError
from tests.conftest import write_tone

CHUNK = 4096


@dataclass
class FileServer:
    """What the loopback server serves, how it misbehaves, and the Range headers it received."""

    files: dict[str, bytes]
    port: int = 0
    ignore_range: bool = False
    drop_after: int | None = None  # close the connection after this many body bytes, once
    ranges: list[str | None] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output quiet
        pass

    def do_GET(self) -> None:
        state: FileServer = self.server.state  # type: ignore[attr-defined]
        requested = self.headers.get("Range")
        state.ranges.append(requested)
        data = state.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = 0
        if requested and not state.ignore_range:
            start = int(requested.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if state.drop_after is not None:
            body, state.drop_after = body[: state.drop_after], None
        self.wfile.write(body)


def gtzan_archive(path: Path) -> Path:
    """A tiny tar.gz in GTZAN's own layout: genres/<genre>/<genre>.NNNNN.wav."""
    with tarfile.open(path, "w:gz") as tf:
        for i, genre in enumerate(["blues", "rock"]):
            wav = write_tone(path.parent / "src" / f"{genre}.0000{i}.wav", freq=220.0 * (i + 1))
            tf.add(wav, arcname=f"genres/{genre}/{wav.name}")
    return path


@pytest.fixture(scope="module")
def archive_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return gtzan_archive(tmp_path_factory.mktemp("gtzan") / "genres.tar.gz").read_bytes()


@pytest.fixture
def server(archive_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    for var in ("no_proxy", "NO_PROXY"):  # a proxy in the environment must not intercept loopback
        monkeypatch.setenv(var, "*")
    state = FileServer(files={"/genres.tar.gz": archive_bytes})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.state = state  # type: ignore[attr-defined]
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def get(server: FileServer, dest: Path, **kwargs) -> Path:
    return download(server.url("/genres.tar.gz"), dest, chunk_size=CHUNK, timeout=5, **kwargs)


def part_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def test_full_download_reports_progress(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    calls: list[tuple[int, int | None]] = []
    dest = tmp_path / "dl" / "genres.tar.gz"
    assert get(server, dest, progress=lambda d, t: calls.append((d, t))) == dest
    assert dest.read_bytes() == data
    assert not part_of(dest).exists()
    assert server.ranges == [None]
    assert calls[0] == (0, len(data)) and calls[-1] == (len(data), len(data))
    assert len(calls) >= len(data) // CHUNK
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_resume_after_connection_drop(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    cut = len(data) // 3
    server.drop_after = cut
    dest = tmp_path / "genres.tar.gz"
    with pytest.raises(DownloadError, match="resume"):
        get(server, dest)
    assert part_of(dest).read_bytes() == data[:cut]
    assert not dest.exists()
    calls: list[tuple[int, int | None]] = []
    get(server, dest, progress=lambda d, t: calls.append((d, t)))
    assert server.ranges == [None, f"bytes={cut}-"]
    assert calls[0] == (cut, len(data))
    assert dest.read_bytes() == data


def test_resume_existing_part_file(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    dest = tmp_path / "genres.tar.gz"
    part_of(dest).write_bytes(data[:1000])
    get(server, dest, sha256=hashlib.sha256(data).hexdigest())
    assert server.ranges == ["bytes=1000-"]
    assert dest.read_bytes() == data


def test_server_ignoring_range_restarts_from_zero(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    server.ignore_range = True
    dest = tmp_path / "genres.tar.gz"
    part_of(dest).write_bytes(b"stale bytes " * 50)
    get(server, dest)
    assert server.ranges == ["bytes=600-"]  # asked to resume, got the whole file (200)
    assert dest.read_bytes() == data


def test_complete_part_file_gets_416_and_is_kept(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    dest = tmp_path / "genres.tar.gz"
    part_of(dest).write_bytes(data)
    get(server, dest, sha256=hashlib.sha256(data).hexdigest())
    assert server.ranges == [f"bytes={len(data)}-"]
    assert dest.read_bytes() == data


def test_part_file_longer_than_remote_starts_over(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    dest = tmp_path / "genres.tar.gz"
    part_of(dest).write_bytes(data + b"junk")
    get(server, dest)
    assert server.ranges == [f"bytes={len(data) + 4}-", None]
    assert dest.read_bytes() == data


def test_checksum_mismatch_leaves_nothing(server: FileServer, tmp_path: Path) -> None:
    dest = tmp_path / "genres.tar.gz"
    with pytest.raises(DownloadError, match="SHA-256"):
        get(server, dest, sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_existing_verified_file_is_not_downloaded_again(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    dest = tmp_path / "genres.tar.gz"
    dest.write_bytes(data)
    assert get(server, dest, sha256=hashlib.sha256(data).hexdigest()) == dest
    assert server.ranges == []


def test_cancel_keeps_part_for_resume(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    dest = tmp_path / "genres.tar.gz"
    with pytest.raises(Cancelled):
        get(server, dest, should_stop=lambda: True)
    assert part_of(dest).read_bytes() == data[:CHUNK]
    get(server, dest)
    assert server.ranges == [None, f"bytes={CHUNK}-"]
    assert dest.read_bytes() == data


def test_http_error_is_reported(server: FileServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(server.url("/missing.tar.gz"), tmp_path / "x.tar.gz", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "*")
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError, match="Could not download"):
        download(f"http://127.0.0.1:{port}/genres.tar.gz", tmp_path / "x.tar.gz", timeout=5)


def test_fetch_gtzan_end_to_end(server: FileServer, tmp_path: Path) -> None:
    data = server.files["/genres.tar.gz"]
    url, sha = server.url("/genres.tar.gz"), hashlib.sha256(data).hexdigest()
    folder = fetch_gtzan(url=url, sha256=sha, root=tmp_path)
    assert folder == tmp_path / "gtzan_audio"
    assert (tmp_path / "downloads" / "genres.tar.gz").read_bytes() == data
    wavs = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.wav"))
    assert wavs == ["genres/blues/blues.00000.wav", "genres/rock/rock.00001.wav"]
    audio, sr = sf.read(folder / wavs[0])
    assert sr == 22050 and len(audio) == 22050 // 2
    assert fetch_gtzan(url=url, sha256=sha, root=tmp_path) == folder
    assert server.ranges == [None]  # the second call found everything in place
