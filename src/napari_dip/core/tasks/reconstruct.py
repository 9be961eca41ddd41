"""Reconstruction from a (random) subset of pixels: a mask with scattered holes.

The observation model is inpainting's (the pixels outside the mask were observed); the preset, the
thin-mask rules and the biharmonic baseline are its catalog entry (``core/tasks/catalog.py``).
"""

from __future__ import annotations

from .base import Task
from .catalog import entry
from .inpaint import MaskObservation, biharmonic_guess

TASK = Task.of(entry("reconstruct"), observation=MaskObservation(), initial_guess=biharmonic_guess)
