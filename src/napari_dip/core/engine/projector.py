"""Fitting the input instead of the weights: the Deep Random Projector as a fit mode (``fit="input"``).

Li, Wang, Zhuang, Sun, "Deep Random Projector: Accelerated Deep Image Prior", CVPR 2023. The
network's convolutions keep their random initial weights; the optimiser fits the network's input
``z`` (through a BatchNorm of its own) and the scale and shift of every BatchNorm. The network is
shallow (one scale), the learning rate high (0.1), and the loss the square root of the task's data
loss plus a total-variation term. Such a fit needs an order of magnitude fewer iterations than a
weight fit, each cheaper, but its quality peaks lower on some images: ``benchmarks/quality_per_second.py``
measures both, and the mode is an option, not the default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from torch import nn

from ..networks import DIPNet
from .losses import total_variation
from .types import FitSettings

FIT_MODES = ("weights", "input")

#: The Deep Random Projector's settings (its denoising script), used where the user gives none.
INPUT_DEPTH = 1        # scales of the skip network
INPUT_CHANNELS = 3     # channels of the fitted input
INPUT_LR = 0.1
INPUT_TV = 0.45        # weight of the TV term beside sqrt(data loss)
INPUT_EMA = 0.9        # the moving average of outputs: a fit of ~100 iterations cannot wait for 0.99's
INPUT_ITERATIONS = 400  # the cap when the user gives none (the fits measured peak by 100-300)


def input_fit_settings(fit: FitSettings, settings, *, iterations: int | None = None) -> FitSettings:
    """``fit`` with the input mode's defaults where the user set nothing: one scale, lr 0.1, no input
    noise, a 3-channel noise input, no backtracking, :data:`INPUT_ITERATIONS` (``iterations``: the
    user's count, None when not given)."""
    spec = dict(fit.net_spec)
    if settings.depth is None and fit.arch == "skip":
        spec["depth"] = INPUT_DEPTH
        for key in ("channels_down", "channels_up", "channels_skip"):
            if isinstance(spec.get(key), list):
                spec[key] = spec[key][:INPUT_DEPTH]
    return dataclasses.replace(
        fit,
        net_spec=spec,
        input_kind=settings.input or "noise",
        input_depth=int(settings.input_depth or INPUT_CHANNELS),
        lr=float(settings.lr or INPUT_LR),
        iterations=int(iterations) if iterations is not None else INPUT_ITERATIONS,
        reg_noise_std=float(settings.reg_noise_std or 0.0),
        backtrack=bool(settings.backtrack),
        explicit_depth=True,
        fit_mode="input",
    )


class _Projector(nn.Module):
    """The input's own BatchNorm in front of the frozen network body."""

    def __init__(self, channels: int, dims: int, body: nn.Module):
        super().__init__()
        self.norm = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d)(channels)
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.norm(x))


def freeze_weights(net: DIPNet, in_channels: int, dims: int) -> DIPNet:
    """``net`` (a :class:`~..networks.DIPNet`) with its convolutions frozen and a trainable BatchNorm on
    its input; only the BatchNorms' scales and shifts stay trainable."""
    for module in net.modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            module.requires_grad_(False)
    net.body = _Projector(in_channels, dims, net.body)
    return net


def task_settings(settings):
    """The settings a task builds its loss from in the input mode: no total-variation term of its own
    (the projector adds its own beside the square root, :func:`input_loss`)."""
    return dataclasses.replace(settings, tv_weight=0.0)


def input_loss(loss_fn: Callable, tv_weight: float | None = None) -> Callable:
    """``sqrt(loss_fn) + tv_weight * TV(output)`` (None: :data:`INPUT_TV`): the projector's loss around a
    task's data loss (built without a TV term, :func:`task_settings`)."""
    tv_weight = INPUT_TV if tv_weight is None else float(tv_weight)

    def loss(out: torch.Tensor, t: int) -> torch.Tensor:
        return loss_fn(out, t).clamp_min(1e-12).sqrt() + tv_weight * total_variation(out)

    loss.tv_weight = tv_weight  # type: ignore[attr-defined]  # what the run's config records
    return loss
