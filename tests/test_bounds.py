"""Hostile files stay bounded (issue 15): decoded audio, image pixels and tar headers are checked
before anything large is decoded, and memory is measured as a child process's peak RSS."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from core import audio
from core.audio.decode import decoded_bytes
from core.dataset.archive import unpack_archive
from core.dataset.discover import discover
from core.dataset.images import load_image
from core.errors import ArchiveError, DatasetError
from tests.child import run_python
from tests.conftest import write_tone

# ------------------------------------------------------------------------------ audio


def _whole_file_load(path: Path, sr: int, offset: float = 0.0, duration: float | None = None):
    """Decoding as it was before streaming (whole file read, mixed, resampled at once)."""
    with sf.SoundFile(path) as f:
        native = f.samplerate
        f.seek(int(round(offset * native)))
        frames = -1 if duration is None else int(round(duration * native))
        data = f.read(frames, dtype="float32", always_2d=True)
    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return soxr.resample(y, native, sr, quality="HQ") if native != sr else y


@pytest.mark.parametrize(
    ("name", "sr", "channels", "subtype"),
    [
        ("mono.wav", 22050, 1, "PCM_16"),
        ("stereo.flac", 44100, 2, "PCM_24"),
        ("six.wav", 48000, 6, "FLOAT"),
        ("low.ogg", 16000, 1, "VORBIS"),
    ],
)
@pytest.mark.parametrize(("offset", "duration"), [(0.0, None), (1.3, 2.1)])
def test_streamed_decoding_gives_the_whole_file_output(
    tmp_path, name, sr, channels, subtype, offset, duration
):
    rng = np.random.default_rng(1)
    seconds = 7.5  # several blocks at every rate
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 330 * t)[:, None] + rng.normal(0, 0.05, (len(t), channels))
    path = tmp_path / name
    sf.write(path, y.astype(np.float32), sr, subtype=subtype)
    got = audio.load(path, offset=offset, duration=duration)
    np.testing.assert_array_equal(got, _whole_file_load(path, 22050, offset, duration))


def test_streamed_decoding_of_the_demo_set_and_real_clips(shared_gtzan):
    clips = sorted((shared_gtzan / "audio_sample").rglob("*.wav"))[:5]
    assert clips
    for path in clips:
        np.testing.assert_array_equal(audio.load(path), _whole_file_load(path, 22050))


def test_decoded_size_is_checked_from_the_header(tmp_path):
    path = write_tone(tmp_path / "a.wav", seconds=4.0, sr=48000, channels=2)  # 1.5 MB decoded
    assert decoded_bytes(192000, 2, 48000, 22050) == (1536000, 352800)
    code = f"from core import audio; audio.load({str(path)!r}); print('decoded')"
    child = run_python(code, env={"GENRELAB_MAX_AUDIO_SOURCE_MB": "1"})
    assert "more than the limit of 1 MB (GENRELAB_MAX_AUDIO_SOURCE_MB)" in child.output


@pytest.fixture(scope="module")
def flac_bomb(tmp_path_factory) -> Path:
    """The issue's file: 600 s of 8 channels at 192 kHz, near silence: a few MB of FLAC that
    decodes to 3.5 GB of float32."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.flac"
    block = np.zeros((192000 * 10, 8), np.int16)
    block[:19200] = (3000 * np.sin(np.arange(19200) / 10))[:, None]  # a blip every 10 s
    with sf.SoundFile(path, "w", 192000, 8, "PCM_16", format="FLAC") as f:
        for _ in range(60):
            f.write(block)
    assert path.stat().st_size < 16 * 2**20
    return path


def test_flac_bomb_is_refused_from_its_header_with_little_memory(flac_bomb):
    code = (
        "from core import audio\n"
        "from core.errors import AudioError\n"
        f"try:\n    audio.load(open({str(flac_bomb)!r}, 'rb').read())\n"
        "except AudioError as exc:\n    print('refused:', exc)\n"
    )
    child = run_python(code, timeout=60)
    assert child.returncode == 0, child.output
    assert "refused: The clip decodes to 3,516 MB" in child.output
    assert "GENRELAB_MAX_AUDIO_SOURCE_MB" in child.output
    assert child.peak_mb < 300, child.peak_mb


def test_flac_bomb_decodes_block_by_block_when_allowed(flac_bomb):
    """120 s of it are 737 MB as 8-channel float32 at 192 kHz; streamed, the child's peak stays
    well under that (before streaming it needed over 1 GB)."""
    code = (
        "from core import audio\n"
        "notes = []\n"
        f"y = audio.load({str(flac_bomb)!r}, max_seconds=120, notes=notes)\n"
        "print(len(y), notes)\n"
    )
    child = run_python(code, env={"GENRELAB_MAX_AUDIO_SOURCE_MB": "8192"}, timeout=300)
    assert child.returncode == 0, child.output
    assert child.output.startswith(f"{120 * 22050} ")
    assert "Only the first 2 min of 10 min were analysed." in child.output
    assert "The 8 channels were mixed down to mono." in child.output
    assert child.peak_mb < 400, child.peak_mb


# ------------------------------------------------------------------------------ images


def _png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG of any size, compressed as it is written (tiny in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    z = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("side", "message"), [(20000, "too many pixels"), (5000, "megapixels")])
def test_image_bomb_is_a_typed_error(tmp_path, side, message):
    path = tmp_path / "blues00000.png"
    path.write_bytes(_png(side, side))
    with pytest.raises(DatasetError, match=message):
        load_image(path)


def test_zip_of_one_image_bomb_is_a_clear_error_and_not_kept(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images_original/blues/blues00000.png", _png(20000, 20000))
    unpacked = tmp_path / "unpacked"
    with pytest.raises(DatasetError, match="no readable clip.*too many pixels"):
        discover(archive, unpack_root=unpacked)
    assert not any(unpacked.iterdir())


# ------------------------------------------------------------------------------ archives


def _header(name: str, size: int, kind: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def _huge_header_tgz(path: Path, kind: bytes, size: int = 2**30) -> Path:
    """A .tar.gz whose first member is an extended header of ``size`` bytes: gzip members of
    1 MiB of zeros repeated (gzip allows concatenated members), so it is built in no time."""
    mib = zlib.compress(b"\x00" * 2**20)
    gz_mib = _gzip_member(b"\x00" * 2**20)
    with path.open("wb") as out:
        out.write(_gzip_member(_header("././@PaxHeader", size, kind)))
        for _ in range(size // 2**20):
            out.write(gz_mib)
    assert len(mib) and path.stat().st_size < 2 * 2**20
    return path


def _gzip_member(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=9, mtime=0)


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME])
def test_huge_tar_extended_header_is_refused_quickly_with_little_memory(tmp_path, kind):
    archive = _huge_header_tgz(tmp_path / "pax.tar.gz", kind)
    code = (
        "import time\n"
        "from core.dataset.archive import unpack_archive\n"
        "t = time.monotonic()\n"
        f"try:\n    unpack_archive({str(archive)!r}, {str(tmp_path / 'out')!r})\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
        "print(f'seconds {time.monotonic() - t:.1f}')\n"
    )
    child = run_python(code, timeout=60)
    assert "ArchiveError" in child.output and "1,073,741,824-byte extended header" in child.output
    assert float(child.output.split("seconds ")[1]) < 5
    assert child.peak_mb < 200, child.peak_mb
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pax.tar.gz"]


def _tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_duplicate_member_names_are_refused(tmp_path):
    tar = tmp_path / "dup.tar"
    tar.write_bytes(_tar_bytes([("a/x.wav", b"one"), ("a/./x.wav", b"two")]))
    with pytest.raises(ArchiveError, match="more than once"):
        unpack_archive(tar, tmp_path / "t")
    zipped = tmp_path / "dup.zip"
    with zipfile.ZipFile(zipped, "w") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("a/x.wav", b"one")
        zf.writestr("a/x.wav", b"two")
    with pytest.raises(ArchiveError, match="more than once"):
        unpack_archive(zipped, tmp_path / "z")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dup.tar", "dup.zip"]


@pytest.mark.parametrize("gz", [False, True])
def test_junk_after_the_end_of_a_tar_is_refused(tmp_path, gz):
    import gzip

    data = _tar_bytes([("a/x.wav", b"one")])
    assert data[-1024:] == b"\x00" * 1024
    good, bad = data, data + b"junk" * 300
    for name, payload in (("good", good), ("bad", bad)):
        path = tmp_path / f"{name}.tar{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(payload) if gz else payload)
    assert (
        unpack_archive(tmp_path / f"good.tar{'.gz' if gz else ''}", tmp_path / "g") / "a" / "x.wav"
    ).read_bytes() == b"one"
    with pytest.raises(ArchiveError, match="after its end-of-archive marker"):
        unpack_archive(tmp_path / f"bad.tar{'.gz' if gz else ''}", tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_junk_in_place_of_a_later_header_is_refused(tmp_path):
    data = _tar_bytes([("a/x.wav", b"one"), ("a/y.wav", b"two")])
    second = 1024  # header 512 + data padded to 512
    tar = tmp_path / "bad.tar"
    tar.write_bytes(data[:second] + b"\x13" * 512 + data[second + 512 :])
    with pytest.raises(ArchiveError, match="unreadable data at byte 1,024"):
        unpack_archive(tar, tmp_path / "b")


def test_archive_of_unreadable_clips_leaves_nothing_on_disk(tmp_path):
    archive = tmp_path / "junk.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(20):
            zf.writestr(f"blues/{i}.wav", b"\x00" * 2**20)  # 20 MB of zeros: no audio
    unpacked = tmp_path / "unpacked"
    with pytest.raises(DatasetError, match="no readable clip, so it was not kept"):
        discover(archive, unpack_root=unpacked)
    assert sum(p.stat().st_size for p in unpacked.rglob("*")) == 0
