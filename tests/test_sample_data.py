"""Sample data: numpy-only makers, and opening them through napari's File > Open Sample path."""

import numpy as np
import pytest

from napari_dip import sample_data


@pytest.mark.parametrize("maker, kinds", [
    (sample_data.make_noisy_sample, ["image", "image"]),
    (sample_data.make_text_sample, ["image", "labels", "image"]),
    (sample_data.make_missing_pixels_sample, ["image", "labels", "image"]),
    (sample_data.make_low_resolution_sample, ["image", "image"]),
])
def test_samples_are_degraded_versions_of_their_reference(maker, kinds):
    layers = maker()
    assert [k for _, _, k in layers] == kinds
    degraded, reference = layers[0][0], layers[-1][0]
    assert reference.dtype == np.uint8 and reference.shape == (128, 128)
    if degraded.shape == reference.shape:
        assert not np.array_equal(degraded, reference)
    if "labels" in kinds:
        mask = layers[1][0].astype(bool)
        assert 0 < mask.mean() < 0.6
        assert np.array_equal(degraded[~mask], reference[~mask])  # only masked pixels are damaged


def test_timelapse_sample_is_poisson_counts_of_a_drifting_cell():
    (noisy, meta, kind), (clean, _, _) = sample_data.make_timelapse_sample()
    assert kind == "image" and noisy.shape == clean.shape == (5, 96, 96) and noisy.dtype == np.uint16
    assert meta["units"][1:] == ("µm", "µm") and meta["axis_labels"][0] == "t"
    assert not np.allclose(clean[0], clean[-1])  # the cell moves
    # Poisson: the variance of the noise follows the mean (about 1 photon^2 per photon)
    residual = noisy.astype(float) - clean
    ratio = residual.var() / clean.mean()
    assert 0.8 < ratio < 1.2, ratio


@pytest.mark.gui
@pytest.mark.parametrize("key", ["noisy", "text", "missing", "lowres", "timelapse", "blend"])
def test_open_sample_in_napari(make_napari_viewer, key):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-dip", key)
    assert len(viewer.layers) >= 2
