"""Training behind one interface for PyTorch and Keras: the package face.

``train_fold`` trains one model, ``predict_proba`` predicts class probabilities per clip,
``save_weights``/``load_weights`` store a model (all in :mod:`core.training.loop`), and
``run_kfold`` (:mod:`core.training.kfold`) runs a whole protocol. Configuration and presets live
in :mod:`core.training.config`; each framework's steps in ``torch_trainer``/``keras_trainer``.
"""

from core.training.config import PRESETS, TrainConfig, preset
from core.training.kfold import run_kfold
from core.training.loop import FoldResult, load_weights, predict_proba, save_weights, train_fold

__all__ = [
    "PRESETS",
    "FoldResult",
    "TrainConfig",
    "load_weights",
    "predict_proba",
    "preset",
    "run_kfold",
    "save_weights",
    "train_fold",
]
