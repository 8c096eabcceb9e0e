"""Download GTZAN (or any archive) over HTTP with resume, progress, checksum and cancellation.

Only the standard library is used. A download streams into ``<dest>.part``; an interrupted one
resumes from there with an HTTP Range request, and the finished file is renamed into place.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path
from typing import IO
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from core import settings
from core.dataset.archive import file_sha256, unpack_archive
from core.errors import Cancelled, DownloadError

#: The public GTZAN archive (marsyas.info links to it); the ``gtzan_url`` setting
#: (``GENRELAB_GTZAN_URL``) points elsewhere.
DEFAULT_GTZAN_URL = "http://opihi.cs.uvic.ca/sound/genres.tar.gz"
#: SHA-256 of that genres.tar.gz, the value torchaudio's GTZAN dataset checks (not re-verified
#: here: this machine has no internet).
DEFAULT_GTZAN_SHA256 = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"

Progress = Callable[[int, int | None], None]
_USER_AGENT = "GenreLab/1.0 (+urllib)"


def download(
    url: str,
    dest: Path,
    sha256: str | None = None,
    progress: Progress | None = None,
    chunk_size: int = 1 << 20,
    timeout: float = 30,
    should_stop: Callable[[], bool] | None = None,
) -> Path:
    """Download ``url`` to ``dest``, resuming a partial download, and return ``dest``.

    Parameters
    ----------
    url
        An http(s) URL.
    dest
        Final file. If it exists already (and matches ``sha256`` when given) nothing is fetched.
    sha256
        Expected hex SHA-256 of the whole file; None skips the check.
    progress
        Called as ``progress(bytes_done, total_bytes_or_None)`` after every chunk.
    chunk_size, timeout
        Bytes per read, and seconds to wait for the server before giving up.
    should_stop
        Polled after every chunk; when it returns True the download stops with ``Cancelled``
        and ``<dest>.part`` is kept so the next call resumes.

    Raises
    ------
    DownloadError
        Network or HTTP failure, a short transfer, or a checksum mismatch (the bad file is
        deleted).
    Cancelled
        ``should_stop`` asked to stop.
    """
    dest = Path(dest)
    expected = sha256.lower() if sha256 else None
    if dest.is_file() and (expected is None or file_sha256(dest) == expected):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    _fetch(url, part, progress, chunk_size, timeout, should_stop)
    if expected is not None:
        actual = file_sha256(part)
        if actual != expected:
            part.unlink()
            raise DownloadError(
                f"The download of {url} is damaged or is not the expected file: its SHA-256 is "
                f"{actual}, expected {expected}. It was deleted; try again or another mirror."
            )
    os.replace(part, dest)
    return dest


def fetch_gtzan(
    url: str | None = None,
    sha256: str | None = None,
    root: Path | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Path:
    """Download the GTZAN archive into ``root/downloads`` and unpack it into ``root/gtzan_audio``
    (``root`` None: the data folder).

    ``url`` None means the ``gtzan_url`` setting, else ``DEFAULT_GTZAN_URL`` checked against
    ``DEFAULT_GTZAN_SHA256`` unless ``sha256`` is given; any other ``url`` is checked only
    against an explicit ``sha256``. Returns the
    unpacked folder (the original archive holds ``genres/<genre>/<genre>.NNNNN.au``). Both
    steps are skipped when their result already exists.
    """
    if url is None:
        url = settings.current().gtzan_url or DEFAULT_GTZAN_URL
        if url == DEFAULT_GTZAN_URL:
            sha256 = sha256 or DEFAULT_GTZAN_SHA256
    root = Path(root) if root is not None else settings.current().data_dir
    name = Path(urlsplit(url).path).name or "gtzan.tar.gz"
    archive = download(
        url, root / "downloads" / name, sha256=sha256, progress=progress, should_stop=should_stop
    )
    return unpack_archive(archive, root / "gtzan_audio")


def _fetch(
    url: str,
    part: Path,
    progress: Progress | None,
    chunk_size: int,
    timeout: float,
    should_stop: Callable[[], bool] | None,
) -> None:
    """Bring ``part`` to the full content of ``url``, resuming from its current size."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": _USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as exc:
        exc.close()
        if exc.code != 416 or not offset:
            raise DownloadError(f"The server refused {url}: HTTP {exc.code} {exc.reason}.") from exc
        total = _total_from_range(exc.headers.get("Content-Range"))
        response = None
    except (URLError, OSError, HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"Could not download {url}: {reason}. Check the address and the internet connection."
        ) from exc
    if response is None:  # HTTP 416: nothing lies past ``offset``
        if total == offset:
            _report(progress, offset, total)
            return
        part.unlink()  # the partial file is longer than the remote one: start over
        return _fetch(url, part, progress, chunk_size, timeout, should_stop)
    with response:
        if response.status == 206:
            start = _start_from_range(response.headers.get("Content-Range"))
            if start != offset:
                raise DownloadError(
                    f"The server resumed {url} at byte {start} instead of "
                    f"{offset}; delete {part} and try again."
                )
            total = _total_from_range(response.headers.get("Content-Range"))
            mode = "ab"
        else:  # 200: the server sent the whole file (it may ignore Range): start from zero
            length = response.headers.get("Content-Length")
            offset, mode = 0, "wb"
            total = int(length) if length and length.isdigit() else None
        _stream(url, response, part, mode, offset, total, progress, chunk_size, should_stop)


def _stream(
    url: str,
    response: IO[bytes],
    part: Path,
    mode: str,
    done: int,
    total: int | None,
    progress: Progress | None,
    chunk_size: int,
    should_stop: Callable[[], bool] | None,
) -> None:
    """Copy the response body into ``part``; raise on a short transfer or a stop request."""
    _report(progress, done, total)
    try:
        with part.open(mode) as out:
            while chunk := response.read(chunk_size):
                out.write(chunk)
                done += len(chunk)
                _report(progress, done, total)
                if should_stop is not None and should_stop():
                    raise Cancelled(
                        f"Download of {url} cancelled after {done} bytes; "
                        "it resumes from there next time."
                    )
    except (OSError, HTTPException) as exc:
        raise DownloadError(
            f"The download of {url} broke off after {done} bytes ({exc}); run it again to resume."
        ) from exc
    if total is not None and done < total:
        raise DownloadError(
            f"The download of {url} broke off after {done} of {total} bytes; "
            "run it again to resume."
        )


def _report(progress: Progress | None, done: int, total: int | None) -> None:
    if progress is not None:
        progress(done, total)


def _start_from_range(header: str | None) -> int | None:
    """First byte of ``Content-Range: bytes START-END/TOTAL``; None when missing or odd."""
    try:
        return int(header.split()[1].split("-")[0]) if header else None
    except (IndexError, ValueError):
        return None


def _total_from_range(header: str | None) -> int | None:
    """TOTAL of ``Content-Range: bytes START-END/TOTAL`` (or ``bytes */TOTAL``); None if unknown."""
    total = header.rsplit("/", 1)[-1].strip() if header and "/" in header else ""
    return int(total) if total.isdigit() else None
