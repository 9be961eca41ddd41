"""What a task is: its catalog entry and the parts a fit builds on (torch).

A :class:`Task` is its :class:`~.catalog.Entry` (name, :class:`~.catalog.Form`, :class:`~.policy.Policy`,
:class:`~.inputs.InputRules`, baselines: what the command line and the widgets read without torch) plus an
:class:`~.parts.ObservationModel` (the forward model), a stop factory (:class:`~.parts.ChangeStops` or
:class:`~.parts.VarianceStops`), its classical initial guess and, for blending, a loss of its own. The
noise model is the user's ``noise=`` option (``core/noise.py``), turned into the data term of every
task's loss by ``core/engine/likelihood.py``. The driver (``core/engine/``), :func:`napari_dip.restore`,
the command line and the widgets read these parts; none of them compares task names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from ..engine.likelihood import data_term, regularised
from ..engine.types import FitContext
from .catalog import Entry
from .parts import ChangeStops, ObservationModel, VarianceStops


def observed(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """The default initial guess: the observation itself."""
    return y


@dataclass
class Task(Entry):
    """A task of the registry (``core/tasks/<name>.py`` defines ``TASK``, from its catalog entry).

    ``initial_guess(y, known, inputs)``: the classical fill fed as input channels (``fill_input``),
    ``(C, *out_spatial)`` in [0, 1]. ``objective``: a loss of the task's own instead of the data term
    through the observation model (blending's).
    """

    observation: ObservationModel = field(default_factory=ObservationModel)
    stop: ChangeStops | VarianceStops = field(default_factory=ChangeStops)
    initial_guess: Callable[[np.ndarray, np.ndarray, dict], np.ndarray] = observed
    objective: Callable[[FitContext], Callable] | None = None

    @classmethod
    def of(cls, entry: Entry, **parts) -> Task:
        """The task of catalog ``entry`` with the parts a fit builds on (``observation``, ``stop``, ...)."""
        return cls(**{f.name: getattr(entry, f.name) for f in fields(Entry)}, **parts)

    def build(self, ctx: FitContext) -> Callable:
        """The loss ``loss_fn(output, t)`` of one fit: the noise model's data term through the observation
        model, plus the total-variation and explicit-denoiser terms (or the task's own ``objective``)."""
        if self.objective is not None:
            return self.objective(ctx)
        op = self.observation.operator(ctx).to(ctx.device)
        term = data_term(op, ctx, stabilised_data=self.observation.stabilise_data)
        return regularised(term, self.policy.tv_weight(ctx), ctx)


__all__ = ["ChangeStops", "ObservationModel", "Task", "VarianceStops", "observed"]
