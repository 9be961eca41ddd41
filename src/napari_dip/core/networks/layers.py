"""Building blocks shared by the architectures: n-d convolutions, BN + LeakyReLU, up-sampling, DIPNet."""

from __future__ import annotations

import torch
from torch import nn


def nd_ops(dims: int):
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    return {
        "conv": nn.Conv2d if dims == 2 else nn.Conv3d,
        "bn": nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d,
        "pad": nn.ReflectionPad2d if dims == 2 else nn.ReflectionPad3d,
        "pool": nn.AvgPool2d if dims == 2 else nn.AvgPool3d,
        "linear_mode": "bilinear" if dims == 2 else "trilinear",
    }


def conv(in_ch: int, out_ch: int, kernel: int, *, stride: int = 1, dims: int = 2,
         pad: str = "reflection", bias: bool = True) -> nn.Module:
    """A convolution with 'same' reflection (or zero) padding."""
    ops = nd_ops(dims)
    p = (kernel - 1) // 2
    if pad == "reflection" and p > 0:
        return nn.Sequential(ops["pad"](p), ops["conv"](in_ch, out_ch, kernel, stride, 0, bias=bias))
    return ops["conv"](in_ch, out_ch, kernel, stride, p, bias=bias)


def bn_act(ch: int, dims: int) -> list[nn.Module]:
    return [nd_ops(dims)["bn"](ch), nn.LeakyReLU(0.2, inplace=True)]


class Concat(nn.Module):
    """Run two branches on the same input and concatenate along channels."""

    def __init__(self, skip: nn.Module, deeper: nn.Module):
        super().__init__()
        self.skip, self.deeper = skip, deeper

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.skip(x), self.deeper(x)], dim=1)


class DIPNet(nn.Module):
    """A generator network plus the facts the engine needs about its input."""

    def __init__(self, body: nn.Module, *, multiple: int,
                 input_stride: int = 1, name: str = "net", min_size: int | None = None,
                 first_axis: tuple[int, int, int] | None = None):
        super().__init__()
        self.body = body
        self.multiple = multiple
        self.min_size = min_size if min_size is not None else multiple
        self.input_stride = input_stride
        self.name = name
        # (multiple, min_size, input_stride) of the first spatial axis when it differs (3D, z_levels)
        self.first_axis = first_axis

    def geometry(self, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Per spatial axis: ``(multiples, min_sizes, input_strides)`` for ``ndim`` spatial axes."""
        rest = ndim - (1 if self.first_axis is not None else 0)
        mults = (self.multiple,) * rest
        mins = (self.min_size,) * rest
        strides = (self.input_stride,) * rest
        if self.first_axis is not None:
            m, mn, st = self.first_axis
            mults, mins, strides = (m, *mults), (mn, *mins), (st, *strides)
        return mults, mins, strides

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def per_level(value, depth: int, name: str) -> list:
    if isinstance(value, int):
        return [value] * depth
    value = list(value)
    if len(value) != depth:
        raise ValueError(f"{name} has {len(value)} entries but the network depth is {depth}.")
    return value


def level_factors(depth: int, dims: int, z_levels: int | None) -> list:
    """Down-sampling factor per scale: 2, or (2|1, 2, 2) in 3D with ``z_levels``."""
    if dims != 3 or z_levels is None or z_levels >= depth:
        return [2] * depth
    if z_levels < 0:
        raise ValueError(f"z_levels must be >= 0, got {z_levels}")
    return [(2 if i < z_levels else 1, 2, 2) for i in range(depth)]


def first_axis_geometry(depth: int, dims: int, z_levels: int | None, need: int, stride: bool = False):
    if dims != 3 or z_levels is None or z_levels >= depth:
        return None
    return (2**z_levels, 2**z_levels * need, 2**z_levels if stride else 1)


def upsample(factor, mode: str) -> nn.Module:
    if isinstance(factor, tuple):
        factor = tuple(float(f) for f in factor)
    return nn.Upsample(
        scale_factor=factor, mode=mode, **({} if mode == "nearest" else {"align_corners": False})
    )
