"""The parts a task is made of, each with one job.

- :class:`Form`: what the widgets and the command line render (label, the task's own inputs, a mask).
- :class:`Physics`: how the observation was made: the task's inputs checked, the output grid, the
  forward operator (``core/physics/``) and where the network invents the image.
- :class:`Policy`: what the data decide: the presets, the rule that picks one, the network's width on a
  CPU, whether the classical estimate is fed as input, the weight of the total-variation term.
- :class:`ChangeStops` and :class:`VarianceStops`: the stop factories of the automatic stop.

The noise model is none of these: it is the user's ``noise=`` option, built by ``core/noise.py`` and
turned into the data term by ``core/engine/likelihood.py``. A task (``core/tasks/base.py``) composes the
parts; a task module picks or subclasses them.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from .. import devices
from ..engine.types import Damage, FitContext, FitSettings


@dataclass(frozen=True)
class Form:
    """What the widgets and the command line render for a task.

    ``inputs`` are the field names of the task's options (:mod:`.options`), ``mask`` included where the
    task needs one; ``kind`` is "restore" (:func:`napari_dip.restore`) or "blend" (:func:`napari_dip.blend`).
    """

    label: str
    options: type
    kind: str = "restore"
    #: one plain sentence for the forms: what the task does and what it needs besides the image
    hint: str = ""

    @property
    def inputs(self) -> tuple[str, ...]:
        """The keyword inputs the task takes from the user besides the image, in form order."""
        return tuple(f.name for f in fields(self.options))

    @property
    def needs_mask(self) -> bool:
        return "mask" in self.inputs


class Physics:
    """How the observation was made from the clean image (the default: nothing but noise).

    ``keeps_known``: the observed pixels are the image's own (returned exactly with ``keep_known``).
    ``stabilise_data``: the noise model's transform applies to the data themselves (``ImageCodec``); a
    physics whose operator mixes the camera's values (a blur) sets False, and the transform then runs in
    the loss, after the operator (``core/engine/likelihood.py``).
    """

    keeps_known: bool = False
    stabilise_data: bool = True

    def check_inputs(self, inputs: dict[str, Any], *, nd: int, channels: int) -> dict[str, Any]:
        """Validate the task's inputs (every name of its form, None when not given); return them
        cleaned."""
        given = {k: v for k, v in inputs.items() if v is not None and k != "mask"}
        if given:
            raise ValueError(f"this task takes no {' or '.join(sorted(given))}.")
        return {}

    def scale(self, inputs: dict[str, Any]) -> int:
        """Output grid / input grid (super-resolution's factor)."""
        return 1

    def describe(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The task's inputs as JSON-ready values for the run's ``config``."""
        return dict(inputs)

    def operator(self, ctx: FitContext):
        """The forward operator ``A``: the loss compares ``A(network output)`` with the observation."""
        from ..physics import Identity  # torch: task metadata loads without it

        return Identity(ctx.weight)

    def fill_region(self, ctx: FitContext):
        """Where the network invents the image, on the output grid (1) and where not (0): here the whole
        image."""
        import torch  # torch: task metadata loads without it

        grid = [n * ctx.scale if i >= ctx.dims - 2 else n for i, n in enumerate(ctx.known.shape[2:])]
        region = torch.zeros((1, 1, *grid), device=ctx.known.device)
        region[(slice(None), slice(None), *ctx.crop)] = 1
        return region


@dataclass(frozen=True)
class Policy:
    """The settings a task starts from and the rules that adapt them to the data.

    ``presets``: name -> preset (:func:`.base.make_preset`), the first the default; ``cpu_width``: the
    channel cap off CUDA when the user gives no ``width`` (measured per task); ``fill_input``: what
    ``fill_input="auto"`` does (measured per task).
    """

    presets: dict[str, dict]
    cpu_width: int = 64
    fill_input: bool = False

    def preset(self, name: str | None = None, inputs: dict | None = None) -> dict:
        """A copy of preset ``name`` (None: the default), adjusted to the inputs where the task says."""
        return copy.deepcopy(self.presets[name or next(iter(self.presets))])

    def choose_preset(self, settings, damage: Damage) -> tuple[str, str]:
        """``(preset name, reason)`` for this image; the default rule: the first preset."""
        return next(iter(self.presets)), "task default"

    def default_width(self, settings, device, preset_name: str, damage: Damage) -> int:
        """Channels per level when the user gives no ``width``: 128 on CUDA (the paper's), else
        :attr:`cpu_width`.

        The narrower network is measured per task against 64 (benchmarks/network_size.py): where it ties,
        an iteration costs about half as much on a CPU.
        """
        return devices.default_width(device, cpu=self.cpu_width)

    def wants_fill_input(self, settings, preset_name: str, damage: Damage) -> bool:
        """``fill_input="auto"``: feed the classical estimate as input channels?"""
        return self.fill_input

    def tv_weight(self, ctx: FitContext) -> float:
        """Weight of the total-variation term of one fit: the user's ``tv_weight``, else 0."""
        return float(ctx.settings.tv_weight or 0.0)

    def context_margin(self, settings, damage: Damage) -> float | None:
        """How far (px) the observed pixels that explain a missing region reach, for fits in windows
        around the damage (``extent``, ``core/engine/windows.py``); None: the task fits the whole image."""
        return None


@dataclass(frozen=True)
class ThinMaskPolicy(Policy):
    """Masks: thin damage (at most ``fill_radius`` deep) gets the classical fill as input and the narrower
    CPU network (:attr:`cpu_width`); deeper holes and the presets in ``deep_presets`` get ``deep_cpu_width``
    and no fill (measured: benchmarks/hole_rule.py and network_size.py)."""

    deep_cpu_width: int = 64
    deep_presets: tuple[str, ...] = ()

    def thin(self, settings, preset_name: str, damage: Damage) -> bool:
        """Thin damage (text, scratches, dropped pixels): at most ``fill_radius`` deep, not a deep preset."""
        return preset_name not in self.deep_presets and damage.depth <= settings.fill_radius

    def wants_fill_input(self, settings, preset_name, damage):
        return self.thin(settings, preset_name, damage)

    def default_width(self, settings, device, preset_name, damage):
        thin = self.thin(settings, preset_name, damage)
        return devices.default_width(device, cpu=self.cpu_width if thin else self.deep_cpu_width)


@dataclass(frozen=True)
class ChangeStops:
    """The automatic stop of tasks that invent pixels: the filled image stopped changing
    (:class:`~..engine.stopping.ChangeStop`), or with ``holdout`` the held-out pixels stopped improving
    (:class:`~..engine.holdout.HoldoutStop`)."""

    def holdout_share(self, settings, fit: FitSettings) -> float:
        """The share of observed pixels held out for the automatic stop (the user's ``holdout``; 0: none)."""
        return float(settings.holdout) if fit.early_stop else 0.0

    def rule(self, ctx: FitContext, physics: Physics):
        """The stop of one fit (when ``early_stop`` is on)."""
        from ..engine.holdout import HoldoutStop  # torch: task metadata loads without it
        from ..engine.stopping import ChangeStop  # torch

        s = ctx.settings
        if ctx.holdout is None:
            return ChangeStop(physics.fill_region(ctx), window=s.window, patience=s.patience, tol=s.stop_tol)
        observed = ctx.known + ctx.holdout  # the operator's view of every observed pixel
        op = physics.operator(dataclasses.replace(ctx, known=observed, weight=observed)).to(ctx.device)
        return HoldoutStop(op, ctx.y, ctx.holdout, patience=2 * s.patience, min_gain=s.stop_gain)


@dataclass(frozen=True)
class VarianceStops:
    """The automatic stop of noisy data: the output variance stops falling
    (:class:`~..engine.stopping.VarianceStop`); nothing is held out."""

    def holdout_share(self, settings, fit: FitSettings) -> float:
        return 0.0

    def rule(self, ctx: FitContext, physics: Physics | None = None):
        from ..engine.stopping import VarianceStop  # torch: task metadata loads without it

        return VarianceStop(window=ctx.settings.window, patience=ctx.settings.patience)
