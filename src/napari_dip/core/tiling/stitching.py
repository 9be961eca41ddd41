"""Stitching tiles into one plane: each tile's weight and the canvas the fits are put into.

Each tile's weight (:func:`tile_weights`) is 1 inside and falls off with a cosine ramp (``sin**2``)
across each overlap with a neighbour, reaching almost 0 at the tile's inner edges. Outputs are
stitched as ``sum(w_k * tile_k) / sum(w_k)``, so the normalised weights (:func:`stitch_weights`) sum
to exactly 1 at every pixel and no tile edge shows (two cosine ramps over the same overlap already
sum to 1). :class:`Canvas` holds a run's output in the user's layout and stitches the tiles' previews
into it as they come. No torch.
"""

from __future__ import annotations

import numpy as np

from ..data import repeat_pixels
from .boxes import tile_boxes, tile_starts


def _ramp_1d(start: int, stop: int, starts: list[int], length: int, scale: int) -> np.ndarray:
    """1D weights of the tile [start, stop) among tiles at ``starts`` (each ``length`` long).

    On the output grid, ``scale`` times finer than the tiles' coordinates.
    """
    n = (stop - start) * scale
    w = np.ones(n)
    i = np.arange(n) + 0.5
    before = [s for s in starts if s < start]
    after = [s for s in starts if s > start]
    if before:  # overlap with the previous tile: [start, prev_end)
        ov = (max(before) + length - start) * scale
        if ov > 0:
            w = np.minimum(w, np.where(i < ov, np.sin(0.5 * np.pi * np.minimum(i, ov) / ov) ** 2, 1.0))
    if after:  # overlap with the next tile: [next_start, stop)
        ov = (stop - min(after)) * scale
        if ov > 0:
            j = n - i
            w = np.minimum(w, np.where(j < ov, np.sin(0.5 * np.pi * np.minimum(j, ov) / ov) ** 2, 1.0))
    return w


def tile_weights(box: tuple[int, int, int, int], shape: tuple[int, int], tile: int, overlap: int,
                 scale: int = 1) -> np.ndarray:
    """Unnormalised stitching weight of ``box`` (output grid: ``scale`` x the box), shape ``(h*scale,
    w*scale)``."""
    ys = tile_starts(shape[0], tile, overlap)
    xs = tile_starts(shape[1], tile, overlap)
    y0, y1, x0, x1 = box
    wy = _ramp_1d(y0, y1, ys, y1 - y0, scale)
    wx = _ramp_1d(x0, x1, xs, x1 - x0, scale)
    return wy[:, None] * wx[None, :]


def stitch_weights(shape: tuple[int, int], tile: int, overlap: int, scale: int = 1) -> list[np.ndarray]:
    """Normalised weight of every tile on the whole (output) plane; they sum to 1 everywhere."""
    boxes = tile_boxes(shape, tile, overlap)
    total = np.zeros((shape[0] * scale, shape[1] * scale))
    maps = []
    for box in boxes:
        w = np.zeros_like(total)
        y0, y1, x0, x1 = (v * scale for v in box)
        w[y0:y1, x0:x1] = tile_weights(box, shape, tile, overlap, scale)
        maps.append(w)
        total += w
    return [w / total for w in maps]


class Canvas:
    """The output in the user's layout, and the stitching of tiles into one plane."""

    def __init__(self, job, result_image: np.ndarray):
        self.job, self.out = job, result_image
        self.pca = job.codec.plane_channel_axis(())

    def start_plane(self, idx: tuple, x: np.ndarray, missing: np.ndarray, tiled: bool) -> None:
        job = self.job
        self.idx, self.ui = idx, job.codec.user_index(idx)
        self.keep = None
        if job.keep:
            self.keep = ~missing if self.pca is None else np.expand_dims(~missing, self.pca)
        if tiled:
            s = job.scale
            plane_out = (x.shape[0], *x.shape[1:-2], x.shape[-2] * s, x.shape[-1] * s)
            self.acc, self.wsum = np.zeros(plane_out), np.zeros(plane_out[-2:])
            self.cur = repeat_pixels(x, s, (-2, -1)).astype(np.float64)

    def show(self, preview: np.ndarray, box_out: tuple | None, weight: np.ndarray | None, done: bool) -> None:
        """Put a fit's preview ``(C, *spatial)`` in [0, 1] into the output."""
        job = self.job
        if box_out is None:
            plane = preview
        else:
            sl, space = box_out, box_out[1:]
            self.cur[sl] = (self.acc[sl] + weight * preview) / (self.wsum[space] + weight)
            if done:
                self.acc[sl] += weight * preview
                self.wsum[space] += weight
                self.cur[sl] = self.acc[sl] / self.wsum[space]
            plane = self.cur
        self.out[self.ui] = job.codec.decode(plane, scale=job.scale, index=self.idx)
        if self.keep is not None:  # observed pixels copied from the input, exactly
            np.copyto(self.out[self.ui], job.image[self.ui], where=self.keep)


def initial_output(job) -> np.ndarray:
    """The output before any fit: the input (up-scaled by repetition for super-resolution)."""
    out = np.array(job.image, copy=True)
    if job.scale > 1:
        out = repeat_pixels(out, job.scale, [i for i in range(out.ndim) if i != job.codec.channel_axis][-2:])
    return out
