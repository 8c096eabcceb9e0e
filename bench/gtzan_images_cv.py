"""Cross-validated accuracy of a training preset on the 999 Kaggle GTZAN spectrogram images.

    python bench/gtzan_images_cv.py --framework torch --preset paper --protocol stratified \
        --k 5 --seed 0

Prints one line per epoch and a per-fold table, then mean +- std of the test accuracy and the
total time (last line). ``--input`` picks what the model sees (default ``gray2``): ``full``
(the paper's 3x288x432 RGB figure), ``crop`` (RGB plotted area, 216x334), ``gray`` (colormap
index of that area, one channel) or ``gray2`` (``gray`` with frequency rows averaged in pairs,
108x334). ``--limit`` keeps that many clips per genre for quick trials; ``--set key=value``
overrides a TrainConfig field (value parsed as JSON when possible).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from core import settings
from core.dataset.images import IMAGE_INPUTS as INPUTS
from core.dataset.images import list_images, load_images
from core.genres import GENRES
from core.splits import PROTOCOLS, make_folds
from core.training import PRESETS, preset, run_kfold

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "gtzan" / "images_original"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["torch", "keras"], default="torch")
    parser.add_argument("--preset", choices=list(PRESETS), default="paper")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="stratified")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input", choices=list(INPUTS), default="gray2")
    parser.add_argument("--drop-repetitions", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="clips per genre (0 = all)")
    parser.add_argument("--folds", type=int, nargs="*", help="run only these folds (0-based)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--cache", type=Path, default=None, help="folder to cache arrays in")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: ours)")
    return parser.parse_args(argv)


def load_inputs(args: argparse.Namespace, kind: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    table = list_images(args.root)
    if args.limit:
        table = table.groupby("genre", sort=False).head(args.limit).reset_index(drop=True)
    cache = args.cache / f"gtzan_{kind}_{len(table)}.npy" if args.cache else None
    if cache is not None and cache.exists():
        X = np.load(cache)
    else:
        X = load_images(table["path"], **INPUTS[kind])
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, X)
    y = table["genre"].map(GENRES.index).to_numpy()
    return X, y, table["track_id"].tolist()


def overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def print_event(event: dict) -> None:
    if event["type"] == "epoch":
        val = (
            ""
            if event["val_loss"] is None
            else (f" val_loss {event['val_loss']:.3f} val_acc {event['val_acc']:.3f}")
        )
        print(
            f"  fold {event['fold']} epoch {event['epoch']:>2}/{event['epochs']} "
            f"loss {event['train_loss']:.3f} acc {event['train_acc']:.3f}{val} "
            f"({event['seconds']:.0f} s)",
            flush=True,
        )
    elif event["type"] == "fold_end":
        print(
            f"fold {event['fold']}: test accuracy {event['test_acc']:.3f} "
            f"(best epoch {event['best_epoch']}, {event['seconds']:.0f} s)",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:  # the settings are read from the environment when training starts
        os.environ[settings.ENV_VARS["train_threads"]] = str(args.threads)
    started = time.perf_counter()
    kind = args.input
    config = preset(
        args.preset,
        args.framework,
        protocol=args.protocol,
        k=args.k,
        seed=args.seed,
        drop_repetitions=args.drop_repetitions,
        **overrides(args.set),
    )
    X, y, ids = load_inputs(args, kind)
    folds = make_folds(
        args.protocol,
        ids,
        y,
        k=args.k,
        seed=args.seed,
        drop_repetitions=args.drop_repetitions,
        val_fraction=config.val_fraction,
    )
    fold_ids = args.folds or list(range(len(folds)))
    folds = [folds[i] for i in fold_ids]
    print(
        f"{len(X)} clips, input {kind} {X.shape[1:]}, loaded in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    print("config:", json.dumps(config.to_dict()), flush=True)
    results = run_kfold(X, y, folds, config, on_event=print_event)
    accs = np.array([r.test_acc for r in results])
    print("\n| fold | train | valid | test | best epoch | epochs run | test acc | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for r, fold, fold_id in zip(results, folds, fold_ids, strict=True):
        n_valid = len(fold[2]) if len(fold) > 2 else 0
        print(
            f"| {fold_id} | {len(fold[0])} | {n_valid} | {len(fold[1])} | {r.best_epoch} | "
            f"{len(r.history)} | {r.test_acc:.3f} | {r.seconds:.0f} |"
        )
    total = time.perf_counter() - started
    print(
        f"\n{args.framework} {args.preset} {args.protocol} k={args.k} seed={args.seed} "
        f"input={kind}: test accuracy {accs.mean():.3f} +- {accs.std():.3f} over "
        f"{len(accs)} folds, total {total:.0f} s"
    )


if __name__ == "__main__":
    main()
