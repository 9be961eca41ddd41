"""One image's tiles as separate fits: fit one tile anywhere, stitch the fitted tiles into the image.

The same fits as a tiled :func:`napari_dip.restore` (``tile=N``): :func:`prepare_tiles` builds the
same job (the whole image's normalisation, the same tile boxes), :func:`fit_one_tile` fits tile ``k``
exactly as the driver does (same seed, same plan), and :func:`stitch_tiles` stitches the tiles' final
images with the driver's cosine weights in tile order. Tiles can so run in other processes or
machines (``napari-dip batch --tile``) and be stitched later.

Without the whole image: :func:`region_job` builds the job of one tile's pixels alone with the whole
image's value mapping (:mod:`..streamed`), :func:`fit_region` fits it as :func:`fit_one_tile` fits that
tile, :func:`image_job` stands for the whole image in the run's record, and :func:`stitched_block`
stitches and decodes one block of the output from the tiles that touch it (the same sums, in the same
order, as :func:`stitch_tiles`). No napari.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ...data import colour_channels
from ...engine import sizing
from ...engine.driver import run_config, start_fit, tiles_of
from ...engine.job import output_shape
from ...engine.results import StopInfo
from ...restore import RestoreResult, prepare_job
from ..boxes import check_apart, tile_boxes
from ..stitching import Canvas, initial_output, tile_weights
from ..streamed import mapped_codec


def prepare_tiles(image: np.ndarray, task: str, **kwargs):
    """The job of ``restore(image, task, **kwargs)`` for one 2D image (with channels); a ``ValueError``
    for a stack (its planes are the batch's unit of work, tiled inside each fit). Tiles cover the whole
    image: ``extent`` is ``"whole"`` here (windows around a mask's damage are fitted by :func:`restore`).
    ``tile_start="warm"`` is a ``ValueError``: its tiles start from each other, in turn, in one run."""
    check_apart(kwargs.get("tile_start"))
    if kwargs.get("extent") == "windows":
        raise ValueError("tiles as separate fits cover the whole image, but extent='windows': use "
                         "extent='whole' or 'auto', or restore the image in one run to fit windows.")
    job = prepare_job(image, task, **{**kwargs, "extent": "whole"})
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


def fit_one_tile(job, k: int) -> dict:
    """Fit tile ``k`` as the tiled run does; return its final image ``(C, h, w)`` in [0, 1] and record."""
    parts = list(tiles_of(job, job.data(())))
    if not 0 <= k < len(parts):
        raise ValueError(f"tile {k} does not exist: the image has {len(parts)} tile(s).")
    return _fit(job, parts[k][0], k)


def fit_region(job, k: int) -> dict:
    """Fit the image of :func:`region_job` (tile ``k``'s pixels) as :func:`fit_one_tile` fits tile ``k``."""
    return _fit(job, job.data(()), k)


def _fit(job, part, k: int) -> dict:
    t0 = time.perf_counter()
    plan, history, gen = start_fit(job, part, job.fit.iterations)
    final = None
    try:
        for snap in gen:
            if snap.preview is not None:
                final = snap.preview
    finally:
        gen.close()
    return {"tile": k, "image": np.asarray(final), "config": plan.config,
            "record": {"tile": k, "iterations_run": len(history.loss), "stopped_at": history.stopped_at,
                       "reason": history.stop_reason, "seconds": round(time.perf_counter() - t0, 3)}}


def region_job(region: np.ndarray, task: str, mapping: dict, **kwargs):
    """The job of one tile's pixels ``region`` (a 2D image with channels, no larger than the tile),
    encoded with the whole image's value ``mapping`` (:func:`..streamed.value_mapping`): its fit is
    that tile's fit in the tiled run. ``ValueError`` for a task whose preset depends on the whole
    image's holes (a mask) and for ``noise="poisson"`` (its camera model is estimated on the whole
    image): those need :func:`prepare_tiles`. ``tile_start="warm"``: a ``ValueError``, as there."""
    check_apart(kwargs.get("tile_start"))
    job = prepare_job(region, task, **kwargs)
    if job.task.form.needs_mask or job.camera is not None or job.tile is not None:
        noise = job.noise.name if job.noise is not None else job.settings.noise  # "auto" resolved
        raise ValueError(f"a tile read alone cannot be fitted as part of the image for task {task!r} "
                         f"with {noise!r} noise and tile={kwargs.get('tile')!r}: "
                         "read the whole image (prepare_tiles).")
    codec = mapped_codec(mapping, region.shape, region.dtype, job.codec.channel_axis, job.codec.alpha)
    return dataclasses.replace(job, codec=codec)


def image_job(region: np.ndarray, shape: tuple, task: str, mapping: dict, **kwargs):
    """The whole image's job for the run's record (:func:`tiled_result`), from one tile's ``region``:
    the image's ``shape``, value mapping, memory estimate, tile size and output shape."""
    job = region_job(region, task, mapping, **kwargs)
    codec = mapped_codec(mapping, shape, region.dtype, job.codec.channel_axis)
    s = job.scale
    plane = codec.plane_shape
    channels = colour_channels(shape, codec.channel_axis)
    memory = sizing.estimate(job.fit, channels, (plane[-2] * s, plane[-1] * s), 2, job.device,
                             job.settings.precision)
    return dataclasses.replace(job, codec=codec, memory=memory, tile=int(kwargs["tile"]),
                               out_shape=output_shape(codec, s))


def _boxes(job) -> list[tuple]:
    return tile_boxes(job.codec.plane_shape[-2:], job.tile, job.overlap)


def stitched_block(job, block: tuple, load, alpha: np.ndarray | None = None) -> np.ndarray:
    """Output pixels ``block = (y0, y1, x0, x1)`` of :func:`image_job`'s image in its dtype and layout:
    the tiles that touch the block (``load(k)``: tile ``k``'s fitted ``(C, h, w)``) summed with their
    cosine weights in tile order and divided by the summed weights, exactly as :func:`stitch_tiles`;
    ``alpha``: the block's alpha channel (an RGBA input, at input resolution)."""
    y0, y1, x0, x1 = block
    s, plane = job.scale, job.codec.plane_shape[-2:]
    acc = np.zeros((colour_channels(job.codec.shape, job.codec.channel_axis), y1 - y0, x1 - x0))
    wsum = np.zeros((y1 - y0, x1 - x0))
    for k, box in enumerate(_boxes(job)):
        ty0, ty1, tx0, tx1 = (v * s for v in box)
        iy0, iy1, ix0, ix1 = max(y0, ty0), min(y1, ty1), max(x0, tx0), min(x1, tx1)
        if iy0 >= iy1 or ix0 >= ix1:
            continue
        inner = (slice(iy0 - ty0, iy1 - ty0), slice(ix0 - tx0, ix1 - tx0))
        weight = tile_weights(box, plane, job.tile, job.overlap, s)[inner]
        where = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
        acc[(slice(None), *where)] += weight * load(k)[(slice(None), *inner)]
        wsum[where] += weight
    shape = list(job.out_shape)
    spatial = [i for i in range(len(shape)) if i != job.codec.channel_axis][-2:]
    shape[spatial[0]], shape[spatial[1]] = y1 - y0, x1 - x0
    codec = dataclasses.replace(job.codec, shape=tuple(shape), alpha=alpha)
    np.divide(acc, wsum, out=acc)  # in place: the same quotient, one block fewer in memory
    del wsum
    return codec.decode(acc, scale=s, index=())


def stitch_tiles(job, tiles: list[dict]) -> RestoreResult:
    """The restored image from every tile's :func:`fit_one_tile` result (any order), stitched as the driver
    does."""
    data = job.data(())
    boxes = list(tiles_of(job, data))
    found = sorted(t["tile"] for t in tiles)
    if found != list(range(len(boxes))):
        raise ValueError(f"stitching needs tiles 0-{len(boxes) - 1} once each, got {found}.")
    canvas = Canvas(job, initial_output(job))
    canvas.start_plane((), data.x, data.missing, tiled=job.split)
    by_index = {t["tile"]: t for t in tiles}
    for k, (_, osl, weight) in enumerate(boxes):
        canvas.show(by_index[k]["image"], osl, weight, done=True)
    return tiled_result(job, [by_index[k] for k in range(len(boxes))], canvas.out)


def tiled_result(job, tiles: list[dict], image) -> RestoreResult:
    """The result of a tiled run from its tiles in order (their ``config`` and ``record``): the first
    tile's config completed with the run's, as the driver records it."""
    records = [t["record"] for t in tiles]
    config = dict(tiles[0]["config"])
    config.update(
        run_config(job, len(tiles)),
        iterations_run=sum(r["iterations_run"] for r in records),
        tile_records=records,
        tiles_parallel=True,
        seconds=round(sum(r["seconds"] for r in records), 3),
        shape=list(job.codec.shape),
    )
    last = records[-1]
    return RestoreResult(
        image=image, history=[], stopped_at=StopInfo(last["stopped_at"], last["reason"]), config=config
    )
