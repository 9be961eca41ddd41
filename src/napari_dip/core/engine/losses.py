"""Data-fidelity losses and regularisers.

Each data loss is ``loss(prediction, target, weight)`` where ``weight``
``(1, 1, *spatial)`` is 1 on observed pixels (``None``: all observed) and
every loss is normalised by the observed count, so values are comparable
across masks. Computed in float32 even under autocast.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

MULTISCALE_WEIGHTS = {1: 1.0, 2: 0.5, 4: 0.25}


def mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """(Masked) mean squared error: ``sum(w * (p - t)**2) / (C * sum(w))``."""
    diff = (pred.float() - target) ** 2
    if weight is None:
        return diff.mean()
    return (diff * weight).sum() / (weight.sum() * pred.shape[1]).clamp_min(1.0)


def _pool(x: torch.Tensor, s: int) -> torch.Tensor:
    if s == 1:
        return x
    return (F.avg_pool2d if x.ndim == 4 else F.avg_pool3d)(x, s, s)


def multiscale_mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                   scales: dict[int, float] = MULTISCALE_WEIGHTS) -> torch.Tensor:
    """Report 001's multi-scale masked loss.

    ``sum_s w_s * ||M_s * (O_s - I_s)||^2 / ||M_s||_1`` for scales 1, 2, 4 with
    weights 1, 0.5, 0.25; ``O_s``, ``I_s``, ``M_s`` are average-pooled with
    stride s. The target is pre-multiplied by the mask, so a pooled coarse
    pixel compares only observed content (divided by the pooled mask weight).
    """
    pred = pred.float()
    if weight is None:
        weight = torch.ones_like(pred[:, :1])
    total = pred.new_zeros(())
    for s, w_s in scales.items():
        m = _pool(weight, s)
        p = _pool(pred * weight, s)
        t = _pool(target * weight, s)
        total = total + w_s * ((p - t) ** 2).sum() / (m.sum() * pred.shape[1]).clamp_min(1e-8)
    return total


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation (mean absolute finite difference over spatial axes)."""
    x = x.float()
    tv = x.new_zeros(())
    for axis in range(2, x.ndim):
        tv = tv + x.diff(dim=axis).abs().mean()
    return tv


DATA_LOSSES: dict[str, Callable] = {"mse": mse, "multiscale": multiscale_mse}


def data_loss(name: str) -> Callable:
    try:
        return DATA_LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(DATA_LOSSES)}") from None
