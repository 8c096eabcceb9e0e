"""What a set of mel parameters costs on one clip, and the check that keeps it bounded.

A link or an imported run can ask for ``hop_length=1``: 661,500 frames for 30 s, gigabytes of
spectrogram and minutes of compute per clip. :func:`check_cost` refuses such settings wherever
``MelParams`` are made (Lab, links, feature stores, imported runs, prediction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import settings
from core.errors import ParamsError

if TYPE_CHECKING:
    from core.audio.mel import MelParams


@dataclass(frozen=True)
class MelCost:
    """The work of one clip: STFT frames, samples through FFTs and spectrogram cells."""

    frames: int
    stft_work: int  # frames x n_fft
    mel_cells: int  # frames x n_mels


def mel_cost(p: MelParams) -> MelCost:
    """The cost of one clip's features; a whole clip counts as its longest analysed stretch.

    >>> from core.audio.mel import MelParams
    >>> mel_cost(MelParams()).frames  # 30 s at hop 512
    1292
    """
    if p.segment_samples is not None and p.n_segments is not None:
        frames = p.n_segments * p.frames_for(p.segment_samples)
    else:  # whole clips: as long as the longest stretch analysed
        frames = p.frames_for(round(_limits().max_analysis_seconds * p.sample_rate))
    return MelCost(frames, frames * p.n_fft, frames * p.n_mels)


def check_cost(p: MelParams) -> None:
    """Raise ParamsError when one clip would cost more than ``GENRELAB_MAX_STFT_MSAMPLES`` or
    ``GENRELAB_MAX_MEL_MCELLS`` allow."""
    cost, s = mel_cost(p), _limits()
    for value, millions, what, var in (
        (cost.stft_work, s.max_stft_msamples, "frames x n_fft", "GENRELAB_MAX_STFT_MSAMPLES"),
        (cost.mel_cells, s.max_mel_mcells, "frames x n_mels", "GENRELAB_MAX_MEL_MCELLS"),
    ):
        limit = millions * 10**6
        if value > limit:
            raise ParamsError(
                f"These settings cost too much: {cost.frames:,} frames per clip (hop_length "
                f"{p.hop_length}) make {value / 1e6:,.0f} million {what}, more than the limit of "
                f"{limit / 1e6:,.0f} million ({var}). Use a larger hop_length, a shorter "
                "duration or fewer mels."
            )


def _limits() -> settings.Settings:
    """The settings; their defaults while one is invalid (MelParams presets are made at import,
    before the app or the command line reports the invalid setting by name)."""
    try:
        return settings.current()
    except ParamsError:
        return settings.Settings()
