"""Train: both CNNs of the paper under any protocol, as background jobs with live progress."""

import streamlit as st

from core.audio.mel import PRESETS as MEL_PRESETS
from core.audio.mel import MelParams
from core.dataset.images import IMAGE_INPUTS
from core.errors import GenreLabError
from core.runs.kinds import training_runs
from core.runs.kinds.train import run_config
from core.training.config import PRESETS, TRAIN_PARAMS, available_frameworks, preset
from core.training.plan import check_plan
from ui.access import can_edit, submit_training
from ui.common import current_dataset, dataset_spec
from ui.run_manage import resume_panel, show_done
from ui.run_monitor import active_runs, runs_table
from ui.run_sharing import run_sharing_panel
from ui.shell import require_shell
from ui.text import error_text
from ui.train_link import (
    HYPER,
    apply_preset,
    load_preset,
    save_settings,
    seed_settings,
    share_settings,
)
from ui.view_link import linked_mel, share, share_mel


def hints(field: str) -> dict:
    """A training setting's widget bounds or choices, and help, from ``TRAIN_PARAMS``."""
    return TRAIN_PARAMS[field].widget_hints()


def mark_change(column, field: str) -> None:
    """Under a setting's widget: a marker when it differs from the chosen preset's value."""
    base = getattr(preset(st.session_state["tr_preset"], st.session_state["tr_framework"]), field)
    if st.session_state[f"tr_{field}"] != base:
        column.caption(f":orange[● changed] (preset: {TRAIN_PARAMS[field].text(base)})")


require_shell()
st.title(":material/model_training: Train")
dataset = current_dataset()
if dataset is None:
    st.stop()

PROTOCOL_LABELS = {
    "stratified": "stratified k-fold",
    "artist": "artist-grouped k-fold",
    "filtered": "fault-filtered split",
}
PROTOCOL_HELP = (
    "stratified: k-fold over clips, each genre in proportion (the seed paper's protocol) · "
    "artist: stratified k-fold with no artist on both sides (Sturm's index) · "
    "filtered: the fault-filtered train/valid/test split (GTZAN only, one fold)"
)
PRESET_LABELS = {"paper": "paper, improved", "paper-published": "paper, as published"}
PRESET_HELP = (
    "The starting point: choosing one (or the framework) loads its values. paper, improved: "
    "the paper's network and optimiser with random time crops and early stopping · paper, as "
    "published: the paper's schedule exactly (30 epochs on whole images) · recommended: the "
    "recommended network and schedule"
)
seed_settings()

# -- input ----------------------------------------------------------------------------------------
st.subheader("Input")
is_images = dataset.layout == "images"
if is_images:
    inputs = list(IMAGE_INPUTS)
    if st.session_state.get("tr_input") not in inputs:  # the link's, else the one left, else crop
        linked_input = st.query_params.get("input")
        st.session_state["tr_input"] = linked_input if linked_input in inputs else inputs[1]
    image_input = st.selectbox(
        "Image input",
        inputs,
        key="tr_input",
        help="full: the paper's 3x288x432 figure; crop: its plotted area; gray: colour-map index "
        "of that area (one channel); gray2: gray with frequency rows averaged in pairs",
    )
    mel = None
    share({"input": image_input})
else:
    image_input = None
    longest = float(dataset.usable["duration"].median())  # presets fitted to the clips' length
    fitted = {
        name: p.replace(duration=min(p.duration, longest)) if p.duration else p
        for name, p in MEL_PRESETS.items()
    }
    # label -> (the preset it is described against in links, the setting)
    choices = {f"preset: {name}, {p.summary(name)}": (name, p) for name, p in fitted.items()}
    offered = {
        "Spectrogram Lab setting A": ("librosa", st.session_state.get("lab_params_A")),
        "The link's setting": linked_mel("mel"),
    }
    for label, (base, params) in ((k, v) for k, v in offered.items() if v and v[1]):
        params = params if isinstance(params, MelParams) else MelParams.from_dict(params)
        if params not in [p for _, p in choices.values()]:  # offered after the presets if new
            choices[f"{label} ({params.summary()})"] = (base, params)
    linked = offered["The link's setting"]
    labels = list(choices)
    left = st.session_state.get("train_mel_choice")  # the choice left, when the link names none
    index = next((i for i, c in enumerate(choices.values()) if linked and c[1] == linked[1]), None)
    chosen = st.selectbox(
        "Mel spectrogram",
        labels,
        index=index if index is not None else labels.index(left) if left in labels else 0,
        help="Tune a setting in the Spectrogram Lab to train on it.",
    )
    st.session_state["train_mel_choice"] = chosen
    base_name, mel = choices[chosen]
    share_mel(mel, base_name, "mel")
    if mel.feature_shape is None:
        st.error("This setting has no fixed shape per clip: set a duration in the Lab.")
        st.stop()

# -- model and protocol ---------------------------------------------------------------------------
st.subheader("Model and protocol")
c1, c2, c3, c4 = st.columns([1.2, 1.8, 1, 1])
framework = c1.radio(
    "Framework",
    key="tr_framework",
    horizontal=True,
    format_func={"torch": "PyTorch", "keras": "Keras"}.get,
    on_change=load_preset,
    **hints("framework"),
)
protocol = c2.selectbox(
    "Protocol",
    key="tr_protocol",
    format_func=PROTOCOL_LABELS.get,
    **{**hints("protocol"), "help": PROTOCOL_HELP},
)
c3.number_input("Folds (k)", key="tr_k", disabled=protocol == "filtered", **hints("k"))
c4.number_input("Seed", key="tr_seed", **hints("seed"))
st.checkbox(
    "Drop GTZAN's exact repetitions from every part",
    key="tr_drop_repetitions",
    disabled=dataset.layout == "demo" or dataset.layout == "folder",
    **hints("drop_repetitions"),
)
b1, b2, b3, _ = st.columns([1, 1.4, 1.4, 2.2])
b1.button("Paper preset", on_click=apply_preset, args=("paper",), width="stretch")
b2.button("Published schedule", on_click=apply_preset, args=("paper-published",), width="stretch")
b3.button("Recommended preset", on_click=apply_preset, args=("recommended",), width="stretch")
c1, c2, c3, c4, c5 = st.columns([1.6, 1, 1, 1, 1])
c1.selectbox(
    "Preset",
    list(PRESETS),
    key="tr_preset",
    format_func=lambda name: PRESET_LABELS.get(name, name),
    on_change=load_preset,
    help=PRESET_HELP,
)
for column, field, label, extra in (
    (c2, "epochs", "Epochs", {}),
    (c3, "batch_size", "Batch size", {}),
    (c4, "lr", "Learning rate", {"format": "%.5f"}),
    (c5, "weight_decay", "Weight decay", {"format": "%.5f"}),
):
    column.number_input(label, key=f"tr_{field}", **extra, **hints(field))
    mark_change(column, field)
c1, c2, c3, c4 = st.columns(4)
c1.slider("Dropout", key="tr_dropout", **hints("dropout"))
mark_change(c1, "dropout")
c2.number_input("Early-stopping patience (0 = off)", key="tr_patience", **hints("patience"))
mark_change(c2, "patience")
c3.slider("Validation share of training part", key="tr_val_fraction", **hints("val_fraction"))
mark_change(c3, "val_fraction")
c4.number_input("Random time crop (frames, 0 = off)", key="tr_time_crop", **hints("time_crop"))
mark_change(c4, "time_crop")
share_settings()
try:
    train = preset(
        st.session_state["tr_preset"],
        framework,
        **{f: st.session_state[f"tr_{f}"] for f in (*HYPER, "protocol", "k", "seed")},
        drop_repetitions=st.session_state["tr_drop_repetitions"],
    )
    changed = train.changes_from(st.session_state["tr_preset"])
    st.caption(
        f"Training: {train.summary()} · "
        + (
            f"changed from the {st.session_state['tr_preset']} preset: {', '.join(changed)}"
            if changed
            else f"exactly the {st.session_state['tr_preset']} preset for {framework}"
        )
    )
except GenreLabError as exc:
    st.error(error_text(exc))
    st.stop()

# -- start ----------------------------------------------------------------------------------------
installed = framework in available_frameworks()
if not installed:
    st.warning(
        f"{'Keras' if framework == 'keras' else 'PyTorch'} is not installed on this server (the "
        "slim cloud install has PyTorch only): choose the other framework, or run Genre Lab on "
        "your own machine or in Docker for these runs."
    )
if not can_edit():
    st.info("Your account is read-only: you can browse, compare and predict, but not train.")
name = st.text_input(
    "Run name (optional)", key="tr_name", placeholder="e.g. paper torch, artist folds"
)
save_settings()
if st.button("Start training", type="primary", disabled=not (installed and can_edit())):
    try:
        config = run_config(
            dataset_spec(), train, mel=mel, image_input=image_input, fingerprint=dataset.fingerprint
        )
        plan = check_plan(config, dataset)
        for warning in plan.warnings:
            st.warning(warning)
        plan.raise_errors()  # a protocol this dataset cannot use: refused before any work
        run = submit_training(config, name)
        st.success(
            f"Queued run `{run.id}`. It trains in a background process: you can leave "
            "this page; progress shows below and in every browser session."
        )
    except GenreLabError as exc:
        st.error(error_text(exc))

active_runs()
show_done()  # what the resume panel last did
resume_panel(training_runs())
runs_table()
run_sharing_panel()
