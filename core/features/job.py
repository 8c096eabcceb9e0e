"""Building a feature store as a job: the store of one dataset x one mel setting.

Start one with :func:`features_config` through :func:`core.access.submit_job`; the worker calls
:func:`execute_build`, which reports progress per clip, stops when cancelled (leaving no store,
see :func:`core.features.compute_features`) and records the store in the run's summary.

>>> features_config("demo", {"n_mels": 64})["kind"]
'features'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.audio.mel import MelParams
from core.dataset import discover
from core.dataset.library import resolve
from core.features.store import compute_features
from core.runs import Run
from core.runs.kinds import FEATURES, report


def features_config(spec: str, mel: dict[str, Any]) -> dict:
    """The config of a job building the store of dataset ``spec`` with ``MelParams`` ``mel``
    (as :meth:`MelParams.to_dict` gives it)."""
    return {"kind": FEATURES, "dataset": spec, "input": {"mel": mel}}


def execute_build(
    run: Run, on_event: Callable[[dict], None], should_stop: Callable[[], bool]
) -> None:
    """Compute the run's store (if it does not exist yet) and save what was built as the
    summary: ``key``, ``clips``, ``shape``, ``skipped``."""
    manifest = discover(resolve(run.config["dataset"])).manifest
    params = MelParams.from_dict(run.config["input"]["mel"])
    report(on_event, 0.0, "Starting…")
    store = compute_features(
        manifest,
        params,
        progress=lambda done, total: report(on_event, done / total, f"{done} / {total} clips"),
        should_stop=should_stop,
    )
    run.write_summary(
        {
            "key": store.key,
            "clips": store.n_clips,
            "shape": list(store.X.shape),
            "skipped": len(store.skipped),
        }
    )
