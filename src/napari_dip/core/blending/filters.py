"""Filters and schedules of the blending loss: annealing, gradients, luminance, blurs, structure tangent.

Conventions are those of :mod:`.terms`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as nnf
from torch import Tensor

_LUMA = (0.2125, 0.7154, 0.0721)


def anneal_gamma(t: float, T: float, *, c: float = 2.0) -> float:
    """Exponent ``gamma(t) = 1 + 4 (1 - t / T) ** c`` of the annealing schedule.

    Parameters
    ----------
    t : float
        Current iteration; clamped to ``[0, T]``.
    T : float
        Total number of iterations (positive).
    c : float, optional
        Schedule shape (default 2): ``gamma`` falls from 5 at ``t = 0`` to 1 at
        ``t = T``, quickly at first and flattening out, so the sharpening of
        the soft map is mostly done by mid-run and the last iterations
        optimise against an almost fixed map.

    Returns
    -------
    float
    """
    if not T > 0:
        raise ValueError(f"T (total iterations) must be positive; got {T!r}.")
    frac = min(max(float(t) / float(T), 0.0), 1.0)
    return 1.0 + 4.0 * (1.0 - frac) ** c


def anneal_alpha(alpha: Tensor, t: float, T: float, *, c: float = 2.0) -> Tensor:
    """Annealed soft map ``alpha_t = clip(alpha ** gamma(t), 0, 1)``.

    ``gamma(t) = 1 + 4 (1 - t / T) ** c`` (see :func:`anneal_gamma`): 5 at the
    start, 1 (the plain soft map) at the end.

    Parameters
    ----------
    alpha : Tensor
        Soft map in ``[0, 1]``, any shape.
    t, T : float
        Current and total iteration.
    c : float, optional
        Schedule shape, default 2.

    Returns
    -------
    Tensor
        Same shape and device as ``alpha``.
    """
    gamma = anneal_gamma(t, T, c=c)
    return alpha.clamp(0.0, 1.0).pow(gamma).clamp(0.0, 1.0)


# --------------------------------------------------------------------------- #
# image operators
# --------------------------------------------------------------------------- #
def image_gradients(x: Tensor) -> tuple[Tensor, Tensor]:
    """Forward differences ``(d_x, d_y)`` of a ``(N, C, H, W)`` tensor, same shape.

    The last column of ``d_x`` and last row of ``d_y`` are 0.
    """
    dx = nnf.pad(x[..., :, 1:] - x[..., :, :-1], (0, 1, 0, 0))
    dy = nnf.pad(x[..., 1:, :] - x[..., :-1, :], (0, 0, 0, 1))
    return dx, dy


def luminance(x: Tensor) -> Tensor:
    """Grey channel ``(N, 1, H, W)``: Rec. 709 luma for 3 channels, channel mean otherwise."""
    if x.shape[1] == 3:
        w = x.new_tensor(_LUMA).view(1, 3, 1, 1)
        return (x * w).sum(dim=1, keepdim=True)
    return x.mean(dim=1, keepdim=True)


def gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur (truncated at 3 sigma, replicate border), shape kept."""
    radius = max(1, int(math.ceil(3.0 * sigma)))
    coords = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (coords / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    kx = kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1)
    ky = kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    x = nnf.conv2d(nnf.pad(x, (radius, radius, 0, 0), mode="replicate"), kx, groups=c)
    return nnf.conv2d(nnf.pad(x, (0, 0, radius, radius), mode="replicate"), ky, groups=c)


def box_blur(x: Tensor, kernel_size: int) -> Tensor:
    """Large-kernel average filter ``G``: mean over an odd ``kernel_size`` window.

    Zero padding excluded from the averages (``count_include_pad=False``), so
    border pixels average only the pixels that exist; the shape is kept.
    Computed separably (rows, then columns), which is exact here because the
    window counts factorise.
    """
    k = int(kernel_size) | 1
    x = nnf.avg_pool2d(x, (1, k), stride=1, padding=(0, k // 2), count_include_pad=False)
    return nnf.avg_pool2d(x, (k, 1), stride=1, padding=(k // 2, 0), count_include_pad=False)


def structure_tangent(background: Tensor, *, sigma: float = 2.0) -> tuple[Tensor, Tensor]:
    """Tangent field ``t = (-sin theta, cos theta)`` of the background's structure tensor.

    ``J = G_sigma * [gx^2, gx gy, gy^2]`` of the grey background and
    ``theta = 0.5 * atan2(2 J_xy, J_xx - J_yy)`` (dominant gradient
    orientation); ``t`` runs along edges and directional texture.

    Returns
    -------
    (t_x, t_y) : tuple of Tensor
        Each ``(1, 1, H, W)``.
    """
    gx, gy = image_gradients(luminance(background))
    j = gaussian_blur(torch.cat([gx * gx, gx * gy, gy * gy], dim=1), sigma)
    theta = 0.5 * torch.atan2(2.0 * j[:, 1:2], j[:, 0:1] - j[:, 2:3])
    return -torch.sin(theta), torch.cos(theta)


def scaled(x: Tensor, scale: int) -> Tensor:
    return x if scale == 1 else nnf.avg_pool2d(x, scale, stride=scale)


def l1_grad(dx: Tensor, dy: Tensor) -> Tensor:
    return dx.abs() + dy.abs()


def transition_weight(alpha_t: Tensor) -> Tensor:
    return 4.0 * alpha_t * (1.0 - alpha_t)


# --------------------------------------------------------------------------- #
# the seven terms
# --------------------------------------------------------------------------- #


def usable_scales(scales: Sequence[int], hw: Sequence[int]) -> list[int]:
    used = [int(s) for s in scales if int(s) >= 1 and min(hw) // int(s) >= 2]
    return used or [1]
