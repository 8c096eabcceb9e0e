"""Where a run stands, in words, and a time left that does not jump (core.runs.events)."""

from __future__ import annotations

from core.runs.events import EpochEnded, FoldEnded, FoldStarted, Stage, eta_seconds, progress


def _fold(fold: int, k: int, epochs: int, run: int, seconds: list[float], acc: float | None):
    events = [FoldStarted(fold=fold, k=k, epochs=epochs)]
    events += [
        EpochEnded(fold=fold, k=k, epoch=e + 1, epochs=epochs, seconds=s)
        for e, s in zip(range(run), seconds, strict=False)
    ]
    return events + ([] if acc is None else [FoldEnded(fold=fold, k=k, test_acc=acc)])


def test_a_fold_that_just_started_names_its_stage_not_epoch_zero():
    p = progress([Stage("loading 999 images"), FoldStarted(fold=0, k=5, epochs=30)])
    assert p.text == (
        "Fold 1/5 · building the model, epoch 1/30 running · time left known after the first epoch"
    )
    assert "0/0" not in p.text and p.eta_seconds is None
    assert progress([Stage("loading 999 images")]).text == "loading 999 images"


def test_the_second_fold_starts_with_the_first_folds_pace():
    p = progress(_fold(0, 2, 4, 4, [5.0] * 4, 0.5) + [FoldStarted(fold=1, k=2, epochs=4)])
    assert p.text.startswith("Fold 2/2 · building the model, epoch 1/4 running")
    assert p.eta_seconds == 20.0


def test_the_last_epoch_says_testing_rather_than_zero_seconds_left():
    p = progress(_fold(0, 1, 3, 3, [4.0] * 3, None))
    assert p.text == "Fold 1/1 · epoch 3/3 · testing"


def test_the_eta_does_not_jump_when_one_epoch_is_slow_or_a_fold_stops_early():
    times = [30.0, 10.0, 10.0, 25.0, 10.0, 11.0]  # a slow first epoch, a slow fourth
    etas = [progress(_fold(0, 2, 10, n, times[:n], None)).eta_seconds for n in range(2, 7)]
    assert all(b < a for a, b in zip(etas, etas[1:], strict=False))  # falls every epoch

    # fold 1 stopped early after 4 of 10 epochs: fold 2 is expected to take about as many
    events = _fold(0, 2, 10, 4, [10.0] * 4, 0.6) + _fold(1, 2, 10, 1, [10.0], None)
    p = progress(events)
    assert p.eta_seconds == 90.0  # the running fold still has its 9 planned epochs
    before_end = progress(_fold(0, 2, 10, 4, [10.0] * 4, None)).eta_seconds
    after_end = progress(_fold(0, 2, 10, 4, [10.0] * 4, 0.6)).eta_seconds
    assert (before_end, after_end) == (160.0, 40.0)  # then the next fold expects 4 epochs
    assert eta_seconds(p, []) is None
