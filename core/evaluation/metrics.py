"""Metrics of finished runs and statistics to compare them: pure functions of predictions.

Accuracy, confusion matrices and per-genre precision / recall / F1 follow scikit-learn's
definitions (an undefined precision or recall, 0 / 0, counts as 0). Fold accuracies are
summarised with a t-based confidence interval; two runs evaluated on the same folds are compared
with a paired t-test over folds and McNemar's test on their pooled clip predictions.
Runs are read and compared in :mod:`core.evaluation.comparison`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Significance level of the plain-words verdicts.
ALPHA = 0.05
#: McNemar: below this many discordant clips the exact binomial test is used.
EXACT_BELOW = 25


# ---- scores ---------------------------------------------------------------------------------


def accuracy(true: Any, predicted: Any) -> float:
    """Share of clips whose predicted label is the true one (NaN for no clips)."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    return float(np.mean(true == predicted)) if len(true) else float("nan")


def confusion(true: Any, predicted: Any, labels: list[str]) -> np.ndarray:
    """Counts of (true, predicted) pairs: rows are true labels, columns predicted, in ``labels``
    order; pairs with a label outside ``labels`` are left out (``sklearn.metrics.
    confusion_matrix``; all zeros when no true label is in ``labels``)."""
    from sklearn.metrics import confusion_matrix

    true, predicted = np.asarray(true), np.asarray(predicted)
    if not len(labels) or not np.isin(true, labels).any():
        return np.zeros((len(labels), len(labels)), dtype=int)
    return confusion_matrix(true, predicted, labels=labels).astype(int)


def row_normalise(matrix: Any) -> np.ndarray:
    """Each row divided by its sum (the share of a true genre given each label); empty rows stay
    zero."""
    matrix = np.asarray(matrix, dtype=float)
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def per_class_scores(true: Any, predicted: Any, labels: list[str]) -> pd.DataFrame:
    """Per label: ``precision``, ``recall``, ``f1`` and ``support`` (true clips), one row each
    (``sklearn.metrics.precision_recall_fscore_support``, 0 / 0 counted as 0)."""
    from sklearn.metrics import precision_recall_fscore_support

    true, predicted = np.asarray(true), np.asarray(predicted)
    precision = recall = f1 = support = np.zeros(len(labels))
    if len(true) and len(labels):
        precision, recall, f1, support = precision_recall_fscore_support(
            true, predicted, labels=labels, zero_division=0
        )
    return pd.DataFrame(
        {
            "genre": labels,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": np.asarray(support, dtype=int),
        }
    )


# ---- fold statistics ------------------------------------------------------------------------


@dataclass(frozen=True)
class FoldStats:
    """Mean, sample standard deviation and t-based confidence interval of per-fold values."""

    n: int
    mean: float
    std: float
    low: float
    high: float
    confidence: float


def fold_stats(values: Any, confidence: float = 0.95) -> FoldStats:
    """Summarise per-fold values; the interval is ``mean ± t(n-1) * std / sqrt(n)`` (NaN when
    there is a single fold)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    if n < 2:
        return FoldStats(n, mean, float("nan"), float("nan"), float("nan"), confidence)
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return FoldStats(n, mean, std, mean - half, mean + half, confidence)


@dataclass(frozen=True)
class TestResult:
    """Outcome of a significance test: its statistic, p-value and which test it was."""

    statistic: float
    p_value: float
    method: str


def paired_t_test(a: Any, b: Any) -> TestResult:
    """Paired t-test of per-fold values ``b`` against ``a`` (``scipy.stats.ttest_rel``).

    The statistic is positive when ``b`` is higher. Identical values give p = 1; differences
    that are all the same non-zero number give p = 0.
    """
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) != len(b) or len(a) < 2:
        raise ValueError("a paired t-test needs the same number (at least 2) of values in each")
    diff = b - a
    if np.allclose(diff, diff[0], rtol=0, atol=1e-12):  # no spread: the t statistic is 0/0 or x/0
        same = abs(diff[0]) <= 1e-12
        return TestResult(
            0.0 if same else math.copysign(math.inf, diff[0]), 1.0 if same else 0.0, "paired t-test"
        )
    result = stats.ttest_rel(b, a)
    return TestResult(float(result.statistic), float(result.pvalue), "paired t-test")


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on paired right/wrong outcomes: ``only_a`` clips only run A got right,
    ``only_b`` only run B, out of ``n`` clips both classified."""

    n: int
    only_a: int
    only_b: int
    test: TestResult


def mcnemar(correct_a: Any, correct_b: Any, exact: bool | None = None) -> McNemar:
    """McNemar's test of two classifiers on the same clips (booleans: got the clip right).

    ``exact`` (default: when fewer than ``EXACT_BELOW`` clips are discordant) uses the binomial
    test, ``2 * P(X <= min(b, c))`` for ``X ~ Bin(b + c, 1/2)`` capped at 1; otherwise the
    chi-square statistic with continuity correction ``(|b - c| - 1)^2 / (b + c)``, one degree of
    freedom (statsmodels' ``mcnemar`` formulas).
    """
    from scipy import stats

    correct_a, correct_b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if correct_a.shape != correct_b.shape:
        raise ValueError("McNemar's test needs the outcomes of both runs on the same clips")
    b = int(np.sum(correct_a & ~correct_b))
    c = int(np.sum(~correct_a & correct_b))
    if exact is None:
        exact = b + c < EXACT_BELOW
    if exact or b + c == 0:  # without discordant clips the chi-square statistic is undefined
        p = min(1.0, 2 * float(stats.binom.cdf(min(b, c), b + c, 0.5)))
        test = TestResult(float(min(b, c)), p, "McNemar's exact test")
    else:
        statistic = (abs(b - c) - 1) ** 2 / (b + c)
        test = TestResult(
            statistic, float(stats.chi2.sf(statistic, 1)), "McNemar's chi-square test"
        )
    return McNemar(len(correct_a), b, c, test)
