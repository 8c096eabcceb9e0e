"""Home: what is loaded and what to do next."""

import streamlit as st

from core import plots
from core.dataset import summarize
from pages.common import current_dataset

st.title(":material/graphic_eq: Genre Lab")
st.caption(
    "Music-genre classification research on GTZAN with mel spectrograms: look at the data as it "
    "really is, tune spectrograms, train and compare CNNs, predict the genre of a clip."
)

dataset = current_dataset()
if dataset is None:
    st.info("Pick another dataset in the sidebar, or the built-in demo dataset.")
    st.stop()

s = summarize(dataset)
st.subheader(f"Dataset: {s.name}")
st.caption(f"Layout **{s.layout}** at `{s.root}`")
if s.layout == "demo":
    st.info(
        "This is the **synthetic demo dataset**: generated music in GTZAN's ten genre names, with "
        "planted faults (repetitions, mislabels, distortions). Point the sidebar at real GTZAN "
        "(a folder or archive) to work on the real thing."
    )

cols = st.columns(4)
cols[0].metric("Clips", s.clips)
cols[1].metric("Readable", s.readable, delta=-len(s.problems) or None)
cols[2].metric("Genres", len(s.per_genre))
cols[3].metric("Audio", f"{s.durations.get('total_minutes', 0):.0f} min" if s.durations else "—")

left, right = st.columns(2)
left.plotly_chart(plots.clips_per_genre(s.per_genre), width="stretch")
if s.durations:
    right.plotly_chart(plots.duration_histogram(dataset.manifest), width="stretch")
    rates = ", ".join(f"{rate} Hz ({n} clips)" for rate, n in s.sample_rates.items())
    right.caption(
        f"Per clip: min {s.durations['min']:.1f} s, median {s.durations['median']:.1f} s, "
        f"max {s.durations['max']:.1f} s. Sample rates: {rates}."
    )
else:
    right.info("This dataset holds spectrogram images, not audio: durations are unknown.")

if len(s.problems):
    st.warning(f"{len(s.problems)} file(s) could not be read and are left out of everything:")
    st.dataframe(s.problems, hide_index=True, width="stretch")
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
