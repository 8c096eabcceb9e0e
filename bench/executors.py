"""Wall time of the same k-fold demo run with the local executor and with Ray on this machine.

    python bench/executors.py [--k 5] [--epochs 3] [--clips-per-genre 20]

Generates the demo set (its own scratch data and models folders), computes its features once
(not timed), then trains the same config twice: ``GENRELAB_EXECUTOR=local`` (folds one after
another, ``GENRELAB_TRAIN_THREADS`` threads) and ``ray`` (a Ray started here: one task per fold
with one CPU and one thread each, as many at once as there are cores). Ray's start-up is timed
apart, so the lines say what one run costs on Ray (its start-up is paid once per worker
process) and how much running the folds in parallel gains. The last line is the headline.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--clips-per-genre", type=int, default=20)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="genrelab-bench-executors-"))
    os.environ["GENRELAB_DATA_DIR"] = str(scratch / "data")
    os.environ["GENRELAB_MODELS_DIR"] = str(scratch / "models")

    from core.audio.mel import PRESETS
    from core.demo import generate_demo
    from core.runs.executors import connect_ray
    from core.runs.kinds.train import run_config, train_now
    from core.training.config import preset

    demo = generate_demo(scratch / "demo", seed=0, clips_per_genre=args.clips_per_genre)
    train = preset("paper", "torch", k=args.k, epochs=args.epochs)
    config = run_config(str(demo), train, mel=PRESETS["fast"])
    warm = preset("paper", "torch", k=2, epochs=1, patience=0, val_fraction=0.0)
    train_now(run_config(str(demo), warm, mel=PRESETS["fast"]))  # features and imports, untimed
    cores = os.cpu_count()
    print(
        f"{args.k}-fold demo run: {args.clips_per_genre * 10} clips, {args.epochs} epochs, "
        f"paper preset, fast mel; {cores} cores"
    )

    os.environ["GENRELAB_EXECUTOR"] = "local"
    started = time.perf_counter()
    local = train_now(config)
    local_s = time.perf_counter() - started
    print(f"local executor: {local_s:7.1f} s  (mean accuracy {local.summary['mean_acc']:.3f})")

    os.environ["GENRELAB_EXECUTOR"] = "ray"
    started = time.perf_counter()
    connect_ray("local")
    start_s = time.perf_counter() - started
    started = time.perf_counter()
    on_ray = train_now(config)
    ray_s = time.perf_counter() - started
    print(f"Ray start-up:   {start_s:7.1f} s")
    print(f"Ray executor:   {ray_s:7.1f} s  (mean accuracy {on_ray.summary['mean_acc']:.3f})")
    same = on_ray.summary["fold_acc"] == local.summary["fold_acc"]
    print(f"same per-fold accuracies: {same}")
    print(
        f"headline: Ray/local wall time {ray_s / local_s:.2f}x for the run, "
        f"{(start_s + ray_s) / local_s:.2f}x with Ray's start-up"
    )


if __name__ == "__main__":
    main()
