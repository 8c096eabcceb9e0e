"""Training speed of the paper's CNN in both frameworks, against a plain loop over tensors.

    python bench/train_speed.py [--samples 100] [--repeats 3] [--frameworks torch keras]

For each framework and input (the paper's 3x288x432 image, and a 1x128x1292 mel spectrogram of
a 30 s clip) it times one training epoch (after a warm-up epoch) of

- ours: ``core.training.train_fold`` (uint8 arrays, batches cut and converted per step; the
  paper preset on whole inputs, without its time crops);
- baseline: a hand-written loop over float32 batches cut and converted before the clock starts
  (torch: channels-last tensors, forward/backward/step; Keras: ``train_on_batch`` on TensorFlow
  tensors), same model, batch size and optimiser: the framework's compute alone;

and the share of our epoch spent outside the framework: the data path alone (shuffling,
slicing, uint8 -> float32, wrapping as tensors) timed over an epoch, divided by the epoch.
Epochs alternate between the two and the fastest of ``--repeats`` counts (the CPU is shared).
The last line is the headline.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.training import preset, train_fold
from core.training.loop import channel_stats, iterate_epoch

INPUTS = {"image 288x432x3": (288, 432, 3), "mel 128x1292x1": (128, 1292, 1)}


def _data(shape: tuple[int, int, int], n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n) % 10


def ours(X: np.ndarray, y: np.ndarray, framework: str) -> float:
    """Seconds of our trainer's second epoch."""
    result = train_fold(
        X,
        y,
        None,
        None,
        preset("paper", framework, epochs=2, patience=0, val_fraction=0.0, time_crop=0),
        n_classes=10,
    )
    return result.history[1]["seconds"]


def data_path(X: np.ndarray, y: np.ndarray, framework: str) -> float:
    """Seconds our data path takes for one epoch on its own."""
    config = preset("paper", framework)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for xb, yb in iterate_epoch(X, y, 0, config.batch_size, rng, None):
        if framework == "torch":
            import torch

            torch.from_numpy(xb).permute(0, 3, 1, 2), torch.from_numpy(yb)
    return time.perf_counter() - start


def baseline_torch(X: np.ndarray, y: np.ndarray) -> float:
    import torch

    from core.models.torch_cnn import build_torch_model

    torch.set_num_threads(2)
    config = preset("paper", "torch")
    mean, std = channel_stats(X)
    model = build_torch_model(X.shape[1:], 10, config.resolved_model_params(), mean=mean, std=std)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    # Batches cut before the clock starts, as channels-last float32 tensors: the compute floor.
    xs = torch.from_numpy(X.astype(np.float32)).permute(0, 3, 1, 2)
    ys = torch.from_numpy(y.astype(np.int64))
    batches = [
        (xs[i].contiguous(memory_format=torch.channels_last), ys[i])
        for i in torch.randperm(len(xs)).split(config.batch_size)
    ]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        for xb, yb in batches:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times[1]


def baseline_keras(X: np.ndarray, y: np.ndarray) -> float:
    import tensorflow as tf

    from core.models.keras_cnn import build_keras_model, keras

    config = preset("paper", "keras")
    mean, std = channel_stats(X)
    model = build_keras_model(
        X.shape[1:], 10, config.resolved_model_params(), dropout=config.dropout, mean=mean, std=std
    )
    model.compile(
        optimizer=keras.optimizers.Adam(config.lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    bs = config.batch_size
    batches = [
        (tf.constant(X[i : i + bs].astype(np.float32)), tf.constant(y[i : i + bs]))
        for i in range(0, len(X), bs)
    ]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        for xb, yb in batches:
            model.train_on_batch(xb, yb)
        times.append(time.perf_counter() - start)
    return times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    args = parser.parse_args()
    baselines = {"torch": baseline_torch, "keras": baseline_keras}
    print(
        "| framework | input | ours samples/s | plain loop samples/s | ours/plain | "
        "outside framework |"
    )
    print("|---|---|---|---|---|---|")
    summary = []
    for framework in args.frameworks:
        for name, shape in INPUTS.items():
            X, y = _data(shape, args.samples)
            ours_s, base_s = [], []
            for _ in range(args.repeats):
                base_s.append(baselines[framework](X, y))
                ours_s.append(ours(X, y, framework))
            epoch, base = min(ours_s), min(base_s)
            outside = min(data_path(X, y, framework) for _ in range(args.repeats)) / epoch
            ratio = base / epoch
            print(
                f"| {framework} | {name} | {args.samples / epoch:.1f} | "
                f"{args.samples / base:.1f} | {ratio:.2f} | {outside:.1%} |",
                flush=True,
            )
            summary.append(
                f"{framework} {name.split()[0]} {args.samples / epoch:.1f}/s "
                f"(x{ratio:.2f} of plain loop, {outside:.1%} outside)"
            )
    print("headline: paper CNN training speed: " + "; ".join(summary))


if __name__ == "__main__":
    main()
