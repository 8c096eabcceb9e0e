"""Find a dataset in a folder (or archive) and build its manifest: one row per clip.

Recognised layouts
------------------
``gtzan``   the original archive: ``genres/<genre>/<genre>.NNNNN.au`` (or ``.wav``)
``kaggle``  the Kaggle edition: ``Data/genres_original/<genre>/*.wav``, ``images_original/`` beside
``images``  the Kaggle mel images alone: ``images_original/<genre>/<genre>NNNNN.png``
``folder``  any folder-per-label audio dataset (wav, au, flac, ogg, mp3)
``demo``    the generated demo set (GTZAN layout plus its own ground truth, ``demo_meta.csv``)
"""

from __future__ import annotations

import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import audio
from core.dataset.archive import is_archive
from core.dataset.flags import join_flags, load_flags
from core.dataset.gtzan_meta import join_gtzan_metadata, track_id_from_name
from core.dataset.library import unpack_dataset
from core.demo.truth import META_NAME, load_demo_truth
from core.errors import AudioError, DatasetError
from core.genres import GENRES
from core.settings import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS

MANIFEST_COLUMNS: tuple[str, ...] = (
    "track_id",
    "path",
    "genre",
    "kind",
    "duration",
    "sample_rate",
    "channels",
    "readable",
    "problem",
)
LAYOUT_HELP = (
    "Expected one of: GTZAN's genres/<genre>/<genre>.NNNNN.au, Kaggle's Data/genres_original/..., "
    "images_original/<genre>/*.png, or one sub-folder of audio files per label."
)


@dataclass(frozen=True)
class Dataset:
    """A discovered dataset: where it is, how it is laid out, and its manifest."""

    root: Path
    layout: str
    manifest: pd.DataFrame

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def genres(self) -> list[str]:
        """Labels present, in GTZAN order first, then the others alphabetically."""
        present = set(self.manifest["genre"])
        return [g for g in GENRES if g in present] + sorted(present - set(GENRES))

    @property
    def usable(self) -> pd.DataFrame:
        """The readable rows of the manifest."""
        return self.manifest[self.manifest["readable"]].reset_index(drop=True)

    @property
    def fingerprint(self) -> str:
        """A short hash of every file's path, size and modification time."""
        digest = hashlib.sha256()
        for path in sorted(self.manifest["path"]):
            stat = Path(path).stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]


def discover(path: str | Path, unpack_root: Path | None = None) -> Dataset:
    """Recognise the layout at ``path`` (a folder or a .zip/.tar.gz) and build the manifest.

    Archives are unpacked (safely, once per content) into a folder under ``unpack_root``
    (default: the settings' ``unpack_dir``).

    Raises
    ------
    DatasetError
        when the path does not exist or holds no recognisable dataset.
    """
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise DatasetError(f"{path} does not exist.")
    if path.is_file():
        if not is_archive(path):
            raise DatasetError(f"{path.name} is neither a folder nor a .zip / .tar.gz archive.")
        return _discover_unpacked(path, unpack_dataset(path, unpack_root))
    root, layout, files = _find_layout(path)
    manifest = _build_manifest(files)
    if (root / META_NAME).is_file():
        layout = "demo"
        manifest = _join_demo_truth(manifest, root)
    elif layout in ("gtzan", "kaggle", "images"):
        manifest = join_gtzan_metadata(manifest)
    manifest = join_flags(manifest, load_flags(root))
    if layout == "kaggle":
        manifest["image_path"] = [
            _kaggle_image(root, t, g)
            for t, g in zip(manifest["track_id"], manifest["genre"], strict=True)
        ]
    return Dataset(root=root, layout=layout, manifest=manifest)


def _discover_unpacked(archive: Path, unpacked: Path) -> Dataset:
    """The dataset in an archive's unpacked folder, which is deleted again (it only costs disk)
    when it holds no dataset or not one readable clip."""
    try:
        dataset = discover(unpacked)
        if not dataset.manifest["readable"].any():
            problems = dataset.manifest["problem"].drop_duplicates().head(3)
            raise DatasetError(
                f"{archive.name} holds no readable clip, so it was not kept: " + "; ".join(problems)
            )
    except DatasetError:
        shutil.rmtree(unpacked, ignore_errors=True)
        raise
    return dataset


def _find_layout(path: Path) -> tuple[Path, str, list[tuple[str, Path]]]:
    """Return (root, layout, [(label, file), ...])."""
    path = _skip_wrappers(path)
    for candidate, layout in (
        (path / "Data" / "genres_original", "kaggle"),
        (path / "genres_original", "kaggle"),
        (path / "genres", "gtzan"),
    ):
        files = _labelled_files(candidate, AUDIO_EXTENSIONS)
        if files:
            return path, layout, files
    for candidate in (path / "images_original", path):
        files = _labelled_files(candidate, IMAGE_EXTENSIONS)
        if files and all(track_id_from_name(f.name) for _, f in files):
            return path, "images", files
    files = _labelled_files(path, AUDIO_EXTENSIONS)
    if files:
        gtzan_named = all(track_id_from_name(f.name) for _, f in files)
        return path, "gtzan" if gtzan_named else "folder", files
    raise DatasetError(f"No audio or spectrogram images found under {path}. {LAYOUT_HELP}")


def _skip_wrappers(path: Path) -> Path:
    """Descend through folders holding only one folder of folders (as archives often do)."""
    while True:
        entries = [e for e in path.iterdir() if not e.name.startswith((".", "__MACOSX"))]
        if len(entries) != 1 or not entries[0].is_dir():
            return path
        if not any(e.is_dir() for e in entries[0].iterdir()):
            return path
        path = entries[0]


def _labelled_files(folder: Path, extensions: tuple[str, ...]) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        return []
    return [
        (label_dir.name, file)
        for label_dir in sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0] != ".")
        for file in sorted(label_dir.iterdir())
        if file.is_file() and file.suffix.lower() in extensions and not file.name.startswith(".")
    ]


def _build_manifest(files: list[tuple[str, Path]]) -> pd.DataFrame:
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(_describe, files))
    return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))


def _describe(item: tuple[str, Path]) -> tuple:
    label, file = item
    track = track_id_from_name(file.name) or f"{label}/{file.stem}"
    if file.suffix.lower() in IMAGE_EXTENSIONS:
        return _describe_image(track, label, file)
    try:
        info = audio.probe(file)
    except AudioError as exc:
        return (track, str(file), label, "audio", float("nan"), 0, 0, False, str(exc))
    problem = "" if info.duration > 0 else "The file holds no audio samples."
    return (
        track,
        str(file),
        label,
        "audio",
        info.duration,
        info.sample_rate,
        info.channels,
        not problem,
        problem,
    )


def _describe_image(track: str, label: str, file: Path) -> tuple:
    from core.dataset.images import open_image

    try:
        with open_image(file) as img:
            img.verify()
            channels = len(img.getbands())
    except DatasetError as exc:
        return (track, str(file), label, "image", float("nan"), 0, 0, False, str(exc))
    return (track, str(file), label, "image", float("nan"), 0, channels, True, "")


def _kaggle_image(root: Path, track: str, genre: str) -> str:
    name = track.replace(".", "") + ".png"
    for images in (root / "Data" / "images_original", root / "images_original"):
        if (images / genre / name).is_file():
            return str(images / genre / name)
    return ""


def _join_demo_truth(manifest: pd.DataFrame, root: Path) -> pd.DataFrame:
    """Join a generated dataset's own ground truth (artist, planted fault) onto the manifest."""
    meta = load_demo_truth(root).set_index("track_id")
    out = manifest.copy()
    out["artist"] = out["track_id"].map(meta["artist"]).fillna("")
    out["title"] = ""
    out["faults"] = out["track_id"].map(meta["fault"]).fillna("")
    out["filtered_split"] = ""
    return out
