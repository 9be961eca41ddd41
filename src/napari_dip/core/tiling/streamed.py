"""The whole image's normalisation from its blocks: what :meth:`ImageCodec.fit` computes, streamed.

``napari-dip batch --tile`` fits each tile in its own task, and every tile must map values the same
way as the whole image does. :func:`value_mapping` computes that mapping once, from blocks of the
image read one at a time (any block size, any order), so that no process holds the whole image:

- ``"minmax"``: the finite minimum and maximum, one pass, exact;
- ``"percentile"``: the 0.1 and 99.9 percentiles of the finite values, exact as well (the same numbers
  as ``np.percentile``'s linear interpolation): a histogram pass over the values finds the bins holding
  the order statistics needed, further passes narrow a bin down until its few values are gathered and
  sorted (two passes on ordinary images).

:func:`mapped_codec` turns the numbers into an :class:`~.data.ImageCodec` for one region (or the
whole image). Only the plain mapping is streamed: a noise model's transform (``noise="poisson"``)
is estimated from the whole image and is not handled here. No torch, no napari.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..data import PERCENTILE_WINDOW, PERCENTILES, ImageCodec, check_dtype, is_rgba, normalize_axis

#: Bins of one histogram pass of the percentile search.
BINS = 4096
#: A bin holding at most this many values is gathered and sorted (8 bytes each).
GATHER = 1 << 21


def _values(block: np.ndarray, rgba_axis: int | None) -> np.ndarray:
    """The finite values of a block as float64, 1D (RGBA: the colour channels only)."""
    check_dtype(block)
    if rgba_axis is not None:
        block = np.take(block, [0, 1, 2], axis=rgba_axis)
    values = block[np.isfinite(block)] if block.dtype.kind == "f" else block.ravel()
    return values.astype(np.float64)


def value_mapping(blocks: Callable[[], Iterable[np.ndarray]], shape: tuple, *,
                  channel_axis: int | None = None, normalize: str = "minmax") -> dict:
    """The value mapping of the image of ``shape`` whose blocks ``blocks()`` yields (each call a new pass).

    Returns ``{"lo", "hi", "window", "vmin", "vmax"}``, the numbers of ``ImageCodec.fit(image,
    channel_axis, normalize=normalize)`` (no transform). Raises the same ``ValueError``s: no finite
    value, a range too wide, an unknown ``normalize``, a dtype napari-dip does not restore.
    """
    if normalize not in ("minmax", "percentile"):
        raise ValueError(f"normalize must be one of ('minmax', 'percentile'), got {normalize!r}")
    axis = normalize_axis(channel_axis, len(shape))
    rgba_axis = axis if is_rgba(tuple(shape), axis) else None
    n, vmin, vmax = 0, np.inf, -np.inf
    for block in blocks():
        v = _values(np.asarray(block), rgba_axis)
        if v.size:
            n, vmin, vmax = n + v.size, min(vmin, float(v.min())), max(vmax, float(v.max()))
    if n == 0:
        raise ValueError("image has no finite values (all NaN or inf): nothing to restore.")
    if not np.isfinite(vmax - vmin):
        raise ValueError(f"image values span [{vmin:g}, {vmax:g}], too wide a range to normalise; "
                         "rescale the image first.")
    lo, hi, window = vmin, vmax, (0.0, 1.0)
    if normalize == "percentile":
        plo, phi = _percentiles(lambda: (_values(np.asarray(b), rgba_axis) for b in blocks()), n, vmin, vmax)
        if phi > plo:  # as ImageCodec.fit: a mostly constant image keeps its min and max
            lo, hi, window = plo, phi, PERCENTILE_WINDOW
    exact = window == (0.0, 1.0)
    return {"lo": lo, "hi": hi, "window": list(window), "vmin": None if exact else vmin,
            "vmax": None if exact else vmax}


def mapped_codec(mapping: dict, shape: tuple, dtype, channel_axis: int | None = None,
                 alpha: np.ndarray | None = None) -> ImageCodec:
    """The codec of an image (or a region of it) of ``shape`` with the whole image's ``mapping``;
    ``alpha``: the region's alpha channel of an RGBA image (kept aside, as :meth:`ImageCodec.fit` does)."""
    axis = normalize_axis(channel_axis, len(shape))
    return ImageCodec(tuple(shape), np.dtype(dtype), axis, float(mapping["lo"]), float(mapping["hi"]), alpha,
                      tuple(mapping["window"]), mapping["vmin"], mapping["vmax"], None, 2)


def _percentiles(values: Callable[[], Iterable[np.ndarray]], n: int, vmin: float,
                 vmax: float) -> tuple[float, float]:
    """``np.percentile(all values, PERCENTILES)`` (linear interpolation) from passes over ``values()``."""
    q = np.true_divide(np.asarray(PERCENTILES, dtype=np.float64), 100)
    virtual = (n - 1) * q  # numpy's "linear" method: the virtual index of each percentile
    prev = np.floor(virtual)
    ranks = set()
    for v, p in zip(virtual, prev, strict=True):
        ranks |= {n - 1} if v >= n - 1 else {int(p), int(p) + 1}
    found = _order_statistics(values, sorted(ranks), n, vmin, vmax)
    out = []
    for v, p in zip(virtual, prev, strict=True):
        if v >= n - 1:
            out.append(found[n - 1])
            continue
        a, b, t = found[int(p)], found[int(p) + 1], v - p
        out.append(float(b - (b - a) * (1 - t)) if t >= 0.5 else float(a + (b - a) * t))  # numpy's _lerp
    return out[0], out[1]


def _order_statistics(values, ranks: list[int], n: int, vmin: float, vmax: float) -> dict[int, float]:
    """The ``ranks``-th smallest values (0-based). Each rank narrows ``[a, b]`` (values in it: ``count``,
    values below: ``below``) with one histogram per pass until its bin is gathered whole."""
    state = {k: (vmin, vmax, 0, n) for k in ranks}
    found: dict[int, float] = {}
    while len(found) < len(ranks):
        todo = {s for k, s in state.items() if k not in found}
        result = _one_pass(values, todo)
        for k, (a, b, below, count) in state.items():
            if k in found:
                continue
            got = result[(a, b, below, count)]
            if isinstance(got, np.ndarray):  # the gathered values of [a, b], sorted
                found[k] = float(got[k - below])
                continue
            counts, mins, maxs = got
            cum = np.cumsum(counts)
            j = int(np.searchsorted(cum, k - below, side="right"))
            before = below + (int(cum[j - 1]) if j else 0)
            if mins[j] == maxs[j]:
                found[k] = float(mins[j])
            else:
                state[k] = (float(mins[j]), float(maxs[j]), before, int(counts[j]))
    return found


def _one_pass(values, todo: set) -> dict:
    """For each interval ``(a, b, below, count)``: its values sorted (few enough), or a histogram of
    ``BINS`` bins with each bin's count, minimum and maximum. A value's bin is monotone in the value, so
    the values of one bin are exactly those between its minimum and maximum."""
    gather: dict[tuple, list] = {s: [] for s in todo if s[3] <= GATHER}
    hist = {s: (np.zeros(BINS, np.int64), np.full(BINS, np.inf), np.full(BINS, -np.inf))
            for s in todo if s[3] > GATHER}
    for v in values():
        for (a, b, _, _), parts in gather.items():
            parts.append(v[(v >= a) & (v <= b)])
        for (a, b, _, _), (counts, mins, maxs) in hist.items():
            inside = v[(v >= a) & (v <= b)]
            j = np.minimum(((inside - a) / (b - a) * BINS).astype(np.int64), BINS - 1)
            counts += np.bincount(j, minlength=BINS)
            np.minimum.at(mins, j, inside)
            np.maximum.at(maxs, j, inside)
    out: dict = {s: np.sort(np.concatenate(parts)) for s, parts in gather.items()}
    out.update(hist)
    return out
