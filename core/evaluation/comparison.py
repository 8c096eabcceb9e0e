"""Runs side by side: what a run wrote as frames (:class:`RunResults`), their settings, fold
tables, and the paired comparison of two runs in plain words, built on :mod:`.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.evaluation.metrics import (
    ALPHA,
    McNemar,
    TestResult,
    accuracy,
    confusion,
    fold_stats,
    mcnemar,
    paired_t_test,
    per_class_scores,
)

if TYPE_CHECKING:
    from core.runs import Run, RunConfig
    from core.training.config import TrainConfig

#: Config entries that decide which clips land in which fold (with the dataset itself).
FOLD_KEYS = ("protocol", "k", "seed", "drop_repetitions")


# ---- settings -------------------------------------------------------------------------------


def flatten(config: dict, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one level with dotted keys (``train.lr``); lists and empty dicts become
    text."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value) if isinstance(value, list | dict) else value
    return flat


def settings_diff(a: dict, b: dict) -> dict[str, tuple[Any, Any]]:
    """The settings (dotted keys) whose values differ between two configs: ``(in a, in b)``, with
    None for a setting one of them lacks."""
    fa, fb = flatten(a), flatten(b)
    keys = list(dict.fromkeys([*fa, *fb]))
    return {k: (fa.get(k), fb.get(k)) for k in keys if fa.get(k) != fb.get(k)}


def settings_table(configs: dict[str, dict]) -> pd.DataFrame:
    """Settings (rows, dotted keys) of several configs (columns, by name) as text, plus a
    ``differs`` column telling whether the configs disagree on the setting."""
    flat = {name: flatten(config) for name, config in configs.items()}
    keys = list(dict.fromkeys(k for f in flat.values() for k in f))
    table = pd.DataFrame(
        {name: [f.get(k) for k in keys] for name, f in flat.items()}, index=pd.Index(keys)
    ).astype(object)
    differs = [len({repr(v) for v in row}) > 1 for row in table.itertuples(index=False)]
    table = table.map(lambda v: "" if v is None else str(v))
    table.index.name = "setting"
    table["differs"] = differs
    return table


# ---- a run's results ------------------------------------------------------------------------


@dataclass
class RunResults:
    """What a finished run wrote, ready for the metrics: folds are numbered from 1.

    ``predictions``: ``fold, track_id, true, predicted`` and one probability column per label;
    ``history``: ``fold, epoch, train_loss, train_acc, val_loss, val_acc`` (and whatever else
    the trainer logged).
    """

    id: str
    label: str
    config: RunConfig
    summary: dict
    labels: list[str]
    predictions: pd.DataFrame
    history: pd.DataFrame
    user: str = ""
    created: str = ""

    @classmethod
    def from_run(cls, run: Run) -> RunResults:
        """Read every fold of ``run`` (a completed one: its summary names the labels).

        Raises ``RunError`` for a run without fold results or with an invalid config; ``OSError``
        or ``ValueError`` for damaged files.
        """
        from core.runs import RunError

        folds = run.folds()
        if not folds:
            raise RunError(f"Run {run.label!r} saved no fold results.")
        predictions = pd.concat(
            [run.read_predictions(f).assign(fold=f + 1) for f in folds], ignore_index=True
        )
        history = pd.DataFrame(
            [{"fold": f + 1, **epoch} for f in folds for epoch in run.read_history(f)]
        )
        summary = run.summary or {}
        labels = summary.get("labels") or sorted(set(predictions["true"]))
        front = ["fold", "track_id", "true", "predicted"]
        predictions = predictions[front + [c for c in predictions if c not in front]]
        created = f"{run.created:%Y-%m-%d %H:%M} UTC" if run.created else ""
        return cls(
            run.id,
            run.label,
            run.run_config,
            summary,
            list(labels),
            predictions,
            history,
            run.user,
            created,
        )

    @property
    def train(self) -> TrainConfig | None:
        """The run's training settings (None for a run saved without them)."""
        return self.config.train

    def fold_accuracies(self) -> pd.Series:
        """Test accuracy per fold (index: fold number)."""
        folds = self.predictions.groupby("fold")
        return pd.Series({f: accuracy(p["true"], p["predicted"]) for f, p in folds}, dtype=float)

    def test_ids(self) -> list[set[str]]:
        """The track ids tested in each fold, in fold order."""
        return [set(p["track_id"]) for _, p in self.predictions.groupby("fold")]

    def confusion(self, fold: int | None = None) -> np.ndarray:
        """Confusion matrix of one fold (numbered from 1), or summed over folds (None)."""
        p = self.predictions if fold is None else self.predictions[self.predictions["fold"] == fold]
        return confusion(p["true"], p["predicted"], self.labels)

    def scores(self) -> pd.DataFrame:
        """Per-genre precision, recall and F1 of the pooled predictions of every fold."""
        return per_class_scores(
            self.predictions["true"], self.predictions["predicted"], self.labels
        )

    def wrong(self) -> pd.DataFrame:
        """The clips predicted wrong: ``fold, track_id, true, predicted, confidence`` (probability
        of the predicted label) and ``p_true`` (of the true one), most confident first."""
        p = self.predictions[self.predictions["true"] != self.predictions["predicted"]]

        def prob_of(column: str) -> list[float]:
            return [p.at[i, lab] if lab in p else np.nan for i, lab in p[column].items()]

        out = p[["fold", "track_id", "true", "predicted"]].assign(
            confidence=prob_of("predicted"), p_true=prob_of("true")
        )
        return out.sort_values("confidence", ascending=False).reset_index(drop=True)


def scores_table(results: list[RunResults]) -> pd.DataFrame:
    """Per-genre precision, recall, F1 and support of several runs: one row per (run, genre)."""
    return pd.concat([r.scores().assign(run=r.label) for r in results], ignore_index=True)[
        ["run", "genre", "precision", "recall", "f1", "support"]
    ]


def with_clip_facts(wrong: pd.DataFrame, manifest: pd.DataFrame) -> pd.DataFrame:
    """Clips (``track_id`` column) joined with the dataset's facts about them: ``path``,
    ``artist``, ``flags`` (Sturm's fault kinds in words) and ``known_fault`` (a known mislabel
    or repetition of another excerpt; an artist's other excerpts do not count)."""
    facts = manifest.drop_duplicates("track_id").set_index("track_id")
    facts = facts.reindex(columns=["path", "artist", "faults"]).reindex(wrong["track_id"])
    facts = facts.astype(object)  # an empty manifest gives float columns
    kinds = [[k for k in str(f).split(";") if k] if pd.notna(f) else [] for f in facts["faults"]]
    return wrong.assign(
        path=facts["path"].fillna("").to_numpy(),
        artist=facts["artist"].fillna("").to_numpy(),
        flags=[", ".join(k.replace("_", " ") for k in ks) for ks in kinds],
        known_fault=[any(_known(k) for k in ks) for ks in kinds],
    )


def _known(kind: str) -> bool:
    return "mislabel" in kind or ("repetition" in kind and not kind.startswith("artist"))


def fold_table(results: list[RunResults]) -> pd.DataFrame:
    """Test accuracy per fold (rows ``fold 1``...) of each run (columns, by label)."""
    table = pd.DataFrame({r.label: r.fold_accuracies() for r in results})
    table.index = [f"fold {i}" for i in table.index]
    return table


def stats_table(results: list[RunResults], confidence: float = 0.95) -> pd.DataFrame:
    """One row per run: folds, mean, std and confidence interval of its fold accuracies."""
    rows = []
    for r in results:
        s = fold_stats(r.fold_accuracies(), confidence)
        rows.append(
            {
                "run": r.label,
                "folds": s.n,
                "mean": s.mean,
                "std": s.std,
                "ci_low": s.low,
                "ci_high": s.high,
            }
        )
    return pd.DataFrame(rows)


# ---- comparing two runs ---------------------------------------------------------------------


def fold_mismatches(a: RunResults, b: RunResults) -> list[str]:
    """Why two runs cannot be compared fold by fold (empty when they used the same folds): a
    different dataset, protocol, k, seed or repetition handling, or other test clips per fold."""
    reasons = []
    if a.config.dataset.fingerprint != b.config.dataset.fingerprint:
        reasons.append("they were trained on different datasets (or different dataset files)")
    for key in FOLD_KEYS:
        va, vb = getattr(a.train, key, None), getattr(b.train, key, None)
        if va != vb:
            reasons.append(f"their {key.replace('_', ' ')} differs ({va} vs {vb})")
    ta, tb = a.test_ids(), b.test_ids()
    if len(ta) != len(tb):
        reasons.append(f"they have {len(ta)} and {len(tb)} folds")
    elif ta != tb:
        differing = [i + 1 for i, (x, y) in enumerate(zip(ta, tb, strict=True)) if x != y]
        reasons.append(f"fold(s) {', '.join(map(str, differing))} tested different clips")
    return reasons


@dataclass(frozen=True)
class Comparison:
    """Run B against run A: accuracies, the tests that apply, and the verdict in words."""

    a: str
    b: str
    mean_a: float
    mean_b: float
    mismatches: list[str]
    t_test: TestResult | None
    mcnemar: McNemar | None
    text: list[str]


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _chance(p: float) -> str:
    return "this is unlikely to be chance" if p < ALPHA else "this could well be chance"


def compare(a: RunResults, b: RunResults) -> Comparison:
    """Compare run ``b`` with run ``a``: paired t-test over folds (same folds only) and McNemar's
    test on the clips both runs tested, with the outcome stated in plain words."""
    acc_a, acc_b = a.fold_accuracies(), b.fold_accuracies()
    mean_a, mean_b = float(acc_a.mean()), float(acc_b.mean())
    mismatches = fold_mismatches(a, b)
    gap = 100 * (mean_b - mean_a)
    if abs(gap) < 0.05:
        head = f"{b.label} and {a.label} have the same mean accuracy ({mean_a:.3f})"
    else:
        (win, hi), (lose, lo) = sorted([(a.label, mean_a), (b.label, mean_b)], key=lambda x: -x[1])
        head = f"{win} beats {lose} by {abs(gap):.1f} points ({hi:.3f} vs {lo:.3f})"
    text, t_test = [], None
    if mismatches:
        text.append(
            f"{head}, but the runs cannot be compared fold by fold: " + "; ".join(mismatches) + "."
        )
    elif len(acc_a) < 2:
        text.append(f"{head}; with a single fold there is no paired test over folds.")
    else:
        t_test = paired_t_test(acc_a.to_numpy(), acc_b.to_numpy())
        text.append(
            f"{head}; {_chance(t_test.p_value)}, {_p(t_test.p_value)} "
            f"(paired t-test over {len(acc_a)} folds)."
        )
    pa = a.predictions.drop_duplicates("track_id").set_index("track_id")
    pb = b.predictions.drop_duplicates("track_id").set_index("track_id")
    common = pa.index.intersection(pb.index)
    test = None
    if len(common):
        pa, pb = pa.loc[common], pb.loc[common]
        test = mcnemar(pa["true"] == pa["predicted"], pb["true"] == pb["predicted"])
        text.append(
            f"On the {test.n} clips both runs classified, {b.label} got {test.only_b} right that "
            f"{a.label} got wrong, and {a.label} got {test.only_a} right that {b.label} got "
            f"wrong: {_chance(test.test.p_value)}, {_p(test.test.p_value)} ({test.test.method})."
        )
    else:
        text.append("The runs tested no clip in common, so their predictions cannot be paired.")
    return Comparison(a.label, b.label, mean_a, mean_b, mismatches, t_test, test, text)
