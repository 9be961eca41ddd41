"""One 2D image in tiles, each tile its own Dask task (``napari-dip batch --tile N``).

Planning (on the client, from the header): how many tiles, and which are not yet kept from an
earlier run. On the workers: :func:`fit_tile` fits one tile (:mod:`napari_dip.core.tiled`) and
keeps it on disk, :func:`write_tiles` blends them all into the image, writes it and drops them.
torch is imported on the workers only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path

import numpy as np

from napari_dip._io_formats import json_default
from napari_dip.core.memory import tile_boxes

from . import work


def tile_total(shape: tuple, axes: str, options: dict) -> int:
    """How many tiles a 2D image is fitted in with ``options["tile"]`` a size (the driver's rule)."""
    tile = options.get("tile")
    if isinstance(tile, bool) or not isinstance(tile, (int, np.integer)):
        return 1
    c = next((axes.index(a) for a in "SC" if a in axes), None)  # the channel axis, as inputs.channel_axis
    plane = tuple(s for i, s in enumerate(shape) if i != c)[-2:]
    if tile >= max(plane):
        return 1
    return len(tile_boxes(plane, int(tile), int(options.get("tile_overlap", 32))))


def plan_tiles(unit, shape: tuple, axes: str, options: dict) -> None:
    """A 2D image in more than one tile: one task per tile not yet kept from an earlier run."""
    n = tile_total(shape, axes, options)
    if n < 2:
        return
    unit.tiles = n
    unit.tile_dir = unit.output.with_name(f".{unit.output.name}.tiles") / unit.fingerprint["hash"][:16]
    unit.tile_todo = [k for k in range(n) if not tile_path(unit.tile_dir, k).is_file()]


def tile_path(folder, k: int) -> Path:
    """Where tile ``k``'s fitted image is kept until the whole image is written."""
    return Path(folder) / f"tile_{k:04d}.npz"


def _tile_job(spec: dict, img, mask):
    from napari_dip.core.tiled import prepare_tiles  # torch: imported on the worker, never on the client

    return prepare_tiles(
        img.data, spec["task"], mask=mask, channel_axis=img.channel_axis, **work.restore_kwargs(spec)
    )


def fit_tile(spec: dict, k: int) -> dict:
    """Fit tile ``k`` of the input and keep it on disk (a temporary name renamed when complete), so that
    a re-run fits only the tiles that are missing. Returns ``{"tile", "seconds"}`` or ``{"tile",
    "error"}``."""
    from napari_dip.core.tiled import fit_tile as fit_one  # torch: imported on the worker only

    t0 = time.perf_counter()
    try:
        work.pin_threads(spec)
        img, mask = work.read_input(spec)
        part = fit_one(_tile_job(spec, img, mask), int(k))
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


def _load_tile(path: Path, k: int) -> dict:
    with np.load(path) as f:
        meta = json.loads(str(f["meta"]))
        return {"tile": k, "image": f["image"], "config": meta["config"], "record": meta["record"]}


def write_tiles(spec: dict, parts: list[dict]) -> dict:
    """Blend every tile kept on disk into the image, write it with the input's metadata, drop the tiles."""
    from napari_dip.core.tiled import blend_tiles  # torch: imported on the worker only

    t0 = time.perf_counter()
    seconds = sum(p.get("seconds", 0.0) for p in parts)
    failed = [p["error"] for p in parts if "error" in p]
    if failed:
        return work.record(spec, "failed", seconds, failed[0])
    try:
        img, mask = work.read_input(spec)
        job = _tile_job(spec, img, mask)
        info = spec["tiles"]
        tiles = [_load_tile(tile_path(info["dir"], k), k) for k in range(info["count"])]
        result = blend_tiles(job, tiles)
        work.write_output(
            spec, img, result.image, {**result.config, "stopped_at": dict(result.stopped_at.__dict__)}
        )
    except work.BAD_INPUT as err:
        return work.record(spec, "failed", seconds + time.perf_counter() - t0, work.message(err))
    shutil.rmtree(Path(info["dir"]).parent, ignore_errors=True)
    rec = work.record(spec, "done", seconds + time.perf_counter() - t0)
    rec["tiles"] = {"count": info["count"], "fitted": sorted(p["tile"] for p in parts),
                    "reused": sorted(set(range(info["count"])) - {p["tile"] for p in parts})}
    return rec
