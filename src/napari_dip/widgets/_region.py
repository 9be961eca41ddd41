"""Region-of-interest arithmetic: a rectangle in world coordinates to pixel slices of an image (napari-free).

The image's last two (spatial) axes have pixel size ``scale`` and origin
``translate`` (napari's convention: the centre of pixel ``i`` is at
``translate + i * scale``, so pixel ``i`` covers ``[i - 0.5, i + 0.5]`` in data
coordinates). A region is every pixel that the rectangle overlaps, clipped to
the image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Rounding slack, in pixels: a rectangle drawn exactly on pixel edges does not take the next pixel.
_EPS = 1e-6


class RegionError(ValueError):
    """The rectangle does not make a region of the image (empty, or outside it)."""


@dataclass(frozen=True)
class Region:
    """Pixels ``offset`` to ``offset + shape`` of an image's last two axes (full resolution)."""

    offset: tuple[int, int]
    shape: tuple[int, int]

    @property
    def slices(self) -> tuple[slice, slice]:
        return tuple(slice(o, o + s) for o, s in zip(self.offset, self.shape, strict=False))

    def as_dict(self) -> dict[str, list[int]]:
        """For a layer's metadata (JSON-friendly)."""
        return {"offset": list(self.offset), "shape": list(self.shape)}

    def __str__(self) -> str:
        (y, x), (h, w) = self.offset, self.shape
        return f"{h}x{w} px at ({y}, {x})"


def region_of(corners, *, scale: Sequence[float], translate: Sequence[float],
              shape: Sequence[int]) -> Region:
    """The pixels of an image that a rectangle covers, clipped to the image.

    ``corners``: points of the rectangle in world coordinates, shape ``(n, 2)``
    (two opposite corners, or all four; their bounding box is used).
    ``scale``, ``translate``, ``shape``: the image's last two axes at full
    resolution. Raises :class:`RegionError` for a rectangle of no area or one
    that misses the image.
    """
    pts = np.asarray(corners, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2 or not np.all(np.isfinite(pts)):
        raise RegionError(f"a region needs the corners of a 2D rectangle, got {pts.shape}.")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if np.any(hi - lo <= 0):
        raise RegionError("the region is empty: the rectangle has no area; draw it again.")
    scale, translate = np.asarray(scale, dtype=float), np.asarray(translate, dtype=float)
    if np.any(scale <= 0):
        raise RegionError(f"the image's scale {tuple(scale)} is not positive.")
    # data coordinates of the edges; pixel i overlaps [a, b] when i + 0.5 > a and i - 0.5 < b
    a, b = (lo - translate) / scale, (hi - translate) / scale
    start = [math.floor(v + 0.5 + _EPS) for v in a]
    stop = [math.ceil(v + 0.5 - _EPS) for v in b]
    start = [max(s, 0) for s in start]
    stop = [min(s, int(n)) for s, n in zip(stop, shape, strict=False)]
    if any(e <= s for s, e in zip(start, stop, strict=False)):
        world = ", ".join(f"{u:.4g}..{v:.4g}" for u, v in zip(lo, hi, strict=False))
        extent = ", ".join(
            f"{t - d / 2:.4g}..{t + (n - 0.5) * d:.4g}"
            for t, d, n in zip(translate, scale, shape, strict=False)
        )
        raise RegionError(
            f"the region is outside the image: the rectangle spans {world}, the image {extent} "
            "(world coordinates, rows then columns)."
        )
    return Region(offset=(start[0], start[1]), shape=(stop[0] - start[0], stop[1] - start[1]))
