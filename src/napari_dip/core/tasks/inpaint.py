"""Inpainting: the pixels under a mask (a napari Labels layer) were not observed.

Its catalog entry (``core/tasks/catalog.py``): the two presets, :class:`~.policy.InpaintPolicy` (the rule
below) and the biharmonic baseline.

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
taken to reach ``CONTEXT_DEPTHS`` (``core/tasks/policy.py``) times the deepest hole's depth from it, at
least ``MIN_CONTEXT`` px:
the texture measure reads a ring up to one depth wide around the hole, and the hole preset copies
texture across the hole (two depths wide), so three depths give every hole a surround wider than
itself. A choice, checked by benchmarks/real_size.py (PSNR in the holes, windows against the whole
image).
"""

from __future__ import annotations

import numpy as np

from ..classical import inpaint_biharmonic
from ..physics import Mask
from .base import Task
from .catalog import entry
from .parts import ObservationModel


def biharmonic_fill(y: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Biharmonic inpainting of ``y`` ``(C, *spatial)`` where ``known`` is 0 (2D or 3D)."""
    if not (known == 0).any():
        return y
    out = inpaint_biharmonic(np.moveaxis(y, 0, -1), known == 0, channel_axis=-1)
    return np.clip(np.moveaxis(out, -1, 0), 0, 1).astype(np.float32)


class MaskObservation(ObservationModel):
    """Only the pixels outside the mask were observed (:class:`~napari_dip.core.physics.Mask`); the network
    invents the image under it."""

    keeps_known = True

    def operator(self, ctx):
        return Mask(ctx.known)

    def fill_region(self, ctx):
        return super().fill_region(ctx) * (1 - ctx.known)


def biharmonic_guess(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    return biharmonic_fill(y, known)


TASK = Task.of(entry("inpaint"), observation=MaskObservation(), initial_guess=biharmonic_guess)
