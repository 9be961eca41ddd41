"""Fixed network inputs ``z``: uniform noise or a meshgrid; :class:`PlaneInput`, one for a plane's tiles."""

from __future__ import annotations

import numpy as np
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


class PlaneInput:
    """One input for a whole plane whose tiles are fitted one after another (``tile_start="warm"``): each
    tile's input is its crop, so that neighbouring tiles see the same values where they overlap.

    The plane is laid out in blocks the size of the first crop (the first tile's grid); nothing is kept
    between crops. Noise: block ``(by, bx)`` is drawn from its own generator (block ``(0, 0)`` seeded with
    the fit's seed, so the first tile's input is the one its cold fit draws; the others from the seed and
    the block's place). Meshgrid: coordinates in units of a block (a tile spans 1, the first tile's are
    its cold fit's). ``seeds``: one per restart, as :func:`.restarts.restart_seeds`.
    """

    def __init__(self, kind: str, seeds: list[int]):
        if kind not in ("noise", "meshgrid"):
            raise ValueError(f"unknown input {kind!r}; choose 'noise' or 'meshgrid'")
        self.kind, self.seeds = kind, list(seeds)
        self.block: tuple[int, int] | None = None

    def crop(self, start: tuple[int, int], channels: int, spatial: tuple[int, ...]) -> torch.Tensor:
        """The input ``(restarts, channels, *spatial)`` of the fit whose grid starts at ``start`` (Y, X, in
        output pixels; leading spatial axes, a volume's Z, are whole)."""
        if self.block is None:
            self.block = (int(spatial[-2]), int(spatial[-1]))
        if self.kind == "meshgrid":
            axes = [torch.linspace(0, 1, n) for n in spatial[:-2]]
            axes += [_coordinates(a, n, b) for a, n, b in zip(start, spatial[-2:], self.block, strict=True)]
            grid = torch.stack(torch.meshgrid(*axes, indexing="ij"))[None].float()
            return torch.cat([grid] * len(self.seeds))
        return torch.cat([self._noise(s, start, channels, spatial) for s in self.seeds])

    def _noise(self, seed: int, start: tuple[int, int], channels: int, spatial: tuple[int, ...]):
        assert self.block is not None
        (y, x), (h, w), (bh, bw) = start, spatial[-2:], self.block
        out = torch.empty((1, channels, *spatial))
        for by in range(y // bh, (y + h - 1) // bh + 1):
            for bx in range(x // bw, (x + w - 1) // bw + 1):
                g = torch.Generator().manual_seed(_block_seed(seed, by, bx))
                block = noise_input(channels, (*spatial[:-2], bh, bw), generator=g)
                y0, y1 = max(y, by * bh), min(y + h, (by + 1) * bh)
                x0, x1 = max(x, bx * bw), min(x + w, (bx + 1) * bw)
                out[..., y0 - y:y1 - y, x0 - x:x1 - x] = block[..., y0 - by * bh:y1 - by * bh,
                                                                x0 - bx * bw:x1 - bx * bw]
        return out


def _block_seed(seed: int, by: int, bx: int) -> int:
    """The seed of block ``(by, bx)``: the fit's own for the first, else one drawn from all three."""
    if by == 0 and bx == 0:
        return seed
    return int(np.random.SeedSequence([seed, by, bx]).generate_state(1)[0])


def _coordinates(start: int, n: int, unit: int) -> torch.Tensor:
    """Coordinates of pixels ``start .. start + n`` in units of ``unit - 1`` pixels; those of the first
    ``unit`` pixels exactly ``linspace(0, 1, unit)`` (a cold fit's meshgrid)."""
    j = torch.arange(start, start + n, dtype=torch.float32)
    out = j / max(unit - 1, 1)
    first = torch.linspace(0, 1, unit)
    inside = j < unit
    out[inside] = first[j[inside].long()]
    return out
