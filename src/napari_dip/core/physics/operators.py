"""Forward operators: how the observation was made from the clean image.

The loss always compares ``operator(network_output)`` with the observation,
on the observation's grid, weighted by the fit's ``FitContext.weight`` (1 =
observed, 0 = not observed; the engine's, not the operator's: an operator is
the forward model only). A task (``core/tasks/``)
picks its operator; a new kind of observation adds an operator module here
(:mod:`.blur` for deconvolution).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class Operator(nn.Module):
    """Base class: ``forward`` maps an image on the output grid to the observation's grid."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class Identity(Operator):
    """Denoising: the observation is the image (plus noise)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Mask(Operator):
    """Inpainting and reconstruction (a subset of pixels): only the pixels where ``known`` is 1 were
    observed."""

    def __init__(self, known: torch.Tensor):
        super().__init__()
        self.register_buffer("known", known.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.known


def lanczos_kernel(factor: int, *, support: int = 2, dims: int = 2) -> torch.Tensor:
    """The paper's Lanczos-``support`` antialiasing kernel for down-sampling by ``factor``.

    Size ``2 * support * factor`` (16x16 at 4x for Lanczos-2), phase 0.5,
    normalised to sum 1; separable in ``dims`` dimensions.
    """
    size = 2 * support * factor
    center = (size + 1) / 2
    taps = []
    for i in range(1, size + 1):
        d = (i - center) / factor
        if abs(d) < 1e-12:
            v = 1.0
        elif abs(d) < support:
            v = support * math.sin(math.pi * d) * math.sin(math.pi * d / support) / (math.pi**2 * d * d)
        else:
            v = 0.0
        taps.append(v)
    k1 = torch.tensor(taps, dtype=torch.float64)
    kernel = k1
    for _ in range(dims - 1):
        kernel = kernel[..., None] * k1
    return (kernel / kernel.sum()).float()


class Downsampler(Operator):
    """Super-resolution: antialiased (Lanczos) down-sampling by an integer ``factor``.

    Edges are replicate-padded so that an image of ``n * factor`` pixels maps to
    exactly ``n`` pixels.
    """

    def __init__(self, factor: int, channels: int, *, dims: int = 2):
        super().__init__()
        if factor < 1:
            raise ValueError(f"factor must be a positive integer, got {factor}")
        self.factor = int(factor)
        self.channels, self.dims = channels, dims
        k = lanczos_kernel(factor, dims=dims)
        self.register_buffer("kernel", k.expand(channels, 1, *k.shape).contiguous())
        self.pad = (k.shape[0] - factor) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.factor == 1:
            return x
        conv = F.conv2d if self.dims == 2 else F.conv3d
        x = F.pad(x, [self.pad] * (2 * self.dims), mode="replicate")
        return conv(x, self.kernel.to(x.dtype), stride=self.factor, groups=self.channels)
