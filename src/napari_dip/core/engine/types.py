"""The engine's own types: what a fit is given and what it asks of a task.

:class:`FitSettings`, :class:`FitContext`, :class:`FitData` and :class:`Damage` are made and read by the
engine (``core/engine/``); :class:`TaskLike` is the part of a :class:`~napari_dip.core.tasks.base.Task`
the engine calls. They live here, not in ``core/tasks/``, so that the engine imports nothing from the
tasks: the tasks build on the engine, never the other way round (``core/tasks/base.py`` re-exports them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


def apply_width(network: dict, width: int) -> dict:
    """Cap every channel count of a network spec at ``width``."""
    net = dict(network)
    for key in ("channels_down", "channels_up", "channels_skip"):
        value = net.get(key)
        if isinstance(value, int):
            net[key] = min(value, width)
        elif value is not None:
            net[key] = [min(v, width) for v in value]
    return net


@dataclass(frozen=True)
class Damage:
    """What the engine measured of the missing pixels, for a task's preset rule.

    ``depth``: px from the deepest missing pixel to an observed one (0: nothing missing);
    ``texture``: :func:`~napari_dip.core.engine.checks.surround_texture` of the observed pixels
    around that hole (0: smooth, about 1: fine texture).
    """

    depth: float = 0.0
    texture: float = 0.0


@dataclass
class FitSettings:
    """The settings of every fit of a run, resolved from the preset and the user's options."""

    preset_name: str
    reason: str
    arch: str
    net_spec: dict
    input_kind: str
    input_depth: int
    iterations: int
    lr: float
    reg_noise_std: float
    fill_input: bool
    early_stop: bool
    backtrack: bool
    loss: str
    keep_known: bool
    missing_depth: float = 0.0
    surround_texture: float = 0.0
    explicit_depth: bool = False
    fit_mode: str = "weights"   # what the optimiser fits: the network's weights, or its input (projector.py)
    restarts: int = 1           # independent fits side by side, averaged (restarts.py)


@dataclass
class FitContext:
    """What a task's :meth:`~napari_dip.core.tasks.base.Task.build` sees of one fit (tensors on the fit's
    device)."""

    y: Any                 # observation, (1, C, *obs_grid), reflect-padded to the network's grid
    known: Any             # (1, 1, *obs_grid): 1 where observed, 0 in holes and padding
    weight: Any            # ``known``, or None where every pixel of the grid is observed
    channels: int
    dims: int              # spatial axes: 2 or 3
    scale: int             # output grid / observation grid
    crop: tuple            # slices of the output grid that hold the image (the rest is padding)
    inputs: dict           # the task's validated inputs (mask excluded: it is ``known``)
    settings: Any          # the run's Settings (or the blend's settings)
    fit: FitSettings
    data: FitData
    device: Any
    codec: Any  # the run's ImageCodec (values <-> [0, 1])
    holdout: Any = None  # (1, 1, *obs_grid): 1 at observed pixels held out of the fit (``known`` is 0 there)
    camera: Any = None     # noise="poisson": the CameraNoise model of the user's values (``core/noise.py``)


@dataclass
class FitData:
    """One fit's data: ``x`` ``(C, *spatial)`` in [0, 1], its missing pixels, task extras (same grid)."""

    x: np.ndarray
    missing: np.ndarray
    extras: dict = field(default_factory=dict)


class InputRulesLike(Protocol):
    """A task's inputs checked and recorded (:class:`~napari_dip.core.tasks.inputs.InputRules`)."""

    def check_inputs(self, inputs: dict[str, Any], *, nd: int, channels: int) -> dict[str, Any]: ...

    def scale(self, inputs: dict[str, Any]) -> int: ...

    def describe(self, inputs: dict[str, Any]) -> dict[str, Any]: ...


class ObservationLike(Protocol):
    """How the observation was made (:class:`~napari_dip.core.tasks.parts.ObservationModel`)."""

    keeps_known: bool
    stabilise_data: bool


class PolicyLike(Protocol):
    """Presets and the rules that pick from the data (:class:`~napari_dip.core.tasks.parts.Policy`)."""

    @property
    def presets(self) -> dict[str, dict]: ...

    def preset(self, name: str | None = None, inputs: dict | None = None) -> dict: ...

    def choose_preset(self, settings: Any, damage: Damage) -> tuple[str, str]: ...

    def default_width(self, settings: Any, device: Any, preset_name: str, damage: Damage) -> int: ...

    def wants_fill_input(self, settings: Any, preset_name: str, damage: Damage) -> bool: ...

    def context_margin(self, settings: Any, damage: Damage) -> float | None: ...


class StopsLike(Protocol):
    """The stop factory (:class:`~napari_dip.core.tasks.parts.ChangeStops` or ``VarianceStops``)."""

    def holdout_share(self, settings: Any, fit: FitSettings) -> float: ...

    def rule(self, ctx: FitContext, observation: Any) -> Any: ...


class FormLike(Protocol):
    """What the engine reads of a task's form: whether it takes a mask."""

    @property
    def needs_mask(self) -> bool: ...


class TaskLike(Protocol):
    """What the engine reads of a task (:class:`~napari_dip.core.tasks.base.Task` is the implementation)."""

    name: str

    @property
    def form(self) -> FormLike: ...

    @property
    def input_rules(self) -> InputRulesLike: ...

    @property
    def observation(self) -> ObservationLike: ...

    @property
    def policy(self) -> PolicyLike: ...

    @property
    def stop(self) -> StopsLike: ...

    def build(self, ctx: FitContext) -> Callable: ...

    def initial_guess(self, y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray: ...
