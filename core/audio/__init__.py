"""Audio in: decoding (:mod:`.decode`), mel spectrograms (:mod:`.mel`), Kaggle's image rendering
(:mod:`.kaggle_image`), a clip to its features (:mod:`.clip`, above both) and quick previews
(:mod:`.preview`). The face re-exports decoding only, so ``from core import audio`` stays light."""

from core.audio.decode import AudioInfo, load, probe

__all__ = ["AudioInfo", "load", "probe"]
