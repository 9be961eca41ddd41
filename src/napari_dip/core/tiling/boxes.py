"""Tile geometry: how large a plane's tiles are and where they lie.

:func:`choose_tile` picks the tile side from the ``tile`` option and the memory model (the largest side
up to :data:`TILE` whose fit fits into ``max_memory``); :func:`tile_starts` and :func:`tile_boxes` place
the tiles: ``tile`` pixels each, overlapping by at least ``overlap`` pixels, their starts spread evenly
so every overlap is about the same. How the tiles' outputs are put back together is
:mod:`.stitching`. numpy only: the batch client plans tiles without torch.
"""

from __future__ import annotations

import math

import numpy as np

TILE = 256


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


def choose_tile(option, memory: int, max_memory: int, overlap: int, plane_in: tuple[int, ...],
                need_for_tile) -> int | None:
    """The tile side (input pixels) or None for one fit; ``need_for_tile(side)`` estimates a tile's fit."""
    if isinstance(option, (bool, np.bool_)) or option is None:
        option = "auto" if option else False
    tile = None
    if option is not False and isinstance(option, (int, np.integer)):
        tile = int(option)
        if tile <= overlap:
            raise ValueError(f"tile ({tile} px) must be larger than tile_overlap ({overlap} px).")
    elif option == "auto":
        if memory > max_memory:
            tile = _auto_tile(need_for_tile, max_memory, overlap)
    elif option is False:
        if memory > max_memory:
            what = "volume" if len(plane_in) == 3 else "plane"
            raise ValueError(
                f"restoring a {'x'.join(map(str, plane_in))} {what} in one fit needs about "
                f"{memory / 2**30:.1f} "
                f"GiB, more than max_memory={max_memory / 2**30:.1f} GiB; pass tile='auto' (or a tile size "
                f"in "
                "pixels) to restore it in overlapping tiles, raise max_memory, or use a smaller width."
            )
    else:
        raise ValueError(f"tile must be 'auto', False or a tile size in pixels, got {option!r}")
    return None if tile is not None and tile >= max(plane_in[-2:]) else tile


def _auto_tile(need_for_tile, max_memory: int, overlap: int) -> int:
    """The largest tile side (<= TILE) whose fit fits in ``max_memory``."""
    tile = TILE
    while True:
        need = need_for_tile(tile)
        if need <= max_memory:
            return tile
        if tile // 2 <= max(overlap, 32):
            raise ValueError(f"even {tile}-px tiles need about {need / 2**30:.2f} GiB, more than max_memory="
                             f"{max_memory / 2**30:.2f} GiB; use a smaller width or raise max_memory.")
        tile //= 2


def check_apart(tile_start) -> None:
    """A ``ValueError`` for ``tile_start="warm"`` with tiles fitted apart (:mod:`.runner`, ``napari-dip
    batch --tile``): a warm tile starts from the tile fitted before it, so tiles run in turn in one run."""
    if tile_start == "warm":
        raise ValueError("tile_start='warm' fits each tile from the tile fitted before it, in turn in one "
                         "run; tiles fitted apart (napari-dip batch --tile) cannot: use tile_start='cold' "
                         "there, or restore the image in one run (restore, or batch without --tile).")
