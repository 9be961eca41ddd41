"""The blending loss: the weighted sum of the seven terms of report 001, appendix A3."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from .filters import (
    anneal_alpha,
    box_blur,
    gaussian_blur,
    image_gradients,
    luminance,
    scaled,
    structure_tangent,
    usable_scales,
)
from .terms import (
    DEFAULT_WEIGHTS,
    TERM_NAMES,
    aniso_loss,
    blend_grad_loss,
    dir_loss,
    grad_loss,
    illum_loss,
    low_freq_loss,
    pixel_loss,
)


def no_autocast(device: torch.device) -> contextlib.AbstractContextManager:
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
        _check_arguments(foreground, background, alpha, iterations)
        self.weights = _term_weights(weights)

        h, w = foreground.shape[-2:]
        self.iterations = int(iterations)
        self.c = float(c)
        if low_freq_kernel is None:
            low_freq_kernel = max(3, int(round(min(h, w) / 8)))
        self.low_freq_kernel = int(low_freq_kernel) | 1
        self.illum_sigma = max(2.0, min(h, w) / 32.0) if illum_sigma is None else float(illum_sigma)
        self.grad_scales = usable_scales(grad_scales, (h, w))
        self.structure_sigma = float(structure_sigma)
        self.dir_eps = float(dir_eps)
        self.device = foreground.device

        with torch.no_grad(), no_autocast(self.device):
            a = foreground.detach().to(torch.float32)
            b = background.detach().to(device=self.device, dtype=torch.float32)
            self.foreground = a
            self.background = b
            self.alpha = alpha.detach().to(device=self.device, dtype=torch.float32).clamp(0.0, 1.0)
            self.fg_grads = [image_gradients(scaled(a, s)) for s in self.grad_scales]
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
            return illum_loss(
                out, self.background, alpha_t, sigma=self.illum_sigma, background_illum=self.bg_illum
            )
        if name == "grad":
            return grad_loss(
                out, self.foreground, alpha_t, scales=self.grad_scales, foreground_grads=self.fg_grads
            )
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
        with no_autocast(self.device):
            out = self._check_output(output)
            alpha_t = self.alpha_at(t)
            return {name: self._term(name, out, alpha_t) for name in TERM_NAMES}

    def __call__(self, output: Tensor, t: float) -> Tensor:
        """Weighted total ``sum_k lambda_k L_k`` at iteration ``t`` (0-d float32 tensor).

        ``t`` should be a Python number: a tensor would be read back to the host.
        """
        with no_autocast(self.device):
            out = self._check_output(output)
            alpha_t = self.alpha_at(t)
            total = out.new_zeros(())
            for name in TERM_NAMES:
                weight = self.weights[name]
                if weight != 0.0:
                    total = total + weight * self._term(name, out, alpha_t)
            return total


def _check_arguments(foreground: Tensor, background: Tensor, alpha: Tensor, iterations: int) -> None:
    """:class:`BlendLoss`'s images and iteration count, or a ``ValueError`` saying what is wrong."""
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


def _term_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The seven terms' weights: the defaults, overridden by ``weights`` (unknown names refused)."""
    merged = dict(DEFAULT_WEIGHTS)
    if weights is not None:
        unknown = sorted(set(weights) - set(TERM_NAMES))
        if unknown:
            raise ValueError(
                f"unknown loss term(s) {unknown} in weights; valid names are {list(TERM_NAMES)}."
            )
        merged.update({k: float(v) for k, v in weights.items()})
    return merged
