"""One image's tiles as separate fits: fit one tile anywhere, blend the fitted tiles into the image.

The same fits as a tiled :func:`napari_dip.restore` (``tile=N``): :func:`prepare_tiles` builds the
same job (the whole image's normalisation, the same tile boxes), :func:`fit_tile` fits tile ``k``
exactly as the driver does (same seed, same plan), and :func:`blend_tiles` blends the tiles' final
images with the driver's cosine weights in tile order. Tiles can so run in other processes or
machines (``napari-dip batch --tile``) and be blended later. No napari.
"""

from __future__ import annotations

import time

import numpy as np

from .engine.driver import Canvas, initial_output, run_config, tiles_of
from .engine.loop import FitHistory, fit
from .engine.plan import plan_fit
from .engine.results import StopInfo
from .restore import RestoreResult, prepare_job


def prepare_tiles(image: np.ndarray, task: str, **kwargs):
    """The job of ``restore(image, task, **kwargs)`` for one 2D image (with channels); a ``ValueError``
    for a stack (its planes are the batch's unit of work, tiled inside each fit)."""
    job = prepare_job(image, task, **kwargs)
    if job.codec.lead_shape or job.nd != 2:
        raise ValueError(
            f"tiles as separate fits take one 2D image (with channels), but this image of shape "
            f"{np.shape(image)} is a stack or volume: restore it plane by plane, each plane tiled "
            "inside its fit."
        )
    if () not in job.run:
        raise ValueError("nothing to restore: the mask marks no missing pixel.")
    return job


def tile_count(job) -> int:
    """How many tiles the job's image is fitted in (1: no tiling, the image is smaller than a tile)."""
    return sum(1 for _ in tiles_of(job, job.data(())))


def fit_tile(job, k: int) -> dict:
    """Fit tile ``k`` as the tiled run does; return its final image ``(C, h, w)`` in [0, 1] and record."""
    t0 = time.perf_counter()
    parts = list(tiles_of(job, job.data(())))
    if not 0 <= k < len(parts):
        raise ValueError(f"tile {k} does not exist: the image has {len(parts)} tile(s).")
    part = parts[k][0]
    plan = plan_fit(job, part, iterations=job.fit.iterations)
    history, final = FitHistory(), None
    gen = fit(plan.net, plan.z, plan.loss_fn, finalize=plan.finalize, history=history, **plan.fit_kwargs)
    try:
        for snap in gen:
            if snap.preview is not None:
                final = snap.preview
    finally:
        gen.close()
    return {"tile": k, "image": np.asarray(final), "config": plan.config,
            "record": {"tile": k, "iterations_run": len(history.loss), "stopped_at": history.stopped_at,
                       "reason": history.stop_reason, "seconds": round(time.perf_counter() - t0, 3)}}


def blend_tiles(job, tiles: list[dict]) -> RestoreResult:
    """The restored image from every tile's :func:`fit_tile` result (any order), blended as the driver
    does."""
    data = job.data(())
    boxes = list(tiles_of(job, data))
    found = sorted(t["tile"] for t in tiles)
    if found != list(range(len(boxes))):
        raise ValueError(f"blending needs tiles 0-{len(boxes) - 1} once each, got {found}.")
    canvas = Canvas(job, initial_output(job))
    canvas.start_plane((), data.x, data.missing, tiled=bool(job.tile))
    by_index = {t["tile"]: t for t in tiles}
    for k, (_, osl, weight) in enumerate(boxes):
        canvas.show(by_index[k]["image"], osl, weight, done=True)
    records = [by_index[k]["record"] for k in range(len(boxes))]
    config = dict(by_index[0]["config"])
    config.update(
        run_config(job, len(boxes)),
        iterations_run=sum(r["iterations_run"] for r in records),
        tile_records=records,
        tiles_parallel=True,
        seconds=round(sum(r["seconds"] for r in records), 3),
    )
    last = records[-1]
    return RestoreResult(
        image=canvas.out, history=[], stopped_at=StopInfo(last["stopped_at"], last["reason"]), config=config
    )
