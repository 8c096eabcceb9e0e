"""Training end to end in both frameworks on a tiny synthetic spectrogram set (seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import Cancelled, ParamsError
from core.splits import make_folds
from core.training import (
    TrainConfig,
    load_weights,
    predict_proba,
    preset,
    run_kfold,
    save_weights,
    train_fold,
)
from core.training.loop import History

N_CLASSES, PER_CLASS, SHAPE = 3, 12, (16, 24, 1)
HISTORY_KEYS = {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}


def _tiny_set(seed: int = 0, segments: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """uint8 'spectrograms' whose class is a bright frequency band, plus noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(N_CLASSES), PER_CLASS)
    lead = (len(y), segments) if segments else (len(y),)
    X = rng.integers(0, 120, size=(*lead, *SHAPE))
    for c in range(N_CLASSES):
        X[y == c, ..., 2 + 5 * c : 5 + 5 * c, :, :] += 120
    ids = [f"{('blues', 'jazz', 'rock')[c]}.{i:05d}" for i, c in enumerate(y)]
    return X.astype(np.uint8), y, ids


def _config(framework: str, **changes) -> TrainConfig:
    base = {"epochs": 6, "batch_size": 8, "lr": 3e-3, "val_fraction": 0.25, "patience": 0}
    return preset("paper", framework, **{**base, **changes})


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_tiny_set_trains_end_to_end_with_events(framework: str) -> None:
    X, y, ids = _tiny_set()
    folds = make_folds("stratified", ids, y, k=2, seed=0)
    events: list[dict] = []
    results = run_kfold(X, y, folds, _config(framework), on_event=events.append)
    assert [r.fold for r in results] == [0, 1]
    assert np.mean([r.test_acc for r in results]) >= 0.8  # chance is 0.33
    for result, (train, test) in zip(results, folds, strict=True):
        assert np.array_equal(result.test_idx, test)
        assert set(result.valid_idx) <= set(train)  # validation from the training part only
        assert result.test_proba.shape == (len(test), N_CLASSES)
        assert len(result.history) == 6 and set(result.history[0]) == HISTORY_KEYS
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["fold_start", "epoch"] and kinds.count("fold_end") == 2
    epoch = next(e for e in events if e["type"] == "epoch")
    assert {"fold", "k", "epoch", "epochs"} <= set(epoch) and epoch["k"] == 2


def test_both_trainers_share_the_loop_history_and_cosine_lr() -> None:
    """Same history keys (in order) from both frameworks; per-epoch lr as the hand-written
    schedule gave: ``lr * (1 + cos(pi * step / total)) / 2`` at each epoch's first step."""
    import math

    X, y, _ = _tiny_set()
    epochs, steps = 4, math.ceil(len(X) / 8)
    total = epochs * steps
    old = [3e-3 * 0.5 * (1 + math.cos(math.pi * e * steps / total)) for e in range(epochs)]
    keys = {}
    for framework, rel in (("torch", 1e-12), ("keras", 1e-6)):
        sink = History()
        config = _config(framework, epochs=epochs, lr_schedule="cosine", val_fraction=0.0)
        result = train_fold(X, y, X[:6], y[:6], config, callbacks=[sink])
        assert sink.records == result.history
        assert [h["lr"] for h in result.history] == pytest.approx(old, rel=rel)
        keys[framework] = [list(h) for h in result.history]
    assert keys["torch"] == keys["keras"] and set(keys["torch"][0]) == HISTORY_KEYS


def test_identical_folds_across_frameworks() -> None:
    X, y, ids = _tiny_set()
    folds = make_folds("stratified", ids, y, k=2, seed=7)
    runs = {fw: run_kfold(X, y, folds, _config(fw, epochs=1)) for fw in ("torch", "keras")}
    for a, b in zip(runs["torch"], runs["keras"], strict=True):
        assert np.array_equal(a.test_idx, b.test_idx)
        assert np.array_equal(a.valid_idx, b.valid_idx)


def test_same_seed_gives_the_same_torch_metrics() -> None:
    X, y, _ = _tiny_set()
    config = _config("torch", epochs=3, time_crop=16, dropout=0.3)
    first, second = (train_fold(X[:30], y[:30], X[30:], y[30:], config) for _ in range(2))
    assert first.history[-1]["train_loss"] == second.history[-1]["train_loss"]
    assert [h["val_loss"] for h in first.history] == [h["val_loss"] for h in second.history]
    other = train_fold(X[:30], y[:30], X[30:], y[30:], config.replace(seed=1))
    assert other.history[-1]["train_loss"] != first.history[-1]["train_loss"]


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_should_stop_cancels(framework: str) -> None:
    X, y, _ = _tiny_set()
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        train_fold(X, y, None, None, _config(framework, epochs=50), should_stop=stop)
    assert len(calls) == 4


def test_early_stopping_keeps_the_best_epoch() -> None:
    X, y, _ = _tiny_set()
    config = _config("torch", epochs=12, patience=2, lr=3e-2)
    result = train_fold(X[::2], y[::2], X[1::2], y[1::2], config)
    losses = [h["val_loss"] for h in result.history]
    assert result.best_epoch == int(np.argmin(losses)) + 1
    assert len(losses) == config.epochs or len(losses) - result.best_epoch == config.patience
    proba = predict_proba(result.model, X[1::2])
    picked = proba[np.arange(len(proba)), y[1::2]]
    assert -np.log(picked).mean() == pytest.approx(min(losses), rel=1e-4)


def test_segments_and_time_crops_train_and_vote_per_clip() -> None:
    X, y, _ = _tiny_set(segments=2)  # (36, 2, 16, 24, 1)
    config = preset("recommended", "torch", epochs=4, time_crop=16, batch_size=8)
    result = train_fold(X[::2], y[::2], X[1::2], y[1::2], config)
    assert result.input_shape == (16, 16, 1)
    proba = predict_proba(result.model, X[1::2])
    assert proba.shape == (len(y) // 2, N_CLASSES)
    single = predict_proba(result.model, X[1::2, 0], n_crops=1)
    assert single.shape == proba.shape and not np.allclose(single, proba)


def test_torch_weights_round_trip_with_weights_only(tmp_path) -> None:
    import torch

    X, y, _ = _tiny_set()
    config = _config("torch", epochs=2)
    result = train_fold(X, y, None, None, config)
    path = save_weights(result.model, tmp_path / "fold0.pt")
    state = torch.load(path, weights_only=True)
    assert {"mean", "std", "classifier.weight"} <= set(state)
    loaded = load_weights(path, config, result.input_shape, N_CLASSES)
    np.testing.assert_array_equal(predict_proba(loaded, X), predict_proba(result.model, X))


def test_keras_model_round_trips_through_a_keras_file(tmp_path) -> None:
    X, y, _ = _tiny_set()
    config = preset("recommended", "keras", epochs=2, batch_size=8, time_crop=16)
    result = train_fold(X, y, None, None, config)
    path = save_weights(result.model, tmp_path / "fold0.keras")
    loaded = load_weights(path, config, result.input_shape, N_CLASSES)
    np.testing.assert_allclose(predict_proba(loaded, X), predict_proba(result.model, X), atol=1e-6)
    with pytest.raises(ParamsError, match=".keras"):
        save_weights(result.model, tmp_path / "fold0.h5")


def test_a_config_saved_before_architecture_had_its_name_still_loads() -> None:
    old = preset("recommended", "torch").to_dict()
    old["model"] = old.pop("architecture")  # a run's config.json written by earlier versions
    config = TrainConfig.from_dict(old)
    assert config == preset("recommended", "torch") and config.architecture == "recommended"
    assert "model" not in config.to_dict()


def test_config_round_trip_presets_and_validation() -> None:
    config = preset("recommended", "keras", seed=3)
    assert TrainConfig.from_dict(config.to_dict()) == config
    paper_torch, paper_keras = preset("paper", "torch"), preset("paper", "keras")
    assert (paper_torch.batch_size, paper_torch.lr, paper_torch.weight_decay) == (10, 1e-3, 1e-4)
    assert (paper_keras.batch_size, paper_keras.epochs) == (10, 30) and paper_keras.dropout > 0
    with pytest.raises(ParamsError, match="unknown training setting"):
        TrainConfig.from_dict({"epochz": 3})
    with pytest.raises(ParamsError, match="framework"):
        TrainConfig(framework="jax")
    with pytest.raises(ParamsError, match="unknown model parameter"):
        TrainConfig(model_params={"depth": 9})
    wide = train_fold(*_tiny_set()[:2], None, None, TrainConfig(time_crop=99, epochs=1))
    assert wide.input_shape == SHAPE  # a crop wider than the input: the whole input
