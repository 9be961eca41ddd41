"""Typed entry points, one per restoration task: ``napari_dip.denoise(image, *, ...)`` and the like.

Each is :func:`~.restore.restore` with the task fixed and its own options (:mod:`.tasks.options`) in the
signature, keyword-only, with their defaults, as scikit-image's functions are. Any other option of
:class:`~.settings.Settings` (``width``, ``preset``, ``early_stop``, ``mode``, ``tile``, ...) goes in
``**options``; everything is validated by the one mapping of :func:`~.tasks.split_options`, as
``restore(image, "denoise", **options)`` is, so the two calls give the same result.

Parameters shared by every entry point (see :func:`~.restore.restore`): ``channel_axis`` (the colour
axis, None for one channel), ``iterations`` (None: the preset's), ``seed``, ``device`` (None: cuda, mps,
cpu), ``reference`` (a clean image with the output's shape: PSNR/SSIM are recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .restore import RestoreResult, restore

__all__ = ["ENTRY_POINTS", "deconvolve", "denoise", "inpaint", "reconstruct", "super_resolve"]


def denoise(image: np.ndarray, *, noise: str = "auto", gain: float | None = None,
            offset: float | None = None, read_noise: float | None = None, channel_axis: int | None = None,
            iterations: int | None = None, seed: int = 0, device: str | None = None,
            reference: np.ndarray | None = None, **options: Any) -> RestoreResult:
    """Denoise ``image`` with a Deep Image Prior.

    ``noise``: "auto" (the default: "poisson" where the image's noise variance measurably grows with its
    mean, as a camera's does, else "gaussian"; :func:`~.noise.choose_noise_model`, the decision recorded in
    ``result.config["noise_choice"]``), "gaussian", or "poisson" for photon counts from a camera (``ADU =
    gain x photons + offset + read noise``; ``gain``, ``offset`` and ``read_noise`` are estimated from the
    image where not given), or another model registered in ``core/noise.py``. See the module for the shared
    parameters.
    """
    return restore(image, "denoise", noise=noise, gain=gain, offset=offset, read_noise=read_noise,
                   channel_axis=channel_axis, iterations=iterations, seed=seed, device=device,
                   reference=reference, **options)


def inpaint(image: np.ndarray, mask: np.ndarray, *, keep_known: bool = True, channel_axis: int | None = None,
            iterations: int | None = None, seed: int = 0, device: str | None = None,
            reference: np.ndarray | None = None, **options: Any) -> RestoreResult:
    """Fill the pixels of ``image`` where ``mask`` is non-zero (napari's Labels convention).

    ``keep_known``: return the observed pixels exactly. The preset follows the mask (``hole_radius``,
    ``hole_texture``: a deep hole in a textured surround gets the ``hole`` preset).
    """
    return restore(image, "inpaint", mask=mask, keep_known=keep_known, channel_axis=channel_axis,
                   iterations=iterations, seed=seed, device=device, reference=reference, **options)


def reconstruct(image: np.ndarray, mask: np.ndarray, *, keep_known: bool = True,
                channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
                device: str | None = None, reference: np.ndarray | None = None,
                **options: Any) -> RestoreResult:
    """Reconstruct ``image`` from the pixels where ``mask`` is zero (scattered missing pixels)."""
    return restore(image, "reconstruct", mask=mask, keep_known=keep_known, channel_axis=channel_axis,
                   iterations=iterations, seed=seed, device=device, reference=reference, **options)


def super_resolve(image: np.ndarray, *, factor: int, channel_axis: int | None = None,
                  iterations: int | None = None, seed: int = 0, device: str | None = None,
                  reference: np.ndarray | None = None, **options: Any) -> RestoreResult:
    """Up-scale the Y and X axes of ``image`` by ``factor`` (2, 4 or 8): task ``"super_resolution"``."""
    return restore(image, "super_resolution", factor=factor, channel_axis=channel_axis,
                   iterations=iterations, seed=seed, device=device, reference=reference, **options)


def deconvolve(image: np.ndarray, *, psf: np.ndarray | None = None,
               psf_sigma: float | Sequence[float] | None = None, na: float | None = None,
               wavelength: float | None = None, ni: float | None = None, ns: float | None = None,
               microscope: str | None = None, pixel_size: float | Sequence[float] | None = None,
               noise: str = "auto", gain: float | None = None, offset: float | None = None,
               read_noise: float | None = None, channel_axis: int | None = None,
               iterations: int | None = None, seed: int = 0, device: str | None = None,
               reference: np.ndarray | None = None,
               **options: Any) -> RestoreResult:
    """Deconvolve ``image`` by its point-spread function: ``psf`` (measured: 2D, or 3D with
    ``mode="volume"``), ``psf_sigma`` (a Gaussian's sigma in pixels) or the optics, one of the three:
    ``na``, ``wavelength`` (emission, µm) and ``pixel_size`` (µm: lateral, (Y, X) or (Z, Y, X)), with
    ``ni`` (default 1.515), ``ns`` (1.33) and ``microscope`` ("widefield" or "confocal"), computed by
    :func:`napari_dip.core.physics.optics.optics_psf` (``napari-dip[optics]``).

    ``noise`` and the camera model as for :func:`denoise`; with ``noise="poisson"`` the transform
    runs in the loss, after the blur.
    """
    optics: dict[str, Any] = dict(na=na, wavelength=wavelength, ni=ni, ns=ns, microscope=microscope,
                                  pixel_size=pixel_size)
    return restore(image, "deconvolve", psf=psf, psf_sigma=psf_sigma, **optics, noise=noise, gain=gain,
                   offset=offset, read_noise=read_noise, channel_axis=channel_axis, iterations=iterations,
                   seed=seed, device=device, reference=reference, **options)


#: Task name -> its entry point (tests/test_restore.py checks that every restoration task has one and
#: that their defaults are the options' and the settings').
ENTRY_POINTS = {"denoise": denoise, "inpaint": inpaint, "reconstruct": reconstruct,
                "super_resolution": super_resolve, "deconvolve": deconvolve}
