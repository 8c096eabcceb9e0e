"""The fault scan as a job: the detectors over a dataset, the result saved in the job folder.

On audio, both audio detectors run (repetitions by fingerprints, distortions); on a dataset of
spectrogram images only, repetitions are found from the images
(:func:`core.faults.images.find_image_repetitions`) and the distortion detector, which needs
the samples, does not run: the result says so (:attr:`ScanResult.detectors`).

Start one with :func:`scan_config` through :func:`core.access.submit_job`; the worker calls
:func:`execute_scan`. The result is one file, written atomically once both detectors are done,
so a cancelled or failed scan leaves none; :func:`read_scan` reads it back in any session.

>>> scan_config("demo").kind, scan_config("demo").dataset.spec
('scan', 'demo')
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core.dataset import discover
from core.dataset.library import resolve
from core.faults import (
    DISTORTION_COLUMNS,
    PAIR_COLUMNS,
    detect_distortions,
    find_repetitions,
    group_repetitions,
)
from core.faults.images import find_image_repetitions
from core.runs import DatasetRef, Run, RunConfig, RunError, RunStatus
from core.runs.kinds import SCAN, newest_job, report
from core.storage.atomic import write_json

RESULT_FILE = "scan.json"
#: The detectors by what they read: the audio samples, or spectrogram images.
AUDIO_DETECTORS = ("repetitions (audio fingerprints)", "distortions (clipping, dropouts)")
IMAGE_DETECTOR = "repetitions (images)"
EXECUTOR = "core.runs.kinds.scan:execute_scan"


def scan_config(spec: str) -> RunConfig:
    """The config of a scan job of the dataset ``spec`` (``"demo"`` or a path)."""
    return RunConfig(kind=SCAN, dataset=DatasetRef(spec), executor=EXECUTOR)


def execute_scan(
    run: Run, on_event: Callable[[dict], None], should_stop: Callable[[], bool]
) -> None:
    """Find repeated excerpts, then distortions, in the run's dataset; save both."""
    manifest = discover(resolve(run.run_config.dataset.spec)).manifest

    def step(start: float, what: str) -> Callable[[int, int], None]:
        return lambda done, total: report(
            on_event, start + done / total / 2, f"{what} {done}/{total}"
        )

    if images_only(manifest):
        report(on_event, 0.0, "Reading the images…")
        pairs = find_image_repetitions(
            manifest,
            progress=lambda done, total: report(
                on_event, 0.9 * done / total, f"Reading the images {done}/{total}"
            ),
            should_stop=should_stop,
        )
        distortions = pd.DataFrame(columns=list(DISTORTION_COLUMNS))
        detectors = [IMAGE_DETECTOR]
    else:
        report(on_event, 0.0, "Fingerprinting…")
        pairs = find_repetitions(
            manifest, progress=step(0.0, "Fingerprinting"), should_stop=should_stop
        )
        distortions = detect_distortions(
            manifest, progress=step(0.5, "Measuring distortion"), should_stop=should_stop
        )
        detectors = list(AUDIO_DETECTORS)
    result = {
        "pairs": pairs.to_dict("records"),
        "distortions": distortions.to_dict("records"),
        "detectors": detectors,
    }
    write_json(run.dir / RESULT_FILE, result)
    report(on_event, 1.0, f"{len(pairs)} repeated pair(s) found")


@dataclass(frozen=True)
class ScanResult:
    """What a scan found: repetition ``pairs`` (``PAIR_COLUMNS``), their ``groups``, and
    ``distortions`` (``DISTORTION_COLUMNS``), and the ``detectors`` that ran."""

    pairs: pd.DataFrame
    distortions: pd.DataFrame
    detectors: tuple[str, ...] = AUDIO_DETECTORS

    @property
    def groups(self) -> list[list[str]]:
        """Clips holding the same audio (see :func:`core.faults.group_repetitions`)."""
        return group_repetitions(self.pairs)


def read_scan(run: Run) -> ScanResult:
    """The result of a completed scan job; RunError if it has none."""
    if run.status is not RunStatus.COMPLETED:
        raise RunError(f"The scan {run.id} is {run.status.value}: it has no result.")
    try:
        data = json.loads((run.dir / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"The result of scan {run.id} cannot be read: {exc}") from exc
    pairs = pd.DataFrame(data["pairs"], columns=list(PAIR_COLUMNS))
    distortions = pd.DataFrame(data["distortions"], columns=list(DISTORTION_COLUMNS))
    for frame, ids in ((pairs, ["track_a", "track_b"]), (distortions, ["track_id"])):
        frame[ids] = frame[ids].astype(str)
    distortions["flags"] = distortions["flags"].fillna("").astype(str)
    return ScanResult(pairs, distortions, tuple(data.get("detectors", AUDIO_DETECTORS)))


def images_only(manifest: pd.DataFrame) -> bool:
    """Whether a manifest holds spectrogram images and no audio (the audio detectors cannot
    run on it)."""
    kinds = set(manifest["kind"]) if "kind" in manifest else {"audio"}
    return "image" in kinds and "audio" not in kinds


def latest_scan(spec: str, root: str | os.PathLike | None = None) -> Run | None:
    """The newest scan job of the dataset ``spec`` (any status), as every session sees it."""
    return newest_job(SCAN, root, dataset=spec)
