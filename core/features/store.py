"""Feature store: a dataset's features computed once per (files, MelParams), memory-mapped after.

A store lives in ``<root>/<key>/`` (root: the settings' ``features_dir``), where ``key`` hashes
the parameters and every clip's path, size, modification time, track id and genre; changing any
file or parameter gives another key, so stale features are never reused. Its files:

- ``X.npy``: the features, row ``i`` for clip ``i`` of the index. Mel mode: float32
  ``(n_clips, n_segments, n_mels, n_frames)`` in dB/normalised as the params say; image mode
  (``params.image``): uint8 ``(n_clips, n_segments, 288, 432, 3)``.
- ``index.csv``: ``track_id, genre, path, seconds, padded_seconds`` (seconds of audio decoded,
  and of zeros appended to reach ``params.duration``), in manifest order;
  :attr:`Features.padding_mask` flags the segments that are mostly padding, and
  :meth:`Features.padding_warning` speaks up when much of the store is padding.
- ``skipped.csv``: ``track_id, path, problem`` of the clips left out (unreadable in the
  manifest, not audio, or failing to decode).
- ``meta.json``: key, params, shape, counts, creation time; written last.

A store is built in a hidden ``.tmp-*`` folder beside it and renamed into place only when
complete, so a crash, a kill or a cancellation never leaves anything that loads as a store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core import settings
from core.audio import load
from core.audio.clip import MOSTLY_PADDING, clip_features, padding_share
from core.audio.mel import MelParams
from core.audio.mel_fast import single_threaded_torch
from core.errors import AudioError, Cancelled, DatasetError, ParamsError
from core.policy import Actor, authorize
from core.storage import quota
from core.storage.atomic import atomic_path
from core.storage.publish import discard, publishing, remove_leftovers

#: Bump when the stored arrays would change for equal params and files (invalidates old stores).
STORE_VERSION = 1
#: A store whose features are more than this share zero padding is worth a warning.
PADDING_WARNING = 0.25
_META, _INDEX, _SKIPPED, _ARRAY = "meta.json", "index.csv", "skipped.csv", "X.npy"

Progress = Callable[[int, int], None]
StopSignal = threading.Event | Callable[[], bool]


@dataclass(frozen=True, eq=False)
class Features:
    """An opened store. ``X`` is a read-only memory map; its row ``i`` is ``index`` row ``i``."""

    key: str
    path: Path
    X: np.ndarray
    index: pd.DataFrame
    skipped: pd.DataFrame
    params: MelParams
    created: str

    @property
    def track_ids(self) -> np.ndarray:
        return self.index["track_id"].to_numpy()

    @property
    def genres(self) -> np.ndarray:
        return self.index["genre"].to_numpy()

    @property
    def n_clips(self) -> int:
        return len(self.index)

    @property
    def padding_mask(self) -> np.ndarray:
        """``(n_clips, n_segments)`` bool: segments that are mostly zero padding (the clip is
        shorter than ``params.duration``); training may leave them out."""
        sr = self.params.sample_rate
        return np.array(
            [
                padding_share(round(s * sr), self.params) > MOSTLY_PADDING
                for s in self.index["seconds"]
            ],
            dtype=bool,
        ).reshape(self.n_clips, -1)

    @property
    def padding_share(self) -> float:
        """Share (0..1) of the stored seconds that are zero padding."""
        stored = self.index["seconds"] + self.index["padded_seconds"]
        return float(self.index["padded_seconds"].sum() / stored.sum()) if stored.sum() else 0.0

    def padding_warning(self) -> str | None:
        """A sentence when more than ``PADDING_WARNING`` of the features is padding, else None."""
        share = self.padding_share
        if share <= PADDING_WARNING:
            return None
        mostly = int(self.padding_mask.sum())
        return (
            f"{share:.0%} of these features is zero padding: the clips are shorter than the "
            f"setting's duration ({self.params.duration:g} s); {mostly} segment(s) are mostly "
            "padding. Set a duration no longer than the clips."
        )


def store_key(manifest: pd.DataFrame, params: MelParams) -> str:
    """The key of the store for this manifest and these params (files are stat'ed now)."""
    return _key(_plan_rows(manifest)[0], params)


def compute_features(
    manifest: pd.DataFrame,
    params: MelParams,
    root: str | Path | None = None,
    progress: Progress | None = None,
    should_stop: StopSignal | None = None,
    workers: int = 2,
    user: str = "",
) -> Features:
    """Open the store of ``manifest`` x ``params``, computing it first if it does not exist.

    Parameters
    ----------
    manifest : one row per clip with columns ``track_id, path, genre, readable`` (and ``kind``,
        ``problem`` when present); unreadable and non-audio rows are skipped and reported.
    params : what to compute; must give a fixed shape per clip (``params.feature_shape``).
    root : folder of the stores (default: the settings' ``features_dir``).
    progress : called as ``progress(done, total)`` after each clip (only when computing).
    should_stop : a ``threading.Event`` or a callable; when set/true, stop and raise.
    workers : clips decoded and transformed in parallel (threads; torch runs one thread each).
    user : who asks; a store they build is theirs, within their disk quota in hosted mode.

    Raises
    ------
    Cancelled : ``should_stop`` fired; nothing is left on disk.
    DatasetError : no clip to compute, not enough disk space, or a damaged store.
    QuotaError : the store would pass a disk quota (hosted mode).
    ParamsError : the params do not give every clip the same shape.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> import numpy as np, pandas as pd, soundfile as sf
    >>> tmp = Path(tempfile.mkdtemp())
    >>> rows = []
    >>> for genre, hz in (("blues", 220), ("rock", 880)):  # 1 s of a sine per clip
    ...     path = tmp / f"{genre}.00000.wav"
    ...     sf.write(path, 0.5 * np.sin(2 * np.pi * hz * np.arange(22050) / 22050), 22050)
    ...     rows.append({"track_id": f"{genre}.00000", "path": path, "genre": genre, "readable": 1})
    >>> params = MelParams(duration=1.0, n_mels=32)
    >>> store = compute_features(pd.DataFrame(rows), params, tmp / "stores")
    >>> store.X.shape, list(store.genres)
    ((2, 1, 32, 44), ['blues', 'rock'])
    >>> compute_features(pd.DataFrame(rows), params, tmp / "stores").path == store.path  # reopened
    True
    >>> shutil.rmtree(tmp)
    """
    if params.feature_shape is None:
        raise ParamsError(
            "A feature store needs the same shape for every clip: set a duration (seconds per "
            "clip), or use whole clips only with one image each."
        )
    root = _root(root)
    usable, skipped = _plan_rows(manifest)
    key = _key(usable, params)
    if (root / key / _META).is_file():
        return open_store(key, root)
    if usable.empty:
        raise DatasetError("No readable audio clip in this dataset to compute features from.")
    root.mkdir(parents=True, exist_ok=True)
    remove_leftovers(root)
    shape, dtype = _array_layout(len(usable), params)
    need = int(np.prod(shape)) * np.dtype(dtype).itemsize
    try:
        with quota.reserve(user, need, "build these features"):  # held while it is written
            _check_disk(root, need)
            with publishing(root / key) as tmp:
                _build(tmp, key, usable, skipped, params, progress, _stopper(should_stop), workers)
            quota.claim("features", root / key, user)
    except FileExistsError:  # another process finished the same store first: use theirs
        pass
    return open_store(key, root)


def open_store(key: str, root: str | Path | None = None) -> Features:
    """Open a complete store by key; raise :class:`DatasetError` if it is missing or damaged."""
    path = _root(root) / key
    try:
        meta = json.loads((path / _META).read_text())
    except FileNotFoundError:
        raise DatasetError(f"No complete feature store {key!r} in {path.parent}.") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"Feature store {key!r} is damaged ({exc}); delete it.") from exc
    try:
        X = np.load(path / _ARRAY, mmap_mode="r")
        index = pd.read_csv(path / _INDEX, dtype=_TEXT, keep_default_na=False)
        skipped = pd.read_csv(path / _SKIPPED, dtype=_TEXT, keep_default_na=False)
        params = MelParams.from_dict(meta["params"])
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"Feature store {key!r} is damaged ({exc}); delete it.") from exc
    if list(X.shape) != meta["shape"] or len(index) != X.shape[0]:
        raise DatasetError(f"Feature store {key!r} is damaged (shape mismatch); delete it.")
    return Features(key, path, X, index, skipped, params, meta["created"])


def list_stores(root: str | Path | None = None) -> pd.DataFrame:
    """One row per complete store: key, params (summary), clips, skipped, size_bytes, created,
    dataset (the folder holding its clips), newest first."""
    root = _root(root)
    rows = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        meta_file = path / _META
        if path.name.startswith(".") or not meta_file.is_file():
            continue
        try:
            meta = json.loads(meta_file.read_text())
            summary = MelParams.from_dict(meta["params"]).summary()
        except (OSError, ValueError, KeyError):
            continue
        size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
        rows.append(
            {
                "key": path.name,
                "params": summary,
                "clips": meta["n_clips"],
                "skipped": meta["n_skipped"],
                "size_bytes": size,
                "created": meta["created"],
                "dataset": meta["dataset"],
            }
        )
    columns = ["key", "params", "clips", "skipped", "size_bytes", "created", "dataset"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("created", ascending=False, ignore_index=True)


def delete_store(key: str, root: str | Path | None = None, actor: Actor | None = None) -> None:
    """Delete a store (it disappears at once: renamed away, then removed).

    ``actor`` (None: the local user) must be allowed to write (AccessError for a viewer).
    """
    authorize(actor, "delete feature stores")
    root = _root(root)
    path = root / key
    if key.startswith(".") or "/" in key or not path.is_dir():
        raise DatasetError(f"No feature store {key!r} in {root}.")
    discard(path)


# -- building ----------------------------------------------------------------------------------
_TEXT = {"track_id": str, "genre": str, "path": str, "problem": str}


def _root(root: str | Path | None) -> Path:
    return Path(root) if root is not None else settings.current().features_dir


def _plan_rows(manifest: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the manifest into the clips to compute (with size and mtime) and those skipped."""
    missing = [c for c in ("track_id", "path", "genre", "readable") if c not in manifest.columns]
    if missing:
        raise DatasetError(f"The manifest lacks the column(s) {', '.join(missing)}.")
    rows = manifest.reset_index(drop=True)
    readable = rows["readable"].astype(bool)
    is_audio = rows["kind"].eq("audio") if "kind" in rows else pd.Series(True, index=rows.index)
    problems = rows["problem"] if "problem" in rows else pd.Series("", index=rows.index)
    reason = np.where(~readable, problems.replace("", "unreadable"), "an image, not audio")
    skipped = pd.DataFrame({"track_id": rows["track_id"], "path": rows["path"], "problem": reason})[
        ~(readable & is_audio)
    ]
    usable = rows.loc[readable & is_audio, ["track_id", "genre", "path"]].astype(str)
    stats = [_stat(p) for p in usable["path"]]
    usable["size"] = [s[0] for s in stats]
    usable["mtime_ns"] = [s[1] for s in stats]
    return usable.reset_index(drop=True), skipped.reset_index(drop=True)


def _stat(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1  # gone: it will fail to decode and be reported
    return st.st_size, st.st_mtime_ns


def _key(usable: pd.DataFrame, params: MelParams) -> str:
    files = usable[["track_id", "genre", "path", "size", "mtime_ns"]].values.tolist()
    blob = json.dumps(
        {"version": STORE_VERSION, "params": params.to_dict(), "files": files},
        sort_keys=True,
        default=int,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _array_layout(n_clips: int, params: MelParams) -> tuple[tuple[int, ...], type]:
    """The shape and dtype of the features array of ``n_clips`` clips."""
    return (n_clips, *params.feature_shape), np.uint8 if params.image else np.float32


def _build(
    folder: Path,
    key: str,
    usable: pd.DataFrame,
    skipped: pd.DataFrame,
    params: MelParams,
    progress: Progress | None,
    stop: Callable[[], bool],
    workers: int,
) -> None:
    shape, dtype = _array_layout(len(usable), params)
    X = np.lib.format.open_memmap(folder / _ARRAY, mode="w+", dtype=dtype, shape=shape)
    seconds = np.zeros(len(usable))
    failed: dict[int, str] = {}
    for i, result in _run(usable["path"].tolist(), params, progress, stop, workers):
        if isinstance(result, str):
            failed[i] = result
        else:
            X[i], seconds[i] = result
    X.flush()
    del X
    keep = np.array([i not in failed for i in range(len(usable))])
    if failed:
        _compact(folder / _ARRAY, keep)
        lost = usable.loc[~keep, ["track_id", "path"]].assign(
            problem=[failed[i] for i in sorted(failed)]
        )
        skipped = pd.concat([skipped, lost], ignore_index=True)
    needed = params.duration or 0.0
    index = usable.loc[keep, ["track_id", "genre", "path"]].assign(
        seconds=seconds[keep].round(4),
        padded_seconds=np.maximum(needed - seconds[keep], 0).round(4),
    )
    index.to_csv(folder / _INDEX, index=False)
    skipped.to_csv(folder / _SKIPPED, index=False)
    meta = {
        "version": STORE_VERSION,
        "key": key,
        "params": params.to_dict(),
        "shape": [int(keep.sum()), *params.feature_shape],
        "dtype": np.dtype(dtype).name,
        "n_clips": int(keep.sum()),
        "n_skipped": len(skipped),
        "n_padded": int((index["padded_seconds"] > 0).sum()),
        "dataset": os.path.commonpath([os.path.dirname(p) for p in usable["path"]]),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (folder / _META).write_text(json.dumps(meta, indent=1))  # last: marks the store complete


def _run(
    paths: list[str],
    params: MelParams,
    progress: Progress | None,
    stop: Callable[[], bool],
    workers: int,
) -> Iterator[tuple[int, tuple[np.ndarray, float] | str]]:
    """Yield ``(i, (features, seconds))`` or ``(i, problem)`` per clip, in completion order,
    with at most ``2 * workers`` clips in memory."""
    total, done = len(paths), 0
    if progress:
        progress(0, total)
    todo = iter(enumerate(paths))
    pending: dict[Future, int] = {}
    with single_threaded_torch(), ThreadPoolExecutor(max(1, workers)) as pool:
        try:
            while True:
                if stop():
                    raise Cancelled(
                        f"Feature extraction was cancelled after {done} of {total} clips; "
                        "nothing was saved."
                    )
                for i, path in todo:
                    pending[pool.submit(_one_clip, path, params)] = i
                    if len(pending) >= 2 * max(1, workers):
                        break
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield pending.pop(future), future.result()
                    done += 1
                    if progress:
                        progress(done, total)
        finally:
            for future in pending:
                future.cancel()


def _one_clip(path: str, params: MelParams) -> tuple[np.ndarray, float] | str:
    try:
        y = load(path, sr=params.sample_rate, offset=params.offset, duration=params.duration)
    except AudioError as exc:
        return f"could not be decoded: {exc}"
    return clip_features(y, params), len(y) / params.sample_rate


def _compact(array: Path, keep: np.ndarray) -> None:
    """Drop the rows of clips that failed, copying row by row (memory stays bounded)."""
    src = np.load(array, mmap_mode="r")
    with atomic_path(array) as out:
        dst = np.lib.format.open_memmap(
            out, mode="w+", dtype=src.dtype, shape=(int(keep.sum()), *src.shape[1:])
        )
        for j, i in enumerate(np.flatnonzero(keep)):
            dst[j] = src[i]
        dst.flush()
        del src, dst


def _check_disk(root: Path, need: int) -> None:
    free = shutil.disk_usage(root).free
    if need > free:
        raise DatasetError(
            f"Not enough disk space for these features: they need {need / 2**30:.2f} GiB, "
            f"{free / 2**30:.2f} GiB are free in {root}."
        )


def _stopper(should_stop: StopSignal | None) -> Callable[[], bool]:
    if should_stop is None:
        return lambda: False
    if isinstance(should_stop, threading.Event):
        return should_stop.is_set
    return should_stop
