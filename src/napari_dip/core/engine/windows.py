"""Fits that follow the damage: a window around each group of missing pixels instead of the whole image.

Inpainting two small holes in a 2048² image should not cost a fit of the whole image: only the observed
pixels near a hole carry information about it. For a task whose mask marks sparse damage (the registry
says so: ``form.needs_mask``, ``observation.keeps_known`` and a context margin from the task's policy,
``Policy.context_margin``), :func:`plan` cuts each plane into windows:

1. each connected group of missing pixels (8-connected; the user's mask and NaN/inf pixels) gets its
   bounding box, grown by the **context margin** on every side: the task's hole rule says how far the
   observed pixels that explain a hole reach (``InpaintPolicy``: three times the deepest hole's depth,
   at least 32 px), and the margin is never less than half the side the network needs to keep its
   full depth (``Architecture.min_side``);
2. every window is grown to at least that side (``min_side``), inside the image;
3. windows that overlap or nearly touch (less than :data:`NEAR` px apart) become one box, until none
   do.

The driver fits each window as it fits a tile (:func:`.driver.tiles_of`, the same plan and loop), pastes
it into the whole image with weight 1 (windows never overlap) and copies the observed pixels from the
input (``keep_known``), so the known pixels are the input's, bit for bit.

``extent`` (:class:`~napari_dip.core.settings.Settings`): ``"windows"``, ``"whole"`` (one fit of the
whole image, as before), or ``"auto"``: windows when the task has local damage, the image is a plane
(``mode="plane"``), and the windows of every plane cover less than :data:`AUTO_SHARE` of it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from ..networks import architecture
from . import checks

#: ``extent="auto"`` fits windows when they cover less than this share of every plane.
AUTO_SHARE = 0.5
#: Windows less than this many pixels apart are merged into one.
NEAR = 16

Box = tuple[int, int, int, int]


def window_boxes(missing: np.ndarray, margin: int, min_side: int, near: int = NEAR) -> list[Box]:
    """``(y0, y1, x0, x1)`` windows around the missing pixels of a 2D plane, in row order (see the module)."""
    shape = missing.shape
    labels, _ = ndi.label(missing, structure=np.ones((3, 3), bool))
    boxes = []
    for sl in ndi.find_objects(labels):
        if sl is None:
            continue
        box = (sl[0].start - margin, sl[0].stop + margin, sl[1].start - margin, sl[1].stop + margin)
        boxes.append(_grow(_clip(box, shape), min_side, shape))
    return sorted(_merge(boxes, near))


def _clip(box: Box, shape: tuple[int, ...]) -> Box:
    y0, y1, x0, x1 = box
    return max(0, y0), min(shape[0], y1), max(0, x0), min(shape[1], x1)


def _grow(box: Box, side: int, shape: tuple[int, ...]) -> Box:
    """``box`` grown about its centre to at least ``side`` px per axis, shifted to stay in the image."""
    out = []
    for (a, b), n in zip(((box[0], box[1]), (box[2], box[3])), shape, strict=True):
        want = min(n, max(side, b - a))
        a = max(0, min(a - (want - (b - a)) // 2, n - want))
        out += [a, a + want]
    return out[0], out[1], out[2], out[3]


def _close(a: Box, b: Box, near: int) -> bool:
    """Overlapping, or less than ``near`` px apart along both axes."""
    return a[0] < b[1] + near and b[0] < a[1] + near and a[2] < b[3] + near and b[2] < a[3] + near


def _merge(boxes: list[Box], near: int) -> list[Box]:
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _close(boxes[i], boxes[j], near):
                    a, b = boxes[i], boxes.pop(j)
                    boxes[i] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    merged = True
                    break
            if merged:
                break
    return boxes


def share(windows: dict[tuple, list[Box]], plane: tuple[int, ...]) -> float:
    """The largest share of a plane that its windows cover."""
    area = plane[-2] * plane[-1]
    return max((sum((b[1] - b[0]) * (b[3] - b[2]) for b in boxes) / area for boxes in windows.values()),
               default=0.0)


def margin_and_side(task, settings, fit, damage) -> tuple[int, int] | None:
    """The context margin and the smallest window side of the run, or None where the task has no local
    damage to window (no mask, observed pixels not kept as they are, no margin rule in its policy)."""
    if not (task.form.needs_mask and task.observation.keeps_known and fit.keep_known):
        return None
    context = task.policy.context_margin(settings, damage)
    if context is None:
        return None
    side = architecture(fit.arch).min_side(fit.net_spec)
    return max(int(math.ceil(context)), side // 2), side


def plan(image, codec, planes: list, mask, task, settings, fit, damage, *, nd: int, scale: int):
    """``{plane index: windows}`` of the run, or None for one fit of the whole plane (``extent``)."""
    extent = getattr(settings, "extent", "whole")
    if extent == "whole":
        return None
    sizes = margin_and_side(task, settings, fit, damage) if nd == 2 and scale == 1 else None
    if sizes is None:
        if extent == "windows":
            raise ValueError("extent='windows' needs a task whose mask marks the missing pixels it fills "
                             "(inpaint) on 2D planes (mode='plane'); use extent='whole' or 'auto'.")
        return None
    margin, side = sizes
    windows = {}
    for idx in planes:
        masked, nonfinite = checks.plane_missing(image, codec, mask, idx)
        windows[idx] = window_boxes(masked | nonfinite, margin, side)
    if extent == "auto" and share(windows, codec.plane_shape) >= AUTO_SHARE:
        return None
    return windows
