"""Residual blocks at full resolution: a weak prior, shown for comparison."""

from __future__ import annotations

import torch
from torch import nn

from .layers import DIPNet, bn_act, conv, nd_ops


class _ResBlock(nn.Module):
    def __init__(self, ch: int, dims: int, pad: str):
        super().__init__()
        self.body = nn.Sequential(conv(ch, ch, 3, dims=dims, pad=pad), *bn_act(ch, dims),
                                  conv(ch, ch, 3, dims=dims, pad=pad), nd_ops(dims)["bn"](ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def resnet(in_channels: int = 32, out_channels: int = 3, *, width: int = 64, blocks: int = 8,
           pad: str = "reflection", dims: int = 2) -> DIPNet:
    """Residual blocks at full resolution (no down-sampling): a weak prior, shown for comparison."""
    layers = [conv(in_channels, width, 3, dims=dims, pad=pad), nn.LeakyReLU(0.2, inplace=True)]
    layers += [_ResBlock(width, dims, pad) for _ in range(blocks)]
    layers += [conv(width, out_channels, 3, dims=dims, pad=pad), nn.Sigmoid()]
    return DIPNet(nn.Sequential(*layers), multiple=1, name="resnet")
