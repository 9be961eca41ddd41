"""How much memory one fit needs.

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
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .networks.layers import Concat

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
