"""Generator networks for the Deep Image Prior.

All builders return a :class:`DIPNet`: a module with ``in_channels`` (the depth
of the input it expects), ``input_stride`` (how much smaller than the output
its input is, 1 for hourglass nets) and ``multiple`` (spatial sizes must be a
multiple of it). ``dims`` selects 2D (images) or 3D (volumes) convolutions.

Volumes are often thin along Z (a few planes against hundreds of pixels in Y
and X): the 3D hourglass nets take ``z_levels``, the number of scales that also
halve the first spatial axis (Z); the deeper ones use stride/pooling/upsampling
``(1, 2, 2)`` (Y and X only). :meth:`DIPNet.geometry` gives the per-axis size
rules.

- :func:`skip_net`: the hourglass encoder-decoder with skip branches of the
  paper (Ulyanov et al. 2018), with configurable depth, channels, filter sizes,
  upsampling and reflection padding.
- :func:`unet`: the same hourglass with full-width skips (a U-Net).
- :func:`resnet`: residual blocks at full resolution, no down-sampling.
- :func:`decoder_net`: a shallow, under-parameterised decoder (Heckel & Hand's
  Deep Decoder): upsampling, 1x1 convolutions, no encoder; the cheapest.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def _nd(dims: int):
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
    ops = _nd(dims)
    p = (kernel - 1) // 2
    if pad == "reflection" and p > 0:
        return nn.Sequential(ops["pad"](p), ops["conv"](in_ch, out_ch, kernel, stride, 0, bias=bias))
    return ops["conv"](in_ch, out_ch, kernel, stride, p, bias=bias)


def _bn_act(ch: int, dims: int) -> list[nn.Module]:
    return [_nd(dims)["bn"](ch), nn.LeakyReLU(0.2, inplace=True)]


class _Concat(nn.Module):
    """Run two branches on the same input and concatenate along channels."""

    def __init__(self, skip: nn.Module, deeper: nn.Module):
        super().__init__()
        self.skip, self.deeper = skip, deeper

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.skip(x), self.deeper(x)], dim=1)


class DIPNet(nn.Module):
    """A generator network plus the facts the engine needs about its input."""

    def __init__(self, body: nn.Module, *, in_channels: int, multiple: int,
                 input_stride: int = 1, name: str = "net", min_size: int | None = None,
                 first_axis: tuple[int, int, int] | None = None):
        super().__init__()
        self.body = body
        self.in_channels = in_channels
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


def _as_list(value, depth: int, name: str) -> list:
    if isinstance(value, int):
        return [value] * depth
    value = list(value)
    if len(value) != depth:
        raise ValueError(f"{name} has {len(value)} entries but the network depth is {depth}.")
    return value


def skip_net(
    in_channels: int = 32,
    out_channels: int = 3,
    *,
    channels_down: Sequence[int] | int = 128,
    channels_up: Sequence[int] | int = 128,
    channels_skip: Sequence[int] | int = 4,
    depth: int = 5,
    filter_size_down: int = 3,
    filter_size_up: int = 3,
    filter_skip: int = 1,
    upsample_mode: str = "bilinear",
    need1x1_up: bool = True,
    need_sigmoid: bool = True,
    pad: str = "reflection",
    downsample: str = "stride",
    dims: int = 2,
    z_levels: int | None = None,
) -> DIPNet:
    """The paper's hourglass network with skip connections.

    Per scale: a stride-2 convolution (or average pooling), BN, LeakyReLU(0.2),
    a convolution, BN, LeakyReLU; an optional skip branch (1x1 conv, BN,
    LeakyReLU) concatenated after upsampling; then BN, convolution, BN,
    LeakyReLU and an optional 1x1 convolution. A final 1x1 convolution and a
    sigmoid give the image. Spatial sizes must be multiples of ``2**depth``.
    3D (``dims=3``): only the first ``z_levels`` scales halve Z (None: all), so
    Z must be a multiple of ``2**z_levels`` instead.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    down = _as_list(channels_down, depth, "channels_down")
    up = _as_list(channels_up, depth, "channels_up")
    skips = _as_list(channels_skip, depth, "channels_skip")
    ops = _nd(dims)
    mode = ops["linear_mode"] if upsample_mode in ("bilinear", "trilinear", "linear") else upsample_mode
    factors = _level_factors(depth, dims, z_levels)

    def level(i: int, in_ch: int) -> nn.Module:
        layers: list[nn.Module] = []
        f = factors[i]
        if downsample == "stride":
            layers.append(conv(in_ch, down[i], filter_size_down, stride=f, dims=dims, pad=pad))
        else:
            layers += [ops["pool"](f), conv(in_ch, down[i], filter_size_down, dims=dims, pad=pad)]
        layers += _bn_act(down[i], dims)
        layers += [conv(down[i], down[i], filter_size_down, dims=dims, pad=pad), *_bn_act(down[i], dims)]
        deeper_out = down[i]
        if i + 1 < depth:
            layers.append(level(i + 1, down[i]))
            deeper_out = up[i + 1]
        layers.append(_upsample(f, mode))
        deeper = nn.Sequential(*layers)
        if skips[i] > 0:
            skip = nn.Sequential(conv(in_ch, skips[i], filter_skip, dims=dims, pad=pad), *_bn_act(skips[i], dims))
            block: nn.Module = _Concat(skip, deeper)
        else:
            block = deeper
        cat_ch = skips[i] + deeper_out
        tail = [ops["bn"](cat_ch), conv(cat_ch, up[i], filter_size_up, dims=dims, pad=pad), *_bn_act(up[i], dims)]
        if need1x1_up:
            tail += [conv(up[i], up[i], 1, dims=dims, pad=pad), *_bn_act(up[i], dims)]
        return nn.Sequential(block, *tail)

    head: list[nn.Module] = [level(0, in_channels), conv(up[0], out_channels, 1, dims=dims, pad=pad)]
    if need_sigmoid:
        head.append(nn.Sigmoid())
    need = filter_size_down // 2 + 1
    return DIPNet(nn.Sequential(*head), in_channels=in_channels, multiple=2**depth, name="skip",
                  min_size=2**depth * need, first_axis=_first_axis(depth, dims, z_levels, need))


def _level_factors(depth: int, dims: int, z_levels: int | None) -> list:
    """Down-sampling factor per scale: 2, or (2|1, 2, 2) in 3D with ``z_levels``."""
    if dims != 3 or z_levels is None or z_levels >= depth:
        return [2] * depth
    if z_levels < 0:
        raise ValueError(f"z_levels must be >= 0, got {z_levels}")
    return [(2 if i < z_levels else 1, 2, 2) for i in range(depth)]


def _first_axis(depth: int, dims: int, z_levels: int | None, need: int, stride: bool = False):
    if dims != 3 or z_levels is None or z_levels >= depth:
        return None
    return (2**z_levels, 2**z_levels * need, 2**z_levels if stride else 1)


def _upsample(factor, mode: str) -> nn.Module:
    if isinstance(factor, tuple):
        factor = tuple(float(f) for f in factor)
    return nn.Upsample(scale_factor=factor, mode=mode, **({} if mode == "nearest" else {"align_corners": False}))


def unet(in_channels: int = 32, out_channels: int = 3, *, width: int = 64, depth: int = 4,
         upsample_mode: str = "bilinear", dims: int = 2, **kwargs) -> DIPNet:
    """A U-Net: the hourglass with full-width skip connections at every scale."""
    chans = [min(width * 2**i, 8 * width) for i in range(depth)]
    net = skip_net(in_channels, out_channels, channels_down=chans, channels_up=chans,
                   channels_skip=chans, depth=depth, upsample_mode=upsample_mode, dims=dims, **kwargs)
    net.name = "unet"
    return net


class _ResBlock(nn.Module):
    def __init__(self, ch: int, dims: int, pad: str):
        super().__init__()
        self.body = nn.Sequential(conv(ch, ch, 3, dims=dims, pad=pad), *_bn_act(ch, dims),
                                  conv(ch, ch, 3, dims=dims, pad=pad), _nd(dims)["bn"](ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def resnet(in_channels: int = 32, out_channels: int = 3, *, width: int = 64, blocks: int = 8,
           pad: str = "reflection", dims: int = 2) -> DIPNet:
    """Residual blocks at full resolution (no down-sampling): a weak prior, shown for comparison."""
    layers = [conv(in_channels, width, 3, dims=dims, pad=pad), nn.LeakyReLU(0.2, inplace=True)]
    layers += [_ResBlock(width, dims, pad) for _ in range(blocks)]
    layers += [conv(width, out_channels, 3, dims=dims, pad=pad), nn.Sigmoid()]
    return DIPNet(nn.Sequential(*layers), in_channels=in_channels, multiple=1, name="resnet")


def decoder_net(in_channels: int = 64, out_channels: int = 3, *, width: int = 64, depth: int = 5,
                upsample_mode: str = "bilinear", dims: int = 2, z_levels: int | None = None) -> DIPNet:
    """Deep Decoder: ``depth`` x (upsample, 1x1 conv, LeakyReLU, BN), then 1x1 conv and sigmoid.

    Its input is ``2**depth`` times smaller than the output, so it has few
    parameters and overfits noise slowly. 3D: only the first ``z_levels`` layers up-sample Z.
    """
    ops = _nd(dims)
    mode = ops["linear_mode"] if upsample_mode in ("bilinear", "trilinear", "linear") else upsample_mode
    layers: list[nn.Module] = []
    ch = in_channels
    for f in _level_factors(depth, dims, z_levels):
        layers += [_upsample(f, mode), conv(ch, width, 1, dims=dims), nn.LeakyReLU(0.2, inplace=True),
                   ops["bn"](width)]
        ch = width
    layers += [conv(ch, out_channels, 1, dims=dims), nn.Sigmoid()]
    return DIPNet(nn.Sequential(*layers), in_channels=in_channels, multiple=2**depth,
                  input_stride=2**depth, name="decoder", first_axis=_first_axis(depth, dims, z_levels, 1, True))


ARCHITECTURES = {"skip": skip_net, "unet": unet, "resnet": resnet, "decoder": decoder_net}


def build_network(arch: str, in_channels: int, out_channels: int, dims: int = 2, **kwargs) -> DIPNet:
    """Build a network by name (``skip``, ``unet``, ``resnet``, ``decoder``)."""
    try:
        builder = ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(f"unknown network {arch!r}; choose one of {sorted(ARCHITECTURES)}") from None
    return builder(in_channels, out_channels, dims=dims, **kwargs)
