"""Super-resolution: the observation is the image down-sampled by ``factor`` (Lanczos-2 antialiasing)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classical import upscale
from .base import SKIP_4, Task, make_preset
from .options import SuperResolutionOptions
from .parts import Form, Physics, Policy

FACTORS = (2, 4, 8)


class DownsamplePhysics(Physics):
    """The observation is the image down-sampled by ``factor``
    (:class:`~napari_dip.core.physics.Downsampler`)."""

    def check_inputs(self, inputs, *, nd, channels):
        factor = inputs.get("factor")
        if factor not in FACTORS:
            raise ValueError(f"task 'super_resolution' needs factor=2, 4 or 8 (got {factor!r}).")
        if nd == 3:
            raise ValueError("task 'super_resolution' works plane by plane: use mode='plane'.")
        return {"factor": int(factor)}

    def scale(self, inputs):
        return int(inputs["factor"])

    def operator(self, ctx):
        from ..physics import Downsampler  # torch: task metadata loads without it

        return Downsampler(ctx.scale, ctx.channels, weight=ctx.weight)


@dataclass(frozen=True)
class SuperResolutionPolicy(Policy):
    def preset(self, name=None, inputs=None):
        """8x: twice the iterations and more input noise (the paper's)."""
        p = super().preset(name)
        if inputs and inputs.get("factor") == 8:
            p.update(iterations=2 * p["iterations"], reg_noise_std=0.05)
        return p


def upscaled(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    return np.clip(upscale(y, inputs["factor"], channel_axis=0), 0, 1).astype(np.float32)


TASK = Task(
    name="super_resolution",
    form=Form(label="super-resolution", options=SuperResolutionOptions,
              hint="Up-scale by a factor, adding detail consistent with the image."),
    # zebra 4x: 128/128/4 bilinear, noise(32), lr 0.01, 2000 its (8x: 4000), reg 0.03 (8x: 0.05)
    policy=SuperResolutionPolicy(
        {"super_resolution": make_preset(SKIP_4, iterations=2000, reg_noise_std=0.03, early_stop=True)},
        cpu_width=32,  # ties 64 on a CPU at about half the time (docs/notes/benchmarks.md, network size)
        fill_input=True,
    ),
    physics=DownsamplePhysics(),
    estimate=upscaled,
    baselines={
        "bicubic": lambda image, axis, mask, inputs: upscale(image, inputs["factor"], channel_axis=axis)
    },
)
