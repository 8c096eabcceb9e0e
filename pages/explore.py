"""Explore: the dataset as it really is: clips, artists, Sturm's faults."""

import pandas as pd
import streamlit as st

from core import plots
from core.dataset import summarize
from core.dataset.gtzan_meta import exact_repetition_groups, fault_filtered_excluded, load_faults
from core.dataset.stats import artist_concentration
from ui.common import clip_viewer, current_dataset, dataset_spec, play, show_overview
from ui.fault_scan import fault_scan_panel, faults_experiment_panel
from ui.shell import require_shell
from ui.text import plain
from ui.view_link import share

require_shell()
st.title(":material/travel_explore: Explore")
dataset = current_dataset()
if dataset is None:
    st.stop()
m = dataset.manifest
is_gtzan = dataset.layout in ("gtzan", "kaggle", "images")

tab_clips, tab_artists, tab_faults, tab_detect, tab_effect, tab_overview = st.tabs(
    ["Clips", "Artist repetition", "Fault catalog", "Detectors", "What faults do", "Overview"]
)

with tab_detect:
    fault_scan_panel(dataset)

with tab_effect:
    faults_experiment_panel(dataset, dataset_spec())

with tab_overview:
    show_overview(dataset, summarize(dataset))

with tab_clips:
    cols = st.columns([2, 2, 2, 1.3], vertical_alignment="bottom")
    genres = cols[0].multiselect("Genre", dataset.genres, placeholder="all genres")
    text = cols[1].text_input("Artist or title contains", placeholder="e.g. Marley")
    fault_kinds = sorted({k for cell in m.get("faults", []) for k in str(cell).split(";") if k})
    faults = cols[2].multiselect("Fault flag", fault_kinds, placeholder="any")
    only_problems = cols[3].toggle("Unreadable only")
    view = m
    if genres:
        view = view[view["genre"].isin(genres)]
    if text and "artist" in view:
        needle = text.lower()
        hay = view["artist"].str.lower() + " " + view.get("title", "").str.lower()
        view = view[hay.str.contains(needle, regex=False)]
    if faults:
        view = view[view["faults"].apply(lambda c: any(f in c.split(";") for f in faults))]
    if only_problems:
        view = view[~view["readable"]]
    columns = [
        c
        for c in (
            "track_id",
            "genre",
            "artist",
            "title",
            "faults",
            "filtered_split",
            "duration",
            "readable",
            "problem",
        )
        if c in view
    ]
    st.caption(f"{len(view)} of {len(m)} clips. Select a row to listen and look at it.")
    event = st.dataframe(
        view[columns],
        hide_index=True,
        width="stretch",
        height=320,
        on_select="rerun",
        selection_mode="single-row",
        key="explore_clips",
        column_config={"duration": st.column_config.NumberColumn("duration (s)", format="%.1f")},
    )
    linked = st.query_params.get("clip")
    if event.selection.rows:
        row = view.iloc[event.selection.rows[0]]
        st.session_state["explore_picked"] = True
        share({"clip": row["track_id"]})
        clip_viewer(row)
    elif linked and not st.session_state.get("explore_picked"):  # opened from a link
        match = m[m["track_id"] == linked]
        if match.empty:
            st.warning(f"The linked clip {plain(repr(linked))} is not in this dataset.")
        else:
            clip_viewer(match.iloc[0])
    else:
        share({"clip": None})

with tab_artists:
    table = artist_concentration(m)
    if table.empty or not (m["artist"] != "").any():
        st.info("No artist information for this dataset (Sturm's index covers GTZAN names).")
    else:
        st.plotly_chart(plots.artist_concentration(table), width="stretch", theme=None)
        st.markdown(
            "A genre filled by a few artists lets a classifier learn the artist (or the "
            "recording) instead of the genre: with random folds the same artist lands on both "
            "sides. Artist-grouped folds (Train page) keep each artist on one side."
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "top_share": st.column_config.ProgressColumn(
                    "top-3 share", format="percent", min_value=0, max_value=1
                )
            },
        )

with tab_faults:
    if not is_gtzan:
        st.info(
            "The published fault catalog is GTZAN's; this dataset is not GTZAN-named. "
            "The demo dataset's planted faults are flagged in the clip table."
        )
    else:
        st.markdown(
            "From B. L. Sturm, *The GTZAN dataset: its contents, its faults, their effects on "
            "evaluation, and its future use*, arXiv:1306.1461 (2013), and *An analysis of the "
            "GTZAN music genre dataset*, ACM MIRUM 2012. Sources of each file: "
            "`core/dataset/gtzan/SOURCES.md`."
        )
        st.warning(
            "The shipped catalog is **partial**: it lists exact repetitions, two distortions "
            "and artist repetitions. Sturm also counts 22 recording repetitions, 13 versions, "
            "43 conspicuous and 63 contentious mislabelings; those per-excerpt tables could not "
            "be obtained, so Genre Lab does not flag them rather than guess."
        )
        present = set(m["track_id"])
        st.subheader("Exact repetitions")
        groups = [g for g in exact_repetition_groups() if set(g) & present]
        st.caption(f"{len(groups)} groups with at least one clip in this dataset.")
        by_id = m.set_index("track_id")
        group = st.selectbox("Listen to a group", groups, format_func=" = ".join)
        if group:
            for col, track in zip(st.columns(len(group)), group, strict=True):
                col.caption(f"**{plain(track)}** {plain(by_id['artist'].get(track, ''))}")
                kind = by_id["kind"].get(track)
                if kind == "audio":
                    with col:
                        play(by_id.loc[track, "path"])
                elif kind == "image":
                    col.image(by_id.loc[track, "path"])
                else:
                    col.caption("not in this dataset as audio")
        faults_table = load_faults()
        st.subheader("Distortions")
        st.dataframe(faults_table[faults_table["fault"] == "distortion"], hide_index=True)
        st.subheader("Left out of the fault-filtered split")
        excluded = pd.DataFrame({"track_id": fault_filtered_excluded()})
        st.caption(
            f"{len(excluded)} excerpts that Kereliuk, Sturm & Larsen (IEEE TMM 2015) leave out "
            "of their fault-filtered train/valid/test split (no fault type is given per file)."
        )
        st.dataframe(excluded, hide_index=True, height=240)
