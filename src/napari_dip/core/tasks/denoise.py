"""Denoising: the observation is the image plus noise (Gaussian, or Poisson counts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.restoration import estimate_sigma

from ..classical import denoise_nl_means, denoise_tv
from ..peers import denoise_bm3d, denoise_noise2void, missing
from .base import SKIP_4, Task, make_preset
from .options import NoOptions
from .parts import Form, Physics, Policy, VarianceStops


@dataclass(frozen=True)
class DenoisePolicy(Policy):
    def tv_weight(self, ctx):
        """``tv_weight=None``: 0.5 x the noise level of the observation (``estimate_sigma``, on [0, 1]).

        Measured against the defaults without it (benchmarks/denoise.py, docs/notes/benchmarks.md): +0.9 dB on
        F16 and +0.8 dB on cell (3 seeds each, Gaussian sigma 25), at about 1.7x the iterations. With
        ``noise="poisson"`` the data are variance-stabilised first (``core/noise.py``), so the same rule
        applies to their now Gaussian noise (benchmarks/peers.py).
        """
        if ctx.settings.tv_weight is not None:
            return super().tv_weight(ctx)
        y = ctx.y[(0, slice(None), *ctx.crop)].float().cpu().numpy()
        return 0.5 * float(estimate_sigma(y, channel_axis=0, average_sigmas=True))


def bm3d_estimate(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """``fill_input=True``: BM3D of the observation (non-local means without the bm3d package), in [0, 1].

    ``y`` is the fit's data: with the camera model already variance-stabilised (``ImageCodec``), so its
    noise is Gaussian and the sigma estimate is the right one for either noise model."""
    if missing("BM3D"):
        return np.clip(denoise_nl_means(y.astype(np.float64), channel_axis=0), 0, 1).astype(np.float32)
    return np.clip(denoise_bm3d(y.astype(np.float64), channel_axis=0), 0, 1).astype(np.float32)


def bm3d_baseline(image: np.ndarray, axis, mask, inputs: dict) -> np.ndarray:
    """Compare's BM3D with the run's noise model: the camera model (``inputs["camera"]``, the resolved
    ``noise="auto"`` or the user's ``"poisson"``) runs BM3D on the generalised Anscombe transform; Gaussian
    noise on the sigma estimate (scikit-image's ``estimate_sigma``, which on real camera data sees about a
    third of the noise)."""
    return denoise_bm3d(image, channel_axis=axis, camera=inputs.get("camera"))


#: Compare names it "BM3D (camera model)" when the run's noise model is the camera's.
bm3d_baseline.uses_camera = True  # type: ignore[attr-defined]


TASK = Task(
    name="denoise",
    form=Form(label="denoise", options=NoOptions,
              hint="Remove noise; needs only the image."),
    # F16 denoising: 128/128/4 bilinear, noise(32), lr 0.01, 3000 its, reg 1/30, EMA 0.99
    policy=DenoisePolicy({"denoise": make_preset(SKIP_4, iterations=3000, reg_noise_std=1 / 30,
                                                 early_stop=True, backtrack=True)}),
    physics=Physics(),  # the identity: the observation is the image (plus noise)
    stop=VarianceStops(),  # noisy data, nothing to hold out
    estimate=bm3d_estimate,
    baselines={
        "non-local means": lambda image, axis, mask, inputs: denoise_nl_means(image, channel_axis=axis),
        "total variation": lambda image, axis, mask, inputs: denoise_tv(image, channel_axis=axis),
        "BM3D": bm3d_baseline,
        "Noise2Void": lambda image, axis, mask, inputs: denoise_noise2void(image, channel_axis=axis),
    },
)
