"""Blending: fuse a foreground into a background under a mask (report 001, section 4.2 and appendix A3).

The network is fitted to a :class:`~napari_dip.core.blending.loss.BlendLoss`
(the background outside the mask, the foreground's gradients inside it, a blend
of both in the soft transition band) instead of a data loss through a forward
operator: its "operator" is the identity and its loss compares the output with
two images. It runs on the same driver as restoration
(:func:`napari_dip.blend`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..blending.loss import BlendLoss
from .base import Task
from .catalog import entry
from .parts import ObservationModel, VarianceStops


def blend_objective(ctx):
    """The :class:`~napari_dip.core.blending.loss.BlendLoss` of one fit, over the image (padding cropped)."""
    s, extras = ctx.settings, ctx.data.extras
    to_t = lambda a: torch.from_numpy(a)[None].to(ctx.device)  # noqa: E731
    loss = BlendLoss(
        to_t(extras["foreground"]),
        to_t(ctx.data.x),
        to_t(extras["alpha"][None]),
        weights=s.weights,
        iterations=max(1, round(ctx.fit.iterations / float(s.anneal_end))),
        c=float(s.anneal_c),
        low_freq_kernel=s.low_freq_kernel,
        illum_sigma=s.illum_sigma,
        grad_scales=tuple(s.grad_scales),
        structure_sigma=float(s.structure_sigma),
        dir_eps=float(s.dir_eps),
    )
    index = (slice(None), slice(None), *ctx.crop)

    def loss_fn(out, t):
        return loss(out[index], t)

    return loss_fn


def poisson_start(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """The Poisson composite (``fill_input``), reflect-padded like the background ``y``."""
    start = inputs["start"]
    pads = [(0, 0)] + [(0, n - s) for n, s in zip(y.shape[1:], start.shape[1:], strict=False)]
    return np.pad(start, pads, mode="reflect")


TASK = Task.of(
    entry("blend"),
    observation=ObservationModel(),  # the identity: the output is compared with the two images by the loss
    stop=VarianceStops(),
    initial_guess=poisson_start,
    objective=blend_objective,
)
