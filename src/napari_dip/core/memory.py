"""How much memory one fit needs, and how a large image is cut into tiles.

Memory model (:func:`fit_bytes`). Training memory of a DIP fit is dominated by
the activations the forward pass keeps for the backward pass. They are counted
by running the network once without gradients on a small input (about 64 x
64 pixels) and summing the outputs of every layer (in-place activations
excluded, concatenations included), scaled to the image's pixel count: ``A``
elements. Then

    bytes = BACKWARD_FACTOR[precision] * A * bytes_per_element   (2 for bf16 autocast, 4 for fp32)
          + 16 * parameters                              (weights, gradients, Adam's two moments)
          + 4 * pixels * (input channels + 8 * image channels)   (input, target, mask, EMA, ...)
          + FIXED_BYTES                                  (allocator and oneDNN workspaces)

``BACKWARD_FACTOR`` covers what the count misses: gradient buffers alive
during the backward pass, autocast's bf16 copies of convolution inputs (so
bf16 saves less than half), the allocator's slack. It was fitted to the peak
resident memory of real 2-iteration fits on a CPU (``benchmarks/memory.py``;
table in docs/microscopy.md): 256-1024 px planes and a 16 x 128 x 128 volume,
widths 16-64, where the estimate was 0.9-1.3 x the measured peak (it mostly errs
high). Not yet checked on a GPU (``torch.cuda.max_memory_allocated``). The
model is linear in the pixel count, so it also tells how large a tile fits
into ``max_memory``.

Tiling (:func:`tile_starts`, :func:`blend_weights`): tiles of ``tile`` pixels
overlap by at least ``overlap`` pixels, their starts spread evenly so every
overlap is about the same; each tile's weight is 1 inside and falls off with a
cosine ramp (``sin**2``) across each overlap with a neighbour, reaching almost
0 at the tile's inner edges. Outputs are blended as ``sum(w_k * tile_k) /
sum(w_k)``, so the normalised weights sum to exactly 1 at every pixel and no
tile edge shows (two cosine ramps over the same overlap already sum to 1).
"""

from __future__ import annotations

import math

import numpy as np

#: Multiplies the counted activation bytes (see the module docstring; fitted on CPU).
BACKWARD_FACTOR = {"bf16": 2.1, "fp32": 1.35}
FIXED_BYTES = 64 * 1024**2
GIB = 1024**3


def activation_elements(net, in_channels: int, spatial: tuple[int, ...], ref_side: int = 64) -> int:
    """Elements of every intermediate tensor of ``net`` for an input of ``spatial`` size.

    The network is run once (no gradients) on a small input whose last two axes
    are about ``ref_side`` output pixels, and the count is scaled by the ratio
    of pixels: activations of a fully convolutional net grow linearly with the
    pixel count (reflection padding makes the small run over-count by ~2 %).
    """
    import torch
    from torch import nn

    from .networks.layers import Concat  # torch: the memory model loads without it

    nd = len(spatial)
    mults, mins, strides = net.geometry(nd)
    ref = list(spatial)
    for a in (nd - 2, nd - 1):
        side = math.ceil(max(mins[a], ref_side) / mults[a]) * mults[a] // strides[a]
        ref[a] = min(spatial[a], max(side, 1))
    ratio = math.prod(spatial) / math.prod(ref)
    total = 0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(output, torch.Tensor):
            total += output.numel()

    hooks = []
    for module in net.modules():
        leaf = not any(True for _ in module.children())
        inplace = getattr(module, "inplace", False)
        if (leaf and not inplace and not isinstance(module, nn.Identity)) or isinstance(module, Concat):
            hooks.append(module.register_forward_hook(count))
    was_training = net.training
    device = next(net.parameters()).device
    try:
        net.eval()
        with torch.no_grad():
            net(torch.zeros((1, in_channels, *ref), device=device))
    finally:
        net.train(was_training)
        for h in hooks:
            h.remove()
    return int(round(total * ratio))


def fit_bytes(net, in_channels: int, out_channels: int, in_spatial: tuple[int, ...],
              out_spatial: tuple[int, ...], *, low_precision: bool) -> int:
    """The memory model above for one fit of ``net`` (input ``in_spatial``, output ``out_spatial``)."""
    acts = activation_elements(net, in_channels, in_spatial)
    per = 2 * BACKWARD_FACTOR["bf16"] if low_precision else 4 * BACKWARD_FACTOR["fp32"]
    pixels = math.prod(out_spatial)
    return int(
        per * acts + 16 * net.n_parameters + 4 * pixels * (in_channels + 8 * out_channels) + FIXED_BYTES
    )


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    """Starts of tiles of ``tile`` pixels covering ``size``, overlapping by at least ``overlap``."""
    if tile >= size:
        return [0]
    if overlap >= tile:
        raise ValueError(f"tile_overlap ({overlap}) must be smaller than the tile ({tile} px).")
    n = math.ceil((size - overlap) / (tile - overlap))
    n = max(n, 2)
    return [round(k * (size - tile) / (n - 1)) for k in range(n)]


def tile_boxes(shape: tuple[int, int], tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` boxes tiling a ``shape`` plane, row by row."""
    ys = tile_starts(shape[0], tile, overlap)
    xs = tile_starts(shape[1], tile, overlap)
    th, tw = min(tile, shape[0]), min(tile, shape[1])
    return [(y, y + th, x, x + tw) for y in ys for x in xs]


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
    """Unnormalised blending weight of ``box`` (output grid: ``scale`` x the box), shape ``(h*scale,
    w*scale)``."""
    ys = tile_starts(shape[0], tile, overlap)
    xs = tile_starts(shape[1], tile, overlap)
    y0, y1, x0, x1 = box
    wy = _ramp_1d(y0, y1, ys, y1 - y0, scale)
    wx = _ramp_1d(x0, x1, xs, x1 - x0, scale)
    return wy[:, None] * wx[None, :]


def blend_weights(shape: tuple[int, int], tile: int, overlap: int, scale: int = 1) -> list[np.ndarray]:
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
