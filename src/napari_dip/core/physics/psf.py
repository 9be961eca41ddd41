"""Point-spread functions as numpy arrays (no torch): a Gaussian PSF, a measured PSF checked and normalised.

The tasks' input checks (``core/tasks/inputs.py``) make the PSF here, before any fit; :class:`~.blur.Blur`
convolves with it.
"""

from __future__ import annotations

import numpy as np


def gaussian_psf(sigma, ndim: int = 2, *, truncate: float = 4.0) -> np.ndarray:
    """A Gaussian PSF of standard deviation ``sigma`` (pixels; a number or one per axis), sum 1.

    Its side is ``2 * ceil(truncate * sigma) + 1`` per axis.
    """
    sigmas = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (ndim,))
    if not np.all(np.isfinite(sigmas)) or np.any(sigmas <= 0):
        raise ValueError(f"psf_sigma must be positive (one value, or one per spatial axis), got {sigma!r}")
    axes = []
    for s in sigmas:
        r = int(np.ceil(truncate * s))
        x = np.arange(-r, r + 1)
        axes.append(np.exp(-0.5 * (x / s) ** 2))
    psf = axes[0]
    for a in axes[1:]:
        psf = np.multiply.outer(psf, a)
    return psf / psf.sum()


def normalized_psf(psf, ndim: int) -> np.ndarray:
    """Check a measured PSF (``ndim`` axes, finite, non-negative, not all zero) and scale it to sum 1."""
    psf = np.asarray(psf, dtype=np.float64)
    if psf.ndim != ndim:
        axes = "Z, Y, X for mode='volume'" if ndim == 3 else "Y, X"
        raise ValueError(f"psf has {psf.ndim} axes but the fit is {ndim}D: pass a {ndim}D PSF ({axes}), "
                         "or psf_sigma= for a Gaussian PSF.")
    if not np.isfinite(psf).all() or (psf < 0).any() or psf.sum() <= 0:
        raise ValueError("psf must be finite and non-negative with a positive sum.")
    return psf / psf.sum()
