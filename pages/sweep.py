"""Sweep: many k-fold runs of one setup, each trial varying some settings; the best one found.

Each trial is a normal run (see Compare); the sweep runs as a background job that can be
cancelled and resumed without losing its finished trials.
"""

import streamlit as st

from core.audio.mel import PRESETS as MEL_PRESETS
from core.errors import GenreLabError
from core.links import mel_to_query, view_link
from core.plots import sweep_parallel
from core.runs.kinds.train import run_config
from core.splits import PROTOCOLS
from core.sweeps import (
    METHODS,
    SETTINGS,
    cancel_sweep,
    create_sweep,
    list_sweeps,
    parse_param,
    sweep_job,
)
from core.training.config import FRAMEWORKS, PRESETS, preset
from ui.access import can_edit, current_actor, submit_training
from ui.common import current_dataset, dataset_spec
from ui.shell import require_shell
from ui.train_link import train_query

require_shell()
st.title(":material/tune: Sweeps")
dataset = current_dataset()
if dataset is None:
    st.stop()
sweeps = list_sweeps()

# -- a new sweep ----------------------------------------------------------------------------------
with st.expander("New sweep", expanded=not sweeps):
    if dataset.layout == "images":
        st.info("Sweeps train on mel spectrograms: choose an audio dataset in the sidebar.")
    c1, c2, c3, c4 = st.columns(4)
    framework = c1.radio("Framework", FRAMEWORKS, horizontal=True, key="sw_framework")
    train_preset = c2.selectbox("Training preset", list(PRESETS), key="sw_preset")
    mel_preset = c3.selectbox("Mel preset", list(MEL_PRESETS), index=2, key="sw_mel")
    protocol = c4.selectbox("Protocol", [p for p in PROTOCOLS if p != "filtered"], key="sw_prot")
    c1, c2, c3, c4 = st.columns(4)
    k = c1.number_input("Folds (k)", 2, 10, 5, key="sw_k")
    seed = c2.number_input("Seed (same folds in every trial)", 0, 2**31 - 1, 0, key="sw_seed")
    method = c3.radio("Search", METHODS, horizontal=True, key="sw_method")
    n_trials = c4.number_input(
        "Trials", 1, 500, 10, key="sw_trials", disabled=method == "grid", help="a grid tries all"
    )
    varied = st.multiselect("Settings to vary", SETTINGS, default=["lr"], key="sw_vary")
    hint = "values: 0.001, 0.003" if method == "grid" else "values 32, 64 or a range 1e-4:1e-2:log"
    specs = {name: st.text_input(name, placeholder=hint, key=f"sw_spec_{name}") for name in varied}
    name = st.text_input("Sweep name (optional)", key="sw_name")
    if not can_edit():
        st.info("Your account is read-only: you can browse sweeps, not start them.")
    audio = dataset.layout != "images"
    start = st.button("Create and start", type="primary", disabled=not (can_edit() and audio))
    if start:
        try:
            train = preset(train_preset, framework, protocol=protocol, k=int(k), seed=int(seed))
            mel = MEL_PRESETS[mel_preset]
            longest = float(dataset.usable["duration"].median())
            if mel.duration and mel.duration > longest:
                mel = mel.replace(duration=longest)
            base = run_config(dataset_spec(), train, mel=mel, fingerprint=dataset.fingerprint)
            params = [parse_param(f"{n}={text}") for n, text in specs.items()]
            sweep = create_sweep(
                base,
                params,
                method,
                None if method == "grid" else int(n_trials),
                int(seed),
                name,
                presets={"train": train_preset, "mel": mel_preset},
            )
            submit_training(sweep_job(sweep), sweep.label)
            st.success(f"Sweep `{sweep.id}` queued: its trials appear below as they finish.")
            sweeps = list_sweeps()
        except GenreLabError as exc:
            st.error(str(exc))
if not sweeps:
    st.info("No sweeps yet: define one above.")
    st.stop()

# -- one sweep -----------------------------------------------------------------------------------
labels = {f"{s.label} · {s.method} · {s.status()}": s for s in sweeps}
sweep = labels[st.selectbox("Sweep", list(labels), key="sw_chosen")]
trials = sweep.trials()
done = trials.dropna(subset=["mean_acc"])
status = sweep.status()
c1, c2, c3 = st.columns([2, 1, 1])
c1.markdown(f"**{status}** · {len(done)} of {sweep.n_trials} trials finished")
if status in ("queued", "running"):
    if c2.button("Cancel sweep", disabled=not can_edit()):
        try:
            cancel_sweep(sweep, current_actor())
            st.rerun()
        except GenreLabError as exc:
            st.error(str(exc))
elif len(done) < sweep.n_trials and c2.button(
    "Start" if status == "not started" else "Resume", disabled=not can_edit()
):
    try:
        submit_training(sweep_job(sweep), sweep.label)
        st.rerun()
    except GenreLabError as exc:
        st.error(str(exc))
c3.button("Refresh")

names = [p.name for p in sweep.params]
st.dataframe(
    trials,
    hide_index=True,
    column_config={
        "mean_acc": st.column_config.NumberColumn("mean acc", format="%.3f"),
        "std_acc": st.column_config.NumberColumn("± std", format="%.3f"),
        "seconds": st.column_config.NumberColumn("seconds", format="%.0f"),
    },
)
if len(done) >= 2:
    st.plotly_chart(sweep_parallel(done, names), width="stretch")

best = sweep.best_config()
if best is not None:
    train_preset = sweep.presets.get("train", "paper")
    query = train_query(best.train.framework, train_preset, best.train.to_dict())
    query = {k: v for k, v in query.items() if v is not None}
    if best.input.mel is not None:
        query |= mel_to_query(best.input.mel, sweep.presets.get("mel", "fast"), "mel")
    train_url = view_link(st.context.url, "train", query)
    st.markdown(f"[Open the best trial's settings on the Train page]({train_url})")
    ids = list(done["run_id"])
    chosen = st.multiselect("Trials to compare", ids, default=ids[:3], key="sw_compare")
    if chosen:
        compare_url = view_link(st.context.url, "compare", {"runs": ",".join(chosen)})
        st.markdown(f"[Compare these trials]({compare_url})")
