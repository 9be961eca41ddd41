"""The prior probe's pieces: the image in [0, 1], the four targets, the shared network and input."""

from __future__ import annotations

import math

import numpy as np

#: The probe's targets, in the order they are fitted and plotted.
TARGETS = ("clean", "noisy", "shuffled", "noise")

# One random stream per target, so that choosing a subset of targets changes none of them.
_STREAM = {"noisy": 1, "shuffled": 2, "noise": 3}


def to_unit(image, channel_axis: int | None) -> tuple[np.ndarray, int | None]:
    """``image`` as float32 ``(C, H, W)`` rescaled to [0, 1] by its min and max, and the normalised axis."""
    x = np.asarray(image)
    if x.dtype == bool:
        x = x.astype(np.uint8)
    if x.dtype.kind not in "uif":
        raise ValueError(f"image must be numeric, got dtype {x.dtype}")
    if channel_axis is None:
        if x.ndim != 2:
            raise ValueError(f"image must be 2D (or 2D with channel_axis set), got shape {x.shape}; for RGB "
                             "pass channel_axis=-1.")
        axis, x = None, x[None]
    else:
        if x.ndim != 3:
            raise ValueError(f"with channel_axis an image must have 3 axes, got shape {x.shape}")
        axis = channel_axis % 3
        x = np.moveaxis(x, axis, 0)
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("image has NaN or inf pixels; the probe needs a complete image.")
    lo, hi = x.min(), x.max()
    if hi <= lo:
        raise ValueError("image is constant: there is no structure to probe.")
    return ((x - lo) / (hi - lo)).astype(np.float32), axis


def make_targets(clean: np.ndarray, names, *, noise_sigma: float, seed: int) -> dict[str, np.ndarray]:
    """The probe's targets from ``clean`` (``(C, H, W)`` in [0, 1]), float32, same shape."""
    out = {}
    for name in names:
        rng = np.random.default_rng([seed, _STREAM.get(name, 0)])
        if name == "clean":
            target = clean
        elif name == "noisy":
            target = np.clip(clean + rng.normal(0.0, noise_sigma, clean.shape), 0, 1)
        elif name == "shuffled":
            flat = clean.reshape(clean.shape[0], -1)
            target = flat[:, rng.permutation(flat.shape[1])].reshape(clean.shape)
        else:
            target = rng.uniform(0.0, 1.0, clean.shape)
        out[name] = np.ascontiguousarray(target, dtype=np.float32)
    return out


def _network_kwargs(network: str, width: int, depth: int, skip, upsample: str) -> dict:
    if network == "skip":
        return dict(
            channels_down=width, channels_up=width, channels_skip=skip, depth=depth, upsample_mode=upsample
        )
    if network in ("unet", "decoder"):
        return dict(width=width, depth=depth, upsample_mode=upsample)
    if network == "resnet":
        return dict(width=width)
    raise ValueError(f"unknown network {network!r}; choose 'skip', 'unet', 'resnet' or 'decoder'")


def build_probe_network(shape: tuple[int, int, int], *, network: str, width: int | None, depth: int, skip,
                        upsample: str, input_depth: int, seed: int, device):
    """The network (on the CPU, to be copied per target), its input ``z`` on ``device``, and a config dict.

    The output grid is the image padded up to what the network needs (a
    multiple of ``2**depth``, at least its smallest size); the loss ignores
    the padding. A grid more than twice the image is refused.
    """
    import torch  # the experiments package loads without torch

    from ..core.engine.inputs import noise_input  # imports torch
    from ..core.networks import build_network  # imports torch

    C, h, w = shape
    width = int(width) if width is not None else (128 if device.type == "cuda" else 64)
    if width < 1 or depth < 1 or input_depth < 1:
        raise ValueError(
            f"width, depth and input_depth must be at least 1, got {width}, {depth}, {input_depth}"
        )
    kwargs = _network_kwargs(network, width, depth, skip, upsample)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_network(network, input_depth, C, dims=2, **kwargs)
    mults, mins, strides = net.geometry(2)
    grid = tuple(max(mn, math.ceil(s / m) * m) for s, m, mn in zip((h, w), mults, mins, strict=False))
    if any(g > 2 * s for g, s in zip(grid, (h, w), strict=False)):
        raise ValueError(f"a {h}x{w} image is too small for a {network!r} network of depth {depth} (it needs "
                         f"{grid[0]}x{grid[1]} px); pass a smaller depth or a larger image.")
    z = noise_input(input_depth, tuple(g // st for g, st in zip(grid, strides, strict=False)),
                    generator=torch.Generator().manual_seed(seed)).to(device)
    config = {
        "network": {"arch": network, **kwargs, "parameters": net.n_parameters},
        "input_depth": input_depth,
        "grid": list(grid),
    }
    return net, z, config
