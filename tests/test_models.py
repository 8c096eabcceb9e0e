"""The CNN presets in both frameworks: shapes, parameters, validation."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ParamsError
from core.models import feature_shape, model_params

MEL = (32, 40, 1)  # a small 1-channel mel spectrogram (n_mels x frames)
IMAGE = (288, 432, 3)  # the paper's images


def _torch_model(shape, preset, overrides=None, **kwargs):
    from core.models.torch_cnn import build_torch_model

    return build_torch_model(shape, 10, model_params(preset, overrides), **kwargs)


def _keras_model(shape, preset, overrides=None, **kwargs):
    from core.models.keras_cnn import build_keras_model

    return build_keras_model(shape, 10, model_params(preset, overrides), **kwargs)


def _torch_proba(model, x: np.ndarray) -> np.ndarray:
    import torch

    model.eval()
    with torch.inference_mode():
        return torch.softmax(model(torch.from_numpy(x).permute(0, 3, 1, 2)), dim=1).numpy()


ARCHITECTURES = [("paper", None), ("recommended", None), ("recommended", {"head": "time_gap"})]


@pytest.mark.parametrize("preset, overrides", ARCHITECTURES, ids=["paper", "rec", "rec-time_gap"])
@pytest.mark.parametrize("shape", [MEL, IMAGE], ids=["mel", "image"])
def test_both_frameworks_take_mel_and_image_shapes(preset: str, overrides, shape) -> None:
    x = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    torch_model = _torch_model(shape, preset, overrides)
    keras_model = _keras_model(shape, preset, overrides)
    p_torch = _torch_proba(torch_model, x)
    p_keras = np.asarray(keras_model(x, training=False))
    for p in (p_torch, p_keras):
        assert p.shape == (2, 10)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    # one architecture: the same number of trainable weights in both frameworks
    n_torch = sum(p.numel() for p in torch_model.parameters())
    n_keras = sum(int(np.prod(w.shape)) for w in keras_model.trainable_weights)
    assert n_torch == n_keras


def test_paper_preset_is_the_papers_network() -> None:
    model = _torch_model(IMAGE, "paper")
    convs = [m for m in model.features if type(m).__name__ == "Conv2d"]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (3, 16, (3, 3)),
        (16, 32, (3, 3)),
    ]
    # 288x432 -> conv 286x430 -> pool 143x215 -> conv 141x213 -> pool 70x106, flattened
    assert model.classifier.in_features == 32 * 70 * 106
    assert feature_shape(IMAGE, model_params("paper")) == (70, 106)


def test_input_normalisation_lives_in_the_model() -> None:
    mean, std = np.array([100.0, 50.0, 10.0]), np.array([20.0, 5.0, 2.0])
    x = (np.random.default_rng(1).random((2, 40, 48, 3)) * std + mean).astype(np.float32)
    plain = _torch_model((40, 48, 3), "recommended")
    normalising = _torch_model((40, 48, 3), "recommended", mean=mean, std=std)
    normalising.load_state_dict(
        {**plain.state_dict(), "mean": normalising.mean, "std": normalising.std}
    )
    z = ((x - mean) / std).astype(np.float32)
    np.testing.assert_allclose(_torch_proba(normalising, x), _torch_proba(plain, z), atol=1e-5)
    keras_model = _keras_model((40, 48, 3), "recommended", mean=mean, std=std)
    assert np.isfinite(np.asarray(keras_model(x, training=False))).all()


def test_dropout_and_channel_overrides() -> None:
    params = model_params("paper", {"channels": [8, 12], "kernel_sizes": [5, 3]})
    from core.models.torch_cnn import build_torch_model

    model = build_torch_model(MEL, 4, params, dropout=0.5)
    assert model.dropout.p == 0.5 and model.features[0].out_channels == 8
    assert model.features[0].kernel_size == (5, 5)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"depth": 3}, "unknown model parameter"),
        ({"channels": [8]}, "one entry per conv layer"),
        ({"padding": "full"}, "padding must be"),
        ({"channels": []}, "at least one"),
    ],
)
def test_invalid_parameters_are_explained(overrides, message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        model_params("paper", overrides)


def test_unknown_preset_and_too_small_input() -> None:
    with pytest.raises(ParamsError, match="unknown model preset"):
        model_params("resnet")
    with pytest.raises(ParamsError, match="too small"):
        feature_shape((8, 8, 1), model_params("recommended"))


@pytest.mark.real_gtzan
def test_kaggle_images_load_as_model_inputs(shared_gtzan) -> None:
    from matplotlib import colormaps

    from core.dataset.images import list_images, load_images

    root = shared_gtzan / "images_original"
    if not root.is_dir():
        pytest.skip("Kaggle images_original not present")
    table = list_images(root)
    assert table["track_id"].is_unique and table["track_id"].iloc[0] == "blues.00000"
    paths = table["path"].iloc[:2]
    full, rgb = load_images(paths, crop=False), load_images(paths)
    gray, gray2 = load_images(paths, gray=True), load_images(paths, gray=True, freq_step=2)
    assert full.shape == (2, *IMAGE) and rgb.shape == (2, 216, 334, 3)
    assert gray2.shape == (2, 108, 334, 1) and gray.dtype == np.uint8
    # the colormap index is an exact inversion of the plotted magma colours
    lut = np.round(colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    np.testing.assert_array_equal(lut[gray[..., 0]], rgb)
    assert _torch_proba(_torch_model(IMAGE, "paper"), full.astype(np.float32)).shape == (2, 10)
