"""Runs as one archive, so that results travel between machines: export, and validated import.

An export is a ``.zip`` holding one folder per run, ``<run_id>/``, with the files of a finished
run (``RUN_FILES``, and ``FOLD_FILES`` in each ``fold_<i>/``, named in :mod:`core.runs.files`);
live files (events, locks, logs, cancel flags) stay behind.

Import trusts nothing. The archive is unpacked safely (``core.dataset.archive``: no path
escapes, no links, size limits) into a hidden folder of the models folder; then every run
folder must hold only known files, JSON that parses, predictions that read as CSV, PyTorch
weights that load with ``torch.load(weights_only=True)`` (which refuses pickled objects) and
Keras files without pickles, lambdas or classes from outside Keras; its config must use the
default executor and its status be ``completed``. Anything else rejects the whole archive
with an :class:`ArchiveError` and leaves nothing behind. A run whose id is taken gets a new one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.dataset.archive import unpack_archive
from core.errors import ArchiveError, GenreLabError
from core.policy import Actor, authorize
from core.runs import Run, RunError, RunStatus, files, load_run, models_root, new_run_id, run_dir
from core.runs.config import DEFAULT_EXECUTOR, RunConfig
from core.runs.files import FOLD_FILES, FOLD_RE, REQUIRED_FILES, RUN_FILES
from core.runs.validate import RunDamaged, check_run, read_json
from core.storage import quota
from core.storage.atomic import atomic_path, write_json
from core.storage.publish import publish, temp_dir

#: Members a ``.keras`` file may hold (Keras 3's format: no pickles, no code).
_KERAS_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}


# ---- export --------------------------------------------------------------------------------------


def export_runs(
    run_ids: Iterable[str], dest: str | os.PathLike, root: str | os.PathLike | None = None
) -> Path:
    """Write the completed runs ``run_ids`` into one ``.zip``; returns its path.

    ``dest`` is the file to write, or a folder to write ``genrelab-runs-<time>.zip`` into. The
    file appears complete or not at all. Raises RunError for a missing or unfinished run.
    """
    runs = [load_run(run_id, root) for run_id in dict.fromkeys(run_ids)]
    if not runs:
        raise RunError("Choose at least one run to export.")
    for run in runs:
        if run.status is not RunStatus.COMPLETED:
            raise RunError(
                f"Run {run.label!r} is {run.status.value}: only completed runs can be exported."
            )
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"genrelab-runs-{time.strftime('%Y%m%d-%H%M%S')}.zip"
    with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for run in runs:
            try:
                for path in _run_files(run.dir):
                    zf.write(path, f"{run.id}/{path.relative_to(run.dir).as_posix()}")
            except FileNotFoundError as exc:
                raise RunError(f"Run {run.label!r} was deleted while it was exported.") from exc
    return dest


def _run_files(folder: Path) -> Iterator[Path]:
    """The files of a run folder that belong in an export, in a stable order."""
    for name in RUN_FILES:
        if (folder / name).is_file():
            yield folder / name
    for fold in sorted(p for p in folder.iterdir() if p.is_dir() and FOLD_RE.fullmatch(p.name)):
        for name in FOLD_FILES:
            if (fold / name).is_file():
                yield fold / name


# ---- import --------------------------------------------------------------------------------------


def import_runs(
    archive: str | os.PathLike, root: str | os.PathLike | None = None, actor: Actor | None = None
) -> list[Run]:
    """Add the runs of an archive made by :func:`export_runs` to the models folder ``root``.

    ``actor`` (None: the local user) must be allowed to write (AccessError for a viewer).

    Every run is validated before any is added (see the module's docstring); runs appear in
    the registry only complete. An ``actor`` with a name owns the imported runs, the archive's
    user kept as their ``origin`` (the local user keeps the archive's user as the owner).
    Returns the imported runs, under their new ids where their own were taken.

    Raises
    ------
    ArchiveError
        The archive is unsafe, malformed, or holds something that is not a finished run.
        Nothing is left behind.
    """
    owner = authorize(actor, "import runs").user
    root = models_root(root)
    root.mkdir(parents=True, exist_ok=True)
    staging = temp_dir(root / "import")
    try:
        _refuse_duplicates(Path(archive))
        folders = sorted(unpack_archive(Path(archive), staging / "runs").iterdir())
        if not folders:
            raise ArchiveError("The archive holds no runs.")
        for folder in folders:
            _validate_run(folder)
            if owner:
                _take_ownership(folder, owner)
        runs = _move_in(folders, root)
        for run in runs:
            quota.claim("runs", run.dir, run.user)
        return runs
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_duplicates(archive: Path) -> None:
    """ArchiveError if two members of a zip or tar archive have the same name (one would
    silently replace the other)."""
    import tarfile

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                names = zf.namelist()
        else:
            with tarfile.open(archive) as tf:
                names = tf.getnames()
    except (OSError, tarfile.TarError, zipfile.BadZipFile):
        return  # unpacking says what is wrong with it
    seen: set[str] = set()
    for name in names:
        key = name.rstrip("/").removeprefix("./")
        if key in seen:
            raise ArchiveError(f"The archive holds {name!r} twice: it is refused.")
        seen.add(key)


def _take_ownership(folder: Path, user: str) -> None:
    """Record ``user`` as the run's owner, and the archive's user as its origin."""
    meta = read_json(folder / files.META, dict) if (folder / files.META).is_file() else {}
    origin = str(meta.get("origin") or meta.get("user") or "")
    write_json(
        folder / files.META, {"name": str(meta.get("name", "")), "user": user, "origin": origin}
    )


def _move_in(folders: list[Path], root: Path) -> list[Run]:
    """Rename validated run folders into ``root`` (new ids on collision); all or none."""
    moved: list[Path] = []
    try:
        for folder in folders:
            moved.append(_rename_free(folder, root))
    except BaseException:
        for path in moved:
            shutil.rmtree(path, ignore_errors=True)
        raise
    return [Run.from_dir(path) for path in moved]


def _rename_free(folder: Path, root: Path) -> Path:
    """Move ``folder`` to ``root/<its name>``, or to a new run id if that one is taken."""
    for attempt in range(20):
        target = root / (folder.name if attempt == 0 else new_run_id())
        if target.exists():
            continue
        try:
            publish(folder, target)
        except FileExistsError:  # a run of that id appeared meanwhile
            continue
        return target
    raise RunError(f"Could not find a free run id in {root}.")


def _validate_run(folder: Path) -> None:
    """Raise ArchiveError unless ``folder`` is a well-formed, completed, harmless run."""
    name = folder.name
    try:
        run_dir(name, folder.parent)
    except RunError as exc:
        raise ArchiveError(
            f"{name!r} is not a run folder: a run archive holds one folder per run, named by "
            "its id."
        ) from exc
    if not folder.is_dir():
        raise ArchiveError(f"{name!r} is not a run folder: a run archive holds only folders.")
    folds = _check_listing(folder)
    for required in REQUIRED_FILES:
        if not (folder / required).is_file():
            raise ArchiveError(f"Run {name} has no {required}: it is not a complete run.")
    config = _run_config(_json(folder / files.CONFIG, dict), name)
    if (folder / files.META).is_file():
        _json(folder / files.META, dict)
    executor = config.executor
    if executor != DEFAULT_EXECUTOR:
        raise ArchiveError(
            f"Run {name} names its own executor ({executor!r}); imported runs must use the "
            "default one."
        )
    run = Run.from_dir(folder)
    if run.status is not RunStatus.COMPLETED:
        raise ArchiveError(
            f"Run {name} is {run.status.value}"
            + (f" ({run.error})" if run.error else "")
            + ": only completed runs can be imported."
        )
    if config.train is None:
        raise ArchiveError(f"Run {name} has no training settings: it is not a training run.")
    if not (folder / files.SUMMARY).is_file():
        raise ArchiveError(f"Run {name} has no {files.SUMMARY}: it is not a complete run.")
    for fold in folds:
        _check_fold(fold, config.train.framework, f"{name}/{fold.name}")
    try:
        check_run(folder)
    except (RunDamaged, GenreLabError, OSError) as exc:
        raise ArchiveError(f"Run {name} is refused: {exc}") from exc


def _check_listing(folder: Path) -> list[Path]:
    """Every entry of a run folder must be known; returns its fold folders."""
    folds = []
    for item in sorted(folder.iterdir()):
        where = f"{folder.name}/{item.name}"
        if item.is_dir() and FOLD_RE.fullmatch(item.name):
            for inner in item.iterdir():
                if not (inner.is_file() and inner.name in FOLD_FILES):
                    raise ArchiveError(
                        f"Unexpected {where}/{inner.name} in the archive: a fold folder holds "
                        f"only {', '.join(FOLD_FILES)}."
                    )
            folds.append(item)
        elif not (item.is_file() and item.name in RUN_FILES):
            raise ArchiveError(
                f"Unexpected {where} in the archive: a run folder holds only "
                f"{', '.join(RUN_FILES)} and fold_<i>/ folders."
            )
    return folds


def _run_config(data: dict, name: str) -> RunConfig:
    try:
        return RunConfig.from_dict(data)
    except (TypeError, ValueError, GenreLabError) as exc:
        raise ArchiveError(f"Run {name} has no valid training settings ({exc}).") from exc


def _check_fold(fold: Path, framework: str, where: str) -> None:
    """The weights file of the run's framework only; a Keras file's safety (the contents of
    every fold are checked by :func:`core.runs.validate.check_run`)."""
    for other, filename in files.MODEL_FILES.items():
        if other != framework and (fold / filename).exists():
            raise ArchiveError(f"{where}/{filename} does not belong to a {framework} run.")
    model = fold / files.model_file(framework)
    if framework == "keras" and model.is_file():
        _check_keras_file(model, where)


def _json(path: Path, kind: type) -> Any:
    try:
        return read_json(path, kind)
    except (OSError, RunDamaged) as exc:
        raise ArchiveError(f"{_where(path)}: {exc}") from exc


def _where(path: Path) -> str:
    """``run/file`` or ``run/fold_i/file`` of a path in the unpacked archive."""
    parts = path.parts
    return "/".join(parts[-3:] if FOLD_RE.fullmatch(parts[-2]) else parts[-2:])


def _check_keras_file(path: Path, where: str) -> None:
    """A Keras 3 file of built-in layers only, without pickles or lambdas; loaded in safe mode
    where Keras is installed."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            config = json.loads(zf.read("config.json")) if "config.json" in names else None
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ArchiveError(f"{where}/{path.name} is not a readable Keras file ({exc}).") from exc
    if config is None or not names <= _KERAS_MEMBERS:
        extra = ", ".join(sorted(names - _KERAS_MEMBERS)) or "no config.json"
        raise ArchiveError(f"{where}/{path.name} holds unexpected members ({extra}).")
    if problem := _keras_config_problem(config):
        raise ArchiveError(f"{where}/{path.name} is refused: {problem}.")
    from core.training.config import available_frameworks

    if "keras" not in available_frameworks():
        return
    from core.models.keras_cnn import keras

    try:
        keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # any failure to rebuild the model rejects the file
        raise ArchiveError(
            f"{where}/{path.name} does not load in Keras's safe mode ({type(exc).__name__}: {exc})."
        ) from exc


def _keras_config_problem(node: Any) -> str | None:
    """Why a Keras model config is unsafe (a lambda, a class from outside Keras), or None."""
    if isinstance(node, dict):
        if node.get("class_name") in ("Lambda", "TFOpLambda", "__lambda__"):
            return "it contains a Lambda layer (arbitrary code)"
        module = node.get("module")
        if "class_name" in node and module is not None and not str(module).startswith("keras"):
            return f"it uses {node['class_name']!r} from {module!r}, not a built-in Keras class"
        children: Iterable[Any] = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    return next((p for p in map(_keras_config_problem, children) if p), None)
