"""The parts of a task that a fit builds on (torch), each with one job.

- :class:`ObservationModel`: how the observation was made: the forward operator (``core/physics/``), where
  the network invents the image, whether the observed pixels are kept and the noise model's transform
  applies to the data themselves.
- :class:`ChangeStops` and :class:`VarianceStops`: the stop factories of the automatic stop.

What the command line and the widgets read without torch (the form, the policy, the input rules, the
baselines) is the task's catalog entry (:mod:`.catalog`). The noise model is none of these: it is the
user's ``noise=`` option, built by ``core/noise.py`` and turned into the data term by
``core/engine/likelihood.py``. A task (``core/tasks/base.py``) composes the parts; a task module picks or
subclasses them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ..engine.holdout import HoldoutStop
from ..engine.stopping import ChangeStop, VarianceStop
from ..engine.types import FitContext, FitSettings
from ..physics import Identity


class ObservationModel:
    """How the observation was made from the clean image (the default: nothing but noise).

    ``keeps_known``: the observed pixels are the image's own (returned exactly with ``keep_known``).
    ``stabilise_data``: the noise model's transform applies to the data themselves (``ImageCodec``); a
    model whose operator mixes the camera's values (a blur) sets False, and the transform then runs in
    the loss, after the operator (``core/engine/likelihood.py``).
    """

    keeps_known: bool = False
    stabilise_data: bool = True

    def operator(self, ctx: FitContext):
        """The forward operator ``A``: the loss compares ``A(network output)`` with the observation."""
        return Identity()

    def fill_region(self, ctx: FitContext):
        """Where the network invents the image, on the output grid (1) and where not (0): here the whole
        image."""
        grid = [n * ctx.scale if i >= ctx.dims - 2 else n for i, n in enumerate(ctx.known.shape[2:])]
        region = torch.zeros((1, 1, *grid), device=ctx.known.device)
        region[(slice(None), slice(None), *ctx.crop)] = 1
        return region


@dataclass(frozen=True)
class ChangeStops:
    """The automatic stop of tasks that invent pixels: the filled image stopped changing
    (:class:`~..engine.stopping.ChangeStop`), or with ``holdout`` the held-out pixels stopped improving
    (:class:`~..engine.holdout.HoldoutStop`)."""

    def holdout_share(self, settings, fit: FitSettings) -> float:
        """The share of observed pixels held out for the automatic stop (the user's ``holdout``; 0: none)."""
        return float(settings.holdout) if fit.early_stop else 0.0

    def rule(self, ctx: FitContext, observation: ObservationModel):
        """The stop of one fit (when ``early_stop`` is on)."""
        s = ctx.settings
        if ctx.holdout is None:
            return ChangeStop(observation.fill_region(ctx), window=s.window, patience=s.patience,
                              tol=s.stop_tol)
        observed = ctx.known + ctx.holdout  # the operator's view of every observed pixel
        op = observation.operator(dataclasses.replace(ctx, known=observed)).to(ctx.device)
        return HoldoutStop(op, ctx.y, ctx.holdout, patience=2 * s.patience, min_gain=s.stop_gain)


@dataclass(frozen=True)
class VarianceStops:
    """The automatic stop of noisy data: the output variance stops falling
    (:class:`~..engine.stopping.VarianceStop`); nothing is held out."""

    def holdout_share(self, settings, fit: FitSettings) -> float:
        return 0.0

    def rule(self, ctx: FitContext, observation: ObservationModel | None = None):
        return VarianceStop(window=ctx.settings.window, patience=ctx.settings.patience)
