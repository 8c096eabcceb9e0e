"""The examples in the public API's docstrings run, and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

#: Modules whose docstrings carry examples: spectrogram settings, a clip's features, folds,
#: feature stores, prediction, repetitions found in images and scored, the torch device,
#: sweep spaces and sweeps.
MODULES = (
    "core.audio.mel",
    "core.audio.clip",
    "core.faults.images",
    "core.faults.scoring",
    "core.splits",
    "core.features.store",
    "core.predict",
    "core.training.device",
    "core.sweeps.space",
    "core.sweeps.sweep",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed (see the output)"
