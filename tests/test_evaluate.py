"""core.evaluation.metrics against scikit-learn, scipy and hand-worked formulas; runs read from
real run folders (written with core.runs); and the one-file HTML report of a comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from core.evaluation import comparison, metrics
from core.evaluation.report import build_report, confusion_figures
from core.runs import create_run, load_run

LABELS = ["blues", "jazz", "rock"]
TRUE = ["blues", "blues", "jazz", "jazz", "jazz", "rock", "rock", "rock", "rock", "blues"]
PRED = ["blues", "jazz", "jazz", "jazz", "rock", "rock", "rock", "blues", "rock", "blues"]


def test_accuracy_and_confusion_match_sklearn():
    assert metrics.accuracy(TRUE, PRED) == pytest.approx(accuracy_score(TRUE, PRED)) == 0.7
    assert math.isnan(metrics.accuracy([], []))
    np.testing.assert_array_equal(
        metrics.confusion(TRUE, PRED, LABELS), confusion_matrix(TRUE, PRED, labels=LABELS)
    )
    # a label missing from ``labels`` is left out, as in scikit-learn
    np.testing.assert_array_equal(
        metrics.confusion(TRUE, PRED, ["rock", "jazz"]),
        confusion_matrix(TRUE, PRED, labels=["rock", "jazz"]),
    )


def test_row_normalise_keeps_empty_rows_zero():
    m = metrics.row_normalise([[2, 2], [0, 0]])
    np.testing.assert_allclose(m, [[0.5, 0.5], [0, 0]])


def test_per_class_scores_match_sklearn_including_zero_division():
    labels = [*LABELS, "pop"]  # pop: never true, never predicted -> 0, like zero_division=0
    pred = ["pop" if p == "blues" and t == "rock" else p for t, p in zip(TRUE, PRED, strict=True)]
    scores = metrics.per_class_scores(TRUE, pred, labels)
    p, r, f, s = precision_recall_fscore_support(TRUE, pred, labels=labels, zero_division=0)
    np.testing.assert_allclose(scores["precision"], p)
    np.testing.assert_allclose(scores["recall"], r)
    np.testing.assert_allclose(scores["f1"], f)
    np.testing.assert_array_equal(scores["support"], s)
    assert list(scores["genre"]) == labels


def test_fold_stats_t_interval():
    acc = [0.61, 0.55, 0.58, 0.66, 0.52]
    s = metrics.fold_stats(acc)
    low, high = stats.t.interval(0.95, 4, loc=np.mean(acc), scale=stats.sem(acc))
    assert (s.n, s.mean, s.std) == (5, pytest.approx(0.584), pytest.approx(np.std(acc, ddof=1)))
    assert (s.low, s.high) == (pytest.approx(low), pytest.approx(high))
    one = metrics.fold_stats([0.7])
    assert one.mean == 0.7 and math.isnan(one.std) and math.isnan(one.low)


def test_paired_t_test_sign_and_value():
    a, b = [0.50, 0.55, 0.60, 0.52], [0.58, 0.60, 0.61, 0.60]
    d = np.subtract(b, a)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))  # by hand
    result = metrics.paired_t_test(a, b)
    assert result.statistic == pytest.approx(t) and result.statistic > 0
    assert result.p_value == pytest.approx(2 * stats.t.sf(t, 3))
    assert metrics.paired_t_test(a, a).p_value == 1.0
    assert metrics.paired_t_test(a, np.add(a, 0.1)).p_value == 0.0
    with pytest.raises(ValueError):
        metrics.paired_t_test([0.5], [0.6])


def _outcomes(both: int, only_a: int, only_b: int, neither: int):
    a = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return a, b


def test_mcnemar_exact_binomial_by_hand():
    m = metrics.mcnemar(*_outcomes(50, 1, 9, 5))
    assert (m.n, m.only_a, m.only_b) == (65, 1, 9)
    # 2 * P(X <= 1), X ~ Bin(10, 1/2) = 2 * (1 + 10) / 1024
    assert m.test.p_value == pytest.approx(22 / 1024) and "exact" in m.test.method
    assert metrics.mcnemar(*_outcomes(5, 4, 4, 1)).test.p_value == 1.0  # capped at 1
    assert metrics.mcnemar(*_outcomes(5, 0, 0, 1), exact=False).test.p_value == 1.0


def test_mcnemar_chi_square_with_continuity_correction_by_hand():
    m = metrics.mcnemar(*_outcomes(100, 10, 30, 20))
    statistic = (abs(10 - 30) - 1) ** 2 / 40  # 9.025
    assert m.test.statistic == pytest.approx(statistic)
    # chi-square with one degree of freedom: sf(x) = erfc(sqrt(x / 2))
    assert m.test.p_value == pytest.approx(math.erfc(math.sqrt(statistic / 2)))
    assert "chi-square" in m.test.method


def test_settings_diff_and_table():
    a = {"dataset": "demo", "train": {"lr": 0.001, "k": 5, "model_params": {}}, "input": {"x": 1}}
    b = {"dataset": "demo", "train": {"lr": 0.003, "k": 5, "model_params": {"c": [8, 16]}}}
    assert comparison.settings_diff(a, b) == {
        "train.lr": (0.001, 0.003),
        "train.model_params": ("{}", None),
        "input.x": (1, None),
        "train.model_params.c": (None, "[8, 16]"),
    }
    assert comparison.settings_diff(a, a) == {}
    table = comparison.settings_table({"A": a, "B": b})
    assert table.loc["train.lr", "differs"] and not table.loc["train.k", "differs"]
    assert table.loc["train.lr", "B"] == "0.003" and table.loc["input.x", "B"] == ""


# ---- runs read from real run folders ---------------------------------------------------------


def _fake_run(root, name, correct, folds=((0, 1, 2, 3), (4, 5, 6, 7)), seed=0, lr=1e-3):
    """A completed run written through core.runs: 8 clips of two genres, ``correct[i]`` tells
    whether clip i was predicted right."""
    config = {
        "dataset": "tiny",
        "dataset_fingerprint": "f00d",
        "input": {"image": "crop"},
        "train": {
            "framework": "torch",
            "protocol": "stratified",
            "k": 2,
            "seed": seed,
            "drop_repetitions": False,
            "lr": lr,
        },
    }
    run = create_run(config, name=name, user="tester", root=root)
    labels = ["jazz", "rock"]
    for f, clips in enumerate(folds):
        true = [labels[i % 2] for i in clips]
        pred = [t if correct[i] else labels[1 - i % 2] for t, i in zip(true, clips, strict=True)]
        p_rock = [0.9 if p == "rock" else 0.2 for p in pred]
        run.write_predictions(
            f,
            pd.DataFrame(
                {
                    "track_id": [f"clip{i}" for i in clips],
                    "true": true,
                    "predicted": pred,
                    "jazz": np.subtract(1, p_rock),
                    "rock": p_rock,
                }
            ),
        )
        run.write_history(
            f,
            [
                {
                    "epoch": e,
                    "train_loss": 1 / e,
                    "train_acc": e / 4,
                    "val_loss": None,
                    "val_acc": None,
                }
                for e in (1, 2, 3)
            ],
        )
        run.write_confusion(f, metrics.confusion(true, pred, labels), labels)
    run.write_summary({"labels": labels, "mean_acc": 0.0})
    run.set_status("completed")
    return comparison.RunResults.from_run(load_run(run.id, root))


@pytest.fixture
def two_runs(tmp_path):
    a = _fake_run(tmp_path, "A", [1, 1, 0, 1, 0, 1, 0, 1])  # 2/4 wrong in fold 2
    b = _fake_run(tmp_path, "B", [1] * 8, lr=3e-3)
    return a, b


def test_run_results_from_a_run_folder(two_runs):
    a, _ = two_runs
    assert a.labels == ["jazz", "rock"] and a.user == "tester"
    assert list(a.fold_accuracies()) == [0.75, 0.5]
    assert list(a.predictions.columns[:4]) == ["fold", "track_id", "true", "predicted"]
    assert a.history["fold"].tolist() == [1, 1, 1, 2, 2, 2]
    assert a.confusion().sum() == 8 and a.confusion(2).trace() == 2
    wrong = a.wrong()
    assert set(wrong["track_id"]) == {"clip2", "clip4", "clip6"}
    assert wrong["confidence"].is_monotonic_decreasing
    clip2 = wrong.set_index("track_id").loc["clip2"]  # jazz heard as rock with p = 0.9
    assert (clip2["true"], clip2["predicted"], clip2["confidence"]) == ("jazz", "rock", 0.9)
    assert clip2["p_true"] == pytest.approx(0.1)


def test_compare_same_folds_in_plain_words(two_runs):
    a, b = two_runs
    assert comparison.fold_mismatches(a, b) == []
    c = comparison.compare(a, b)
    assert c.t_test is not None and c.mcnemar is not None
    # fold accuracies 0.75, 0.5 (A) and 1, 1 (B): t = 0.375 / (0.177 / sqrt 2) = 3, 1 d.f.
    assert c.t_test.statistic == pytest.approx(3.0)
    assert c.t_test.p_value == pytest.approx(2 * stats.t.sf(3.0, 1))
    assert (c.mcnemar.only_a, c.mcnemar.only_b) == (0, 3)
    assert c.text[0] == (
        "B beats A by 37.5 points (1.000 vs 0.625); this could well be chance, p = 0.20 "
        "(paired t-test over 2 folds)."
    )
    assert "B got 3 right that A got wrong, and A got 0" in c.text[1]
    assert c.text[1].endswith("p = 0.25 (McNemar's exact test).")  # 2 * (1/2)^3


def test_compare_warns_when_folds_differ(tmp_path, two_runs):
    a, _ = two_runs
    other = _fake_run(tmp_path, "C", [1] * 8, folds=((0, 2, 4, 6), (1, 3, 5, 7)), seed=1)
    reasons = comparison.fold_mismatches(a, other)
    assert any("seed differs (0 vs 1)" in r for r in reasons)
    assert any("fold(s) 1, 2 tested different clips" in r for r in reasons)
    c = comparison.compare(a, other)
    assert c.t_test is None and "cannot be compared fold by fold" in c.text[0]
    assert c.mcnemar is not None and c.mcnemar.n == 8  # the same clips, pooled


def test_clip_facts_from_the_manifest(two_runs):
    a, _ = two_runs
    manifest = pd.DataFrame(
        {
            "track_id": ["clip2", "clip4", "clip6"],
            "path": ["/x/2.wav", "/x/4.wav", "/x/6.wav"],
            "artist": ["Ann", "", "Bob"],
            "faults": ["mislabel", "artist_repetition", "exact_repetition;clipping"],
        }
    )
    facts = comparison.with_clip_facts(a.wrong(), manifest).set_index("track_id")
    assert facts.loc["clip2", "known_fault"] and facts.loc["clip6", "known_fault"]
    assert not facts.loc["clip4", "known_fault"]
    assert facts.loc["clip6", "flags"] == "exact repetition, clipping"
    none = comparison.with_clip_facts(a.wrong(), pd.DataFrame(columns=["track_id"]))
    assert (none["path"] == "").all() and not none["known_fault"].any()


def test_confusion_figures_share_one_colour_scale(two_runs):
    a, b = two_runs
    fa, fb, diff = confusion_figures(a, b)
    assert fa.data[0].zmax == fb.data[0].zmax == 4
    assert list(fa.data[0].x) == list(fa.data[0].y) == ["jazz", "rock"]
    np.testing.assert_array_equal(diff.data[0].z, b.confusion() - a.confusion())
    normalised = confusion_figures(a, b, fold=2, normalised=True)
    assert normalised[0].data[0].zmax == 1.0 and "fold 2" in normalised[0].layout.title.text


def test_report_is_one_self_contained_file(two_runs):
    a, b = two_runs
    report = build_report([a, b])
    assert report.startswith("<!DOCTYPE html>") and report.count("<html") == 1
    assert "B beats A by 37.5 points" in report
    assert "train.lr" in report and "rgba(245, 158, 11" in report  # the differing row is lit
    assert report.count("plotly.js v") == 1  # Plotly embedded once, not fetched from a CDN
    assert '<script src="http' not in report and "fold 2" in report


def test_a_run_without_fold_results_is_refused(tmp_path):
    from core.runs import RunError

    run = create_run({"train": {}}, name="empty", root=tmp_path)
    with pytest.raises(RunError, match="saved no fold results"):
        comparison.RunResults.from_run(run)
