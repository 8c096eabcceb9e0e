"""Train: both CNNs of the paper under any protocol, as background jobs with live progress."""

import streamlit as st

from core.errors import GenreLabError
from core.spectrogram import PRESETS as MEL_PRESETS
from core.spectrogram import MelParams
from core.splits import PROTOCOLS
from core.training.config import FRAMEWORKS, PRESETS, available_frameworks, preset
from core.training.execute import IMAGE_INPUTS, run_config
from pages.access import can_edit, submit_training
from pages.common import current_dataset, dataset_spec
from pages.run_monitor import active_runs, runs_table
from pages.run_sharing import run_sharing_panel
from pages.shell import require_shell

require_shell()
st.title(":material/model_training: Train")
dataset = current_dataset()
if dataset is None:
    st.stop()

PROTOCOL_HELP = {
    "stratified": "stratified k-fold over clips (the seed paper's protocol)",
    "artist": "stratified k-fold with no artist on both sides (Sturm's index)",
    "filtered": "the fault-filtered train/valid/test split (GTZAN only, one fold)",
}
HYPER = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "dropout",
    "patience",
    "val_fraction",
    "time_crop",
    "model",
)


def apply_preset(name: str) -> None:
    """Put a training preset's values into the widgets (runs before they are drawn)."""
    config = preset(name, st.session_state.get("tr_framework", "torch"))
    for field in HYPER:
        st.session_state[f"tr_{field}"] = getattr(config, field)


if "tr_epochs" not in st.session_state:
    apply_preset("paper")

# -- input ----------------------------------------------------------------------------------------
st.subheader("Input")
is_images = dataset.layout == "images"
if is_images:
    image_input = st.selectbox(
        "Image input",
        list(IMAGE_INPUTS),
        index=1,
        help="full: the paper's 3x288x432 figure; crop: its plotted area; gray: colour-map index "
        "of that area (one channel); gray2: gray with frequency rows averaged in pairs",
    )
    mel = None
else:
    image_input = None
    longest = float(dataset.usable["duration"].median())  # presets fitted to the clips' length
    fitted = {
        name: p.replace(duration=min(p.duration, longest)) if p.duration else p
        for name, p in MEL_PRESETS.items()
    }
    choices = {f"preset: {name} ({p.summary()})": p for name, p in fitted.items()}
    if "lab_params_A" in st.session_state:
        lab = MelParams.from_dict(st.session_state["lab_params_A"])
        if lab not in choices.values():  # offered after the presets, when it is new
            choices[f"Spectrogram Lab setting A ({lab.summary()})"] = lab
    mel = choices[
        st.selectbox(
            "Mel spectrogram",
            list(choices),
            help="Tune a setting in the Spectrogram Lab to train on it.",
        )
    ]
    if mel.feature_shape is None:
        st.error("This setting has no fixed shape per clip: set a duration in the Lab.")
        st.stop()

# -- model and protocol ---------------------------------------------------------------------------
st.subheader("Model and protocol")
c1, c2, c3, c4 = st.columns(4)
framework = c1.radio(
    "Framework",
    FRAMEWORKS,
    key="tr_framework",
    horizontal=True,
    format_func={"torch": "PyTorch", "keras": "Keras"}.get,
)
protocol = c2.selectbox("Protocol", PROTOCOLS, format_func=lambda p: f"{p}: {PROTOCOL_HELP[p]}")
k = c3.number_input("Folds (k)", 2, 10, 5, disabled=protocol == "filtered")
seed = c4.number_input("Seed", 0, 2**31 - 1, 0, help="Same seed and protocol: same folds")
drop_reps = st.checkbox(
    "Drop GTZAN's exact repetitions from every part",
    disabled=dataset.layout == "demo" or dataset.layout == "folder",
)
b1, b2, _ = st.columns([1, 1, 4])
b1.button("Paper preset", on_click=apply_preset, args=("paper",), width="stretch")
b2.button("Recommended preset", on_click=apply_preset, args=("recommended",), width="stretch")
c1, c2, c3, c4, c5 = st.columns(5)
c1.selectbox("Model", list(PRESETS), key="tr_model")
c2.number_input("Epochs", 1, 500, key="tr_epochs")
c3.number_input("Batch size", 1, 1024, key="tr_batch_size")
c4.number_input("Learning rate", 1e-6, 1.0, key="tr_lr", format="%.5f")
c5.number_input("Weight decay", 0.0, 1.0, key="tr_weight_decay", format="%.5f")
c1, c2, c3, c4 = st.columns(4)
c1.slider("Dropout", 0.0, 0.9, key="tr_dropout")
c2.number_input("Early-stopping patience (0 = off)", 0, 100, key="tr_patience")
c3.slider("Validation share of training part", 0.0, 0.5, key="tr_val_fraction")
c4.number_input("Random time crop (frames, 0 = off)", 0, 4096, key="tr_time_crop")

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
name = st.text_input("Run name (optional)", placeholder="e.g. paper torch, artist folds")
if st.button("Start training", type="primary", disabled=not (installed and can_edit())):
    try:
        train = preset(
            st.session_state["tr_model"],
            framework,
            protocol=protocol,
            k=int(k),
            seed=int(seed),
            drop_repetitions=drop_reps,
            **{f: st.session_state[f"tr_{f}"] for f in HYPER if f != "model"},
        )
        config = run_config(
            dataset_spec(), train, mel=mel, image_input=image_input, fingerprint=dataset.fingerprint
        )
        run = submit_training(config, name)
        st.success(
            f"Queued run `{run.id}`. It trains in a background process: you can leave "
            "this page; progress shows below and in every browser session."
        )
    except GenreLabError as exc:
        st.error(str(exc))

active_runs()
runs_table()
run_sharing_panel()
