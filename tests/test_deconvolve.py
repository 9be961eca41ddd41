"""Deconvolution, the task added through the registry: its operator, PSFs, baselines and restore()."""

import numpy as np
import pytest
import torch
from scipy.ndimage import convolve

from napari_dip import restore
from napari_dip.baselines import classical_methods
from napari_dip.core import tasks
from napari_dip.core.physics import Blur, gaussian_psf
from napari_dip.metrics import psnr


@pytest.fixture(scope="module")
def blurred64(clean64):
    """camera 64 px blurred by a Gaussian PSF (sigma 1.5 px) plus Gaussian noise (sigma 5 of 255)."""
    noisy = convolve(clean64.astype(float), gaussian_psf(1.5), mode="mirror")
    noisy += np.random.default_rng(0).normal(0, 5, clean64.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("shape, channels, fft", [
    ((5, 7), 1, False), ((4, 6), 1, False), ((3, 5, 5), 1, False),
    ((15, 13), 2, True), ((31, 31), 1, True), ((9, 11, 13), 1, True),
])
def test_blur_is_convolution_with_mirrored_edges(shape, channels, fft, rng):
    """Direct convolution for small PSFs, FFTs for wide ones (an optics PSF is 31-63 px): both the same."""
    psf = rng.random(shape)
    psf /= psf.sum()
    x = rng.random((channels, *(12, 40, 50)[-len(shape):])).astype(np.float32)
    blur = Blur(psf, channels)
    assert blur.fft == fft
    xt = torch.from_numpy(x)[None].requires_grad_()
    out = blur(xt)
    out.sum().backward()  # differentiable on both paths
    assert xt.grad is not None and torch.isfinite(xt.grad).all()
    expected = np.stack([convolve(c.astype(np.float64), psf, mode="mirror") for c in x])
    np.testing.assert_allclose(out[0].detach().numpy(), expected, atol=1e-5)


def test_gaussian_psf_sums_to_one_per_axis_sigma():
    psf = gaussian_psf([1.0, 2.5])
    assert psf.shape == (9, 21) and psf.sum() == pytest.approx(1.0)
    assert psf[4].argmax() == 10 and psf[:, 10].argmax() == 4
    with pytest.raises(ValueError, match="psf_sigma must be positive"):
        gaussian_psf(0)


def test_deconvolve_gains_psnr_and_runs_through_the_registry(clean64, blurred64):
    assert "deconvolve" in tasks.names() and tasks.get("deconvolve").form.inputs[:2] == ("psf", "psf_sigma")
    before = blurred64.copy()
    result = restore(blurred64, "deconvolve", psf_sigma=1.5, iterations=150, width=32, early_stop=False)
    assert np.array_equal(blurred64, before), "input was modified"
    assert result.image.shape == blurred64.shape and result.image.dtype == np.uint8
    # measured +2.0 to +2.7 dB at 150 iterations over seeds 0-2 and 1-2 threads (blurred: 24.5 dB)
    assert psnr(clean64, result.image) > psnr(clean64, blurred64) + 1.0
    assert result.config["task"] == "deconvolve" and result.config["psf_sigma"] == [1.5]
    assert result.config["psf_shape"] == [13, 13] and result.config["early_stop"] is False
    assert result.config["fill_input"] is True  # Richardson-Lucy as input channels (measured: +2.6 dB at 300)


def test_a_psf_array_equals_the_same_gaussian_by_sigma(blurred64):
    a = restore(blurred64, "deconvolve", psf=gaussian_psf(1.5) * 7.0, iterations=3, width=8).image
    b = restore(blurred64, "deconvolve", psf_sigma=1.5, iterations=3, width=8).image
    np.testing.assert_array_equal(a, b)  # the PSF is normalised to sum 1


def test_deconvolve_defaults_stop_by_themselves(blurred64):
    """A run given no early_stop resolves it on (the preset's) with the variance stop of noisy data as its
    rule; the user's early_stop=False still wins. (A run to the stop itself takes ~20 s: 706 iterations.)"""
    from types import SimpleNamespace

    from napari_dip.core.engine.stopping import VarianceStop
    from napari_dip.core.restore import prepare_job

    job = prepare_job(blurred64, "deconvolve", psf_sigma=1.5, width=8)
    assert job.fit.early_stop is True
    rule = tasks.load("deconvolve").stop.rule(SimpleNamespace(settings=job.settings))
    assert isinstance(rule, VarianceStop)
    off = prepare_job(blurred64, "deconvolve", psf_sigma=1.5, width=8, early_stop=False)
    assert off.fit.early_stop is False
    result = restore(blurred64, "deconvolve", psf_sigma=1.5, iterations=3, width=8)
    assert result.config["early_stop"] is True


def test_poisson_deconvolution_runs_on_counts(clean64):
    counts = convolve(clean64.astype(float) / 255 * 30 + 1, gaussian_psf(1.5), mode="mirror")
    noisy = np.random.default_rng(2).poisson(counts).astype(np.uint16)
    result = restore(noisy, "deconvolve", psf_sigma=1.5, noise="poisson", iterations=200, width=16,
                     early_stop=False)
    ref = clean64.astype(float) / 255 * 30 + 1
    rng_ = float(ref.max() - ref.min())
    assert psnr(ref, result.image.astype(float), data_range=rng_) > psnr(
        ref, noisy.astype(float), data_range=rng_
    )


@pytest.mark.parametrize("kwargs, match", [
    (dict(), "needs the point-spread function"),
    (dict(psf=np.ones((3, 3)), psf_sigma=1.0), "one way"),
    (dict(psf=np.ones((3, 3, 3))), "psf has 3 axes"),
    (dict(psf=-np.ones((3, 3))), "non-negative"),
    (dict(psf_sigma=[1.0, 2.0, 3.0]), "one per spatial axis"),
    (dict(psf_sigma=1.0, mask=np.ones((64, 64))), "takes no mask"),
])
def test_bad_psf_inputs_raise_valueerror(blurred64, kwargs, match):
    with pytest.raises(ValueError, match=match):
        restore(blurred64, "deconvolve", iterations=1, **kwargs)


def test_psf_is_refused_by_other_tasks(blurred64):
    with pytest.raises(ValueError, match="takes no psf_sigma"):
        restore(blurred64, "denoise", psf_sigma=1.5, iterations=1)


def test_classical_baselines_beat_the_blurred_input(clean64, blurred64):
    results = classical_methods(blurred64, "deconvolve", psf_sigma=1.5)
    assert list(results) == ["Richardson-Lucy", "Wiener", "Richardson-Lucy-TV"]
    for name, image in results.items():  # measured: RL 26.9 dB, Wiener 25.7 dB, blurred 24.5 dB
        assert image.dtype == np.uint8 and psnr(clean64, image) > psnr(clean64, blurred64) + 0.5, name


def test_the_input_estimate_is_wiener_under_a_narrow_psf_and_richardson_lucy_under_a_wide_one(clean64):
    """The network is fed the classical estimate its PSF's width calls for (docs/notes/benchmarks.md)."""
    from napari_dip.core.classical import deconvolve_richardson_lucy, deconvolve_wiener

    ref = clean64.astype(float) / 255 * 30 + 1
    estimates = {}
    for sigma in (1.5, 2.5):
        psf = gaussian_psf(sigma)
        counts = np.random.default_rng(2).poisson(convolve(ref, psf, mode="mirror"))
        y = (counts / counts.max())[None].astype(np.float32)
        fed = tasks.load("deconvolve").initial_guess(y, None, {"psf": psf})
        rl = np.clip(deconvolve_richardson_lucy(y[0].astype(float), psf=psf, num_iter=30), 0, 1)
        wiener = np.clip(deconvolve_wiener(y[0].astype(float), psf=psf), 0, 1)
        np.testing.assert_allclose(fed[0], wiener if sigma < 2 else rl, atol=1e-5)
        estimates[sigma] = (ref / counts.max(), wiener, rl)
    truth, wiener, rl = estimates[1.5]  # low counts, narrow PSF: here the Wiener estimate is the closer one
    assert psnr(truth, wiener, data_range=1.0) > psnr(truth, rl, data_range=1.0) + 1.0


def test_the_network_input_follows_the_psf_width():
    """Wiener-Hunt under a narrow PSF, Richardson-Lucy under a wide one (the crossover measured near 2 px);
    a measured PSF's width comes from its second moments."""
    from napari_dip.core.tasks.deconvolve import input_method, psf_width

    assert psf_width(gaussian_psf(1.5)) == pytest.approx(1.5, abs=0.01)
    assert psf_width(gaussian_psf((1.0, 3.0))) == pytest.approx(np.sqrt(5.0), abs=0.02)
    assert input_method(gaussian_psf(1.5)) == "Wiener"
    assert input_method(gaussian_psf(2.5)) == "Richardson-Lucy"
    bead = np.pad(gaussian_psf(1.2), 4) + 1e-4  # a measured PSF: padded, with a little background
    assert input_method(bead) == "Wiener"
    assert input_method(gaussian_psf(1.0, 3)) == "Richardson-Lucy"  # volumes: the rule was measured in 2D
