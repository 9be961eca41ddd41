"""Deconvolution: the observation is the image blurred by the point-spread function (PSF), plus noise.

Inputs: ``psf`` (an array: 2D, or 3D for ``mode="volume"``; normalised to sum
1) or ``psf_sigma`` (a Gaussian PSF: one sigma in pixels, or one per spatial
axis). The forward operator convolves the network output with the PSF
(:class:`~napari_dip.core.physics.Blur`, reflect-padded). Noise: Gaussian
(MSE) or, with ``noise="poisson"``, photon counts from a camera: the loss then
compares the generalised Anscombe transforms (``core/noise.py``) of the blurred
output and of the observation (the blur acts on the camera's values, so the
data themselves are not transformed: ``BlurObservation.stabilise_data`` is False and
``core/engine/likelihood.py`` applies the transform after the operator). The automatic
stop is on by default, as for denoising. The PSF is checked and made by the catalog's input rules
(:class:`~.inputs.PsfInputs`), the preset and baselines are its catalog entry (``core/tasks/catalog.py``).
"""

from __future__ import annotations

import numpy as np

from ..classical import deconvolve_richardson_lucy, deconvolve_wiener
from ..physics import Blur
from .base import Task
from .catalog import RL_ITERATIONS, entry
from .parts import ObservationModel, VarianceStops


class BlurObservation(ObservationModel):
    """The observation is the image convolved with the PSF (:class:`~napari_dip.core.physics.Blur`)."""

    stabilise_data = False  # the blur mixes the camera's values: the noise model applies in the loss

    def operator(self, ctx):
        return Blur(ctx.inputs["psf"], ctx.channels)


#: Below this PSF width (sigma, px) the network is fed Wiener-Hunt, above it Richardson-Lucy.
WIENER_INPUT_BELOW = 2.0


def psf_width(psf: np.ndarray) -> float:
    """The PSF's width as a Gaussian sigma (px): the root of its mean second central moment over the axes."""
    p = np.clip(np.asarray(psf, dtype=np.float64), 0, None)
    p = p / p.sum()
    grids = np.indices(p.shape, dtype=np.float64)
    moments = [float((p * (g - (p * g).sum()) ** 2).sum()) for g in grids]
    return round(float(np.sqrt(np.mean(moments))), 6)


def input_method(psf: np.ndarray) -> str:
    """Which classical estimate the network starts from: Wiener-Hunt under a narrow 2D PSF, else Richardson-
    Lucy.

    Measured (benchmarks/deconvolve.py --other-input, 64 px, camera and cell, Gaussian noise and photon
    counts, 3 seeds; docs/notes/benchmarks.md): at sigma 1.5 the Wiener-Hunt input gained 3.1-3.3 dB on
    photon counts and tied or won on Gaussian noise; at 2.5 it lost 0.5-3.2 dB; at 2.0 the two came within
    0.9 dB of each other.
    """
    if np.ndim(psf) != 2:  # measured on 2D images only (and scikit-image's Wiener-Hunt fails on some volumes)
        return "Richardson-Lucy"
    return "Wiener" if psf_width(psf) < WIENER_INPUT_BELOW else "Richardson-Lucy"


def classical_estimate(y: np.ndarray, psf: np.ndarray, method: str) -> np.ndarray:
    """``method`` (Richardson-Lucy or Wiener) of ``y`` ``(C, *spatial)``, per channel, reflect-padded, in [0,
    1]."""
    image = np.moveaxis(y, 0, -1).astype(np.float64)
    if method == "Wiener":
        guess = deconvolve_wiener(image, psf=psf, channel_axis=-1)
    else:
        guess = deconvolve_richardson_lucy(image, psf=psf, channel_axis=-1, num_iter=RL_ITERATIONS)
    return np.clip(np.moveaxis(guess, -1, 0), 0, 1).astype(np.float32)


def psf_guess(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """The classical estimate fed as input channels, chosen by the PSF's width (:func:`input_method`)."""
    return classical_estimate(y, inputs["psf"], input_method(inputs["psf"]))


TASK = Task.of(
    entry("deconvolve"),
    observation=BlurObservation(),
    stop=VarianceStops(),  # noisy data, nothing to hold out
    initial_guess=psf_guess,
)
