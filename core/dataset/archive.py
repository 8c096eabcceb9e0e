"""Safe unpacking of zip and tar(.gz) archives that users upload or download.

Every member is checked before it is written: no absolute paths, no ``..`` escapes, no drive
letters or backslashes, no links, devices or fifos, no name given twice. The number of members and
the bytes actually written are capped while extracting, so an archive that lies about its sizes is
still stopped; a tar's extended (pax or GNU long-name) headers are capped before they are read,
and anything but zeros after a tar's end-of-archive marker is refused.
Extraction goes to a temporary folder beside the destination, renamed into place at the end.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, NoReturn

from core import settings
from core.errors import ArchiveError
from core.storage.publish import publishing

ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip", ".tar.gz", ".tgz", ".tar")

_CHUNK = 1 << 20
#: Largest tar extended header (pax, GNU long name or link) read: tarfile reads them whole.
MAX_TAR_HEADER_BYTES = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class ArchiveTooLarge(ArchiveError):
    """An archive unpacks to more than it may; ``needed``: the bytes counted when it stopped."""

    def __init__(self, message: str, needed: int) -> None:
        super().__init__(message)
        self.needed = needed


def is_archive(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` has the name of an archive Genre Lab unpacks (.zip, .tar.gz, .tgz, .tar)."""
    return Path(path).name.lower().endswith(ARCHIVE_SUFFIXES)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_dest(archive: Path, root: Path | None = None) -> Path:
    """A stable folder under ``root`` (default: the settings' ``unpack_dir``) for ``archive``: its
    name plus a short hash of its bytes.

    Two uploads of the same archive map to the same folder, so it is unpacked only once.
    """
    archive = Path(archive)
    try:
        digest = file_sha256(archive)
    except OSError as exc:
        raise ArchiveError(f"Cannot read the archive {archive.name}: {exc}.") from exc
    stem = archive.name
    for suffix in ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = _UNSAFE_NAME_CHARS.sub("_", stem).strip("._") or "archive"
    root = Path(root) if root is not None else settings.current().unpack_dir
    return root / f"{stem}-{digest[:12]}"


def unpack_archive(
    archive: Path,
    dest: Path,
    max_bytes: int | None = None,
    max_members: int | None = None,
) -> Path:
    """Unpack a zip or tar(.gz) archive safely into ``dest`` and return ``dest``.

    Parameters
    ----------
    archive
        The archive file; its format is detected from its content, not its name.
    dest
        Folder to create. If it already exists it is a complete earlier unpacking (it only
        appears by an atomic rename) and is returned as is.
    max_bytes
        Most bytes all members together may unpack to, counted while writing (default: the
        ``max_archive_mb`` setting).
    max_members
        Most entries (files and folders) the archive may hold (default: the
        ``max_archive_members`` setting).

    Raises
    ------
    ArchiveError
        The file is not a readable archive, a member is unsafe, or a limit is exceeded.
        Nothing is left behind in that case.
    """
    archive, dest = Path(archive), Path(dest)
    limits = settings.current()
    max_bytes = limits.max_archive_bytes if max_bytes is None else max_bytes
    max_members = limits.max_archive_members if max_members is None else max_members
    if dest.is_dir():
        return dest
    if dest.exists():
        raise ArchiveError(f"Cannot unpack into {dest}: a file of that name is in the way.")
    if not archive.is_file():
        raise ArchiveError(f"The archive {archive.name} does not exist.")
    try:
        with publishing(dest) as tmp:
            _extract(archive, tmp.resolve(), max_bytes, max_members)
    except FileExistsError as exc:  # fine if a concurrent unpacking of it finished first
        if not dest.is_dir():
            raise ArchiveError(f"Cannot unpack {archive.name} into {dest}: {exc}.") from exc
    except (
        tarfile.TarError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,
    ) as exc:  # RuntimeError: encrypted or unsupported zip members
        raise ArchiveError(
            f"Cannot unpack {archive.name}: it is corrupt or unreadable ({exc})."
        ) from exc
    return dest


def _extract(archive: Path, out: Path, max_bytes: int, max_members: int) -> None:
    budget = _Budget(archive.name, max_bytes)
    # Tar first: a plain tar whose last member is a zip could pass zipfile's end-record sniffing.
    if _is_tarfile(archive):
        _extract_tar(archive, out, budget, max_members)
    elif zipfile.is_zipfile(archive):
        _extract_zip(archive, out, budget, max_members)
    else:
        raise ArchiveError(f"{archive.name} is not a zip or tar archive, or it is corrupt.")


def _is_tarfile(archive: Path) -> bool:
    try:
        with _open_tar(archive):
            return True
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return False


class _Budget:
    """Counts bytes written across members and stops once ``max_bytes`` is passed."""

    def __init__(self, archive_name: str, max_bytes: int) -> None:
        self.archive_name = archive_name
        self.max_bytes = max_bytes
        self.used = 0

    def _fail(self, member: str, needed: int) -> NoReturn:
        mib, size = divmod(self.max_bytes, 2**20)
        limit = f"{mib} MiB" if mib and not size else f"{self.max_bytes:,} bytes"
        raise ArchiveTooLarge(
            f"{self.archive_name} unpacks to more than {limit} (stopped at member "
            f"{member!r}); it is too large or a zip bomb.",
            needed=needed,
        )

    def reserve(self, member: str, declared: int) -> None:
        """Fail early when a member's declared size already breaks the limit."""
        if self.used + max(declared, 0) > self.max_bytes:
            self._fail(member, self.used + declared)

    def count(self, member: str, size: int) -> None:
        """Count ``size`` more bytes read out of the archive; fail past the limit."""
        self.used += size
        if self.used > self.max_bytes:
            self._fail(member, self.used)

    def copy(self, member: str, src: IO[bytes], target: Path) -> None:
        """Stream ``src`` into ``target``, counting every byte actually written."""
        with target.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                self.count(member, len(chunk))
                dst.write(chunk)


def _safe_target(out: Path, name: str) -> Path | None:
    """The path inside ``out`` a member named ``name`` unpacks to; None for the root itself."""
    if "\\" in name or "\x00" in name:
        raise ArchiveError(f"Unsafe member {name!r}: backslashes and NUL bytes are not allowed.")
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError(f"Unsafe member {name!r}: absolute paths are not allowed.")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"Unsafe member {name!r}: '..' would write outside the destination.")
    if not parts:
        return None
    target = out.joinpath(*parts)
    if not target.resolve().is_relative_to(out):
        raise ArchiveError(f"Unsafe member {name!r}: it would write outside the destination.")
    return target


def _check_count(archive_name: str, count: int, max_members: int) -> None:
    if count > max_members:
        raise ArchiveError(
            f"{archive_name} holds more than {max_members} members; "
            "that is more than Genre Lab accepts."
        )


def _extract_zip(archive: Path, out: Path, budget: _Budget, max_members: int) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        _check_count(archive.name, len(infos), max_members)
        targets, seen = [], _Names(archive.name)
        for info in infos:  # validate everything before writing anything
            mode = info.external_attr >> 16
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise ArchiveError(
                    f"Unsafe member {info.filename!r}: links, devices and fifos are not allowed."
                )
            targets.append(seen.add(info.filename, _safe_target(out, info.filename), info.is_dir()))
        for info, target in zip(infos, targets, strict=True):
            if target is None:
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            budget.reserve(info.filename, info.file_size)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src:
                budget.copy(info.filename, src, target)


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses extended headers over :data:`MAX_TAR_HEADER_BYTES` (tarfile
    reads them whole into memory), sparse members, and a bad header after the first one (which
    tarfile takes for the end of the archive)."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        start = tarfile_.fileobj.tell()
        try:
            return super().fromtarfile(tarfile_)
        except (tarfile.InvalidHeaderError, tarfile.TruncatedHeaderError) as exc:
            if start == 0:
                raise  # not a tar at all: tarfile says so
            raise ArchiveError(
                f"The tar archive has unreadable data at byte {start:,} ({exc}): "
                "it is corrupt or has junk appended."
            ) from exc

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        extended = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, *_PAX_TYPES)
        if self.type in extended and self.size > MAX_TAR_HEADER_BYTES:
            raise ArchiveError(
                f"The tar archive declares a {self.size:,}-byte extended header at byte "
                f"{self.offset:,}; at most {MAX_TAR_HEADER_BYTES:,} are accepted."
            )
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise ArchiveError(f"Sparse tar members are not supported ({self.name!r}).")
        return super()._proc_member(tarfile_)


_PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)


def _open_tar(archive: Path) -> tarfile.TarFile:
    return tarfile.open(archive, "r:*", tarinfo=_BoundedTarInfo)


def _check_tar_end(tf: tarfile.TarFile, archive_name: str, budget: _Budget) -> None:
    """After the end-of-archive marker only zero padding may follow (read, never kept)."""
    while chunk := tf.fileobj.read(_CHUNK):
        budget.count("(after the end of the archive)", len(chunk))
        if chunk.count(0) != len(chunk):
            raise ArchiveError(
                f"{archive_name} has data after its end-of-archive marker; it is corrupt or "
                "something was appended to it."
            )


class _Names:
    """Member names seen so far: a file name given twice (or as a file and a folder) is refused,
    since one copy would silently replace the other."""

    def __init__(self, archive_name: str) -> None:
        self.archive_name = archive_name
        self.is_dir: dict[Path, bool] = {}

    def add(self, name: str, target: Path | None, is_dir: bool) -> Path | None:
        """``target`` (a member's path, None for the root), once checked against the others."""
        if target is not None:
            before = self.is_dir.get(target)
            if before is not None and not (before and is_dir):
                raise ArchiveError(
                    f"{self.archive_name} holds {name!r} more than once; refusing it rather "
                    "than letting one copy replace the other."
                )
            self.is_dir[target] = is_dir
        return target


def _extract_tar(archive: Path, out: Path, budget: _Budget, max_members: int) -> None:
    seen = _Names(archive.name)
    with _open_tar(archive) as tf:
        for count, member in enumerate(tf, start=1):
            _check_count(archive.name, count, max_members)
            if not (member.isfile() or member.isdir()):
                kind = "link" if member.issym() or member.islnk() else "device or fifo"
                raise ArchiveError(
                    f"Unsafe member {member.name!r}: it is a {kind}; "
                    "only files and folders are allowed."
                )
            target = seen.add(member.name, _safe_target(out, member.name), member.isdir())
            if hasattr(tarfile, "data_filter"):  # Python's own checks, on top of ours
                try:
                    tarfile.data_filter(member, str(out))
                except tarfile.FilterError as exc:
                    raise ArchiveError(f"Unsafe member {member.name!r}: {exc}.") from exc
            if target is None:
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            budget.reserve(member.name, member.size)
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tf.extractfile(member)
            if src is None:
                raise ArchiveError(f"Cannot read member {member.name!r} of {archive.name}.")
            with src:
                budget.copy(member.name, src, target)
        _check_tar_end(tf, archive.name, budget)
