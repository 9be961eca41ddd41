"""Fixed network inputs ``z``: uniform noise or a meshgrid."""

from __future__ import annotations

import torch


def noise_input(channels: int, spatial: tuple[int, ...], *, scale: float = 0.1,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform noise U(0, 1) x ``scale`` shaped ``(1, channels, *spatial)`` (the paper's input)."""
    return torch.rand((1, channels, *spatial), generator=generator) * scale


def meshgrid_input(spatial: tuple[int, ...]) -> torch.Tensor:
    """Coordinates in [0, 1], one channel per spatial axis (report 002's hole filling input)."""
    axes = [torch.linspace(0, 1, n) for n in spatial]
    grids = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(grids)[None].float()


def make_input(kind: str, channels: int, spatial: tuple[int, ...], *, scale: float = 0.1,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """``kind`` is ``"noise"`` or ``"meshgrid"`` (then ``channels`` is the number of spatial axes)."""
    if kind == "noise":
        return noise_input(channels, spatial, scale=scale, generator=generator)
    if kind == "meshgrid":
        return meshgrid_input(spatial)
    raise ValueError(f"unknown input {kind!r}; choose 'noise' or 'meshgrid'")
