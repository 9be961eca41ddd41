"""What a task is: the one object that says how an observation was made and how to undo it.

A :class:`Task` owns its name and label, the inputs it needs from the user
(a mask, a factor, a PSF), their validation, its forward operator, its presets
and the rule that picks one, its classical baselines and initial estimate,
whether it keeps observed pixels exactly, and its default stopping rule. The
driver (``core/engine/``), :func:`napari_dip.restore`, the command line and
the widgets read these attributes; none of them compares task names.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import devices

# The engine's types, defined in ``core/engine/types.py`` (the engine imports nothing from the tasks),
# re-exported here for the tasks and for code that imported them from this module.
from ..engine.types import Damage, FitContext, FitData, FitSettings, apply_width  # noqa: F401

#: The paper's hourglass: 128/128/4 skip network, bilinear up-sampling (channels capped by ``width``).
SKIP_4 = dict(
    arch="skip", channels_down=128, channels_up=128, channels_skip=4, depth=5, upsample_mode="bilinear"
)


def make_preset(network: dict, *, input: str = "noise", input_depth: int = 32, lr: float = 0.01,
                iterations: int, reg_noise_std: float, early_stop: bool = False, backtrack: bool = False,
                loss: str = "mse") -> dict:
    """A preset: the settings a task starts from (see docs/reference.md for their sources)."""
    return dict(network=network, input=input, input_depth=input_depth, lr=lr, iterations=iterations,
                reg_noise_std=reg_noise_std, early_stop=early_stop, backtrack=backtrack, loss=loss)


def variance_stop(ctx: FitContext):
    """The stop of noisy data: the output variance stops falling
    (:class:`~..engine.stopping.VarianceStop`)."""
    from ..engine.stopping import VarianceStop  # torch: task metadata loads without it

    return VarianceStop(window=ctx.settings.window, patience=ctx.settings.patience)


class Task:
    """Base class of the tasks in the registry (``core/tasks/<name>.py``)."""

    name: str = ""
    label: str = ""              # shown in the widget's task list
    kind: str = "restore"        # "restore" (restore/iter_restore) or "blend"
    inputs: tuple[str, ...] = ()     # keyword inputs taken from the user besides the image
    needs_mask: bool = False
    presets: dict[str, dict] = {}    # the first is the task's default
    keeps_known: bool = False        # observed pixels are returned exactly (keep_known=True)
    scales: bool = False             # the output grid is finer than the input (factor)
    volume: bool = True              # mode="volume" is possible
    codec_transform: bool = True     # noise="poisson" variance-stabilises the data (else the loss handles it)
    fill_rule: str = "never"         # when fill_input="auto" feeds the classical estimate
    cpu_width: int = 64              # channel cap off CUDA when the user gives no width (measured per task)
    holds_out: bool = True           # its automatic stop can watch held-out pixels (``holdout`` > 0)

    # --- inputs ---------------------------------------------------------------------------
    def check_inputs(self, inputs: dict[str, Any], *, nd: int, channels: int) -> dict[str, Any]:
        """Validate the task's inputs (all keys of :attr:`inputs`, None when not given); return them
        cleaned."""
        given = {k: v for k, v in inputs.items() if v is not None and k != "mask"}
        if given:
            raise ValueError(f"task {self.name!r} takes no {' or '.join(sorted(given))}.")
        return {}

    def scale(self, inputs: dict[str, Any]) -> int:
        """Output grid / input grid (super-resolution's factor)."""
        return 1

    # --- settings -------------------------------------------------------------------------
    def preset(self, name: str | None = None, inputs: dict | None = None) -> dict:
        """A copy of preset ``name`` (None: the task's default), adjusted to the inputs where the task
        says."""
        return copy.deepcopy(self.presets[name or next(iter(self.presets))])

    def describe(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The task's inputs as JSON-ready values for the run's ``config``."""
        return dict(inputs)

    def choose_preset(self, settings, damage: Damage) -> tuple[str, str]:
        """``(preset name, reason)`` for this image; the default rule: the task's first preset."""
        return next(iter(self.presets)), "task default"

    def default_width(self, settings, device, preset_name: str, damage: Damage) -> int:
        """Channels per level when the user gives no ``width``: 128 on CUDA (the paper's), else
        :attr:`cpu_width`.

        The narrower network is measured per task against 64 (benchmarks/network_size.py): where it ties,
        an iteration costs about half as much on a CPU.
        """
        return devices.default_width(device, cpu=self.cpu_width)

    def wants_fill_input(self, settings, preset_name: str, damage: Damage) -> bool:
        """``fill_input="auto"``: feed the classical estimate as input channels? (measured per task)."""
        return False

    # --- the fit --------------------------------------------------------------------------
    def operator(self, ctx: FitContext):
        """The forward operator ``A``: the loss compares ``A(network output)`` with the observation."""
        raise NotImplementedError

    def build(self, ctx: FitContext) -> Callable:
        """The loss ``loss_fn(output, t)`` of one fit (default: the data loss through :meth:`operator`)."""
        from ..engine.losses import data_loss  # torch: task metadata loads without it

        op = self.operator(ctx).to(ctx.device)
        base = data_loss(ctx.fit.loss)
        y, weight = ctx.y, op.weight
        return self.regularised(lambda out: base(op(out), y, weight), ctx)

    def regularised(self, data_term: Callable, ctx: FitContext) -> Callable:
        """``loss_fn(out, t)``: ``data_term(out)`` plus the total-variation and explicit-denoiser terms."""
        from ..engine.losses import total_variation  # torch: task metadata loads without it
        from ..engine.red import denoiser_prior  # torch

        tv = self.tv_weight(ctx)
        prior = denoiser_prior(ctx)

        def loss_fn(out, t):
            value = data_term(out)
            if tv:
                value = value + tv * total_variation(out)
            return value if prior is None else value + prior(out, t)

        loss_fn.tv_weight = tv  # type: ignore[attr-defined]  # what the run's config records
        return loss_fn

    def tv_weight(self, ctx: FitContext) -> float:
        """Weight of the total-variation term of one fit: the user's ``tv_weight``, else 0."""
        return float(ctx.settings.tv_weight or 0.0)

    def initial_estimate(self, y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
        """The classical estimate fed as input channels (``fill_input``), ``(C, *out_spatial)`` in [0, 1]."""
        return y

    # --- stopping -------------------------------------------------------------------------
    def stop_rule(self, ctx: FitContext):
        """The automatic stop (when ``early_stop`` is on). Default: the filled image stopped changing.

        Tasks whose data carry noise the network would end up fitting override
        this with :func:`variance_stop`.
        """
        from ..engine.stopping import ChangeStop  # torch

        s = ctx.settings
        if ctx.holdout is not None:
            return self.holdout_stop(ctx)
        return ChangeStop(self.fill_region(ctx), window=s.window, patience=s.patience, tol=s.stop_tol)

    def holdout_share(self, settings, fit: FitSettings) -> float:
        """The share of observed pixels held out for the automatic stop (the user's ``holdout``; 0: none)."""
        return float(settings.holdout) if self.holds_out and fit.early_stop else 0.0

    def holdout_stop(self, ctx: FitContext):
        """The stop that watches the held-out pixels (:class:`~..engine.holdout.HoldoutStop`)."""
        from ..engine.holdout import HoldoutStop  # torch

        observed = ctx.known + ctx.holdout  # the operator's view of every observed pixel
        op = self.operator(dataclasses.replace(ctx, known=observed, weight=observed)).to(ctx.device)
        s = ctx.settings
        return HoldoutStop(op, ctx.y, ctx.holdout, patience=2 * s.patience, min_gain=s.stop_gain)

    def fill_region(self, ctx: FitContext):
        """Where the network invents the image, on the output grid (1) and where not (0): here the whole
        image."""
        import torch  # torch: task metadata loads without it

        grid = [n * ctx.scale if i >= ctx.dims - 2 else n for i, n in enumerate(ctx.known.shape[2:])]
        region = torch.zeros((1, 1, *grid), device=ctx.known.device)
        region[(slice(None), slice(None), *ctx.crop)] = 1
        return region

    # --- baselines ------------------------------------------------------------------------
    def baselines(self) -> dict[str, Callable]:
        """Classical methods to compare with, the first the standard one.

        ``name -> f(image, channel_axis, mask, inputs) -> image`` (``inputs``: from :meth:`check_inputs`).
        """
        return {}
