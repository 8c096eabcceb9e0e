"""Building a feature store as a job: the store of one dataset x one mel setting.

Start one with :func:`features_config` through :func:`core.access.submit_job`; the worker calls
:func:`execute_build`, which reports progress per clip, stops when cancelled (leaving no store,
see :func:`core.features.compute_features`) and records the store in the run's summary.

>>> from core.audio.mel import PRESETS
>>> features_config("demo", PRESETS["fast"]).kind
'features'
"""

from __future__ import annotations

from collections.abc import Callable

from core.audio.mel import MelParams
from core.dataset import discover
from core.dataset.library import resolve
from core.features.store import compute_features
from core.runs import DatasetRef, Run, RunConfig, RunInput
from core.runs.kinds import FEATURES, report

EXECUTOR = "core.runs.kinds.features:execute_build"


def features_config(spec: str, mel: MelParams) -> RunConfig:
    """The config of a job building the store of dataset ``spec`` with the setting ``mel``."""
    return RunConfig(
        kind=FEATURES, dataset=DatasetRef(spec), input=RunInput(mel=mel), executor=EXECUTOR
    )


def execute_build(
    run: Run, on_event: Callable[[dict], None], should_stop: Callable[[], bool]
) -> None:
    """Compute the run's store (if it does not exist yet) and save what was built as the
    summary: ``key``, ``clips``, ``shape``, ``skipped``, ``padding_share`` and a
    ``warning`` (None, or why the store is suspect: mostly padding)."""
    config = run.run_config
    manifest = discover(resolve(config.dataset.spec)).manifest
    params = config.input.mel
    report(on_event, 0.0, "Starting…")
    store = compute_features(
        manifest,
        params,
        progress=lambda done, total: report(on_event, done / total, f"{done} / {total} clips"),
        should_stop=should_stop,
        user=run.user,
    )
    run.write_summary(
        {
            "key": store.key,
            "clips": store.n_clips,
            "shape": list(store.X.shape),
            "skipped": len(store.skipped),
            "padding_share": round(store.padding_share, 4),
            "warning": store.padding_warning(),
        }
    )
