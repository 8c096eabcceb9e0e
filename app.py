"""Genre Lab: music-genre classification research on GTZAN with mel spectrograms.

Run with ``streamlit run app.py``.
"""

import streamlit as st

from pages.common import dataset_picker, mark_shell

st.set_page_config(page_title="Genre Lab", page_icon=":material/graphic_eq:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/explore.py", title="Explore", icon=":material/travel_explore:"),
]

page = st.navigation(PAGES)
dataset_picker()
mark_shell()
page.run()
