"""Command-line interface: every action of the dashboard, without a browser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.constraints import Options, Param
from core.errors import GenreLabError, ParamsError
from core.storage.cleanup import clean_leftovers

if TYPE_CHECKING:
    from core.access import Actor


def _dataset_info(args: argparse.Namespace) -> None:
    from core.dataset import discover, format_summary, summarize
    from core.dataset.library import resolve

    print(format_summary(summarize(discover(resolve(args.path)))))


def _dataset_demo(args: argparse.Namespace) -> None:
    from core.demo import generate_demo

    print(generate_demo(args.dest and Path(args.dest), seed=args.seed))


def _dataset_download(args: argparse.Namespace) -> None:
    from core.dataset.download import fetch_gtzan

    def progress(done: int, total: int | None) -> None:
        print(
            f"\r{done / 2**20:8.1f} MiB" + (f" of {total / 2**20:.1f}" if total else ""),
            end="",
            file=sys.stderr,
        )

    print(fetch_gtzan(url=args.url, sha256=args.sha256, progress=progress))


def _run_config(args: argparse.Namespace):
    """The RunConfig the training options describe (``train`` and ``sweep create``)."""
    from core.audio.mel import PRESETS as MEL_PRESETS
    from core.dataset import discover
    from core.dataset.library import resolve
    from core.runs.kinds.train import run_config
    from core.training.config import TRAIN_PARAMS, preset
    from core.training.plan import check_plan

    changes = _settings(args.set)
    changes.update({n: getattr(args, n) for n in TRAIN_PARAMS if getattr(args, n) is not None})
    train = preset(args.preset, changes.pop("framework", "torch"), **changes)
    mel = None
    if args.image is None:
        mel = MEL_PRESETS[args.mel]
        if args.duration:
            mel = mel.replace(duration=args.duration)
    dataset = discover(resolve(args.dataset))
    config = run_config(
        args.dataset, train, mel=mel, image_input=args.image, fingerprint=dataset.fingerprint
    )
    plan = check_plan(config, dataset)  # refused or warned before any work
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    plan.raise_errors()
    return config


def _train(args: argparse.Namespace) -> None:
    import json

    from core.runs import jobs
    from core.runs.events import FoldEnded, parse_event, progress
    from core.runs.kinds.train import train_now

    config = _run_config(args)
    if args.background:
        print(jobs.submit(config, name=args.name).id)
        return
    events = []

    def show(data: dict) -> None:
        event = parse_event(data)
        events.append(event)
        p = progress(events)
        if isinstance(event, FoldEnded):
            print(
                f"\rfold {event.fold + 1}/{event.k}: test accuracy {event.test_acc:.3f}" + " " * 30,
                file=sys.stderr,
            )
        elif p.k and not p.finished:
            bar = "#" * int(30 * p.fraction)
            print(f"\r[{bar:<30}] {p.text}", end="", file=sys.stderr)
        elif p.computing_features:
            print(f"\r{p.text}", end="", file=sys.stderr)

    run = train_now(config, name=args.name, on_event=show)
    print(json.dumps({"run": run.id, **run.summary}, indent=1))


def _settings(pairs: list[str]) -> dict[str, object]:
    """``--set FIELD=VALUE`` pairs as typed changes: training settings, and model parameters
    (gathered under ``model_params``), each read as its table says."""
    from core.constraints import parse_fields
    from core.models import MODEL_PARAMS
    from core.training.config import TRAIN_PARAMS

    texts = dict(pair.split("=", 1) if "=" in pair else (pair, "") for pair in pairs)
    model = {n: texts.pop(n) for n in list(texts) if n in MODEL_PARAMS}
    changes = parse_fields(TRAIN_PARAMS, texts)
    if model:
        changes["model_params"] = parse_fields(MODEL_PARAMS, model)
    return changes


def _typed(name: str, param: Param) -> Callable[[str], object]:
    """An argparse ``type`` reading one setting as its table says (a clear error otherwise)."""

    def read(text: str) -> object:
        try:
            return param.parse(name, text)
        except ParamsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    read.__name__ = name
    return read


def _predict(args: argparse.Namespace) -> None:
    from core.predict import load_predictor, predict

    result = predict(load_predictor(args.run), args.file)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for genre, p in result.probabilities.items():
        print(f"{genre:<12} {p:6.1%}")


def _runs_list(args: argparse.Namespace) -> None:
    from core.runs.kinds import training_runs
    from core.runs.table import runs_frame

    table = runs_frame(training_runs())
    print(
        table.drop(columns=["error", "settings", "source", "notes"]).to_string(index=False)
        if len(table)
        else "no runs"
    )


def _runs_show(args: argparse.Namespace) -> None:
    from core.runs import load_run
    from core.runs.provenance import provenance

    run = load_run(args.run_id)
    rows = [("id", run.id), ("name", run.label), ("status", str(run.status)), ("user", run.user)]
    rows += [("tags", ", ".join(run.tags)), ("notes", run.notes), *provenance(run)]
    width = max(len(what) for what, _ in rows)
    for what, value in rows:
        if value:
            print(f"{what:<{width}}  {value}")


def _runs_rename(args: argparse.Namespace) -> None:
    from core.runs import rename_run

    print(rename_run(args.run_id, args.name).label)


def _runs_tag(args: argparse.Namespace) -> None:
    from core.runs import tag_run

    print(", ".join(tag_run(args.run_id, add=args.tags, remove=args.remove).tags) or "(no tags)")


def _runs_note(args: argparse.Namespace) -> None:
    from core.runs import note_run

    note_run(args.run_id, sys.stdin.read() if args.text == "-" else args.text)


def _cli_actor(args: argparse.Namespace) -> Actor:
    """Who a runs command acts as: ``--user``, else ``GENRELAB_USER`` (with the role the access
    settings give that user: read-only users may not write), else the machine's own user, an
    admin (as for every command line use, see ``core.access.LOCAL``)."""
    import getpass
    import os

    from core.access import ADMIN, Actor, clean_user_name, read_config

    named = args.user or os.environ.get("GENRELAB_USER")
    if not named:
        return Actor(clean_user_name(getpass.getuser()), ADMIN)
    user = clean_user_name(named)
    return Actor(user, read_config({}).role_of(user))


def _runs_export(args: argparse.Namespace) -> None:
    from core.runs.archive import export_runs

    print(export_runs(args.run_ids, args.dest))


def _runs_import(args: argparse.Namespace) -> None:
    from core.runs.archive import import_runs

    for run in import_runs(args.archive, actor=_cli_actor(args)):
        print(f"{run.id}\t{run.label}" + (f"\t(from {run.origin})" if run.origin else ""))


def _runs_delete(args: argparse.Namespace) -> None:
    from core.runs import delete_run

    actor = _cli_actor(args)
    for run_id in args.run_ids:
        delete_run(run_id, actor=actor)
        print(f"deleted {run_id}")


def _runs_resume(args: argparse.Namespace) -> None:
    import time

    from core.access import resume_job
    from core.runs import files, load_run
    from core.runs.events import Resumed, read_events
    from core.runs.provenance import accuracy_text

    actor = _cli_actor(args)
    run = resume_job(args.run_id, actor.user, actor.role)
    kept = [e for e in read_events(run.dir / files.EVENTS)[0] if isinstance(e, Resumed)][-1].kept
    folds = ", ".join(str(f + 1) for f in kept) or "none"
    print(f"{run.id} queued again; folds kept from before: {folds}")
    last = ""
    while args.wait and (run := load_run(run.id)).status.active:
        if (line := run.progress().text) != last:
            print(line, flush=True)
            last = line
        time.sleep(2.0)
    if args.wait:
        print(f"{run.status.value}: {run.error or accuracy_text(run.summary)}")
        if run.status.value != "completed":
            raise SystemExit(1)


def _front(args: argparse.Namespace) -> None:
    from core.front import serve

    serve(args.upstream, args.host, args.port, app=args.app)


def _sweep_create(args: argparse.Namespace) -> None:
    from core.sweeps import create_sweep, parse_param

    base = _run_config(args)
    params = [parse_param(text) for text in args.vary]
    presets = {"train": args.preset, **({"mel": args.mel} if args.image is None else {})}
    sweep = create_sweep(
        base, params, args.method, args.trials, args.sweep_seed, args.name, presets=presets
    )
    print(sweep.id)


def _sweep_run(args: argparse.Namespace) -> None:
    from core.runs import create_run, jobs, load_run, worker
    from core.sweeps import load_sweep, sweep_job

    sweep = load_sweep(args.sweep)
    config = sweep_job(sweep)
    if args.background:
        print(jobs.submit(config, name=sweep.label).id)
        return
    job = create_run(config, name=sweep.label)
    worker.main(job.dir)
    job = load_run(job.id)
    _print_trials(sweep)
    if job.error:
        print(f"error: {job.error}", file=sys.stderr)
    print(f"sweep {sweep.id}: {job.status.value}", file=sys.stderr)


def _sweep_list(args: argparse.Namespace) -> None:
    from core.sweeps import list_sweeps

    for sweep in list_sweeps():
        best = sweep.best()
        shown = "-" if best is None else f"{best['mean_acc']:.3f}"
        done = int(sweep.trials()["state"].eq("complete").sum())
        print(
            f"{sweep.id}  {sweep.label:<24} {sweep.method:<6} {done}/{sweep.n_trials} trials"
            f"  best {shown}  {sweep.status()}"
        )


def _sweep_show(args: argparse.Namespace) -> None:
    from core.sweeps import load_sweep

    _print_trials(load_sweep(args.sweep))


def _print_trials(sweep) -> None:
    table = sweep.trials()
    print(table.to_string(index=False) if len(table) else "no trials yet")


def _sweep_cancel(args: argparse.Namespace) -> None:
    from core.sweeps import cancel_sweep, load_sweep

    cancel_sweep(load_sweep(args.sweep))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m core``."""
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)

    dataset = groups.add_parser("dataset", help="summarise, generate or download datasets")
    cmds = dataset.add_subparsers(dest="command", required=True)
    info = cmds.add_parser("info", help="summarise a folder or archive ('demo': the demo)")
    info.add_argument("path")
    info.set_defaults(func=_dataset_info)
    demo = cmds.add_parser("demo", help="generate the synthetic demo dataset")
    demo.add_argument("--dest", default=None, help="default: the data folder's demo/")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_dataset_demo)
    download = cmds.add_parser("download", help="download and unpack GTZAN (needs internet)")
    download.add_argument("--url", default=None, help="archive URL (default: a public mirror)")
    download.add_argument("--sha256", default=None, help="expected checksum of the archive")
    download.set_defaults(func=_dataset_download)

    train = groups.add_parser("train", help="train a model under a protocol (k-fold)")
    _add_training_args(train)
    train.add_argument("--name", default="")
    train.add_argument("--background", action="store_true", help="queue it and return")
    train.set_defaults(func=_train)
    predict = groups.add_parser("predict", help="genre probabilities of an audio file")
    predict.add_argument("run", help="run id (see: python -m core runs list)")
    predict.add_argument("file")
    predict.set_defaults(func=_predict)
    front = groups.add_parser(
        "front", help="hosted mode: the authenticating proxy before Streamlit (docs/DEPLOY.md)"
    )
    front.add_argument("--upstream", default="http://127.0.0.1:8502", help="Streamlit's address")
    front.add_argument("--host", default="0.0.0.0", help="address to listen on")
    front.add_argument("--port", type=int, default=8501)
    front.add_argument(
        "--app", action="store_true", help="also start `streamlit run app.py` on --upstream"
    )
    front.set_defaults(func=_front)
    runs = groups.add_parser("runs", help="the run registry")
    runs_cmds = runs.add_subparsers(dest="command", required=True)
    runs_cmds.add_parser("list", help="list runs").set_defaults(func=_runs_list)
    show = runs_cmds.add_parser("show", help="a run's settings, provenance, tags and notes")
    show.add_argument("run_id")
    show.set_defaults(func=_runs_show)
    rename = runs_cmds.add_parser("rename", help="give a run a name ('' shows its id)")
    rename.add_argument("run_id")
    rename.add_argument("name")
    rename.set_defaults(func=_runs_rename)
    tag = runs_cmds.add_parser("tag", help="add (and with --remove, drop) a run's tags")
    tag.add_argument("run_id")
    tag.add_argument("tags", nargs="*", metavar="TAG")
    tag.add_argument("--remove", action="append", default=[], metavar="TAG")
    tag.set_defaults(func=_runs_tag)
    note = runs_cmds.add_parser("note", help="replace a run's notes ('-': read from stdin)")
    note.add_argument("run_id")
    note.add_argument("text")
    note.set_defaults(func=_runs_note)
    export = runs_cmds.add_parser("export", help="write completed runs into one .zip")
    export.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    export.add_argument("--dest", default=".", help="the .zip to write, or a folder for it")
    export.set_defaults(func=_runs_export)
    user_help = "act as this user (default: GENRELAB_USER, else your login name)"
    imports = runs_cmds.add_parser("import", help="add the runs of an exported .zip, validated")
    imports.add_argument("archive")
    imports.add_argument("--user", default=None, help=user_help + "; owns the imported runs")
    imports.set_defaults(func=_runs_import)
    delete = runs_cmds.add_parser("delete", help="delete finished runs")
    delete.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    delete.add_argument("--user", default=None, help=user_help)
    delete.set_defaults(func=_runs_delete)
    resume = runs_cmds.add_parser(
        "resume", help="queue a failed or cancelled run again; it keeps its completed folds"
    )
    resume.add_argument("run_id")
    resume.add_argument("--wait", action="store_true", help="print its progress until it ends")
    resume.add_argument("--user", default=None, help=user_help)
    resume.set_defaults(func=_runs_resume)
    _add_sweep_parser(groups)
    return parser


def _add_training_args(parser: argparse.ArgumentParser) -> None:
    from core.audio.mel import PRESETS as MEL_PRESETS
    from core.dataset.images import IMAGE_INPUTS
    from core.training.config import PRESETS, TRAIN_PARAMS

    parser.add_argument("--dataset", default="demo", help="'demo' or a folder/archive path")
    parser.add_argument(
        "--preset", choices=list(PRESETS), default="paper", help="the settings to start from"
    )
    for name, param in TRAIN_PARAMS.items():  # every training setting; default: the preset's
        flags = dict.fromkeys([f"--{name}", f"--{name.replace('_', '-')}"])
        options = param.rule.options if isinstance(param.rule, Options) else None
        parser.add_argument(
            *flags,
            type=_typed(name, param),
            choices=options,
            default=None,
            help=param.help if options else f"{param.help}: {param.describe()}",
        )
    parser.add_argument(
        "--mel", choices=list(MEL_PRESETS), default="fast", help="mel preset for audio datasets"
    )
    parser.add_argument("--duration", type=float, default=None, help="seconds used per clip")
    parser.add_argument(
        "--image",
        choices=list(IMAGE_INPUTS),
        default=None,
        help="train on Kaggle spectrogram images in this mode",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a training setting or model parameter, e.g. --set lr=0.0005 --set channels=8,16",
    )


def _add_sweep_parser(groups: argparse._SubParsersAction) -> None:
    from core.sweeps import METHODS, SETTINGS

    sweep = groups.add_parser("sweep", help="hyperparameter sweeps: many k-fold runs")
    cmds = sweep.add_subparsers(dest="command", required=True)
    create = cmds.add_parser("create", help="define a sweep (prints its id)")
    _add_training_args(create)
    create.add_argument(
        "--vary",
        action="append",
        default=[],
        required=True,
        metavar="NAME=SPEC",
        help=f"a setting to vary ({', '.join(SETTINGS)}): NAME=V1,V2,... or NAME=LOW:HIGH[:log]",
    )
    create.add_argument("--method", choices=METHODS, default="grid")
    create.add_argument("--trials", type=int, default=None, help="default: the grid's size")
    create.add_argument("--sweep-seed", type=int, default=0, help="seed of the sampler")
    create.add_argument("--name", default="")
    create.set_defaults(func=_sweep_create)
    for command, text in (("run", "run a sweep"), ("resume", "go on with a cancelled sweep")):
        run = cmds.add_parser(command, help=f"{text} (keeps its finished trials)")
        run.add_argument("sweep", help="sweep id (see: python -m core sweep list)")
        run.add_argument("--background", action="store_true", help="queue it and return")
        run.set_defaults(func=_sweep_run)
    cmds.add_parser("list", help="list sweeps").set_defaults(func=_sweep_list)
    for command, func, text in (
        ("show", _sweep_show, "a sweep's trials, best first"),
        ("cancel", _sweep_cancel, "cancel a sweep's running job"),
    ):
        cmd = cmds.add_parser(command, help=text)
        cmd.add_argument("sweep")
        cmd.set_defaults(func=func)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; typed errors print as one clear line and exit with status 2."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        clean_leftovers()
        func(args)
    except GenreLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
