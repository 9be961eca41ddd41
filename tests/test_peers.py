"""The peers a user would pick instead (BM3D/BM4D, RL-TV, Noise2Void) and the explicit-denoiser prior."""

import sys
import types

import numpy as np
import pytest
from scipy.ndimage import convolve, correlate

from napari_dip import restore
from napari_dip.baselines import (
    classical_methods,
    deconvolve_richardson_lucy,
    deconvolve_richardson_lucy_tv,
    denoise_bm3d,
    denoise_noise2void,
    unavailable_methods,
)
from napari_dip.core import peers
from napari_dip.core.physics import gaussian_psf
from napari_dip.metrics import psnr
from napari_dip.sample_data import add_gaussian_noise, camera

pytest.importorskip("bm3d")  # the peers extra, part of the testing extra


def test_bm3d_denoises_without_the_clean_image(clean64):
    noisy = add_gaussian_noise(clean64, 25, seed=0)
    out = denoise_bm3d(noisy)
    assert out.dtype == noisy.dtype and psnr(clean64, out) > psnr(clean64, noisy) + 5


def test_bm3d_on_photon_counts_goes_through_the_camera_model(clean64):
    counts = np.random.default_rng(0).poisson(clean64 / 255 * 20)
    out = classical_methods(counts.astype(np.float64), "denoise", noise="poisson", methods=("BM3D",))["BM3D"]
    ref = clean64 / 255 * 20
    assert psnr(ref, out, data_range=20) > psnr(ref, counts, data_range=20) + 5


def test_bm4d_restores_a_volume():
    pytest.importorskip("bm4d")
    clean = np.repeat(camera(32)[None], 8, axis=0).astype(float)
    noisy = clean + np.random.default_rng(0).normal(0, 20, clean.shape)
    out = denoise_bm3d(noisy)
    assert (
        out.shape == clean.shape and psnr(clean, out, data_range=255) > psnr(clean, noisy, data_range=255) + 4
    )


def test_richardson_lucy_tv_deconvolves_and_is_listed_for_the_task(clean64):
    psf = gaussian_psf(1.5, 2)
    blurred = convolve(clean64.astype(float), psf, mode="mirror")
    noisy = blurred + np.random.default_rng(0).normal(0, 3, blurred.shape)
    out = deconvolve_richardson_lucy_tv(noisy, psf=psf)
    assert psnr(clean64.astype(float), out, data_range=255) > psnr(
        clean64.astype(float), noisy, data_range=255
    )
    assert not np.allclose(out, deconvolve_richardson_lucy(noisy, psf=psf))  # the TV factor acts
    assert "Richardson-Lucy-TV" in classical_methods(noisy, "deconvolve", psf=psf)


def test_a_method_that_is_not_installed_is_reported_not_raised(monkeypatch, clean64):
    monkeypatch.setitem(peers.REQUIRES, "BM3D", ("a_package_that_is_not_there", "pip install it"))
    assert unavailable_methods("denoise")["BM3D"] == "pip install it"
    assert "BM3D" not in classical_methods(clean64, "denoise")


def test_noise2void_runs_through_careamics(monkeypatch, clean64):
    """The careamics adapter: trained on the image, predicted on it, mapped back to its range (a stand-in
    CAREamist with careamics 0.3.5's signatures, checked against the real package in its own environment:
    careamics brings torchvision and a matching torch, not part of the test environment)."""
    calls = {}

    class CAREamist:
        def __init__(self, config, *, work_dir=None, enable_progress_bar=True):
            calls["config"], calls["work_dir"] = config, work_dir

        def train(self, *, train_data=None):
            calls["train"] = train_data.shape

        def predict(self, pred_data, *, axes=None, data_type=None):
            calls["axes"] = axes
            return [np.clip(pred_data[None, None] * 0 + 0.5, 0, 1)], ["array"]

    careamics = types.ModuleType("careamics")
    careamics.CAREamist = CAREamist
    config = types.ModuleType("careamics.config")
    config.create_n2v_config = lambda **kw: kw
    monkeypatch.setitem(sys.modules, "careamics", careamics)
    monkeypatch.setitem(sys.modules, "careamics.config", config)
    out = denoise_noise2void(clean64, patch=32)
    assert (
        calls["train"] == clean64.shape
        and calls["axes"] == "YX"
        and calls["config"]["patch_size"] == [32, 32]
        and calls["config"]["n_val_patches"] == 1  # 4 patches of 32 in 64 x 64: one held out
        and calls["work_dir"] is not None
    )
    assert out.dtype == clean64.dtype and abs(float(out.mean()) - (clean64.min() + clean64.max()) / 2) < 1
    with pytest.raises(ValueError, match="too small"):
        denoise_noise2void(clean64[:20, :20])


def test_the_denoiser_prior_keeps_a_long_fit_from_fitting_the_noise(one_thread):
    """A fit left to run (1000 iterations, no stop, no TV, the last output) fits much of the noise; the RED
    term (BM3D every 100 iterations) holds it near the denoiser's estimate (+3.6 dB when written)."""
    clean = camera(48)
    noisy = add_gaussian_noise(clean, 25, seed=0)
    common = dict(iterations=1000, early_stop=False, width=16, seed=0, preview_every=50, tv_weight=0,
                  output="last", backtrack=False)
    plain = psnr(clean, restore(noisy, "denoise", **common).image)
    red = psnr(clean, restore(noisy, "denoise", denoiser_weight=1.0, denoiser_every=100, **common).image)
    assert red > plain + 2, (plain, red)
    with pytest.raises(ValueError, match="denoiser"):
        restore(noisy, "denoise", denoiser="wavelet", iterations=1)


@pytest.mark.parametrize("shape", [(5, 5), (15, 13), (63, 63), (9, 11, 13)])
def test_rltv_blur_by_fft_equals_the_direct_sums(shape, rng):
    """RL-TV applies a wide PSF (an optics PSF: 31-63 px) through FFTs; the result is ndimage's."""
    psf = rng.random(shape)
    psf /= psf.sum()
    x = rng.random((40, 50) if len(shape) == 2 else (20, 30, 30))
    np.testing.assert_allclose(peers._blur(x, psf), convolve(x, psf, mode="reflect"), atol=1e-12)
    adjoint = peers._blur(x, psf, adjoint=True)
    np.testing.assert_allclose(adjoint, correlate(x, psf, mode="reflect"), atol=1e-12)
