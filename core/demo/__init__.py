"""The synthetic demo dataset: GTZAN's ten genre names, deterministic from a seed, with planted
Sturm-style faults whose ground truth is in ``demo_meta.csv`` (:mod:`.generate` writes it,
:mod:`.truth` reads it). The parts of :mod:`.generate` share names with a leading
underscore: private to this package."""

from core.demo.generate import ensure_demo, generate_demo, is_complete
from core.demo.sound import FULL_SCALE
from core.demo.truth import FAULT_KINDS, META_COLUMNS, META_NAME, load_demo_truth

__all__ = [
    "FAULT_KINDS",
    "FULL_SCALE",
    "META_COLUMNS",
    "META_NAME",
    "ensure_demo",
    "generate_demo",
    "is_complete",
    "load_demo_truth",
]
