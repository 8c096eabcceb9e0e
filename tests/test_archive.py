"""Safe archive unpacking: round trips, path escapes, links, limits, bombs, corrupt files, reuse."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from core.dataset.archive import _Budget, archive_dest, is_archive, unpack_archive
from core.errors import ArchiveError

MEMBERS = {
    "genres/blues/blues.00000.wav": b"RIFF blues" * 100,
    "genres/rock/rock.00000.wav": b"RIFF rock" * 100,
    "README.txt": b"hello",
}


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return path


def tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def tar_special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, None


def make_tar(path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    mode = "w" if path.name.endswith(".tar") else "w:gz"
    with tarfile.open(path, mode) as tf:
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def make_archive(path: Path, members: dict[str, bytes]) -> Path:
    if path.suffix == ".zip":
        return make_zip(path, members)
    return make_tar(path, [tar_file(n, d) for n, d in members.items()])


def assert_nothing_left(tmp_path: Path, dest: Path) -> None:
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no half-written temporary folder either
    assert not [p for p in tmp_path.rglob("*") if "evil" in p.name]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.zip", True),
        ("a.TAR.GZ", True),
        ("a.tgz", True),
        ("a.tar", True),
        ("a.gz", False),
        ("a.wav", False),
        ("zip", False),
    ],
)
def test_is_archive(name: str, expected: bool) -> None:
    assert is_archive(name) is expected


@pytest.mark.parametrize("name", ["data.zip", "data.tar.gz", "data.tar"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    archive = make_archive(tmp_path / name, MEMBERS)
    dest = tmp_path / "out" / "data"
    assert unpack_archive(archive, dest) == dest
    files = {p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert files == MEMBERS
    assert [p.name for p in dest.parent.iterdir()] == ["data"]


@pytest.mark.parametrize(
    "evil",
    ["../evil.txt", "/tmp/evil.txt", "..\\evil.txt", "C:/evil.txt", "a/../../evil.txt"],
)
def test_zip_member_escaping_dest_is_refused(tmp_path: Path, evil: str) -> None:
    archive = make_zip(tmp_path / "bad.zip", {"ok.txt": b"fine", evil: b"pwned"})
    dest = tmp_path / "out" / "bad"
    with pytest.raises(ArchiveError, match="Unsafe member") as err:
        unpack_archive(archive, dest)
    assert repr(evil) in str(err.value)
    assert_nothing_left(tmp_path, dest)


def test_zip_symlink_entry_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("evil_link")
    link.create_system = 3  # unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        zf.writestr(link, "/etc/passwd")
    dest = tmp_path / "out" / "link"
    with pytest.raises(ArchiveError, match="evil_link"):
        unpack_archive(archive, dest)
    assert_nothing_left(tmp_path, dest)


@pytest.mark.parametrize(
    "entry",
    [
        tar_special("evil_sym", tarfile.SYMTYPE, "/etc/passwd"),
        tar_special("evil_sym_rel", tarfile.SYMTYPE, "../../outside"),
        tar_special("evil_hard", tarfile.LNKTYPE, "ok.txt"),
        tar_special("evil_fifo", tarfile.FIFOTYPE),
        tar_special("evil_dev", tarfile.CHRTYPE),
        tar_file("../evil.txt", b"pwned"),
        tar_file("/tmp/evil.txt", b"pwned"),
    ],
    ids=["symlink-abs", "symlink-rel", "hardlink", "fifo", "device", "dotdot", "absolute"],
)
def test_unsafe_tar_member_is_refused(tmp_path: Path, entry: tuple) -> None:
    archive = make_tar(tmp_path / "bad.tar.gz", [tar_file("ok.txt", b"fine"), entry])
    dest = tmp_path / "out" / "bad"
    with pytest.raises(ArchiveError, match="Unsafe member") as err:
        unpack_archive(archive, dest)
    assert entry[0].name in str(err.value)
    assert_nothing_left(tmp_path, dest)


@pytest.mark.parametrize("name", ["many.zip", "many.tar.gz"])
def test_too_many_members(tmp_path: Path, name: str) -> None:
    archive = make_archive(tmp_path / name, {f"f{i}.txt": b"x" for i in range(6)})
    dest = tmp_path / "out" / "many"
    with pytest.raises(ArchiveError, match="more than 5 members"):
        unpack_archive(archive, dest, max_members=5)
    assert_nothing_left(tmp_path, dest)
    assert unpack_archive(archive, dest, max_members=6) == dest


@pytest.mark.parametrize("name", ["bomb.zip", "bomb.tar.gz"])
def test_bomb_over_max_bytes(tmp_path: Path, name: str) -> None:
    archive = make_archive(tmp_path / name, {"zeros.bin": bytes(8 * 2**20)})
    assert archive.stat().st_size < 100_000  # highly compressible
    dest = tmp_path / "out" / "bomb"
    with pytest.raises(ArchiveError, match="zip bomb"):
        unpack_archive(archive, dest, max_bytes=2**20)
    assert_nothing_left(tmp_path, dest)


def test_bytes_limit_counts_all_members_together(tmp_path: Path) -> None:
    members = {f"p{i}.bin": bytes(300_000) for i in range(4)}
    archive = make_archive(tmp_path / "parts.tar.gz", members)
    dest = tmp_path / "out" / "parts"
    with pytest.raises(ArchiveError, match="p3.bin"):
        unpack_archive(archive, dest, max_bytes=1_000_000)
    assert_nothing_left(tmp_path, dest)


def test_written_bytes_are_counted_even_beyond_declared_sizes(tmp_path: Path) -> None:
    """The running count stops a stream longer than any header said, mid-member."""
    budget = _Budget("stream.zip", max_bytes=2**20)
    budget.reserve("big.bin", declared=10)  # the header claims 10 bytes...
    target = tmp_path / "big.bin"
    with pytest.raises(ArchiveError, match=r"more than 1 MiB \(stopped at member 'big.bin'\)"):
        budget.copy("big.bin", io.BytesIO(bytes(5 * 2**20)), target)  # ...the stream has 5 MiB
    assert target.stat().st_size <= 2**20


def test_zip_lying_about_its_size_is_stopped(tmp_path: Path) -> None:
    """Declared sizes patched down to 100 bytes: the real 4 MiB never reaches the disk."""
    data = bytearray(make_zip(tmp_path / "liar.zip", {"zeros.bin": bytes(4 * 2**20)}).read_bytes())
    real = (4 * 2**20).to_bytes(4, "little")
    fake = (100).to_bytes(4, "little")
    assert data.count(real) == 2  # the local header and the central directory entry
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(data).replace(real, fake))
    dest = tmp_path / "out" / "liar"
    with pytest.raises(ArchiveError, match="liar.zip"):
        unpack_archive(archive, dest, max_bytes=2**20)
    assert_nothing_left(tmp_path, dest)


@pytest.mark.parametrize("name", ["junk.zip", "junk.tar.gz", "empty.zip"])
def test_not_an_archive(tmp_path: Path, name: str) -> None:
    archive = tmp_path / name
    archive.write_bytes(b"" if name.startswith("empty") else b"not an archive at all" * 50)
    dest = tmp_path / "out" / "junk"
    with pytest.raises(ArchiveError, match="not a zip or tar archive"):
        unpack_archive(archive, dest)
    assert_nothing_left(tmp_path, dest)


@pytest.mark.parametrize("name", ["cut.zip", "cut.tar.gz"])
def test_corrupt_archive(tmp_path: Path, name: str) -> None:
    """A truncated tar.gz, and a zip whose member data is damaged."""
    members = {f"m{i}.bin": bytes(range(256)) * 400 for i in range(3)}
    archive = make_archive(tmp_path / name, members)
    data = archive.read_bytes()
    if name.endswith(".zip"):
        start = data.index(b"m1.bin") + 20  # inside the second member's compressed data
        archive.write_bytes(data[:start] + bytes(200) + data[start + 200 :])
    else:
        archive.write_bytes(data[: len(data) // 2])
    dest = tmp_path / "out" / "cut"
    with pytest.raises(ArchiveError, match="corrupt"):
        unpack_archive(archive, dest)
    assert_nothing_left(tmp_path, dest)


def test_same_archive_reuses_one_folder(tmp_path: Path) -> None:
    first = make_zip(tmp_path / "My Songs.zip", MEMBERS)
    second = tmp_path / "again" / "My Songs.zip"  # a second upload of the same bytes
    second.parent.mkdir()
    second.write_bytes(first.read_bytes())
    (tmp_path / "other").mkdir()
    root = tmp_path / "unpacked"
    dest = archive_dest(first, root)
    assert dest == archive_dest(second, root)
    assert dest.parent == root and dest.name.startswith("My_Songs-") and len(dest.name) == 21
    assert unpack_archive(first, dest) == dest
    marker = dest / "README.txt"
    marker.write_bytes(b"edited after unpacking")
    assert unpack_archive(second, archive_dest(second, root)) == dest
    assert marker.read_bytes() == b"edited after unpacking"  # reused, not unpacked again
    other = make_zip(tmp_path / "other" / "My Songs.zip", {"other.txt": b"different"})
    assert archive_dest(other, root) != dest
