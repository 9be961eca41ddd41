"""Tiles that start from their neighbour (``tile_start="warm"``): a plane's tiles fitted in turn, each
after the first from the tile fitted just before it (raster order: along a row, then the next row).

A warm tile continues the previous tile's network and Adam state, with the cap of a warm-started plane
(``job.warm_iterations``: ``warm_iterations``, else a third of the iterations) and its own automatic
stop. Every tile's input, the first's too, is its crop of one :class:`.inputs.PlaneInput`, so that
neighbouring tiles see the same input where they overlap; the first tile's fit is its cold fit. With
``fit="input"`` the fitted input's Adam state is left behind (it belonged to the other tile's place):
the BatchNorms' state carries over, the new crop starts fresh. Windows (``extent="windows"``) are
never chained: they differ in size and content and lie apart. A plane's chain starts anew on each
plane.
"""

from __future__ import annotations

from collections.abc import Callable

from .inputs import PlaneInput
from .restarts import restart_seeds


def chained(job) -> bool:
    """Whether ``job``'s tiles are fitted as a chain (``tile_start="warm"``, a tiled run, no windows)."""
    return bool(job.tile) and job.windows is None and getattr(job.settings, "tile_start", "cold") == "warm"


class TileChain:
    """One plane's tiles (``boxes``, ``(y0, y1, x0, x1)`` input pixels) as a chain: what each tile's fit
    starts from (:meth:`start`) and, after it, what it did (:meth:`done`, the plane's ``records``)."""

    def __init__(self, job, boxes: list):
        self.job, self.boxes = job, boxes
        self.source = PlaneInput(job.fit.input_kind, restart_seeds(job.seed, job.fit.restarts))
        self.prev: tuple | None = None
        self.records: list[dict] = []

    def start(self, k: int) -> tuple[tuple | None, int, Callable]:
        """``(warm, iterations, input_crop)`` of tile ``k``: the fit before's ``(plan, optimizer state)``
        (None for the first tile), the cap, and its input (:func:`.plan.plan_fit`'s ``input_crop``)."""
        s = self.job.scale
        y0, x0 = self.boxes[k][0] * s, self.boxes[k][2] * s

        def input_crop(channels: int, z_spatial: tuple, padded: tuple):
            at = tuple(a * z // p for a, z, p in zip((y0, x0), z_spatial[-2:], padded[-2:], strict=True))
            return self.source.crop(at, channels, z_spatial)

        its = self.job.warm_iterations if self.prev is not None else self.job.fit.iterations
        return self.prev, its, input_crop

    def done(self, k: int, plan, history, iterations: int) -> None:
        """Tile ``k`` fitted (``plan``, its ``history``, its cap): recorded, and the next tile's start."""
        state = history.optimizer_state
        if state is not None and self.job.fit.fit_mode == "input":
            state = _without_input(state)
        self.records.append({"box": [int(v) for v in self.boxes[k]], "warm": self.prev is not None,
                             "iterations": iterations, "iterations_run": len(history.loss),
                             "stopped_at": history.stopped_at, "reason": history.stop_reason})
        self.prev = (plan, state)


def _without_input(state: dict) -> dict:
    """Adam's ``state_dict`` without the state of its last parameter (the fitted input, ``loop.fit``'s
    order): the next fit's input starts with fresh moments."""
    last = state["param_groups"][-1]["params"][-1]
    return {**state, "state": {k: v for k, v in state["state"].items() if k != last}}
