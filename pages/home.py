"""Home: what is loaded and what to do next."""

import streamlit as st

from core.dataset import summarize
from core.public_paths import hide_paths
from ui.access import current_user
from ui.common import current_dataset, show_overview
from ui.shell import require_shell
from ui.storage import storage_panel
from ui.text import plain

require_shell()
st.title(":material/graphic_eq: Genre Lab")
st.caption(
    "Music-genre classification research on GTZAN with mel spectrograms: look at the data as it "
    "really is, tune spectrograms, train and compare CNNs, predict the genre of a clip."
)

storage_panel(current_user())

dataset = current_dataset()
if dataset is None:
    st.info("Pick another dataset in the sidebar, or the built-in demo dataset.")
    st.stop()

s = summarize(dataset)
st.subheader(f"Dataset: {plain(s.name)}")
st.caption(f"Layout **{s.layout}** at `{hide_paths(str(s.root))}`")
if s.layout == "demo":
    st.info(
        "This is the **synthetic demo dataset**: generated music in GTZAN's ten genre names, with "
        "planted faults (repetitions, mislabels, distortions). Point the sidebar at real GTZAN "
        "(a folder or archive) to work on the real thing."
    )

show_overview(dataset, s)

if s.fault_counts:
    faults = ", ".join(f"**{kind}** {n}" for kind, n in s.fault_counts.items())
    st.markdown(f"Known faults flagged on clips: {faults}.")
if s.artists_known:
    st.markdown(f"Artist known for **{s.artists_known}** of {s.clips} clips.")

with st.expander("Per-genre table"):
    st.dataframe(s.per_genre.round(1), hide_index=True, width="stretch")

st.subheader("What next")
st.markdown(
    "- Choose a dataset in the sidebar: the demo, a folder under `data/`, any folder on this "
    "machine (GTZAN, its Kaggle edition, the Kaggle mel images, or one folder per label), or an "
    "uploaded `.zip` / `.tar.gz`.\n"
    "- No GTZAN yet? `python -m core dataset download` fetches and unpacks it into `data/`."
)
