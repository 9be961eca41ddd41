"""Blur: the forward operator of deconvolution (its point-spread functions: :mod:`.psf`).

The observation is the image convolved with the point-spread function (PSF)
of the microscope (or camera). :class:`Blur` convolves the network output with
a PSF normalised to sum 1, reflect-padded at the edges, in 2D or 3D, with one
grouped convolution per call (differentiable).

A PSF of more than :data:`DIRECT_MAX` elements (wider than 9 x 9 in 2D) is applied through FFTs of the
padded image instead: PyTorch's direct convolution of one channel with a wide kernel is slow on a CPU
(measured on a 2-core EPYC, 128² image, forward and backward: a 31 px kernel 1.0 s direct against
0.12 s by FFT, a 63 px optics PSF 5.5 s against 0.35 s, with other work on the machine), and the
optics PSF of a high-NA objective is 31-63 px. The two agree to float32 rounding (a test checks it).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .operators import Operator

#: PSFs with at most this many elements are applied by direct convolution, larger ones through FFTs.
DIRECT_MAX = 81


class Blur(Operator):
    """Convolution with ``psf`` (numpy, ``dims`` axes, sum 1), per channel, edges reflected."""

    def __init__(self, psf: np.ndarray, channels: int):
        super().__init__()
        kernel = torch.from_numpy(
            np.ascontiguousarray(np.flip(psf), dtype=np.float32)
        )  # convolution, not correlation
        self.dims = kernel.ndim
        self.channels = channels
        self.register_buffer("kernel", kernel.expand(channels, 1, *kernel.shape).contiguous())
        self.pads = [p for s in reversed(kernel.shape) for p in ((s - 1) // 2, s // 2)]
        self.fft = kernel.numel() > DIRECT_MAX
        self._spectrum: tuple | None = None  # (padded size, device, spectrum): the same every step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = F.conv2d if self.dims == 2 else F.conv3d
        mode = (
            "reflect"
            if all(p < s for p, s in zip(self.pads[::2], reversed(x.shape[2:]), strict=False))
            else "replicate"
        )
        padded = F.pad(x, self.pads, mode=mode)
        if self.fft:
            return _fft_correlate(padded, self.kernel, self._kernel_spectrum(padded))
        return conv(padded, self.kernel.to(x.dtype), groups=self.channels)

    def _kernel_spectrum(self, padded: torch.Tensor) -> torch.Tensor:
        """The flipped kernel's real FFT at ``padded``'s size, made once per size and device (a fit's
        padded image keeps its size, so once per fit)."""
        size = tuple(padded.shape[-self.dims:])
        if self._spectrum is None or self._spectrum[:2] != (size, self.kernel.device):
            axes = tuple(range(-self.dims, 0))
            flipped = torch.flip(self.kernel, axes)[:, 0]  # correlation = convolution with the flipped kernel
            self._spectrum = (size, self.kernel.device, torch.fft.rfftn(flipped, s=size, dim=axes))
        return self._spectrum[2]


def _fft_correlate(padded: torch.Tensor, kernel: torch.Tensor, spectrum: torch.Tensor) -> torch.Tensor:
    """What ``conv2d``/``conv3d(padded, kernel, groups=channels)`` gives (the "valid" part of a cross-
    correlation), computed through real FFTs in float32 (in the input's dtype out); ``spectrum``: the
    flipped kernel's FFT at ``padded``'s size."""
    dims = kernel.ndim - 2
    axes = tuple(range(-dims, 0))
    size = padded.shape[-dims:]
    full = torch.fft.irfftn(torch.fft.rfftn(padded.float(), s=size, dim=axes) * spectrum, s=size, dim=axes)
    valid = tuple(slice(k - 1, None) for k in kernel.shape[-dims:])
    return full[(Ellipsis, *valid)].to(padded.dtype)
