"""Loss terms of multi-scale DIP blending (appendix A3 of the report).

Notation: ``F`` is the network output, ``A`` the foreground, ``B`` the
background, all ``(N, C, H, W)`` float tensors (``N = 1`` for the fixed images;
the output may have any batch size, it is broadcast), and ``alpha_t`` the
annealed soft map, ``(1, 1, H, W)`` in ``[0, 1]``.

Conventions:

* ``E_x[.]`` is the mean over all elements (pixels and channels), so the loss
  scale does not depend on the number of channels.
* Gradients are forward differences with a zero difference on the last
  row/column (so shapes are kept); ``||grad X||_1 = |d_x X| + |d_y X|`` per
  pixel and channel.
* Greyscale (illumination, structure tensor): ``0.2125 R + 0.7154 G + 0.0721 B``
  for three channels (the weights of :func:`skimage.color.rgb2gray`), the
  channel mean otherwise.
* All terms are computed in float32 with autocast disabled, so they can be
  called from inside ``torch.autocast(..., dtype=torch.bfloat16)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from .filters import (
    box_blur,
    gaussian_blur,
    image_gradients,
    l1_grad,
    luminance,
    scaled,
    structure_tangent,
    transition_weight,
    usable_scales,
)

#: Order of the seven terms (and of the weight tuple in the report).
TERM_NAMES: tuple[str, ...] = ("pixel", "low_freq", "illum", "grad", "dir", "blend", "aniso")

#: Weights ``(lambda_p, lambda_lf, lambda_ill, lambda_g, lambda_d, lambda_b, lambda_a)`` of A3.
DEFAULT_WEIGHTS: dict[str, float] = dict(
    zip(TERM_NAMES, (50.0, 25.0, 20.0, 6.0, 4.0, 12.0, 18.0), strict=False)
)


# --------------------------------------------------------------------------- #
# annealing
# --------------------------------------------------------------------------- #
def pixel_loss(output: Tensor, background: Tensor, alpha_t: Tensor) -> Tensor:
    """``L_pixel = E_x[(1 - alpha_t) ||F - B||_2^2]`` (background appearance)."""
    return ((1.0 - alpha_t) * (output - background) ** 2).mean()


def low_freq_loss(
    output: Tensor,
    background: Tensor,
    alpha_t: Tensor,
    *,
    kernel_size: int = 31,
    background_low: Tensor | None = None,
) -> Tensor:
    """``L_low-freq = E_x[(1 - alpha_t) ||G(F) - G(B)||_2^2]``, ``G`` = :func:`box_blur`.

    ``background_low`` may hold a precomputed ``G(B)``.
    """
    target = box_blur(background, kernel_size) if background_low is None else background_low
    return ((1.0 - alpha_t) * (box_blur(output, kernel_size) - target) ** 2).mean()


def illum_loss(
    output: Tensor,
    background: Tensor,
    alpha_t: Tensor,
    *,
    sigma: float = 8.0,
    background_illum: Tensor | None = None,
) -> Tensor:
    """``L_illum = E_x[(1 - alpha_t) ||J(F) - J(B)||_2^2]``.

    ``J`` = Gaussian blur (``sigma`` px) of the grey channel: large-scale
    illumination. ``background_illum`` may hold a precomputed ``J(B)``.
    """
    target = gaussian_blur(luminance(background), sigma) if background_illum is None else background_illum
    return ((1.0 - alpha_t) * (gaussian_blur(luminance(output), sigma) - target) ** 2).mean()


def grad_loss(
    output: Tensor,
    foreground: Tensor,
    alpha_t: Tensor,
    *,
    scales: Sequence[int] = (1, 2, 4),
    foreground_grads: Sequence[tuple[Tensor, Tensor]] | None = None,
) -> Tensor:
    """Multi-scale gradient term ``(1/|S|) sum_s E_x[alpha_t^(s) ||grad F^(s) - grad A^(s)||_1]``.

    ``X^(s)`` is ``s x s`` average pooling (stride ``s``) of ``X``; scales whose
    pooled image would be smaller than 2 x 2 are skipped.
    ``foreground_grads`` may hold precomputed ``image_gradients(A^(s))`` for the
    used scales, in order.
    """
    used = usable_scales(scales, output.shape[-2:])
    total = output.new_zeros(())
    for i, s in enumerate(used):
        fx, fy = image_gradients(scaled(output, s))
        ax, ay = image_gradients(scaled(foreground, s)) if foreground_grads is None else foreground_grads[i]
        total = total + (scaled(alpha_t, s) * l1_grad(fx - ax, fy - ay)).mean()
    return total / len(used)


def dir_loss(
    output: Tensor,
    foreground: Tensor,
    alpha_t: Tensor,
    *,
    eps: float = 1e-4,
    foreground_grad: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Gradient-direction term ``E_x[alpha_t (1 - cos(grad F, grad A))]``.

    The cosine is taken per pixel and channel between the augmented vectors
    ``(d_x F, d_y F, sqrt(eps))`` and ``(d_x A, d_y A, sqrt(eps))``:
    ``(grad F . grad A + eps) / sqrt((|grad F|^2 + eps)(|grad A|^2 + eps))``.
    It stays in ``[-1, 1]``, is exactly 1 when ``F = A``, and treats gradients
    much weaker than ``sqrt(eps)`` (default ``1e-4`` -> 0.01 per pixel) as flat
    instead of giving them a noisy direction.
    """
    fx, fy = image_gradients(output)
    ax, ay = image_gradients(foreground) if foreground_grad is None else foreground_grad
    dot = fx * ax + fy * ay + eps
    norm = torch.sqrt((fx * fx + fy * fy + eps) * (ax * ax + ay * ay + eps))
    return (alpha_t * (1.0 - dot / norm)).mean()


def blend_grad_loss(
    output: Tensor,
    foreground: Tensor,
    background: Tensor,
    alpha_t: Tensor,
    *,
    foreground_grad: tuple[Tensor, Tensor] | None = None,
    background_grad: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Transition-band term ``E_x[w ||grad F - (alpha_t grad A + (1 - alpha_t) grad B)||_1]``.

    ``w = 4 alpha_t (1 - alpha_t)``: 1 on the boundary (``alpha_t = 0.5``), 0
    where ``alpha_t`` is 0 or 1.
    """
    fx, fy = image_gradients(output)
    ax, ay = image_gradients(foreground) if foreground_grad is None else foreground_grad
    bx, by = image_gradients(background) if background_grad is None else background_grad
    tx = alpha_t * ax + (1.0 - alpha_t) * bx
    ty = alpha_t * ay + (1.0 - alpha_t) * by
    return (transition_weight(alpha_t) * l1_grad(fx - tx, fy - ty)).mean()


def aniso_loss(
    output: Tensor,
    background: Tensor,
    alpha_t: Tensor,
    *,
    sigma: float = 2.0,
    tangent: tuple[Tensor, Tensor] | None = None,
    background_tangential: Tensor | None = None,
) -> Tensor:
    """Anisotropic texture term ``E_x[w |d_t F - d_t B|]``, ``w = 4 alpha_t (1 - alpha_t)``.

    ``d_t X = t_x d_x X + t_y d_y X`` is the derivative along the background's
    structure-tensor tangent ``t`` (:func:`structure_tangent`, smoothing
    ``sigma``), per channel. ``tangent`` and ``background_tangential``
    (``d_t B``) may be precomputed.
    """
    t_x, t_y = structure_tangent(background, sigma=sigma) if tangent is None else tangent
    fx, fy = image_gradients(output)
    if background_tangential is None:
        bx, by = image_gradients(background)
        background_tangential = t_x * bx + t_y * by
    return (transition_weight(alpha_t) * (t_x * fx + t_y * fy - background_tangential).abs()).mean()


