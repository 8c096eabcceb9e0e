"""Sweeps: many k-fold runs of one base config, each trial varying some settings.

A sweep lives in ``<models>/.sweeps/<sweep_id>/``: ``sweep.json`` (its definition, written
once) and ``study.journal`` (the Optuna study, a journal file). Each trial is a normal training
run in the registry, tagged with the sweep (``RunConfig.params``: ``{"sweep": id, "trial": n}``);
every trial keeps the base config's protocol, ``k`` and seed, so all train on identical folds.
Running the sweep is a job like training (kind ``sweep``, :func:`execute_sweep`): it can be
cancelled, and resumed by a new job that keeps the finished trials (a cancelled trial is queued
again). Trials run one after another; each trial's folds go through the run executor
(:mod:`core.runs.executors`), in parallel on Ray.

Examples
--------
>>> import tempfile
>>> from core.audio.mel import PRESETS
>>> from core.runs import RunConfig, RunInput
>>> from core.training.config import preset
>>> base = RunConfig(input=RunInput(mel=PRESETS["fast"]), train=preset("paper", k=2))
>>> sweep = create_sweep(base, [SweepParam("lr", values=(1e-3, 1e-2))], root=tempfile.mkdtemp())
>>> sweep.method, sweep.n_trials, sweep.status()
('grid', 2, 'not started')
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import Cancelled, GenreLabError, ParamsError
from core.runs import Run, RunConfig, create_run, list_runs, load_run, models_root
from core.runs.events import Stage
from core.runs.executors import ExecutorError
from core.runs.registry import new_run_id
from core.storage.atomic import write_json
from core.sweeps.space import SweepParam, check_space, grid_size, trial_config

if TYPE_CHECKING:
    import optuna
    import pandas as pd

    from core.policy import Actor

#: The job executor of a sweep (``RunConfig.executor`` of its jobs).
SWEEP_EXECUTOR = "core.sweeps.sweep:execute_sweep"
SWEEPS_DIR = ".sweeps"
DEFINITION, STUDY = "sweep.json", "study.journal"
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class SweepError(GenreLabError):
    """A sweep does not exist, or cannot do what was asked in its current state."""


@dataclass(frozen=True)
class Sweep:
    """A sweep's definition (``sweep.json``), and where it lives."""

    id: str
    root: Path  # the models folder
    base: RunConfig
    params: tuple[SweepParam, ...]
    method: str = "grid"
    n_trials: int = 0
    seed: int = 0
    name: str = ""
    user: str = ""
    presets: dict[str, str] = field(default_factory=dict)  # "train" and "mel" presets of base

    @property
    def dir(self) -> Path:
        """The sweep's folder."""
        return sweeps_root(self.root) / self.id

    @property
    def label(self) -> str:
        """The name if it has one, else the id."""
        return self.name or self.id

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``sweep.json``."""
        return {
            "id": self.id,
            "name": self.name,
            "user": self.user,
            "method": self.method,
            "n_trials": self.n_trials,
            "seed": self.seed,
            "params": [p.to_dict() for p in self.params],
            "base": self.base.to_dict(),
            "presets": dict(self.presets),
        }

    def study(self) -> optuna.Study:
        """The Optuna study (created on first use), with this sweep's sampler."""
        import optuna
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = JournalStorage(JournalFileBackend(str(self.dir / STUDY)))
        return optuna.create_study(
            study_name=self.id,
            storage=storage,
            sampler=self._sampler(),
            direction="maximize",
            load_if_exists=True,
        )

    def _sampler(self) -> optuna.samplers.BaseSampler:
        """TPE or random; a grid's points are enqueued trials (:meth:`grid_points`), drawn in
        order, so a random sampler never sees them."""
        import optuna

        if self.method == "tpe":
            return optuna.samplers.TPESampler(seed=self.seed)
        return optuna.samplers.RandomSampler(seed=self.seed)

    def grid_points(self) -> list[dict[str, Any]]:
        """Every combination of the listed values (a grid sweep's trials, in order)."""
        names = [p.name for p in self.params]
        combos = product(*(p.values for p in self.params))
        return [dict(zip(names, combo, strict=True)) for combo in combos]

    def jobs(self) -> list[Run]:
        """The jobs that ran (or run) this sweep, newest first."""
        return [
            r
            for r in list_runs(self.root)
            if r.config.get("kind") == "sweep" and _params(r).get("sweep") == self.id
        ]

    def trial_runs(self) -> list[Run]:
        """The training runs of this sweep's trials, newest first."""
        return [
            r
            for r in list_runs(self.root)
            if r.config.get("kind", "train") == "train" and _params(r).get("sweep") == self.id
        ]

    def status(self) -> str:
        """``not started``, or its latest job's status (``queued``, ``running``, ``completed``,
        ``cancelled``, ``failed``)."""
        jobs = self.jobs()
        return jobs[0].status.value if jobs else "not started"

    def trials(self) -> pd.DataFrame:
        """One row per trial, best mean accuracy first: ``trial``, ``state``, ``run_id``,
        ``mean_acc``, ``std_acc``, ``seconds`` and one column per varied setting."""
        import pandas as pd

        runs = {r.id: r for r in self.trial_runs()}
        rows = []
        if (self.dir / STUDY).exists():
            for t in self.study().get_trials(deepcopy=False):
                if t.state.name == "WAITING":
                    continue
                run = runs.get(t.user_attrs.get("run_id", ""))
                summary = (run.summary if run is not None else None) or {}
                state = "cancelled" if t.user_attrs.get("cancelled") else t.state.name.lower()
                rows.append(
                    {
                        "trial": t.number,
                        "state": state,
                        "run_id": t.user_attrs.get("run_id", ""),
                        "mean_acc": summary.get("mean_acc"),
                        "std_acc": summary.get("std_acc"),
                        "seconds": summary.get("seconds"),
                        **{p.name: t.params.get(p.name) for p in self.params},
                    }
                )
        columns = ["trial", "state", "run_id", "mean_acc", "std_acc", "seconds"]
        frame = pd.DataFrame(rows, columns=columns + [p.name for p in self.params])
        return frame.sort_values(["mean_acc", "trial"], ascending=[False, True], na_position="last")

    def best(self) -> dict[str, Any] | None:
        """The best finished trial's row (see :meth:`trials`), or None."""
        done = self.trials().dropna(subset=["mean_acc"])
        return None if done.empty else done.iloc[0].to_dict()

    def best_config(self) -> RunConfig | None:
        """The base config with the best trial's settings, or None before any trial ended."""
        best = self.best()
        if best is None:
            return None
        values = {p.name: _plain(best[p.name]) for p in self.params}
        return trial_config(self.base, values)


def sweeps_root(root: str | os.PathLike | None = None) -> Path:
    """The folder of all sweeps: ``<models>/.sweeps`` (hidden from the runs list)."""
    return models_root(root) / SWEEPS_DIR


def create_sweep(
    base: RunConfig,
    params: Sequence[SweepParam],
    method: str = "grid",
    n_trials: int | None = None,
    seed: int = 0,
    name: str = "",
    user: str = "",
    presets: dict[str, str] | None = None,
    root: str | os.PathLike | None = None,
) -> Sweep:
    """Check and save a new sweep (not started: see :func:`sweep_job`).

    ``n_trials`` defaults to the grid's size (random and TPE search need it). Raises
    ParamsError for an invalid space, with the setting and the reason.
    """
    params = tuple(params)
    check_space(base, params, method)
    if n_trials is None:
        if method != "grid":
            raise ParamsError("Random and TPE search need a number of trials.")
        n_trials = grid_size(params)
    if n_trials < 1:
        raise ParamsError(f"A sweep needs at least one trial, not {n_trials}.")
    if method == "grid":
        n_trials = min(n_trials, grid_size(params))
    own = {k: v for k, v in base.params.items() if k not in ("sweep", "trial")}
    base = base.replace(params=own)
    sweep = Sweep(
        new_run_id(),
        models_root(root),
        base,
        params,
        method,
        n_trials,
        seed,
        name.strip(),
        user,
        dict(presets or {}),
    )
    sweep.dir.mkdir(parents=True)
    write_json(sweep.dir / DEFINITION, sweep.to_dict())
    return sweep


def load_sweep(sweep_id: str, root: str | os.PathLike | None = None) -> Sweep:
    """Read sweep ``sweep_id``; SweepError if there is none."""
    if not isinstance(sweep_id, str) or not _ID_RE.fullmatch(sweep_id):
        raise SweepError(f"{sweep_id!r} is not a valid sweep id.")
    path = sweeps_root(root) / sweep_id / DEFINITION
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"There is no sweep {sweep_id!r}.") from None
    return Sweep(
        sweep_id,
        models_root(root),
        RunConfig.from_dict(data["base"]),
        tuple(SweepParam.from_dict(p) for p in data["params"]),
        data["method"],
        int(data["n_trials"]),
        int(data.get("seed", 0)),
        data.get("name", ""),
        data.get("user", ""),
        dict(data.get("presets") or {}),
    )


def list_sweeps(root: str | os.PathLike | None = None) -> list[Sweep]:
    """Every sweep, newest first."""
    folder = sweeps_root(root)
    if not folder.is_dir():
        return []
    ids = sorted((p.name for p in folder.iterdir() if (p / DEFINITION).is_file()), reverse=True)
    return [load_sweep(i, root) for i in ids]


def sweep_job(sweep: Sweep) -> dict[str, Any]:
    """The job config that runs (or resumes) ``sweep``: submit it like a training run
    (``core.runs.jobs.submit``, or ``core.access.submit_job`` for a user).

    SweepError if a job of this sweep is already queued or running.
    """
    if any(job.status.active for job in sweep.jobs()):
        raise SweepError(f"Sweep {sweep.label!r} is already queued or running.")
    config = RunConfig(kind="sweep", executor=SWEEP_EXECUTOR, params={"sweep": sweep.id})
    return config.to_dict()


def cancel_sweep(sweep: Sweep, actor: Actor | None = None) -> None:
    """Cancel the sweep's queued or running job (its running trial stops too); only its owner
    or an admin may (see :func:`core.runs.jobs.cancel`)."""
    from core.runs import jobs

    active = [job for job in sweep.jobs() if job.status.active]
    if not active:
        raise SweepError(f"Sweep {sweep.label!r} is not queued or running.")
    for job in active:
        jobs.cancel(job.id, sweep.root, actor=actor)


def _params(run: Run) -> dict[str, Any]:
    params = run.config.get("params")
    return params if isinstance(params, dict) else {}


def _plain(value: Any) -> Any:
    """A numpy scalar from a table as the plain Python number."""
    return value.item() if hasattr(value, "item") else value


# ---- the job ---------------------------------------------------------------------------------


def execute_sweep(run: Run, on_event: Callable, should_stop: Callable[[], bool]) -> None:
    """Run the sweep named in the job's config until it has ``n_trials`` finished trials."""
    from optuna.trial import TrialState

    sweep = load_sweep(RunConfig.from_dict(run.config).params["sweep"], run.dir.parent)
    study = sweep.study()
    if sweep.method == "grid" and not study.get_trials(deepcopy=False):
        for point in sweep.grid_points():
            study.enqueue_trial(point)
    for t in study.get_trials(deepcopy=False, states=[TrialState.RUNNING]):
        study.tell(t.number, state=TrialState.FAIL)  # its job died: try that point again
        study.enqueue_trial(t.params, user_attrs={"requeued": t.number})

    def finished() -> int:
        ended = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE, TrialState.FAIL])
        return sum(1 for t in ended if not t.user_attrs.get("cancelled"))

    while finished() < sweep.n_trials:
        if should_stop():
            raise Cancelled("The sweep was cancelled.")
        trial = study.ask()
        values = {p.name: p.suggest(trial) for p in sweep.params}
        on_event(Stage(f"trial {finished() + 1} of {sweep.n_trials}: {_describe(values)}"))
        try:
            mean_acc = _run_trial(sweep, trial, values, should_stop)
        except Cancelled:
            trial.set_user_attr("cancelled", True)
            study.tell(trial, state=TrialState.FAIL)
            study.enqueue_trial(values)  # a resumed sweep runs this point first
            raise
        except ExecutorError:
            study.tell(trial, state=TrialState.FAIL)
            raise  # the cluster is gone: the sweep stops with the reason
        except GenreLabError as exc:  # this point cannot train: note why, go on
            trial.set_user_attr("error", str(exc))
            study.tell(trial, state=TrialState.FAIL)
            continue
        study.tell(trial, mean_acc)


def _run_trial(
    sweep: Sweep, trial: optuna.Trial, values: dict[str, Any], should_stop: Callable[[], bool]
) -> float:
    """Train one trial as a run of the registry; its mean accuracy."""
    from core.runs.kinds.train import run_here

    config = trial_config(sweep.base, values)
    config = config.replace(params={**config.params, "sweep": sweep.id, "trial": trial.number})
    name = f"{sweep.label} · trial {trial.number}"
    run = create_run(config, name=name, user=sweep.user, root=sweep.root)
    trial.set_user_attr("run_id", run.id)
    run_here(run, should_stop=lambda: should_stop() or run.cancel_requested())
    return float(load_run(run.id, sweep.root).summary["mean_acc"])


def _describe(values: dict[str, Any]) -> str:
    shown = (f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
    return ", ".join(shown)
