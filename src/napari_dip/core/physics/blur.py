"""Blur: the forward operator of deconvolution (its point-spread functions: :mod:`.psf`).

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = F.conv2d if self.dims == 2 else F.conv3d
        mode = (
            "reflect"
            if all(p < s for p, s in zip(self.pads[::2], reversed(x.shape[2:]), strict=False))
            else "replicate"
        )
        return conv(F.pad(x, self.pads, mode=mode), self.kernel.to(x.dtype), groups=self.channels)
