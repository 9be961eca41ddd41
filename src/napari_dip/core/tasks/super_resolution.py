"""Super-resolution: the observation is the image down-sampled by ``factor`` (Lanczos-2 antialiasing).

Its catalog entry (``core/tasks/catalog.py``): the preset, :class:`~.policy.SuperResolutionPolicy` (8x: more
iterations), the factor's rules (:class:`~.inputs.FactorInputs`) and the bicubic baseline.
"""

from __future__ import annotations

import numpy as np

from ..classical import upscale
from ..physics import Downsampler
from .base import Task
from .catalog import entry
from .parts import ObservationModel


class DownsampleObservation(ObservationModel):
    """The observation is the image down-sampled by ``factor``
    (:class:`~napari_dip.core.physics.Downsampler`)."""

    def operator(self, ctx):
        return Downsampler(ctx.scale, ctx.channels)


def upscaled(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    return np.clip(upscale(y, inputs["factor"], channel_axis=0), 0, 1).astype(np.float32)


TASK = Task.of(entry("super_resolution"), observation=DownsampleObservation(), initial_guess=upscaled)
