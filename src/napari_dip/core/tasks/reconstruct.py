"""Reconstruction from a (random) subset of pixels: a mask with scattered holes."""

from __future__ import annotations

from .base import SKIP_4, Task, make_preset
from .inpaint import BASELINES, MaskPhysics, biharmonic_estimate
from .options import MaskOptions
from .parts import Form, ThinMaskPolicy


class SubsetPhysics(MaskPhysics):
    def operator(self, ctx):
        from ..physics import PixelSubset  # torch: task metadata loads without it

        return PixelSubset(ctx.known)


TASK = Task(
    name="reconstruct",
    form=Form(label="reconstruct", options=MaskOptions,
              hint="Rebuild an image of which only some pixels were measured; needs a mask of the "
                   "unmeasured ones."),
    # barbara 50% pixels: 128/128/4 bilinear, noise(32), reg 0.03 (lr 0.001 x 11000 its in the paper;
    # 0.01 x 3000 reaches the same level far sooner on the sizes napari users fit interactively)
    policy=ThinMaskPolicy({"reconstruct": make_preset(SKIP_4, iterations=3000, reg_noise_std=0.03,
                                                      backtrack=True, early_stop=True)},
                          cpu_width=32),  # scattered holes are thin: 32 channels on a CPU, as inpaint's
    physics=SubsetPhysics(),
    estimate=biharmonic_estimate,
    baselines=BASELINES,
)
