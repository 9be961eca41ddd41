"""The loss of a fit: the noise model's data term through the forward operator, plus the priors.

The noise model is the user's ``noise=`` option, built by the registry of ``core/noise.py``
(``FitContext.camera``; None for Gaussian noise). Where the task's observation model lets the noise model
stabilise the data themselves (``ObservationModel.stabilise_data``: the codec already transformed them), or
the noise is Gaussian, the data term is the plain data loss of ``A(x)`` and ``y``. Otherwise (a blur mixes the
camera's values) the model's transform runs here, after the operator: every task reaches the likelihood
through this one function, and a new noise model needs only its ``forward`` (numpy and torch).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .losses import data_loss, mse, total_variation
from .red import denoiser_prior
from .types import FitContext


def data_term(op, ctx: FitContext, *, stabilised_data: bool) -> Callable:
    """``out -> loss`` of ``op(out)`` against the observation ``ctx.y`` under the run's noise model."""
    if ctx.camera is None or stabilised_data:
        base = data_loss(ctx.fit.loss)
        y, weight = ctx.y, ctx.weight  # the fit's observed pixels (None: all)
        return lambda out: base(op(out), y, weight)
    return stabilised_term(op, ctx)


def stabilised_term(op, ctx: FitContext) -> Callable:
    """MSE between the noise model's transforms of ``A(x)`` and ``y``, both mapped back to the user's values.

    The operator acts on the camera's values, so the transform comes after it; the model
    (``ctx.camera``: e.g. gain, offset, read noise) is the one the data's codec would have applied.
    """
    codec, camera = ctx.codec, ctx.camera
    a, b = codec.window
    scale = (codec.hi - codec.lo) / (b - a)

    def stabilised(v):
        return camera.forward((v - a) * scale + codec.lo)

    target = stabilised(ctx.y)
    norm = float(stabilised(torch.tensor(1.0)) - stabilised(torch.tensor(0.0))) ** 2
    weight = ctx.weight
    return lambda out: mse(stabilised(op(out)), target, weight) / max(norm, 1e-12)


def regularised(data: Callable, tv: float, ctx: FitContext) -> Callable:
    """``loss_fn(out, t)``: ``data(out)`` plus ``tv`` x the total variation and the explicit-denoiser term."""
    prior = denoiser_prior(ctx)

    def loss_fn(out, t):
        value = data(out)
        if tv:
            value = value + tv * total_variation(out)
        return value if prior is None else value + prior(out, t)

    loss_fn.tv_weight = tv  # type: ignore[attr-defined]  # what the run's config records
    return loss_fn
