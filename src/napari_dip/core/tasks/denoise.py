"""Denoising: the observation is the image plus noise (Gaussian, or Poisson counts).

Its catalog entry (``core/tasks/catalog.py``): the preset, :class:`~.policy.DenoisePolicy` (the
total-variation weight from the noise level) and the baselines (non-local means, TV, BM3D, Noise2Void).
"""

from __future__ import annotations

import numpy as np

from ..classical import denoise_nl_means
from ..peers import denoise_bm3d, missing
from .base import Task
from .catalog import entry
from .parts import ObservationModel, VarianceStops


def bm3d_guess(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """``fill_input=True``: BM3D of the observation (non-local means without the bm3d package), in [0, 1].

    ``y`` is the fit's data: with the camera model already variance-stabilised (``ImageCodec``), so its
    noise is Gaussian and the sigma estimate is the right one for either noise model."""
    if missing("BM3D"):
        return np.clip(denoise_nl_means(y.astype(np.float64), channel_axis=0), 0, 1).astype(np.float32)
    return np.clip(denoise_bm3d(y.astype(np.float64), channel_axis=0), 0, 1).astype(np.float32)


TASK = Task.of(
    entry("denoise"),
    observation=ObservationModel(),  # the identity: the observation is the image (plus noise)
    stop=VarianceStops(),  # noisy data, nothing to hold out
    initial_guess=bm3d_guess,
)
