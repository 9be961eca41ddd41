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

import contextlib
import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as nnf
from torch import Tensor

__all__ = [
    "DEFAULT_WEIGHTS",
    "TERM_NAMES",
    "anneal_gamma",
    "anneal_alpha",
    "image_gradients",
    "luminance",
    "gaussian_blur",
    "box_blur",
    "structure_tangent",
    "pixel_loss",
    "low_freq_loss",
    "illum_loss",
    "grad_loss",
    "dir_loss",
    "blend_grad_loss",
    "aniso_loss",
    "BlendLoss",
]

#: Order of the seven terms (and of the weight tuple in the report).
TERM_NAMES: tuple[str, ...] = ("pixel", "low_freq", "illum", "grad", "dir", "blend", "aniso")

#: Weights ``(lambda_p, lambda_lf, lambda_ill, lambda_g, lambda_d, lambda_b, lambda_a)`` of A3.
DEFAULT_WEIGHTS: dict[str, float] = dict(zip(TERM_NAMES, (50.0, 25.0, 20.0, 6.0, 4.0, 12.0, 18.0)))

_LUMA = (0.2125, 0.7154, 0.0721)


# --------------------------------------------------------------------------- #
# annealing
# --------------------------------------------------------------------------- #
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


def _scaled(x: Tensor, scale: int) -> Tensor:
    return x if scale == 1 else nnf.avg_pool2d(x, scale, stride=scale)


def _l1_grad(dx: Tensor, dy: Tensor) -> Tensor:
    return dx.abs() + dy.abs()


def _transition_weight(alpha_t: Tensor) -> Tensor:
    return 4.0 * alpha_t * (1.0 - alpha_t)


# --------------------------------------------------------------------------- #
# the seven terms
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
    used = _usable_scales(scales, output.shape[-2:])
    total = output.new_zeros(())
    for i, s in enumerate(used):
        fx, fy = image_gradients(_scaled(output, s))
        ax, ay = image_gradients(_scaled(foreground, s)) if foreground_grads is None else foreground_grads[i]
        total = total + (_scaled(alpha_t, s) * _l1_grad(fx - ax, fy - ay)).mean()
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
    return (_transition_weight(alpha_t) * _l1_grad(fx - tx, fy - ty)).mean()


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
    return (_transition_weight(alpha_t) * (t_x * fx + t_y * fy - background_tangential).abs()).mean()


def _usable_scales(scales: Sequence[int], hw: Sequence[int]) -> list[int]:
    used = [int(s) for s in scales if int(s) >= 1 and min(hw) // int(s) >= 2]
    return used or [1]


def _no_autocast(device: torch.device) -> contextlib.AbstractContextManager:
    available = getattr(torch.amp, "is_autocast_available", None)
    if available is not None and not available(device.type):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, enabled=False)


# --------------------------------------------------------------------------- #
# combined loss
# --------------------------------------------------------------------------- #
class BlendLoss:
    """Weighted sum of the seven A3 terms for multi-scale DIP blending.

    Everything that does not depend on the network output (gradients of ``A``
    and ``B`` at all scales, ``G(B)``, ``J(B)``, the background's structure
    tensor tangent and ``d_t B``) is computed once here, in float32, on the
    device of the given tensors, and kept there.

    Parameters
    ----------
    foreground, background : Tensor
        ``(1, C, H, W)`` foreground ``A`` and background ``B``.
    alpha : Tensor
        ``(1, 1, H, W)`` soft transition map in ``[0, 1]`` (e.g. from
        :func:`napari_dip.core.blend_classical.soft_mask`).
    weights : mapping of str to float, optional
        Overrides of :data:`DEFAULT_WEIGHTS` by term name
        (``pixel, low_freq, illum, grad, dir, blend, aniso``); unspecified
        terms keep the report's weights (50, 25, 20, 6, 4, 12, 18). Terms with
        weight 0 are not computed by :meth:`__call__`.
    iterations : int
        Total number of iterations ``T`` of the annealing schedule.
    c : float, optional
        Annealing shape (default 2, see :func:`anneal_gamma`).
    low_freq_kernel : int, optional
        Window of the average filter ``G`` (made odd). Default ``None``:
        ``round(min(H, W) / 8) | 1`` (33 at 256 x 256), at least 3.
    illum_sigma : float, optional
        Sigma of the illumination blur ``J``. Default ``None``:
        ``max(2, min(H, W) / 32)`` (8 px at 256 x 256).
    grad_scales : sequence of int, optional
        Scales ``S`` of the gradient term (default ``(1, 2, 4)``).
    structure_sigma : float, optional
        Smoothing of the structure tensor (default 2 px).
    dir_eps : float, optional
        ``eps`` of :func:`dir_loss` (default ``1e-4``).

    Notes
    -----
    ``__call__`` and :meth:`terms` cast the output to float32, disable
    autocast for their own operations and never synchronise with the host
    (no ``.item()`` or numpy), so they can run inside a bfloat16 autocast
    region without stalling an asynchronous (CUDA) training loop.
    """

    def __init__(
        self,
        foreground: Tensor,
        background: Tensor,
        alpha: Tensor,
        *,
        weights: Mapping[str, float] | None = None,
        iterations: int,
        c: float = 2.0,
        low_freq_kernel: int | None = None,
        illum_sigma: float | None = None,
        grad_scales: Sequence[int] = (1, 2, 4),
        structure_sigma: float = 2.0,
        dir_eps: float = 1e-4,
    ) -> None:
        for name, tensor in (("foreground", foreground), ("background", background), ("alpha", alpha)):
            if not isinstance(tensor, Tensor) or tensor.ndim != 4 or tensor.shape[0] != 1:
                shape = tuple(tensor.shape) if isinstance(tensor, Tensor) else type(tensor).__name__
                raise ValueError(f"{name} must be a (1, C, H, W) tensor; got {shape}.")
        if foreground.shape != background.shape:
            raise ValueError(
                f"foreground shape {tuple(foreground.shape)} and background shape "
                f"{tuple(background.shape)} differ; both must be the same (1, C, H, W)."
            )
        if alpha.shape[1] != 1 or alpha.shape[-2:] != foreground.shape[-2:]:
            raise ValueError(
                f"alpha must be (1, 1, H, W) = (1, 1, {foreground.shape[-2]}, {foreground.shape[-1]}) "
                f"to match the images; got {tuple(alpha.shape)}."
            )
        if isinstance(iterations, bool) or int(iterations) != iterations or iterations < 1:
            raise ValueError(f"iterations must be a positive integer; got {iterations!r}.")
        self.weights = dict(DEFAULT_WEIGHTS)
        if weights is not None:
            unknown = sorted(set(weights) - set(TERM_NAMES))
            if unknown:
                raise ValueError(f"unknown loss term(s) {unknown} in weights; valid names are {list(TERM_NAMES)}.")
            self.weights.update({k: float(v) for k, v in weights.items()})

        h, w = foreground.shape[-2:]
        self.iterations = int(iterations)
        self.c = float(c)
        if low_freq_kernel is None:
            low_freq_kernel = max(3, int(round(min(h, w) / 8)))
        self.low_freq_kernel = int(low_freq_kernel) | 1
        self.illum_sigma = max(2.0, min(h, w) / 32.0) if illum_sigma is None else float(illum_sigma)
        self.grad_scales = _usable_scales(grad_scales, (h, w))
        self.structure_sigma = float(structure_sigma)
        self.dir_eps = float(dir_eps)
        self.device = foreground.device

        with torch.no_grad(), _no_autocast(self.device):
            a = foreground.detach().to(torch.float32)
            b = background.detach().to(device=self.device, dtype=torch.float32)
            self.foreground = a
            self.background = b
            self.alpha = alpha.detach().to(device=self.device, dtype=torch.float32).clamp(0.0, 1.0)
            self.fg_grads = [image_gradients(_scaled(a, s)) for s in self.grad_scales]
            self.fg_grad = image_gradients(a)
            self.bg_grad = image_gradients(b)
            self.bg_low = box_blur(b, self.low_freq_kernel)
            self.bg_illum = gaussian_blur(luminance(b), self.illum_sigma)
            self.tangent = structure_tangent(b, sigma=self.structure_sigma)
            self.bg_tangential = self.tangent[0] * self.bg_grad[0] + self.tangent[1] * self.bg_grad[1]

    def alpha_at(self, t: float) -> Tensor:
        """Annealed soft map ``alpha_t`` at iteration ``t``, ``(1, 1, H, W)``."""
        return anneal_alpha(self.alpha, t, self.iterations, c=self.c)

    def _check_output(self, output: Tensor) -> Tensor:
        if output.ndim != 4 or output.shape[1:] != self.foreground.shape[1:]:
            raise ValueError(
                f"output must be (N, {', '.join(map(str, self.foreground.shape[1:]))}) like the images; "
                f"got {tuple(output.shape)}."
            )
        return output.to(torch.float32)

    def _term(self, name: str, out: Tensor, alpha_t: Tensor) -> Tensor:
        if name == "pixel":
            return pixel_loss(out, self.background, alpha_t)
        if name == "low_freq":
            return low_freq_loss(
                out, self.background, alpha_t, kernel_size=self.low_freq_kernel, background_low=self.bg_low
            )
        if name == "illum":
            return illum_loss(out, self.background, alpha_t, sigma=self.illum_sigma, background_illum=self.bg_illum)
        if name == "grad":
            return grad_loss(out, self.foreground, alpha_t, scales=self.grad_scales, foreground_grads=self.fg_grads)
        if name == "dir":
            return dir_loss(out, self.foreground, alpha_t, eps=self.dir_eps, foreground_grad=self.fg_grad)
        if name == "blend":
            return blend_grad_loss(
                out, self.foreground, self.background, alpha_t,
                foreground_grad=self.fg_grad, background_grad=self.bg_grad,
            )
        if name == "aniso":
            return aniso_loss(
                out, self.background, alpha_t, tangent=self.tangent, background_tangential=self.bg_tangential
            )
        raise ValueError(f"unknown loss term {name!r}; valid names are {list(TERM_NAMES)}.")

    def terms(self, output: Tensor, t: float) -> dict[str, Tensor]:
        """Each unweighted term at iteration ``t``, as 0-d float32 tensors keyed by name."""
        with _no_autocast(self.device):
            out = self._check_output(output)
            alpha_t = self.alpha_at(t)
            return {name: self._term(name, out, alpha_t) for name in TERM_NAMES}

    def __call__(self, output: Tensor, t: float) -> Tensor:
        """Weighted total ``sum_k lambda_k L_k`` at iteration ``t`` (0-d float32 tensor).

        ``t`` should be a Python number: a tensor would be read back to the host.
        """
        with _no_autocast(self.device):
            out = self._check_output(output)
            alpha_t = self.alpha_at(t)
            total = out.new_zeros(())
            for name in TERM_NAMES:
                weight = self.weights[name]
                if weight != 0.0:
                    total = total + weight * self._term(name, out, alpha_t)
            return total
