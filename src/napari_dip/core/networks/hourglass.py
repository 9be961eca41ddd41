"""Hourglass generators: the paper's skip network, a U-Net and the Deep Decoder (2D or 3D)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from .layers import (
    Concat,
    DIPNet,
    bn_act,
    conv,
    first_axis_geometry,
    level_factors,
    nd_ops,
    per_level,
    upsample,
)


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
    ops = nd_ops(dims)
    spec = _SkipSpec(
        down=per_level(channels_down, depth, "channels_down"),
        up=per_level(channels_up, depth, "channels_up"),
        skips=per_level(channels_skip, depth, "channels_skip"),
        factors=level_factors(depth, dims, z_levels),
        ops=ops,
        mode=ops["linear_mode"] if upsample_mode in ("bilinear", "trilinear", "linear") else upsample_mode,
        dims=dims, pad=pad, filter_size_down=filter_size_down, filter_size_up=filter_size_up,
        filter_skip=filter_skip, downsample=downsample, need1x1_up=need1x1_up,
    )
    top = _skip_level(spec, 0, in_channels)
    head: list[nn.Module] = [top, conv(spec.up[0], out_channels, 1, dims=dims, pad=pad)]
    if need_sigmoid:
        head.append(nn.Sigmoid())
    need = filter_size_down // 2 + 1
    return DIPNet(nn.Sequential(*head), multiple=2**depth, name="skip",
                  min_size=2**depth * need, first_axis=first_axis_geometry(depth, dims, z_levels, need))


@dataclass(frozen=True)
class _SkipSpec:
    """:func:`skip_net`'s options resolved per level (channels, down-sampling factors, the nd layers)."""

    down: list
    up: list
    skips: list
    factors: list
    ops: dict
    mode: str
    dims: int
    pad: str
    filter_size_down: int
    filter_size_up: int
    filter_skip: int
    downsample: str
    need1x1_up: bool


def _skip_level(spec: _SkipSpec, i: int, in_ch: int) -> nn.Module:
    """Level ``i`` of the hourglass and every level below it: down, deeper, up, the skip beside them, the
    tail. Modules are made in this order (the seeded initial weights depend on it)."""
    s, dims, pad = spec, spec.dims, spec.pad
    layers: list[nn.Module] = _skip_down(spec, i, in_ch)
    deeper_out = s.down[i]
    if i + 1 < len(s.down):
        layers.append(_skip_level(spec, i + 1, s.down[i]))
        deeper_out = s.up[i + 1]
    layers.append(upsample(s.factors[i], s.mode))
    deeper = nn.Sequential(*layers)
    if s.skips[i] > 0:
        skip = nn.Sequential(conv(in_ch, s.skips[i], s.filter_skip, dims=dims, pad=pad),
                             *bn_act(s.skips[i], dims))
        block: nn.Module = Concat(skip, deeper)
    else:
        block = deeper
    cat_ch = s.skips[i] + deeper_out
    tail = [s.ops["bn"](cat_ch), conv(cat_ch, s.up[i], s.filter_size_up, dims=dims, pad=pad),
            *bn_act(s.up[i], dims)]
    if s.need1x1_up:
        tail += [conv(s.up[i], s.up[i], 1, dims=dims, pad=pad), *bn_act(s.up[i], dims)]
    return nn.Sequential(block, *tail)


def _skip_down(spec: _SkipSpec, i: int, in_ch: int) -> list[nn.Module]:
    """Level ``i``'s way down: a strided convolution (or pooling and a convolution), then a convolution."""
    s, dims, pad, ch = spec, spec.dims, spec.pad, spec.down[i]
    if s.downsample == "stride":
        layers: list[nn.Module] = [conv(in_ch, ch, s.filter_size_down, stride=s.factors[i], dims=dims,
                                        pad=pad)]
    else:
        layers = [s.ops["pool"](s.factors[i]), conv(in_ch, ch, s.filter_size_down, dims=dims, pad=pad)]
    layers += bn_act(ch, dims)
    layers += [conv(ch, ch, s.filter_size_down, dims=dims, pad=pad), *bn_act(ch, dims)]
    return layers


def unet(in_channels: int = 32, out_channels: int = 3, *, width: int = 64, depth: int = 4,
         upsample_mode: str = "bilinear", dims: int = 2, **kwargs) -> DIPNet:
    """A U-Net: the hourglass with full-width skip connections at every scale."""
    chans = [min(width * 2**i, 8 * width) for i in range(depth)]
    net = skip_net(in_channels, out_channels, channels_down=chans, channels_up=chans,
                   channels_skip=chans, depth=depth, upsample_mode=upsample_mode, dims=dims, **kwargs)
    net.name = "unet"
    return net


def decoder_net(in_channels: int = 64, out_channels: int = 3, *, width: int = 64, depth: int = 5,
                upsample_mode: str = "bilinear", dims: int = 2, z_levels: int | None = None) -> DIPNet:
    """Deep Decoder: ``depth`` x (upsample, 1x1 conv, LeakyReLU, BN), then 1x1 conv and sigmoid.

    Its input is ``2**depth`` times smaller than the output, so it has few
    parameters and overfits noise slowly. 3D: only the first ``z_levels`` layers up-sample Z.
    """
    ops = nd_ops(dims)
    mode = ops["linear_mode"] if upsample_mode in ("bilinear", "trilinear", "linear") else upsample_mode
    layers: list[nn.Module] = []
    ch = in_channels
    for f in level_factors(depth, dims, z_levels):
        layers += [upsample(f, mode), conv(ch, width, 1, dims=dims), nn.LeakyReLU(0.2, inplace=True),
                   ops["bn"](width)]
        ch = width
    layers += [conv(ch, out_channels, 1, dims=dims), nn.Sigmoid()]
    return DIPNet(
        nn.Sequential(*layers),
        multiple=2**depth,
        input_stride=2**depth,
        name="decoder",
        first_axis=first_axis_geometry(depth, dims, z_levels, 1, True),
    )
