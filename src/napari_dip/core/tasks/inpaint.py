"""Inpainting: the pixels under a mask (a napari Labels layer) were not observed.

Its preset rule, measured on 8 holes and checked on 5 others (benchmarks/hole_rule.py,
docs/notes/benchmarks.md): a missing region at least ``hole_radius`` px deep (the distance from
its deepest pixel to an observed one) in a *textured* surround (``surround_texture`` at
least ``hole_texture``: brick, grass, gravel, text) selects the ``hole`` preset (deep, no
skip connections, meshgrid input; report 002), which copies texture across the hole;
every other mask (thin damage, or a hole in a smooth or edged surround, where the hole
preset lost up to 3.7 dB) the ``inpaint`` preset. The hole's depth alone does not
decide: the hole preset won on 12 px holes in brick and lost on 32-40 px holes in photographs.
``fill_input="auto"`` feeds the biharmonic fill as input channels only for masks no deeper
than ``fill_radius`` (measured: +1.5 dB on text, -2.0 dB on the library hole). The same
thin masks get the narrower CPU network (32 channels: a tie on text and dropped pixels at
about half the time); deeper holes keep 64 (32 lost 0.65 dB on the library hole,
benchmarks/network_size.py).

Fits in windows (``extent``, core/engine/windows.py): the observed pixels that explain a hole are
taken to reach ``CONTEXT_DEPTHS`` times the deepest hole's depth from it, at least ``MIN_CONTEXT`` px:
the texture measure reads a ring up to one depth wide around the hole, and the hole preset copies
texture across the hole (two depths wide), so three depths give every hole a surround wider than
itself. A choice, checked by benchmarks/real_size.py (PSNR in the holes, windows against the whole
image).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classical import inpaint_biharmonic
from .base import SKIP_4, Task, make_preset
from .options import MaskOptions
from .parts import Form, Physics, ThinMaskPolicy

#: Context of a window (see the module's docstring): this many hole depths, at least MIN_CONTEXT px.
CONTEXT_DEPTHS = 3
MIN_CONTEXT = 32

HOLE_NETWORK = dict(
    arch="skip",
    channels_down=[16, 32, 64, 128, 128, 128],
    channels_up=[16, 32, 64, 128, 128, 128],
    channels_skip=0,
    depth=6,
    filter_size_down=5,
    filter_size_up=3,
    need1x1_up=False,
    upsample_mode="nearest",
)


def biharmonic_fill(y: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Biharmonic inpainting of ``y`` ``(C, *spatial)`` where ``known`` is 0 (2D or 3D)."""
    if not (known == 0).any():
        return y
    out = inpaint_biharmonic(np.moveaxis(y, 0, -1), known == 0, channel_axis=-1)
    return np.clip(np.moveaxis(out, -1, 0), 0, 1).astype(np.float32)


class MaskPhysics(Physics):
    """Only the pixels outside the mask were observed (:class:`~napari_dip.core.physics.Mask`); the network
    invents the image under it."""

    keeps_known = True

    def operator(self, ctx):
        from ..physics import Mask  # torch: task metadata loads without it

        return Mask(ctx.known)

    def fill_region(self, ctx):
        return super().fill_region(ctx) * (1 - ctx.known)


@dataclass(frozen=True)
class InpaintPolicy(ThinMaskPolicy):
    """The hole rule (see the module's docstring) on top of the thin-mask rules."""

    def choose_preset(self, settings, damage):
        deep, textured = damage.depth >= settings.hole_radius, damage.texture >= settings.hole_texture
        if deep and textured:
            return "hole", (
                f"largest missing region is {damage.depth:.0f} px deep (>= hole_radius) in a textured "
                f"surround (texture {damage.texture:.2f} >= hole_texture)"
            )
        if deep:
            return "inpaint", (f"largest missing region is {damage.depth:.0f} px deep, in a surround "
                               f"without fine texture (texture {damage.texture:.2f} < hole_texture)")
        return "inpaint", "task default"

    def context_margin(self, settings, damage):
        return max(float(MIN_CONTEXT), CONTEXT_DEPTHS * damage.depth)


def biharmonic_estimate(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    return biharmonic_fill(y, known)


BASELINES = {
    "biharmonic": lambda image, axis, mask, inputs: inpaint_biharmonic(image, mask, channel_axis=axis)
}

TASK = Task(
    name="inpaint",
    form=Form(label="inpaint", options=MaskOptions,
              hint="Fill the painted (missing) pixels; needs a mask (a Labels layer)."),
    policy=InpaintPolicy(
        {
            # kate text inpainting: 128/128/128 nearest, noise(32), lr 0.01, 6001 its, reg 0.03
            "inpaint": make_preset(dict(SKIP_4, channels_skip=128, upsample_mode="nearest"), iterations=6000,
                                   reg_noise_std=0.03, early_stop=True),
            # library large hole: depth 6, no skips, 5x5 down / 3x3 up, no 1x1 up; meshgrid input (report 002)
            "hole": make_preset(HOLE_NETWORK, input="meshgrid", input_depth=2, iterations=3000,
                                reg_noise_std=0.0, early_stop=True),
        },
        cpu_width=32,  # thin masks; holes deeper than fill_radius, or the hole preset: 64
        deep_presets=("hole",),
    ),
    physics=MaskPhysics(),
    estimate=biharmonic_estimate,
    baselines=BASELINES,
)
