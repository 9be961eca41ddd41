"""What runs on a Dask worker: one fit of a file, one plane of a stack, and the stack's assembly.

Each function reads its input itself (workers share the file system with the
client), restores with :func:`napari_dip.restore` and writes through
:func:`napari_dip.io.write_image` (a temporary name renamed when complete, and
the JSON sidecar); a whole file through :func:`napari_dip.restore_file.restore_file`,
as ``napari-dip restore``. A bad input (``ValueError``, ``OSError``: unreadable file,
mask of the wrong shape, an option the task refuses) is returned as a failed
record, not raised, so that Dask does not retry it; any other exception (a
CUDA error, say) is raised and retried by Dask (``retries``). torch is
imported here, on the worker, never on the client.
"""

from __future__ import annotations

import time

import numpy as np

from napari_dip.core.mask import mask_plane
from napari_dip.io import read_image
from napari_dip.io.geometry import with_pixel_size
from napari_dip.restore_file import load_mask, restore_file, write_result

#: Exceptions that mean "this input is bad": reported at once, never retried.
BAD_INPUT = (ValueError, OSError)
#: Options that say what to read (``read_image``), not how to restore.
READ = ("scene", "channel")


def record(spec: dict, status: str, seconds: float = 0.0, error: str | None = None) -> dict:
    """A line of ``batch-report.json``."""
    return {
        "input": spec["input"],
        "status": status,
        "output": spec["output"] if status != "failed" else None,
        "error": error,
        "seconds": round(float(seconds), 3),
    }


def message(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def pin_threads(spec: dict) -> None:
    """Pin torch's intra-op threads of this worker (the embedded cluster splits the cores)."""
    n = spec.get("torch_threads")
    if n:
        import torch

        if torch.get_num_threads() != n:
            torch.set_num_threads(int(n))


def read_input(spec: dict):
    return read_image(spec["input"], **selection(spec)), load_mask(spec.get("mask"))


def selection(spec: dict) -> dict:
    """The ``scene`` and ``channel`` to read (``read_image``'s keywords)."""
    return {k: spec["kwargs"][k] for k in READ if spec["kwargs"].get(k) is not None}


def restore_kwargs(spec: dict, **extra) -> dict:
    return {k: v for k, v in {**spec["kwargs"], **extra}.items() if k not in READ}


def _restore(spec: dict, img, mask, **extra):
    from napari_dip import restore  # torch: on the worker only, never on the client

    kwargs = with_pixel_size(img, restore_kwargs(spec, **extra), spec["kwargs"].get("mode"))
    return restore(img.data, spec["task"], mask=mask, channel_axis=img.channel_axis, **kwargs)


def _provenance(spec: dict) -> dict:
    """What the output's settings record of the batch besides the run's config."""
    return {"input": spec["input"], "batch": spec["fingerprint"]}


def write_output(spec: dict, img, image: np.ndarray, config: dict) -> None:
    write_result(spec["output"], img, image, {**config, **_provenance(spec)}, spec["kwargs"].get("factor"))


def fit_file(spec: dict) -> dict:
    """Restore a whole file (an image, a volume, or a warm-started chain of planes) and write it."""
    t0 = time.perf_counter()
    try:
        pin_threads(spec)
        restore_file(spec["input"], spec["task"], spec["output"], mask=spec.get("mask"),
                     record=_provenance(spec), **selection(spec), **restore_kwargs(spec))
    except BAD_INPUT as err:
        return record(spec, "failed", time.perf_counter() - t0, message(err))
    return record(spec, "done", time.perf_counter() - t0)


def plane_index(ndim: int, channel_axis: int | None, idx: tuple) -> tuple:
    """The array index of plane ``idx`` (over the leading non-channel axes)."""
    c = None if channel_axis is None else channel_axis % ndim
    lead = [i for i in range(ndim) if i != c][: len(idx)]
    out: list = [slice(None)] * ndim
    for axis, i in zip(lead, idx, strict=False):
        out[axis] = i
    return tuple(out)


def fit_plane(spec: dict, idx: tuple, first: bool) -> dict:
    """Restore plane ``idx`` of a stack exactly as plane mode does (``restore(..., planes=[idx])``).

    Returns the plane (``first``: the whole output, which holds the copied
    planes and gives the stack its shape), its record and the run's config;
    or ``{"error": ...}`` for a bad input. A plane whose own mask is empty is
    copied from the input, as plane mode does.
    """
    t0 = time.perf_counter()
    idx = tuple(idx)
    try:
        pin_threads(spec)
        img, mask = read_input(spec)
        if _nothing_missing(mask, idx, spec["kwargs"].get("mode")):
            image, config, stop = img.data, None, None
            rec = {"plane": list(idx), "skipped": "nothing missing: copied from the input"}
        else:
            result = _restore(spec, img, mask, planes=[idx])
            image, config, stop = result.image, result.config, dict(result.stopped_at.__dict__)
            rec = config["planes"][0]
    except BAD_INPUT as err:
        return {"error": message(err), "seconds": time.perf_counter() - t0}
    where = plane_index(image.ndim, img.channel_axis, idx)
    return {
        "index": idx,
        "image": np.array(image if first else image[where]),
        "record": rec,
        "config": config,
        "stopped_at": stop,
        "seconds": time.perf_counter() - t0,
    }


def _nothing_missing(mask, idx: tuple, mode: str | None) -> bool:
    """A stack mask (more axes than a fit) that marks nothing in plane ``idx``."""
    fit_ndim = 3 if mode == "volume" else 2
    return mask is not None and mask.ndim > fit_ndim and not np.any(mask_plane(mask, idx, fit_ndim))


def write_planes(spec: dict, parts: list[dict]) -> dict:
    """Put the planes fitted in parallel back in order into one stack and write it with the input's
    metadata."""
    t0 = time.perf_counter()
    seconds = sum(p.get("seconds", 0.0) for p in parts)
    failed = [p["error"] for p in parts if "error" in p]
    if failed:
        return record(spec, "failed", seconds, failed[0])
    try:
        img = read_image(spec["input"], **selection(spec))
        out = parts[0]["image"]
        for part in parts[1:]:
            out[plane_index(out.ndim, img.channel_axis, part["index"])] = part["image"]
        fitted = [p for p in parts if p["config"] is not None]
        if not fitted:
            raise ValueError("mask is empty: paint the missing pixels (non-zero labels) before restoring.")
        config = dict(fitted[0]["config"])
        config.update(planes=[p["record"] for p in parts], n_planes=len(parts), seconds=round(seconds, 3),
                      iterations_run=sum(p["record"].get("iterations_run", 0) for p in parts),
                      stopped_at=fitted[-1]["stopped_at"], plane_parallel=True)
        write_output(spec, img, out, config)
    except BAD_INPUT as err:
        return record(spec, "failed", seconds + time.perf_counter() - t0, message(err))
    return record(spec, "done", seconds + time.perf_counter() - t0)
