"""Explore page parts: the fault scan (a job), saving its flags, and the faults experiment."""

from __future__ import annotations

import streamlit as st

from core.audio.mel import PRESETS as MEL_PRESETS
from core.dataset import Dataset
from core.dataset.flags import save_flags
from core.errors import GenreLabError
from core.faults import flags_for_manifest
from core.faults.scoring import score_detections
from core.runs import RunStatus
from core.runs.kinds.scan import (
    AUDIO_DETECTORS,
    ScanResult,
    images_only,
    latest_scan,
    read_scan,
    scan_config,
)
from core.runs.kinds.train import run_config
from core.training.config import preset
from ui.access import can_edit, current_actor, submit_training
from ui.common import dataset_spec, load_dataset, play
from ui.jobs import follow_job, job_outcome, remembered_job, start_job
from ui.text import error_text

WHY_RANDOM_SPLITS_INFLATE = (
    "GTZAN repeats artists heavily (35 of 100 reggae excerpts are Bob Marley) and even whole "
    "excerpts, so a random split puts the same artist, recording or excerpt on both sides and "
    "the model is rewarded for recognising them rather than the genre. Artist-grouped folds and "
    "the fault-filtered split remove that shortcut, and the accuracy that remains is the "
    "honest estimate."
)


def fault_scan_panel(dataset: Dataset) -> None:
    """Scan for repeated excerpts and distortions as a job; show, score (demo) and save them.

    The scan shown is the one this session started, else the newest scan of this dataset by
    anyone: it survives reruns and page switches.
    """
    if images_only(dataset.manifest):
        st.markdown(
            "This dataset holds spectrogram images, not audio. Repeated excerpts are found from "
            "the images themselves (an excerpt filed twice draws the same picture, also shifted "
            "by up to about a second). The audio detectors need the samples and do not run "
            "here: audio fingerprints (repetitions re-encoded or at larger offsets) and "
            "clipping, dropouts and silence."
        )
    else:
        st.markdown(
            "Repeated excerpts are found by audio fingerprints (also at a time offset or "
            "re-encoded); clipping, dropouts and silence by the samples themselves."
        )
    spec = dataset_spec()
    key = f"scan_job_{spec}"
    if st.button("Scan this dataset", type="primary", disabled=not can_edit()):
        start_job(scan_config(spec), f"fault scan: {dataset.name}", key)
    run = remembered_job(key) or latest_scan(spec)
    if run is None:
        return
    if run.status.active:
        follow_job(run.id)
        return
    if run.status is not RunStatus.COMPLETED:
        job_outcome(run, "The scan")
        return
    try:
        result = read_scan(run)
    except GenreLabError as exc:
        st.error(error_text(exc))
        return
    _show_scan(dataset, result)


def _show_scan(dataset: Dataset, result: ScanResult) -> None:
    pairs, distortions, groups = result.pairs, result.distortions, result.groups
    audio = set(AUDIO_DETECTORS) <= set(result.detectors)
    st.markdown(
        f"**{len(pairs)} repeated pair(s)** in {len(groups)} group(s) "
        f"(detectors: {', '.join(result.detectors)}); "
        + (
            f"**{(distortions['flags'] != '').sum()}** clip(s) with distortion flags."
            if audio
            else "distortions not measured (they need audio)."
        )
    )
    if dataset.layout == "demo":
        from core.demo import load_demo_truth

        st.caption("Scored against the demo set's planted faults (ground truth):")
        st.dataframe(
            score_detections(pairs, distortions, load_demo_truth(dataset.root)), hide_index=True
        )
    if groups:
        paths = dataset.manifest.set_index("track_id")["path"]
        group = st.selectbox("Look at a repeated group", groups, format_func=" = ".join)
        for col, track in zip(st.columns(len(group)), group, strict=True):
            with col:
                st.caption(track)
                if audio:
                    play(paths[track])
                else:
                    st.image(paths[track])
        st.dataframe(pairs, hide_index=True)
    flagged = distortions[distortions["flags"] != ""]
    if len(flagged):
        st.dataframe(flagged, hide_index=True)
    if st.button(
        "Save as flags on the manifest",
        help="Adds a detected_faults column; training can then leave flagged clips out",
        disabled=not can_edit(),
    ):
        try:
            path = save_flags(
                dataset.root, flags_for_manifest(pairs, distortions), actor=current_actor()
            )
        except GenreLabError as exc:
            st.error(error_text(exc))
            return
        load_dataset.clear()
        st.success(f"Saved to `{path}`.")


def faults_experiment(dataset: Dataset, spec: str) -> list[str]:
    """Queue the same model under three protocols; returns the run ids."""
    mel = MEL_PRESETS["fast"]
    longest = float(dataset.usable["duration"].median())
    mel = mel.replace(duration=min(mel.duration or longest, longest))
    gtzan = dataset.layout in ("gtzan", "kaggle")
    third = ("filtered", {}) if gtzan else ("stratified", {"drop_flagged": True})
    ids = []
    for protocol, extra in (("stratified", {}), ("artist", {}), third):
        train = preset("paper", "torch", protocol=protocol, epochs=15)
        config = run_config(spec, train, mel=mel, fingerprint=dataset.fingerprint, **extra)
        label = protocol + (" without flagged clips" if extra else "")
        run = submit_training(config, name=f"faults experiment: {label}")
        ids.append(run.id)
    return ids


def faults_experiment_panel(dataset: Dataset, spec: str) -> None:
    """The one-click experiment and what it shows."""
    st.markdown(WHY_RANDOM_SPLITS_INFLATE)
    if dataset.layout in ("images", "folder"):
        st.info("Needs an audio dataset with artists (GTZAN or the demo set).")
        return
    flagged = (dataset.manifest["detected_faults"] != "").any()
    if dataset.layout == "demo" and not flagged:
        st.info(
            "Scan and save flags in the Detectors tab first: the third run leaves the "
            "flagged clips out."
        )
    if st.button("Run the experiment (3 background runs)", disabled=not can_edit()):
        try:
            ids = faults_experiment(dataset, spec)
        except GenreLabError as exc:
            st.error(error_text(exc))
            return
        st.session_state["faults_experiment"] = ids
    ids = st.session_state.get("faults_experiment")
    if ids:
        st.success(
            "Queued: random folds, artist-grouped folds, and "
            + (
                "the fault-filtered split."
                if dataset.layout != "demo"
                else "random folds without the clips the detectors flagged."
            )
        )
        st.page_link(
            "pages/compare.py",
            label="See the gap on the Compare page",
            query_params={"runs": ",".join(ids)},
            icon=":material/compare_arrows:",
        )
