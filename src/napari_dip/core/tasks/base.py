"""What a task is: a name and the parts that say how an observation was made and how to undo it.

A :class:`Task` composes a :class:`~.parts.Form` (what the forms show), a
:class:`~.parts.Physics` (the forward model), a :class:`~.parts.Policy` (presets
and the rules that pick from the data), a stop factory (:class:`~.parts.ChangeStops`
or :class:`~.parts.VarianceStops`), its classical initial estimate and its
classical baselines. The noise model is the user's ``noise=`` option
(``core/noise.py``), turned into the data term of every task's loss by
``core/engine/likelihood.py``. The driver (``core/engine/``), :func:`napari_dip.restore`,
the command line and the widgets read these parts; none of them compares task names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..engine.types import FitContext
from .parts import ChangeStops, Form, Physics, Policy, VarianceStops

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


def observation(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """The default initial estimate: the observation itself."""
    return y


@dataclass
class Task:
    """A task of the registry (``core/tasks/<name>.py`` defines ``TASK``).

    ``estimate(y, known, inputs)``: the classical estimate fed as input channels (``fill_input``),
    ``(C, *out_spatial)`` in [0, 1]. ``baselines``: classical methods to compare with, the first the
    standard one, ``name -> f(image, channel_axis, mask, inputs) -> image``. ``objective``: a loss of the
    task's own instead of the data term through the physics (blending's).
    """

    name: str
    form: Form
    policy: Policy
    physics: Physics = field(default_factory=Physics)
    stop: ChangeStops | VarianceStops = field(default_factory=ChangeStops)
    estimate: Callable[[np.ndarray, np.ndarray, dict], np.ndarray] = observation
    baselines: dict[str, Callable] = field(default_factory=dict)
    objective: Callable[[FitContext], Callable] | None = None

    def build(self, ctx: FitContext) -> Callable:
        """The loss ``loss_fn(output, t)`` of one fit: the noise model's data term through the physics, plus
        the total-variation and explicit-denoiser terms (or the task's own ``objective``)."""
        if self.objective is not None:
            return self.objective(ctx)
        from ..engine.likelihood import data_term, regularised  # torch: task metadata loads without it

        op = self.physics.operator(ctx).to(ctx.device)
        term = data_term(op, ctx, stabilised_data=self.physics.stabilise_data)
        return regularised(term, self.policy.tv_weight(ctx), ctx)


__all__ = ["SKIP_4", "ChangeStops", "Form", "Physics", "Policy", "Task", "VarianceStops", "make_preset",
           "observation"]
