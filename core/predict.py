"""Predict the genre of any clip with a trained run: decode -> the run's own features -> models.

The clip is cut into windows of the run's clip duration (its last, shorter window is
zero-padded, as in training); each window's segments (or rendered image) go through every fold's
model. The genre probabilities are the mean over folds and over all segments; the per-segment
probabilities form a timeline. No user file is ever unpickled or executed: audio is decoded by
libsndfile, weights come from the run folder (torch with ``weights_only=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import audio, settings
from core.audio.clip import clip_features
from core.audio.mel import PRESETS, MelParams
from core.audio.mel_fast import single_threaded_torch
from core.errors import AudioError, GenreLabError
from core.runs import Run, RunStatus, load_run
from core.runs.validate import RunDamaged, check_torch_weights
from core.training import load_weights, predict_proba

#: Below this RMS (about -80 dBFS) a clip counts as silent: there is nothing to classify.
SILENCE_RMS = 1e-4
#: A clip shorter than this share of one model input is refused: the model would read silence
#: it never learned from. The few hundredths left (GTZAN's 29.93 s clips against a 30 s input)
#: are padded, and the prediction says so.
MIN_INPUT_SHARE = 0.95
#: Seconds of audio a Kaggle spectrogram image shows (GTZAN's 30 s excerpts).
KAGGLE_IMAGE_SECONDS = 30.0


class PredictError(GenreLabError):
    """A run cannot be used for prediction (not completed, files missing)."""


@dataclass
class Predictor:
    """A completed run's fold models and the exact input they expect."""

    run: Run
    models: list[Any]
    labels: list[str]
    params: MelParams  # how to turn audio into the models' input
    image_input: str | None  # Kaggle image mode of image runs, else None
    input_seconds: float = 0.0  # audio one model input covers (0: unknown)


@dataclass
class Prediction:
    """The genre probabilities of one clip and how they were reached."""

    probabilities: pd.Series  # genre -> probability, highest first
    timeline: pd.DataFrame  # start, end (s), then one probability column per genre
    signal: np.ndarray  # the decoded audio analysed (at params.sample_rate)
    sample_rate: int
    notes: list[str] = field(default_factory=list)  # what was done to the audio
    warnings: list[str] = field(default_factory=list)  # how the clip differs from training

    @property
    def genre(self) -> str:
        return str(self.probabilities.index[0])


def load_predictor(run: Run | str) -> Predictor:
    """Load every fold model of a completed run."""
    run = load_run(run) if isinstance(run, str) else run
    if run.status != RunStatus.COMPLETED or not run.summary:
        raise PredictError(f"Run {run.label} is {run.status}: only completed runs can predict.")
    config = run.run_config
    if config.train is None or config.input is None:
        raise PredictError(f"Run {run.label} is not a training run: it has no models.")
    labels, shape = list(run.summary["labels"]), run.summary.get("input_shape")
    if shape is None:
        raise PredictError(f"Run {run.label} does not record its input shape: it cannot predict.")
    paths = [run.model_path(i, create=False) for i in run.folds()]
    if not paths or not all(p.is_file() for p in paths):
        raise PredictError(f"Run {run.label} has no saved models.")
    if config.train.framework == "torch":
        try:  # the weights must fit the declared architecture before it is built
            for path in paths:
                check_torch_weights(path, config, shape, len(labels))
        except RunDamaged as exc:
            raise PredictError(f"Run {run.label} is damaged: {exc}") from exc
    shape = tuple(shape)
    models = [load_weights(p, config.train, shape, len(labels)) for p in paths]
    image = config.input.image
    params = PRESETS["kaggle"] if image is not None else config.input.mel
    seconds = model_input_seconds(params, shape, config.train.time_crop, image is not None)
    return Predictor(run, models, labels, params, image, seconds)


def model_input_seconds(
    params: MelParams, input_shape: tuple[int, ...], time_crop: int = 0, image: bool = False
) -> float:
    """Seconds of audio one model input covers: a segment (or window, or Kaggle image) of
    ``input_shape[1]`` columns, narrowed to ``time_crop`` columns when the model was trained
    on crops.

    >>> model_input_seconds(PRESETS["fast"], (64, 130, 1), time_crop=128)  # doctest: +ELLIPSIS
    2.95...
    """
    width = int(input_shape[1])
    samples = params.segment_samples or params.n_samples
    if image:
        seconds = KAGGLE_IMAGE_SECONDS
    elif samples:
        seconds = samples / params.sample_rate
    else:
        seconds = width * params.hop_length / params.sample_rate
    return seconds * min(time_crop or width, width) / width


def check_upload_size(n_bytes: int, limit: int | None = None) -> None:
    """Refuse a file larger than ``limit`` bytes (default: the upload limit), with the sizes."""
    if limit is None:
        limit = settings.current().max_upload_bytes
    if n_bytes > limit:
        raise AudioError(
            f"The file is {n_bytes / 2**20:.0f} MB; the limit is {limit / 2**20:.0f} MB."
        )


def predict(
    predictor: Predictor,
    source: audio.Source,
    max_seconds: float | None = None,
) -> Prediction:
    """Genre probabilities of a clip (path, bytes or file object).

    Bytes (an upload) are refused beyond the upload limit; a file on this machine is analysed
    for its first ``max_seconds`` whatever its size.

    Raises
    ------
    AudioError
        for anything that is not usable audio (empty, undecodable, silent...), with the reason.

    Examples
    --------
    >>> import io
    >>> import numpy as np, soundfile as sf
    >>> from core.models.torch_cnn import build_torch_model
    >>> params = MelParams(duration=1.0, n_mels=32)
    >>> model = build_torch_model((32, 44, 1), 2)  # untrained: the probabilities mean nothing
    >>> predictor = Predictor(None, [model], ["blues", "rock"], params, image_input=None)
    >>> wav = io.BytesIO()
    >>> sf.write(wav, 0.5 * np.sin(2 * np.pi * 440 * np.arange(33075) / 22050), 22050, format="WAV")
    >>> result = predict(predictor, wav.getvalue())  # 1.5 s of A4: one window of 1 s
    >>> result.genre in ("blues", "rock"), round(float(result.probabilities.sum()), 4)
    (True, 1.0)
    >>> list(result.timeline.columns)
    ['start', 'end', 'blues', 'rock']
    """
    if isinstance(source, bytes):
        check_upload_size(len(source))
    params, notes = predictor.params, []
    y = audio.load(source, sr=params.sample_rate, max_seconds=max_seconds, notes=notes)
    seconds, needed = len(y) / params.sample_rate, predictor.input_seconds
    if seconds < MIN_INPUT_SHARE * needed:
        raise AudioError(
            f"The clip is {_seconds(seconds)} long, too short to classify: this run's model "
            f"reads {_seconds(needed)} of audio at a time: give it a clip of at least "
            f"{_seconds(MIN_INPUT_SHARE * needed)}."
        )
    if float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) < SILENCE_RMS:
        raise AudioError("The clip is silent (or nearly): there is no music to classify.")
    units, spans = _units(y, predictor, notes)
    with single_threaded_torch():  # small batches: one thread beats a contended thread team
        proba = np.mean([predict_proba(m, units) for m in predictor.models], axis=0)
    timeline = pd.DataFrame(spans, columns=["start", "end"])
    timeline[predictor.labels] = proba
    mean = pd.Series(proba.mean(axis=0), index=predictor.labels).sort_values(ascending=False)
    native = None if hasattr(source, "read") else audio.probe(source).sample_rate
    warnings = clip_warnings(predictor, seconds, native)
    return Prediction(mean, timeline, y, params.sample_rate, notes, warnings)


def clip_warnings(predictor: Predictor, seconds: float, sample_rate: int | None) -> list[str]:
    """How a clip of ``seconds`` at ``sample_rate`` Hz (None: unknown) differs from what the run
    learned from: the synthetic demo, shorter clips, a lower sample rate.

    >>> predictor = Predictor(None, [], ["a", "b"], PRESETS["fast"], None)
    >>> clip_warnings(predictor, 30.0, 8000)  # doctest: +ELLIPSIS
    ['The clip is recorded at 8000 Hz: it has nothing above 4000 Hz, ...']
    """
    from core.runs.provenance import dataset_name, is_demo

    warnings, params = [], predictor.params
    config = predictor.run.run_config if predictor.run is not None else None
    summary = (predictor.run.summary or {}) if predictor.run is not None else {}
    if config is not None and is_demo(config, summary):
        warnings.append(
            "This run learned from the synthetic demo (generated tones and noise, not music): "
            "the genre it gives real audio says nothing about that audio's genre. Train on "
            "GTZAN for predictions of real music."
        )
    trained = summary.get("dataset") or {}
    rate = trained.get("sample_rate") or params.sample_rate
    if sample_rate is not None and sample_rate < min(rate, params.sample_rate):
        warnings.append(
            f"The clip is recorded at {sample_rate} Hz: it has nothing above "
            f"{sample_rate // 2} Hz, which the training clips ({rate} Hz) had."
        )
    typical = trained.get("clip_seconds") or (params.duration or 0.0)
    if typical and seconds < 0.5 * min(typical, params.duration or typical):
        name = f" of {dataset_name(config, summary)}" if config is not None else ""
        warnings.append(
            f"The clip is {_seconds(seconds)} long; the run learned from clips{name} of about "
            f"{_seconds(typical)}, so it gives the models less to go on than the clips their "
            "accuracy was measured on."
        )
    return warnings


def _seconds(value: float) -> str:
    """``0.01 s``, ``2.5 s``, ``30 s``."""
    return f"{value:.2g} s" if value < 10 else f"{value:.0f} s"


def _units(y: np.ndarray, predictor: Predictor, notes: list[str]) -> tuple[np.ndarray, list]:
    """The model inputs of a clip, one per segment of each window, and their time spans."""
    params, sr = predictor.params, predictor.params.sample_rate
    window = params.n_samples or len(y)
    if len(y) < window:
        notes.append(
            f"The clip is {len(y) / sr:.1f} s long; the model was trained on "
            f"{window / sr:.0f} s clips, so it was padded with silence."
        )
    starts = range(0, max(len(y) - window // 2, 1), window)
    units, spans = [], []
    for start in starts:
        features = clip_features(y[start : start + window], params)
        seg = (params.segment_samples or window) / sr
        for i, unit in enumerate(features):
            units.append(_model_input(unit, predictor.image_input))
            begin = start / sr + i * seg
            spans.append((begin, min(begin + seg, len(y) / sr)))
    return np.stack(units), spans


def _model_input(unit: np.ndarray, image_input: str | None) -> np.ndarray:
    """One segment's features as the models take them, channels last."""
    if image_input is None:
        return unit[..., None]
    from core.dataset.images import IMAGE_INPUTS, prepare_image

    return prepare_image(unit, **IMAGE_INPUTS[image_input])
