"""Uncompressed C-order arrays inside a file: read or write a box of one at its data offset.

What an uncompressed TIFF series stored in one piece is (tifffile's ``dataoffset``): the tile tasks of
``napari-dip batch --tile`` read their boxes this way (:mod:`.region`) and the streamed writer fills
a TIFF written empty (:func:`.formats.tiff_write`). Each contiguous run of the box is one read or
write; nothing outside the box is touched. No napari, no torch.
"""

from __future__ import annotations

import os

import numpy as np


def native(a: np.ndarray) -> np.ndarray:
    """``a`` in the machine's byte order (as tifffile returns pixels)."""
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def _bounds(shape: tuple, key: tuple) -> list[tuple[int, int]]:
    """``(start, stop)`` per axis of ``key`` (integers and step-1 slices) into an array of ``shape``."""
    return [(int(k), int(k) + 1) if isinstance(k, (int, np.integer)) else k.indices(n)[:2]
            for k, n in zip(key, shape, strict=True)]


def runs(shape: tuple, key: tuple):
    """``(flat start, elements)`` of the contiguous runs that ``key`` covers in a C-order array of
    ``shape``, in C order."""
    bounds = _bounds(shape, key)
    t = len(shape) - 1
    while t > 0 and bounds[t] == (0, shape[t]):
        t -= 1  # the axes after t are whole: one run covers them
    strides = [int(v) for v in np.cumprod((1, *shape[:0:-1]))[::-1]]
    run = (bounds[t][1] - bounds[t][0]) * strides[t]
    for idx in np.ndindex(*(b - a for a, b in bounds[:t])):
        start = sum((bounds[a][0] + i) * strides[a] for a, i in enumerate(idx))
        yield start + bounds[t][0] * strides[t], run


def read_box(path, offset: int, shape: tuple, dtype, key: tuple) -> np.ndarray:
    """``array[key]`` of the C-order array of ``shape`` and ``dtype`` stored at ``offset`` in ``path``."""
    dtype = np.dtype(dtype)
    out = np.empty(tuple(b - a for a, b in _bounds(shape, key)), dtype)
    flat = out.reshape(-1)
    i = 0
    with open(path, "rb") as fh:
        for start, count in runs(shape, key):
            fh.seek(offset + start * dtype.itemsize)
            flat[i:i + count] = np.frombuffer(fh.read(count * dtype.itemsize), dtype, count)
            i += count
    drop = tuple(0 if isinstance(k, (int, np.integer)) else slice(None) for k in key)
    return native(out[drop])


def write_box(path, offset: int, shape: tuple, dtype, key: tuple, block: np.ndarray) -> None:
    """Write ``block`` at ``key`` (step-1 slices) of the C-order array stored at ``offset`` in ``path``."""
    dtype = np.dtype(dtype)
    data = np.ascontiguousarray(block, dtype=dtype).reshape(-1)
    i = 0
    fd = os.open(path, os.O_WRONLY)
    try:
        for start, count in runs(shape, key):
            os.pwrite(fd, data[i:i + count].tobytes(), offset + start * dtype.itemsize)
            i += count
    finally:
        os.close(fd)
