"""An explicit denoiser as a prior in the fit: Regularisation by Denoising, as DeepRED does it.

DeepRED (Mataev, Elad and Milanfar, ICCV workshops 2019) adds to the DIP loss
a RED term that pulls the network's output ``x`` towards a classical
denoiser's output ``D(x)``, without differentiating the denoiser: ADMM keeps
an auxiliary image that only the denoiser updates. Here the auxiliary image is
``D(x)`` of the latest output, refreshed every ``every`` iterations (a
fixed-point step of RED, lagged), and the term is ``weight x MSE(x, D(x))``:
between refreshes the network is fitted to the observation and to the
denoiser's last estimate at once. The denoiser is BM3D (``bm3d``, the peers
extra) or scikit-image's non-local means, at the noise level of the
observation.
"""

from __future__ import annotations

import numpy as np
import torch
from skimage.restoration import denoise_nl_means, estimate_sigma

from ..peers import denoise_bm3d, missing
from .losses import mse

DENOISERS = ("bm3d", "nlm")


class DenoiserPrior:
    """``prior(out, t)``: the RED penalty of output ``out`` ``(1, C, *spatial)`` in [0, 1] at iteration
    ``t``."""

    def __init__(self, y: torch.Tensor, crop: tuple, *, weight: float, every: int, denoiser: str = "bm3d"):
        if denoiser not in DENOISERS:
            raise ValueError(f"denoiser must be one of {DENOISERS}, got {denoiser!r}")
        if denoiser == "bm3d" and missing("BM3D"):
            raise ValueError(
                f"denoiser='bm3d' needs the bm3d package: {missing('BM3D')}; or use denoiser='nlm'."
            )
        self.weight, self.every, self.denoiser = float(weight), max(1, int(every)), denoiser
        self.index = (0, slice(None), *crop)
        observed = y[self.index].float().cpu().numpy()
        self.sigma = float(estimate_sigma(observed, channel_axis=0, average_sigmas=True))
        self.target: torch.Tensor | None = None

    def denoise(self, chw: np.ndarray) -> np.ndarray:
        """The denoiser on ``(C, *spatial)`` in [0, 1] at the observation's noise level."""
        if self.denoiser == "bm3d":
            return denoise_bm3d(chw.astype(np.float64), channel_axis=0, sigma=self.sigma)
        if chw.ndim == 4:  # a volume: non-local means per channel
            return np.stack(
                [denoise_nl_means(c, h=0.8 * self.sigma, sigma=self.sigma, fast_mode=True) for c in chw]
            )
        return denoise_nl_means(chw, h=0.8 * self.sigma, sigma=self.sigma, fast_mode=True, channel_axis=0)

    def __call__(self, out: torch.Tensor, t: int) -> torch.Tensor:
        if self.target is None or t % self.every == 0:
            current = out.detach()[self.index].float().cpu().numpy()
            target = torch.from_numpy(np.ascontiguousarray(self.denoise(current), dtype=np.float32))
            self.target = target[None].to(out.device)
        return self.weight * mse(out[(slice(None), *self.index[1:])], self.target)


def denoiser_prior(ctx) -> DenoiserPrior | None:
    """The run's RED term (``denoiser_weight`` > 0), or None."""
    s = ctx.settings
    weight = float(getattr(s, "denoiser_weight", 0.0) or 0.0)
    if weight <= 0:
        return None
    return DenoiserPrior(ctx.y, ctx.crop, weight=weight, every=s.denoiser_every, denoiser=s.denoiser)
