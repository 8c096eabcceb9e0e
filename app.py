"""Genre Lab: music-genre classification research on GTZAN with mel spectrograms.

Run with ``streamlit run app.py``.
"""

from ui.shell import build_shell

build_shell().run()
