"""Mel settings are bounded by what they cost (issue 15): a link or an imported run asking for
``hop_length=1`` is refused before any spectrogram is computed."""

from __future__ import annotations

import json

import pytest

from core.audio.cost import mel_cost
from core.audio.mel import PRESETS, MelParams
from core.errors import ArchiveError, ParamsError
from core.runs.archive import export_runs, import_runs
from tests.child import run_python
from tests.test_run_archive import make_run, rezip


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_and_whole_clips_are_within_the_bounds(name):
    whole = PRESETS[name].replace(duration=None, segment_seconds=None)  # validated, cost too
    assert mel_cost(whole).frames == whole.frames_for(600 * whole.sample_rate)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hop_length": 1}, "661,501 frames per clip.*GENRELAB_MAX_STFT_MSAMPLES"),
        ({"hop_length": 2, "n_fft": 256, "n_mels": 64}, "GENRELAB_MAX_MEL_MCELLS"),
        ({"hop_length": 8, "duration": None}, "GENRELAB_MAX_STFT_MSAMPLES"),
    ],
)
def test_costly_settings_are_a_params_error(changes, message):
    with pytest.raises(ParamsError, match=message):
        MelParams(**changes)


def test_a_lab_link_with_hop_1_is_refused_with_little_memory():
    """Before the bound this link took the server to 3.4 GB; the child never computes it."""
    code = (
        "import numpy as np\n"
        "from core.audio.clip import clip_features\n"
        "from core.errors import ParamsError\n"
        "from core.links import mel_from_query\n"
        "try:\n"
        "    _, params = mel_from_query({'mel': 'librosa', 'mel.hop_length': '1'})\n"
        "    clip_features(np.zeros(30 * 22050, np.float32), params)\n"
        "    print('computed')\n"
        "except ParamsError as exc:\n"
        "    print('refused:', exc)\n"
    )
    child = run_python(code, timeout=120)
    assert "refused: These settings cost too much" in child.output, child.output
    assert child.peak_mb < 400, child.peak_mb


def test_an_imported_run_with_hop_1_is_refused(tmp_path):
    run = make_run(tmp_path / "src")
    archive = export_runs([run.id], tmp_path / "runs.zip", root=tmp_path / "src")
    config = json.loads((run.dir / "config.json").read_text())
    config["input"] = {"mel": {**MelParams().to_dict(), "hop_length": 1}}
    crafted = rezip(
        archive, tmp_path / "crafted.zip", {f"{run.id}/config.json": json.dumps(config).encode()}
    )
    with pytest.raises(ArchiveError, match="cost too much"):
        import_runs(crafted, root=tmp_path / "dst")
    assert not any((tmp_path / "dst").iterdir())
