"""Blur: the forward operator of deconvolution, and point-spread functions.

The observation is the image convolved with the point-spread function (PSF)
of the microscope (or camera). :class:`Blur` convolves the network output with
a PSF normalised to sum 1, reflect-padded at the edges, in 2D or 3D, with one
grouped convolution per call (differentiable). Direct convolution is used:
at the PSF sizes of light microscopy (up to ~31 px) it costs far less than the
network's own convolutions.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .operators import Operator


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


class Blur(Operator):
    """Convolution with ``psf`` (numpy, ``dims`` axes, sum 1), per channel, edges reflected."""

    def __init__(self, psf: np.ndarray, channels: int, *, weight: torch.Tensor | None = None):
        super().__init__(weight)
        kernel = torch.from_numpy(
            np.ascontiguousarray(np.flip(psf), dtype=np.float32)
        )  # convolution, not correlation
        self.dims = kernel.ndim
        self.channels = channels
        self.register_buffer("kernel", kernel.expand(channels, 1, *kernel.shape).contiguous())
        self.pads = [p for s in reversed(kernel.shape) for p in ((s - 1) // 2, s // 2)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = F.conv2d if self.dims == 2 else F.conv3d
        mode = (
            "reflect"
            if all(p < s for p, s in zip(self.pads[::2], reversed(x.shape[2:]), strict=False))
            else "replicate"
        )
        return conv(F.pad(x, self.pads, mode=mode), self.kernel.to(x.dtype), groups=self.channels)
