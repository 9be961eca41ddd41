"""Blending: fuse a foreground into a background under a mask (report 001, section 4.2 and appendix A3).

The network is fitted to a :class:`~napari_dip.core.blending.loss.BlendLoss`
(the background outside the mask, the foreground's gradients inside it, a blend
of both in the soft transition band) instead of a data loss through a forward
operator: its "operator" is the identity and its loss compares the output with
two images. It runs on the same driver as restoration
(:func:`napari_dip.blend`).
"""

from __future__ import annotations

import numpy as np

from ..blending.poisson import poisson_blend
from ..blending.pyramid import alpha_blend, laplacian_blend
from .base import SKIP_4, Task, make_preset
from .options import BlendOptions
from .parts import Form, Physics, Policy, VarianceStops

#: Iterations when ``iterations=None``: at the sizes napari users blend
#: interactively (up to ~512 px) the loss has flattened well before this.
DEFAULT_ITERATIONS = 1000


class BlendPhysics(Physics):
    """The identity: the output is compared with the two images by the blend's own loss."""

    def check_inputs(self, inputs, *, nd, channels):
        return {}

    def describe(self, inputs):
        return {}


def blend_objective(ctx):
    """The :class:`~napari_dip.core.blending.loss.BlendLoss` of one fit, over the image (padding cropped)."""
    import torch

    from ..blending.loss import BlendLoss  # torch: task metadata loads without it

    s, extras = ctx.settings, ctx.data.extras
    to_t = lambda a: torch.from_numpy(a)[None].to(ctx.device)  # noqa: E731
    loss = BlendLoss(
        to_t(extras["foreground"]),
        to_t(ctx.data.x),
        to_t(extras["alpha"][None]),
        weights=s.weights,
        iterations=max(1, round(ctx.fit.iterations / float(s.anneal_end))),
        c=float(s.anneal_c),
        low_freq_kernel=s.low_freq_kernel,
        illum_sigma=s.illum_sigma,
        grad_scales=tuple(s.grad_scales),
        structure_sigma=float(s.structure_sigma),
        dir_eps=float(s.dir_eps),
    )
    index = (slice(None), slice(None), *ctx.crop)

    def loss_fn(out, t):
        return loss(out[index], t)

    return loss_fn


def poisson_start(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """The Poisson composite (``fill_input``), reflect-padded like the background ``y``."""
    start = inputs["start"]
    pads = [(0, 0)] + [(0, n - s) for n, s in zip(y.shape[1:], start.shape[1:], strict=False)]
    return np.pad(start, pads, mode="reflect")


TASK = Task(
    name="blend",
    form=Form(label="blend", options=BlendOptions, kind="blend"),
    # the paper's blending network: 128/128/4 skip hourglass, bilinear (channels capped by ``width``).
    # No noise on the input: against 1/30, GFF up on all four test pairs (+0.03 to +0.06) and masked
    # SSIM up on three (down 0.03 on the smooth sky) at 128 px, 1000 iterations (docs/notes/blending.md).
    policy=Policy(
        {"blend": make_preset(SKIP_4, iterations=DEFAULT_ITERATIONS, reg_noise_std=0.0)},
        # 32 channels on a CPU: GFF -0.003 to +0.009 and masked SSIM +0.001 to +0.011 against 64 on the four
        # pairs (128 px, 1000 iterations, one seed), 1.5-1.7x sooner (docs/notes/blending.md, a narrower
        # network)
        cpu_width=32,
        # fill_input="auto": start from the Poisson composite. Without input noise it ties the fit from
        # noise on the two grey test pairs and is ahead on the other two (the smooth sky's masked SSIM, both
        # metrics on stained tissue); with the old 1/30 it was ahead on all four (docs/notes/blending.md).
        fill_input=True,
    ),
    physics=BlendPhysics(),
    stop=VarianceStops(),
    estimate=poisson_start,
    baselines={"alpha": alpha_blend, "laplacian": laplacian_blend, "poisson": poisson_blend},
    objective=blend_objective,
)
