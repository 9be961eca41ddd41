"""One 2D image in tiles, each tile its own Dask task (``napari-dip batch --tile N``).

Planning (on the client): how many tiles, which are not yet kept from an earlier run, and the whole
image's value mapping, computed once by streaming over the image block by block
(:func:`napari_dip.core.tiling.streamed.value_mapping`) and passed to every task as numbers. On the workers:
:func:`fit_tile` reads its tile's pixels only (:mod:`napari_dip.io.region`), fits them
(:mod:`napari_dip.core.tiling.runner`) and keeps the result on disk; :func:`write_tiles` writes the image
block by block, each block stitched from the kept tiles that touch it, and drops them. No process
holds the whole image.

Tasks whose fit depends on more of the image than its value range (``inpaint`` and ``reconstruct``
choose their preset from the whole image's deepest hole; ``noise="poisson"`` estimates the camera on
the whole image) take the whole-image path instead: each tile task reads the whole image and prepares
its job, the write task stitches in memory. ``noise="auto"`` is decided once, on the client, from the
image's centre (the pixels its test reads, :mod:`napari_dip.core.noise_growth`): Gaussian streams with
that decision handed to every tile, the camera model takes the whole-image path. torch is imported on
the workers only.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import time
from pathlib import Path

import numpy as np

from napari_dip.core import tasks
from napari_dip.core.data import is_rgba
from napari_dip.core.noise import CAMERA_PARAMETERS, choose_noise_model
from napari_dip.core.noise_growth import MAX_SIDE
from napari_dip.core.settings import Settings
from napari_dip.core.tiling.boxes import check_apart, tile_boxes
from napari_dip.core.tiling.streamed import value_mapping
from napari_dip.io import read_header
from napari_dip.io.formats import json_default
from napari_dip.io.region import open_region

from . import work

#: Output blocks of the streamed write (Y and X; a multiple of every super-resolution factor).
BLOCK = 256
#: Fitted tiles the streamed write keeps loaded (the blocks of a row touch the same few).
CACHED_TILES = 8


def tile_total(shape: tuple, axes: str, options: dict) -> int:
    """How many tiles a 2D image is fitted in with ``options["tile"]`` a size (the driver's rule)."""
    tile = options.get("tile")
    if isinstance(tile, bool) or not isinstance(tile, (int, np.integer)):
        return 1
    plane = _plane(shape, axes)
    if tile >= max(plane):
        return 1
    return len(tile_boxes(plane, int(tile), int(options.get("tile_overlap", 32))))


def _plane(shape: tuple, axes: str) -> tuple[int, int]:
    c = next((axes.index(a) for a in "SC" if a in axes), None)  # the channel axis, as inputs.channel_axis
    return tuple(s for i, s in enumerate(shape) if i != c)[-2:]  # type: ignore[return-value]


def streamed(task: str, options: dict) -> bool:
    """Whether each tile can be fitted from its own pixels and the image's value mapping alone (``noise``
    resolved: ``"auto"`` is decided by :func:`plan_tiles` first)."""
    return not tasks.get(task).form.needs_mask and options.get("noise", Settings.noise) == "gaussian"


def _auto_noise(unit, options: dict, task: str) -> dict:
    """``options`` with ``noise="auto"`` decided on the centre of the image (kept in ``unit.tile_noise``)."""
    if (options.get("noise", Settings.noise) != "auto" or tasks.get(task).form.needs_mask
            or any(options.get(k) is not None for k in CAMERA_PARAMETERS)):
        return options
    reader = open_region(unit.input, scene=options.get("scene"), channel=options.get("channel"))
    y, x = _plane(reader.shape, reader.axes)
    y0, x0 = max(0, (y - MAX_SIDE) // 2), max(0, (x - MAX_SIDE) // 2)
    centre = reader.read(slice(y0, y0 + MAX_SIDE), slice(x0, x0 + MAX_SIDE))
    choice = choose_noise_model(centre, channel_axis=reader.channel_axis)
    unit.tile_noise = {**choice.to_dict(), "summary": choice.summary()}
    return {**options, "noise": choice.name}


def plan_tiles(unit, shape: tuple, axes: str, options: dict, task: str) -> None:
    """A 2D image in more than one tile: one task per tile not yet kept from an earlier run, and (when
    :func:`streamed`) the image's value mapping, read once here, block by block."""
    n = tile_total(shape, axes, options)
    if n < 2:
        return
    check_apart(options.get("tile_start"))  # warm tiles run in turn in one task, never as tasks apart
    unit.tiles = n
    unit.tile_dir = unit.output.with_name(f".{unit.output.name}.tiles") / unit.fingerprint["hash"][:16]
    unit.tile_todo = [k for k in range(n) if not tile_path(unit.tile_dir, k).is_file()]
    options = _auto_noise(unit, options, task)
    if streamed(task, options):
        reader = open_region(unit.input, scene=options.get("scene"), channel=options.get("channel"))
        unit.tile_values = value_mapping(reader.blocks, reader.shape, channel_axis=reader.channel_axis,
                                         normalize=options.get("normalize", "minmax"))


def tile_path(folder, k: int) -> Path:
    """Where tile ``k``'s fitted image is kept until the whole image is written."""
    return Path(folder) / f"tile_{k:04d}.npz"


def _runner():
    """The tile runner (:mod:`napari_dip.core.tiling.runner`), imported on first use: it loads torch, which
    the workers need and the client (planning, this module's import) never loads."""
    from napari_dip.core.tiling import runner  # torch: on the worker, never on the client

    return runner


def _tile_job(spec: dict, img, mask):
    return _runner().prepare_tiles(
        img.data, spec["task"], mask=mask, channel_axis=img.channel_axis, **work.restore_kwargs(spec)
    )


def _reader(spec: dict):
    return open_region(spec["input"], **work.selection(spec))


def _region(spec: dict, reader, k: int) -> np.ndarray:
    """Tile ``k``'s pixels, read alone."""
    kw = spec["kwargs"]
    boxes = tile_boxes(_plane(reader.shape, reader.axes), int(kw["tile"]), int(kw.get("tile_overlap", 32)))
    if not 0 <= k < len(boxes):
        raise ValueError(f"tile {k} does not exist: the image has {len(boxes)} tile(s).")
    y0, y1, x0, x1 = boxes[k]
    return reader.read(slice(y0, y1), slice(x0, x1))


def _fit_one(spec: dict, k: int) -> dict:
    runner = _runner()
    values = spec["tiles"].get("values")
    if values is None:  # the whole-image path (masks, noise="poisson")
        img, mask = work.read_input(spec)
        return runner.fit_one_tile(_tile_job(spec, img, mask), int(k))
    reader = _reader(spec)
    job = runner.region_job(_region(spec, reader, k), spec["task"], values, channel_axis=reader.channel_axis,
                            **_streamed_kwargs(spec))
    return runner.fit_region(job, int(k))


def fit_tile(spec: dict, k: int) -> dict:
    """Fit tile ``k`` of the input and keep it on disk (a temporary name renamed when complete), so that
    a re-run fits only the tiles that are missing. Returns ``{"tile", "seconds"}`` or ``{"tile",
    "error"}``."""
    t0 = time.perf_counter()
    try:
        work.pin_threads(spec)
        part = _fit_one(spec, k)
        folder = Path(spec["tiles"]["dir"])
        folder.mkdir(parents=True, exist_ok=True)
        path = tile_path(folder, k)
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.part.npz")
        meta = json.dumps({"config": part["config"], "record": part["record"]}, default=json_default)
        try:
            np.savez(tmp, image=part["image"], meta=np.array(meta))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except work.BAD_INPUT as err:
        return {"tile": int(k), "error": work.message(err)}
    return {"tile": int(k), "seconds": time.perf_counter() - t0}


def _load_tile(path: Path, k: int, image: bool = True) -> dict:
    with np.load(path) as f:
        meta = json.loads(str(f["meta"]))
        pixels = f["image"] if image else None  # an npz member is read only when asked for
        return {"tile": k, "image": pixels, "config": meta["config"], "record": meta["record"]}


def _write_whole(spec: dict) -> None:
    """The whole-image path: every tile stitched in memory, the image written."""
    img, mask = work.read_input(spec)
    job = _tile_job(spec, img, mask)
    info = spec["tiles"]
    tiles = [_load_tile(tile_path(info["dir"], k), k) for k in range(info["count"])]
    result = _runner().stitch_tiles(job, tiles)
    config = {**result.config, "stopped_at": dict(result.stopped_at.__dict__)}
    work.write_output(spec, img, result.image, config)


def _write_streamed(spec: dict) -> None:
    """The image written block by block (:func:`lazy_output`), with the run's record from the tiles' own."""
    runner = _runner()
    info, reader = spec["tiles"], _reader(spec)
    job = runner.image_job(_region(spec, reader, 0), reader.shape, spec["task"], info["values"],
                           channel_axis=reader.channel_axis, **_streamed_kwargs(spec))
    kept = [_load_tile(tile_path(info["dir"], k), k, image=False) for k in range(info["count"])]
    result = runner.tiled_result(job, kept, None)
    image = lazy_output(job, reader, info["dir"])
    config = {**result.config, "stopped_at": dict(result.stopped_at.__dict__)}
    if info.get("noise"):  # noise="auto", decided on the client: its record, not the tiles' "gaussian"
        config["noise_choice"] = info["noise"]
    work.write_output(spec, read_header(spec["input"], **work.selection(spec)), image, config)


def _streamed_kwargs(spec: dict) -> dict:
    """A streamed tile's restore options: ``noise="auto"`` as the client decided it (every tile alike)."""
    decided = spec["tiles"].get("noise")
    return work.restore_kwargs(spec, **({"noise": decided["name"]} if decided else {}))


def lazy_output(job, reader, folder):
    """The restored image as a dask array of ``BLOCK`` x ``BLOCK`` (Y, X) chunks, each stitched from the
    kept tiles that touch it when it is computed (:func:`napari_dip.core.tiling.runner.stitched_block`)."""
    import dask.array as da  # comes with distributed; only the write task needs it

    stitched_block = _runner().stitched_block
    load = functools.lru_cache(maxsize=CACHED_TILES)(lambda k: _load_tile(tile_path(folder, k), k)["image"])
    shape, c, s = job.out_shape, job.codec.channel_axis, job.scale
    y, x = [i for i in range(len(shape)) if i != c][-2:]
    rgba = is_rgba(shape, c)
    side = tuple((BLOCK if i in (y, x) else n) for i, n in enumerate(shape))
    chunks = da.core.normalize_chunks(side, shape)

    def block(block_info=None):
        (y0, y1), (x0, x1) = (block_info[None]["array-location"][i] for i in (y, x))
        alpha = None
        if rgba:  # the alpha channel is copied from the input (repeated for super-resolution)
            alpha = np.take(reader.read(slice(y0 // s, y1 // s), slice(x0 // s, x1 // s)), [3], axis=c)
        return stitched_block(job, (y0, y1, x0, x1), load, alpha)

    return da.map_blocks(block, chunks=chunks, dtype=job.codec.dtype,
                         meta=np.empty((0,) * len(shape), job.codec.dtype))


def write_tiles(spec: dict, parts: list[dict]) -> dict:
    """Stitch every tile kept on disk into the image, write it with the input's metadata, drop the tiles."""
    t0 = time.perf_counter()
    seconds = sum(p.get("seconds", 0.0) for p in parts)
    failed = [p["error"] for p in parts if "error" in p]
    if failed:
        return work.record(spec, "failed", seconds, failed[0])
    info = spec["tiles"]
    try:
        if info.get("values") is None:
            _write_whole(spec)
        else:
            _write_streamed(spec)
    except work.BAD_INPUT as err:
        return work.record(spec, "failed", seconds + time.perf_counter() - t0, work.message(err))
    shutil.rmtree(Path(info["dir"]).parent, ignore_errors=True)
    rec = work.record(spec, "done", seconds + time.perf_counter() - t0)
    rec["tiles"] = {"count": info["count"], "fitted": sorted(p["tile"] for p in parts),
                    "reused": sorted(set(range(info["count"])) - {p["tile"] for p in parts})}
    return rec
