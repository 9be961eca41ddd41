"""The public restoration API: :func:`restore` and :func:`iter_restore`.

This module turns a task name and user arrays into the pieces of the one
loop in :mod:`.engine` (network, input, operator, loss, finalize) and maps
its snapshots back to the user's dtype and layout.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

import numpy as np

from . import presets as _presets
from .data import ImageCodec
from .engine import FitHistory, Snapshot

DEFAULTS: dict[str, Any] = {
    "preset": None,          # None: the task's preset ("hole" picked automatically for large holes)
    "network": None,         # "skip", "unet", "resnet", "decoder" (None: the preset's)
    "width": None,           # cap on channels (None: 128 on GPU, 64 on CPU)
    "depth": None,           # hourglass depth (None: the preset's)
    "input": None,           # "noise" or "meshgrid" (None: the preset's)
    "input_depth": None,
    "fill_input": "auto",    # feed the classical estimate as input channels (auto: SR, and masks no deeper than fill_radius)
    "fill_radius": 4,        # fill_input="auto" feeds the classical fill only if no missing region is deeper (px)
    "lr": None,
    "reg_noise_std": None,
    "param_noise_std": 0.0,
    "ema": 0.99,
    "output": "ema",         # "ema", "last" or "best"
    "early_stop": None,      # None: the preset's (on for denoise)
    "window": 50,
    "patience": 100,
    "backtrack": None,
    "loss": None,            # "mse" or "multiscale"
    "tv_weight": 0.0,
    "keep_known": True,      # inpaint/reconstruct: return observed pixels exactly
    "hole_radius": 8,        # a missing region this many pixels deep selects the "hole" preset
    "preview_every": 10,
    "precision": "auto",     # "auto" (bf16 autocast on CPU / CUDA), "bf16", "fp32"
    # --- stacks and microscopy (docs/microscopy.md) ---
    "mode": None,            # stacks: "plane" (one 2D fit per plane) or "volume" (3D network on Z, Y, X); None: "plane"
    "planes": None,          # indices over the leading axes to restore (None: all); the others are copied
    "warm_start": False,     # plane mode: start each plane from the previous plane's fitted weights
    "warm_iterations": None,  # iterations of a warm-started plane (None: iterations // 3)
    "normalize": "minmax",   # "minmax" (exact) or "percentile" (0.1/99.9 percentiles -> [0.1, 0.9])
    "noise": "gaussian",     # "gaussian" or "poisson" (Anscombe transform around the fit)
    "max_memory": None,      # bytes one fit may use (None: 4 GiB on CPU/MPS, 90 % of the free memory on CUDA)
    "tile": "auto",          # "auto": tiles of 256 px when a fit exceeds max_memory; False: refuse; int: tile size
    "tile_overlap": 32,      # pixels shared by neighbouring tiles (blended with cosine ramps)
}

MODES = ("plane", "volume")
NOISES = ("gaussian", "poisson")
TILE = 256
CPU_MAX_MEMORY = 4 * 1024**3


@dataclass
class StopInfo:
    """Where the returned image comes from and why the run ended."""

    iteration: int
    reason: str  # "iterations", "early_stop" or "closed"


@dataclass
class RestoreResult:
    """What :func:`restore` returns.

    ``image``: the restored image, same shape as the input (super-resolution:
    spatial axes x factor), same dtype and value range. ``history``: one record
    per iteration with its ``loss``, plus ``psnr``/``ssim`` on preview
    iterations when a reference was given. ``stopped_at``: the iteration the
    image comes from and why. ``config``: every setting used, JSON-ready.
    """

    image: np.ndarray
    history: list[dict] = field(default_factory=list)
    stopped_at: StopInfo = field(default_factory=lambda: StopInfo(0, "closed"))
    config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"history": self.history, "stopped_at": asdict(self.stopped_at), "config": self.config}


def restore(image: np.ndarray, task: str, *, mask: np.ndarray | None = None, factor: int | None = None,
            channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
            device: str | None = None, reference: np.ndarray | None = None, **options) -> RestoreResult:
    """Restore ``image`` with a Deep Image Prior.

    Parameters
    ----------
    image : ndarray
        2D grayscale or 2D with channels (``channel_axis``, RGB included), or a
        stack: any axes before the last two spatial ones (T, Z, ...) hold planes
        (``mode="plane"``), or the last three are a Z-stack (``mode="volume"``).
        Any of uint8, uint16, int, float32, float64. Never modified.
    task : {"denoise", "inpaint", "reconstruct", "super_resolution"}
    mask : ndarray, optional
        Over the spatial axes, napari's convention: non-zero = missing pixel.
        Required by ``inpaint`` and ``reconstruct``. For a stack, a 2D mask
        applies to every plane; a mask with more axes must match the image's
        trailing plane and spatial axes.
    factor : {2, 4, 8}, optional
        Up-scaling factor, required by ``super_resolution``.
    channel_axis : int, optional
        Axis holding colour channels; None for a single channel.
    iterations : int, optional
        Maximum iterations per fit (None: the preset's, e.g. 3000 for denoise).
    seed : int
        Seeds the network weights, the input and the regularisation noise.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``; None picks cuda, mps, cpu.
    reference : ndarray, optional
        A clean image with the output's shape; PSNR/SSIM are then recorded.
    **options
        See :data:`DEFAULTS`, docs/index.md and docs/microscopy.md: ``preset``,
        ``network``, ``width``, ``lr``, ``reg_noise_std``, ``early_stop``,
        ``loss`` ("multiscale": report 001's), ``output``, ``mode``, ``planes``,
        ``warm_start``, ``normalize``, ``noise``, ``max_memory``, ``tile``, ...

    Returns
    -------
    RestoreResult
        For a stack, ``image`` is the whole stack (planes not in ``planes``
        copied from the input) and ``config["planes"]`` has one record per plane.
    """
    final = None
    for snap in iter_restore(image, task, mask=mask, factor=factor, channel_axis=channel_axis,
                             iterations=iterations, seed=seed, device=device, reference=reference, **options):
        if snap.done:
            final = snap
    return final.result


@dataclass
class _Plan:
    """One fit compiled for the engine."""

    net: Any
    z: Any
    loss_fn: Any
    finalize: Any
    fit_kwargs: dict
    config: dict
    spec: dict = field(default_factory=dict)


@dataclass
class _Job:
    """A validated call: the image, how it splits into fits, and the settings they share."""

    image: np.ndarray
    task: str
    codec: ImageCodec
    nd: int                       # spatial axes per fit: 2 (planes) or 3 (volumes)
    mode: str
    planes: list                  # leading-axis indices restored, in order
    run: list                     # of those, the ones that need a fit (the others are copied)
    mask: np.ndarray | None       # bool, shape a trailing part of codec.spatial_shape
    scale: int
    opts: dict
    settings: dict
    dev: Any
    seed: int
    iterations: int
    warm_iterations: int
    out_shape: tuple
    tile: int | None              # tile size (input pixels) or None
    overlap: int
    memory: int                   # estimated bytes of one untiled fit
    max_memory: int


def iter_restore(image: np.ndarray, task: str, *, mask: np.ndarray | None = None, factor: int | None = None,
                 channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
                 device: str | None = None, reference: np.ndarray | None = None,
                 **options) -> Iterator[Snapshot]:
    """The same run as :func:`restore`, as a generator of :class:`Snapshot`.

    Every iteration yields a snapshot; every ``preview_every`` iterations it
    carries ``loss`` and ``preview`` (the current image, in the input's dtype
    and layout). Closing the generator stops the fit (napari's Stop). The last
    snapshot has ``done=True`` and ``result`` (a :class:`RestoreResult`).
    Arguments are validated before the first snapshot, so a bad call raises
    ``ValueError`` at the first ``next()``.

    A stack or a tiled image runs one fit per plane (volume) and tile, one
    after the other through the same loop: ``iteration``/``total`` count the
    current fit, ``plane`` (index tuple over the leading axes),
    ``plane_number``/``n_planes`` and ``tile_number``/``n_tiles`` say which
    fit it is, ``progress`` is the fraction of all the work done; ``preview``
    is the whole stack in the user's layout, filled plane by plane, the current
    plane updated live.
    """
    job = _prepare(image, task, mask=mask, factor=factor, channel_axis=channel_axis,
                   iterations=iterations, seed=seed, device=device, options=options)
    if reference is not None:
        reference = np.asarray(reference)
        if reference.shape != job.out_shape:
            raise ValueError(f"reference has shape {reference.shape} but the restored image will have "
                             f"shape {job.out_shape}; pass the clean image that matches the output.")
    yield from _run(job, reference)


def _run(job: _Job, reference: np.ndarray | None) -> Iterator[Snapshot]:
    from .engine import fit
    from .memory import tile_boxes, tile_weights

    codec, scale, C = job.codec, job.scale, job.codec.n_channels
    out = _initial_output(job)
    plane_in = codec.plane_shape
    plane_out = tuple(s if i < len(plane_in) - 2 else s * scale for i, s in enumerate(plane_in))
    boxes = tile_boxes(plane_in[-2:], job.tile, job.overlap) if job.tile else [None]
    n_planes, n_tiles = len(job.planes), len(boxes)
    multi = n_planes > 1 or n_tiles > 1 or bool(codec.lead_shape)
    pca = codec._plane_channel_axis(())
    rows: list[dict] = []
    plane_records: dict[tuple, dict] = {}
    config: dict | None = None
    total_run = 0
    started = time.perf_counter()
    prev: _Plan | None = None
    prev_state: dict | None = None
    last_fit = (job.run[-1], n_tiles) if job.run else None

    for pn, idx in enumerate(job.planes, start=1):
        ui = codec.user_index(idx)
        record = {"plane": list(idx)}
        if idx not in job.run:
            continue
        t_plane = time.perf_counter()
        x, missing = _plane_data(job, idx)
        # observed pixels are copied from the input, exactly (whatever the value mapping's precision)
        keep = None
        if job.settings["keep_known"]:
            keep = ~missing if pca is None else np.expand_dims(~missing, pca)
        ref_plane = reference[ui] if reference is not None else None
        warm = bool(job.opts["warm_start"]) and prev is not None
        its = job.warm_iterations if warm else job.iterations
        if n_tiles > 1:
            acc = np.zeros((C, *plane_out))
            wsum = np.zeros(plane_out[-2:])
            cur = _upscaled(x, scale).astype(np.float64)
        plane_runs = []
        for tn, box in enumerate(boxes, start=1):
            if box is None:
                osl, w = (Ellipsis,), None
                plan = _plan(x, missing, job, iterations=its, warm=prev if warm else None)
            else:
                y0, y1, x0, x1 = box
                sl = (Ellipsis, slice(y0, y1), slice(x0, x1))
                osl = (Ellipsis, slice(y0 * scale, y1 * scale), slice(x0 * scale, x1 * scale))
                w = tile_weights(box, plane_in[-2:], job.tile, job.overlap, scale)
                plan = _plan(x[sl], missing[sl], job, iterations=its, warm=None)
            if config is None:
                config = plan.config
            history = FitHistory()
            records: dict[int, dict] = {}
            if warm and box is None:
                plan.fit_kwargs["optimizer_state"] = prev_state
            gen = fit(plan.net, plan.z, plan.loss_fn, finalize=plan.finalize, history=history, **plan.fit_kwargs)
            try:
                for snap in gen:
                    final_fit = snap.done and (idx, tn) == last_fit
                    if snap.preview is not None:
                        if w is None:
                            out[ui] = codec.decode(snap.preview, scale=scale, index=idx)
                            if keep is not None:
                                np.copyto(out[ui], job.image[ui], where=keep)
                        else:
                            cur[osl] = (acc[osl] + w * snap.preview) / (wsum[osl[1:]] + w)
                            if snap.done:
                                acc[osl] += w * snap.preview
                                wsum[osl[1:]] += w
                                cur[osl] = acc[osl] / wsum[osl[1:]]
                            out[ui] = codec.decode(cur, scale=scale, index=idx)
                            if keep is not None:
                                np.copyto(out[ui], job.image[ui], where=keep)
                        snap.preview = out if final_fit else out.copy()
                        if ref_plane is not None:
                            snap.metrics = _score(ref_plane, out[ui], pca)
                        records[snap.iteration] = snap.metrics
                    snap.plane, snap.plane_number, snap.n_planes = idx, pn, n_planes
                    snap.tile_number, snap.n_tiles = tn, n_tiles
                    if snap.done:
                        total_run += snap.iteration
                        plane_runs.append((history.stopped_at, snap.stop_reason, snap.iteration))
                        rows += _history(history, records, {"plane": list(idx), "tile": tn} if multi else {})
                        if final_fit:
                            config.update(_run_config(job, n_tiles))
                            config["seconds"] = round(time.perf_counter() - started, 3)
                            config["iterations_run"] = total_run
                            plane_records[idx] = _plane_record(record, warm, its, plane_runs, t_plane)
                            config["planes"] = [plane_records.get(p, {"plane": list(p), "skipped": SKIPPED})
                                                for p in job.planes]
                            snap.result = RestoreResult(
                                image=out, history=rows,
                                stopped_at=StopInfo(history.stopped_at, snap.stop_reason), config=config)
                        else:
                            snap.done = False
                    yield snap
            finally:
                gen.close()
            if box is None:
                prev, prev_state = plan, history.optimizer_state
        plane_records[idx] = _plane_record(record, warm, its, plane_runs, t_plane)
    if last_fit is None:  # nothing needed a fit
        config = {"task": job.task, **_run_config(job, n_tiles), "seconds": 0.0, "iterations_run": 0,
                  "planes": [{"plane": list(p), "skipped": SKIPPED} for p in job.planes]}
        snap = Snapshot(0, 0, preview=out, done=True, stop_reason="iterations")
        snap.result = RestoreResult(image=out, history=[], stopped_at=StopInfo(0, "iterations"), config=config)
        yield snap


SKIPPED = "nothing missing: copied from the input"


def _plane_record(record: dict, warm: bool, its: int, runs: list, t0: float) -> dict:
    return {**record, "warm_start": warm, "iterations": its, "iterations_run": sum(r[2] for r in runs),
            "stopped_at": runs[-1][0] if runs else 0, "reason": runs[-1][1] if runs else None,
            "seconds": round(time.perf_counter() - t0, 3)}


def _run_config(job: _Job, n_tiles: int) -> dict:
    return {
        "mode": job.mode, "stack_shape": list(job.codec.lead_shape), "n_planes": len(job.planes),
        "normalize": job.opts["normalize"], "noise": job.opts["noise"],
        "data_range": [job.codec.vmin if job.codec.vmin is not None else job.codec.lo,
                       job.codec.vmax if job.codec.vmax is not None else job.codec.hi],
        "warm_start": bool(job.opts["warm_start"]), "warm_iterations": job.warm_iterations,
        "memory_estimate": job.memory, "max_memory": job.max_memory,
        "tiles": ({"tile": job.tile, "overlap": job.overlap, "count": n_tiles} if job.tile else None),
    }


def _initial_output(job: _Job) -> np.ndarray:
    """The output stack before any fit: the input (up-scaled by repetition for super-resolution)."""
    out = np.array(job.image, copy=True)
    if job.scale > 1:
        codec = job.codec
        spatial_axes = [i for i in range(out.ndim) if i != codec.channel_axis][-2:]
        for ax in spatial_axes:
            out = np.repeat(out, job.scale, axis=ax)
    return out


def _upscaled(x: np.ndarray, scale: int) -> np.ndarray:
    if scale == 1:
        return x
    return np.repeat(np.repeat(x, scale, axis=-2), scale, axis=-1)


def _plane_data(job: _Job, idx: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Plane ``idx`` encoded ``(C, *plane)`` (non-finite pixels set to 0) and its missing pixels."""
    x = job.codec.encode(job.image, index=idx)
    finite = np.isfinite(x)
    missing = ~finite.all(axis=0)
    if job.mask is not None:
        missing |= _mask_for(job, idx)
    return np.where(finite, x, 0.0).astype(np.float32), missing


def _mask_for(job: _Job, idx: tuple) -> np.ndarray:
    m = job.mask
    plane = job.codec.plane_shape
    extra = m.ndim - len(plane)
    if extra > 0:
        m = m[tuple(idx[len(idx) - extra:])]
    return np.broadcast_to(m, plane)


def _nonfinite(job_image: np.ndarray, codec: ImageCodec, idx: tuple) -> np.ndarray:
    """Pixels of plane ``idx`` where any (colour) channel is NaN or inf."""
    raw = np.asarray(job_image[codec.user_index(idx)])
    plane = codec.plane_shape
    if raw.dtype.kind != "f":
        return np.zeros(plane, bool)
    axis = codec._plane_channel_axis(idx)
    if axis is None:
        return ~np.isfinite(raw)
    if codec.alpha is not None:
        raw = np.take(raw, [0, 1, 2], axis=axis)
    return ~np.isfinite(raw).all(axis=axis)


def _score(reference: np.ndarray, image: np.ndarray, channel_axis: int | None) -> dict[str, float]:
    from .metrics import psnr, ssim

    return {"psnr": psnr(reference, image), "ssim": ssim(reference, image, channel_axis=channel_axis)}


def _history(history: FitHistory, records: dict[int, dict], extra: dict | None = None) -> list[dict]:
    rows = []
    for i, loss in enumerate(history.loss, start=1):
        row = {"iteration": i, "loss": loss, **(extra or {})}
        row.update(records.get(i, {}))
        rows.append(row)
    return rows


def _output_shape(codec: ImageCodec, scale: int) -> tuple[int, ...]:
    """The restored image's shape: the last two spatial axes x ``scale``."""
    spatial = [i for i in range(len(codec.shape)) if i != codec.channel_axis][-2:]
    return tuple(s * scale if i in spatial else s for i, s in enumerate(codec.shape))


def _options(options: dict) -> dict:
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown}; valid options are {sorted(DEFAULTS)}")
    return {**DEFAULTS, **options}


def _largest_hole_radius(missing: np.ndarray) -> float:
    """Depth (in pixels) of the deepest missing pixel: the radius of the largest hole."""
    from scipy.ndimage import distance_transform_edt

    if not missing.any():
        return 0.0
    return float(distance_transform_edt(np.pad(missing, 1, constant_values=False)).max())


MIN_DEPTH = 3


def _classical_guess(y: np.ndarray, known: np.ndarray, scale: int) -> np.ndarray:
    """The classical estimate fed to the network as input channels (``fill_input``).

    Biharmonic inpainting of the missing pixels (in 2D or 3D), or a bicubic
    up-scaling for super-resolution; ``y`` is ``(C, *spatial)`` in [0, 1].
    """
    from .classical import inpaint_biharmonic, upscale

    if scale > 1:
        guess = upscale(y, scale, channel_axis=0)
    elif (known == 0).any():
        guess = np.moveaxis(inpaint_biharmonic(np.moveaxis(y, 0, -1), known == 0, channel_axis=-1), -1, 0)
    else:
        guess = y
    return np.clip(guess, 0, 1).astype(np.float32)


def _levels_that_fit(spec: dict, arch: str, side: int, *, lowest: int) -> tuple[int, int, int]:
    """``(depth, need, fits)``: the spec's depth, the pixels its deepest maps need, the deepest that fits."""
    depth = int(spec.get("depth", 5))
    need = (spec.get("filter_size_down", 3) // 2 + 1) if arch != "decoder" else 1
    fits = max((d for d in range(lowest, depth + 1) if 2**d * need <= 2 * side), default=0)
    return depth, need, fits


def _fit_depth(spec: dict, arch: str, side: int, *, explicit: bool) -> str:
    """Make the network's depth fit an image ``side`` pixels wide (edits ``spec``).

    A network of depth d with k x k down-sampling filters needs feature maps
    of at least (k // 2 + 1) pixels at its deepest scale, i.e. inputs of
    ``2**d * (k // 2 + 1)`` pixels; padding may at most double the image. The
    preset's depth shrinks to fit; an explicit ``depth`` that does not fit is
    an error.
    """
    if arch == "resnet":
        return ""
    depth, need, fits = _levels_that_fit(spec, arch, side, lowest=1)
    if fits >= depth:
        return ""
    if explicit or fits < MIN_DEPTH:
        smallest = 2**MIN_DEPTH * need // 2
        hint = (f"pass depth={fits} or a larger image" if fits >= MIN_DEPTH
                else f"use an image of at least {smallest} pixels per side")
        raise ValueError(f"image is {side} px wide (output grid) but the {arch!r} network of depth {depth} needs "
                         f"at least {2**depth * need // 2} px; {hint}.")
    spec["depth"] = fits
    for key in ("channels_down", "channels_up", "channels_skip"):
        if isinstance(spec.get(key), list):
            spec[key] = spec[key][:fits]
    return f"depth reduced from {depth} to {fits} to fit a {side}-px image"


def _fit_z(spec: dict, arch: str, planes: int) -> str:
    """Volumes: how many scales may also halve Z, a stack of ``planes`` (edits ``spec``).

    Same rule as :func:`_fit_depth` on the Z axis alone (padding at most
    doubles Z); the deeper scales down-sample Y and X only.
    """
    if arch == "resnet":
        return ""
    depth, _, fits = _levels_that_fit(spec, arch, planes, lowest=0)
    if fits >= depth:
        return ""
    spec["z_levels"] = fits
    return f"Z ({planes} planes) halved at {fits} of {depth} scales, Y/X at all"


# --- validation: from a user call to a job --------------------------------------------------------

def _geometry(shape: tuple[int, ...], channel_axis: int | None, mode: str | None) -> tuple[str, int]:
    """Check the layout; return ``(mode, spatial axes per fit)``."""
    from .data import normalize_axis

    axis = normalize_axis(channel_axis, len(shape))
    n_space = len(shape) - (axis is not None)
    if mode not in (None, *MODES):
        raise ValueError(f"mode must be 'plane' or 'volume' (or None), got {mode!r}")
    mode = mode or "plane"
    nd = 3 if mode == "volume" else 2
    if n_space < nd:
        what = "a Z-stack (Z, Y, X)" if nd == 3 else "an image with two spatial axes (Y, X)"
        raise ValueError(f"image has shape {tuple(shape)} (channel_axis={channel_axis}): {n_space} spatial "
                         f"ax{'i' if n_space == 1 else 'e'}s, but mode={mode!r} needs {what}.")
    if 0 in shape:
        raise ValueError(f"image has an empty axis (shape {tuple(shape)}): nothing to restore.")
    spatial = [s for i, s in enumerate(shape) if i != axis]
    plane = spatial[len(spatial) - nd:]
    if min(plane[-2:]) < 2:
        raise ValueError(f"image is only {min(plane[-2:])} pixel wide along a spatial axis (shape {tuple(shape)}, "
                         f"channel_axis={channel_axis}): too small to restore.")
    if nd == 3 and plane[0] < 2:
        raise ValueError(f"mode='volume' needs at least 2 planes along Z (shape {tuple(shape)}); "
                         "use mode='plane' for a single plane.")
    return mode, nd


def _planes(selection, lead_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Normalise ``planes=`` into a list of index tuples over the leading axes."""
    if selection is None:
        return [tuple(int(i) for i in idx) for idx in np.ndindex(*lead_shape)] if lead_shape else [()]
    if isinstance(selection, (int, np.integer)) or (
            isinstance(selection, tuple) and all(isinstance(i, (int, np.integer)) for i in selection)):
        selection = [selection]
    out: list[tuple[int, ...]] = []
    for item in selection:
        idx = (item,) if isinstance(item, (int, np.integer)) else tuple(item)
        if len(idx) != len(lead_shape) or not all(isinstance(i, (int, np.integer)) for i in idx):
            raise ValueError(f"planes: {item!r} is not an index over the image's leading (stack) axes of shape "
                             f"{lead_shape}; pass a list of {len(lead_shape)}-tuples of integers.")
        norm = []
        for i, n in zip(idx, lead_shape):
            if not -n <= i < n:
                raise ValueError(f"planes: index {idx} is out of range for stack shape {lead_shape}.")
            norm.append(int(i) % n)
        if tuple(norm) not in out:
            out.append(tuple(norm))
    if not out:
        raise ValueError("planes is empty: pass None to restore every plane, or the planes to restore.")
    return out


def _default_max_memory(dev) -> int:
    if dev.type == "cuda":
        import torch

        free, _ = torch.cuda.mem_get_info(dev)
        return int(0.9 * free)
    return CPU_MAX_MEMORY


def _prepare(image, task, *, mask, factor, channel_axis, iterations, seed, device, options) -> _Job:
    from .data import stack_mask
    from .engine import pick_device

    if task not in _presets.TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {_presets.TASKS}")
    opts = _options(options)
    if not isinstance(image, np.ndarray):
        image = np.asarray(image)
    mode, nd = _geometry(image.shape, channel_axis, opts["mode"])
    if opts["noise"] not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}, got {opts['noise']!r}")
    codec = ImageCodec.fit(image, channel_axis, normalize=opts["normalize"],
                           transform="anscombe" if opts["noise"] == "poisson" else None, spatial_ndim=nd)
    if opts["noise"] == "poisson" and codec.vmax is not None and image.dtype.kind == "f" and codec.vmax <= 1.0:
        warnings.warn("noise='poisson' treats values as photon counts, but this image's maximum is "
                      f"{codec.vmax:g}; rescale it to counts (divide by the camera gain) for the model to hold.",
                      stacklevel=3)
    planes = _planes(opts["planes"], codec.lead_shape)

    scale = 1
    if task == "super_resolution":
        if factor not in (2, 4, 8):
            raise ValueError(f"task 'super_resolution' needs factor=2, 4 or 8 (got {factor!r}).")
        if nd == 3:
            raise ValueError("task 'super_resolution' works plane by plane: use mode='plane'.")
        scale = int(factor)
    elif factor not in (None, 1):
        raise ValueError(f"factor is only used by task 'super_resolution' (got factor={factor}).")

    # --- masks and missing pixels, checked for every plane (volume) to restore -------------------
    m = None
    if task in ("inpaint", "reconstruct"):
        if mask is None:
            raise ValueError(f"task {task!r} needs a mask: a boolean or Labels array with the image's "
                             f"spatial shape {codec.plane_shape[-2:]}, non-zero where pixels are missing.")
        m = stack_mask(mask, codec.spatial_shape, 2)
    elif mask is not None:
        raise ValueError(f"task {task!r} takes no mask; use task='inpaint' to fill masked pixels.")
    keep_known = bool(opts["keep_known"]) and task in ("inpaint", "reconstruct")
    probe = _Job(image, task, codec, nd, mode, planes, [], m, scale, opts, {}, None, seed, 0, 0,
                 _output_shape(codec, scale), None, 0, 0, 0)
    n_nonfinite, any_masked, radius, run = 0, False, 0.0, []
    where = "" if not codec.lead_shape else " of plane {}"
    for idx in planes:
        bad = _nonfinite(image, codec, idx)
        n_nonfinite += int(bad.sum())
        masked = _mask_for(probe, idx) if m is not None else np.zeros(codec.plane_shape, bool)
        any_masked |= bool(masked.any())
        missing = masked | bad
        if bad.all():
            raise ValueError(f"every pixel{where.format(idx)} is NaN or inf: nothing to restore from.")
        if missing.all():
            raise ValueError(f"mask covers every pixel{where.format(idx)}: nothing is observed, so there is "
                             "nothing to restore from.")
        if keep_known and not missing.any():
            continue  # the fit would return the input exactly
        run.append(idx)
        if task in ("inpaint", "reconstruct") and missing.any():
            radius = max(radius, _largest_hole_radius(missing))
    if m is not None and not any_masked:
        raise ValueError("mask is empty: paint the missing pixels (non-zero labels) before restoring.")
    if n_nonfinite:
        warnings.warn(f"{n_nonfinite} NaN/inf pixels are treated as missing and filled in.", stacklevel=3)

    # --- settings shared by every fit ----------------------------------------------------------------
    dev = pick_device(device)
    preset_name, reason = opts["preset"] or task, "task default"
    if opts["preset"] is None and task == "inpaint" and radius >= opts["hole_radius"]:
        preset_name, reason = "hole", f"largest missing region is {radius:.0f} px deep (>= hole_radius)"
    settings = _settings(task, opts, dev, preset_name, reason, scale, iterations, radius)
    its = settings["iterations"]
    warm_its = int(opts["warm_iterations"]) if opts["warm_iterations"] is not None else max(1, its // 3)
    if warm_its < 1:
        raise ValueError(f"warm_iterations must be at least 1, got {warm_its}")

    # --- memory: one fit of the whole plane, or tiles ------------------------------------------------
    max_memory = int(opts["max_memory"]) if opts["max_memory"] is not None else _default_max_memory(dev)
    overlap = int(opts["tile_overlap"])
    out_plane = tuple(s if i < nd - 2 else s * scale for i, s in enumerate(codec.plane_shape))
    memory = _estimate(settings, codec.n_channels, out_plane, nd, dev, opts, seed)
    tile_opt = opts["tile"]
    tile = None
    if isinstance(tile_opt, (bool, np.bool_)) or tile_opt is None:
        tile_opt = "auto" if tile_opt else False
    side = max(codec.plane_shape[-2:])
    if isinstance(tile_opt, (int, np.integer)) and tile_opt is not False:
        tile = int(tile_opt)
        if tile <= overlap:
            raise ValueError(f"tile ({tile} px) must be larger than tile_overlap ({overlap} px).")
    elif tile_opt == "auto":
        if memory > max_memory:
            tile = _auto_tile(settings, codec, nd, scale, dev, opts, seed, max_memory, overlap)
    elif tile_opt is False:
        if memory > max_memory:
            raise ValueError(
                f"restoring a {'x'.join(map(str, out_plane))} {'volume' if nd == 3 else 'plane'} in one fit needs "
                f"about {memory / 2**30:.1f} GiB, more than max_memory={max_memory / 2**30:.1f} GiB; pass "
                "tile='auto' (or a tile size in pixels) to restore it in overlapping tiles, raise max_memory, "
                "or use a smaller width.")
    else:
        raise ValueError(f"tile must be 'auto', False or a tile size in pixels, got {tile_opt!r}")
    if tile is not None and tile >= side:
        tile = None
    return _Job(image, task, codec, nd, mode, planes, run, m, scale, opts, settings, dev, seed, its, warm_its,
                probe.out_shape, tile, overlap, memory, max_memory)


def _auto_tile(settings, codec, nd, scale, dev, opts, seed, max_memory, overlap) -> int:
    """The largest tile side (<= TILE) whose fit fits in ``max_memory``."""
    tile = TILE
    while True:
        shape = (*codec.plane_shape[:-2], *(min(tile, s) * scale for s in codec.plane_shape[-2:]))
        need = _estimate(settings, codec.n_channels, shape, nd, dev, opts, seed)
        if need <= max_memory:
            return tile
        if tile // 2 <= max(overlap, 32):
            raise ValueError(
                f"even {tile}-px tiles need about {need / 2**30:.2f} GiB, more than max_memory="
                f"{max_memory / 2**30:.2f} GiB; use a smaller width or raise max_memory.")
        tile //= 2


# --- settings and networks ----------------------------------------------------------------------------

def _settings(task: str, opts: dict, dev, preset_name: str, reason: str, scale: int,
              iterations: int | None, radius: float = 0.0) -> dict:
    """Everything a fit needs that does not depend on the pixels (``radius``: deepest missing region)."""
    p = _presets.preset(preset_name)
    net_spec = dict(p["network"])
    if opts["network"] is not None:
        net_spec = {"arch": opts["network"]}
    if opts["depth"] is not None:
        net_spec["depth"] = int(opts["depth"])
    width = opts["width"] or (128 if dev.type == "cuda" else 64)
    if net_spec["arch"] == "skip":
        net_spec = _presets.apply_width(net_spec, width)
    else:
        net_spec.setdefault("width", width)
    input_kind = opts["input"] or p["input"]
    input_depth = opts["input_depth"] or (2 if input_kind == "meshgrid" else p["input_depth"])
    iterations = int(iterations if iterations is not None else p["iterations"] * (2 if scale == 8 else 1))
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    reg = opts["reg_noise_std"] if opts["reg_noise_std"] is not None else (
        0.05 if scale == 8 else p["reg_noise_std"])
    fill_input = opts["fill_input"]
    if fill_input == "auto":  # measured: helps thin or scattered masks and SR, hurts holes (docs/benchmarks.md)
        fill_input = scale > 1 or (task in ("inpaint", "reconstruct") and preset_name != "hole"
                                   and radius <= opts["fill_radius"])
    arch = net_spec.pop("arch")
    return dict(
        preset=p, preset_name=preset_name, reason=reason, arch=arch, net_spec=net_spec,
        input_kind=input_kind, input_depth=input_depth, iterations=iterations, reg=reg,
        fill_input=bool(fill_input), missing_depth=round(float(radius), 1),
        early=opts["early_stop"] if opts["early_stop"] is not None else p["early_stop"],
        backtrack=opts["backtrack"] if opts["backtrack"] is not None else p["backtrack"],
        keep_known=bool(opts["keep_known"]) and task in ("inpaint", "reconstruct"),
        loss=opts["loss"] or p["loss"], lr=opts["lr"] or p["lr"],
    )


def _network(settings: dict, C: int, out_spatial: tuple[int, ...], nd: int, seed: int, explicit_depth: bool):
    """Build the fit's network for an output of ``out_spatial``; returns ``(net, spec, depth_note, input_depth)``."""
    import torch

    from .networks import build_network

    spec = dict(settings["net_spec"])
    arch = settings["arch"]
    notes = [_fit_depth(spec, arch, min(out_spatial[-2:]), explicit=explicit_depth)]
    if nd == 3:
        notes.append(_fit_z(spec, arch, out_spatial[0]))
    input_depth = settings["input_depth"]
    if settings["fill_input"]:
        input_depth = max(input_depth, C + 1)
    if settings["input_kind"] == "meshgrid":
        input_depth = nd + (C if settings["fill_input"] else 0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_network(arch, input_depth, C, dims=nd, **spec)
    return net, spec, "; ".join(n for n in notes if n), input_depth


def _padded(net, out_spatial: tuple[int, ...], nd: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Output grid padded to what ``net`` needs, and its input's size."""
    mults, mins, strides = net.geometry(nd)
    padded = tuple(max(mn, math.ceil(s / m) * m) for s, m, mn in zip(out_spatial, mults, mins))
    return padded, tuple(p // st for p, st in zip(padded, strides))


def _low_precision(dev, precision: str) -> bool:
    import torch

    if precision == "fp32":
        return False
    return dev.type == "cpu" or (dev.type == "cuda" and torch.cuda.is_bf16_supported())


def _estimate(settings, C, out_spatial, nd, dev, opts, seed) -> int:
    from .memory import fit_bytes

    net, _, _, input_depth = _network(settings, C, out_spatial, nd, seed, explicit_depth=False)
    padded, z_spatial = _padded(net, out_spatial, nd)
    return fit_bytes(net, input_depth, C, z_spatial, padded,
                     low_precision=_low_precision(dev, opts["precision"]))


def estimate_memory(shape: tuple[int, ...], task: str = "denoise", *, channel_axis: int | None = None,
                    factor: int | None = None, device: str | None = None, **options) -> int:
    """Bytes one fit of an image of ``shape`` needs (one plane, or one volume with ``mode="volume"``).

    Counts the activations of the network that :func:`restore` would build for
    this shape, task and ``options`` (``width``, ``network``, ``precision``,
    ...) and applies the model of :mod:`napari_dip.core.memory` (bf16 autocast:
    2 bytes per activation, fp32: 4, times a factor for the backward pass, plus
    weights and Adam's state). It is what ``max_memory`` is compared with to
    decide on tiling. Inpainting is estimated with the ``inpaint`` preset (the
    ``hole`` preset, chosen for large holes, is smaller).
    """
    from .engine import pick_device

    if task not in _presets.TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {_presets.TASKS}")
    opts = _options(options)
    shape = tuple(int(s) for s in shape)
    mode, nd = _geometry(shape, channel_axis, opts["mode"])
    axis = None if channel_axis is None else channel_axis % len(shape)
    C = 1 if axis is None else shape[axis] - (1 if shape[axis] == 4 and axis == len(shape) - 1 else 0)
    scale = int(factor) if task == "super_resolution" and factor else 1
    spatial = [s for i, s in enumerate(shape) if i != axis][-nd:]
    out_spatial = tuple(s if i < nd - 2 else s * scale for i, s in enumerate(spatial))
    dev = pick_device(device)
    settings = _settings(task, opts, dev, opts["preset"] or task, "", scale, 1)
    return _estimate(settings, C, out_spatial, nd, dev, opts, 0)


# --- one fit ------------------------------------------------------------------------------------------

def _plan(x: np.ndarray, missing: np.ndarray, job: _Job, *, iterations: int, warm: _Plan | None = None) -> _Plan:
    """Compile one fit: ``x`` is ``(C, *spatial)`` in [0, 1] (2D or 3D), ``missing`` its unobserved pixels.

    ``warm``: start from that fit's network (weights included) and input instead of fresh ones.
    """
    import torch

    from .inputs import make_input
    from .losses import data_loss, total_variation
    from .operators import Downsampler, Identity, Mask, PixelSubset
    from .stopping import Backtracker, VarianceStop

    st, opts, dev, task, scale, nd = job.settings, job.opts, job.dev, job.task, job.scale, job.nd
    spatial = x.shape[1:]
    C = x.shape[0]
    out_spatial = tuple(s if i < nd - 2 else s * scale for i, s in enumerate(spatial))
    if warm is not None:
        net, spec = warm.net, warm.spec
        depth_note, input_depth = warm.config["network"]["depth_note"], warm.config["input_depth"]
    else:
        net, spec, depth_note, input_depth = _network(st, C, out_spatial, nd, job.seed,
                                                      explicit_depth=opts["depth"] is not None)
    z_gen = torch.Generator().manual_seed(job.seed)

    # --- geometry: pad (reflect) to what the network needs -----------------------------
    padded, z_spatial = _padded(net, out_spatial, nd)
    obs_padded = tuple(ps // scale if i >= nd - 2 else ps for i, ps in enumerate(padded))
    pads = [(0, ps - s) for ps, s in zip(obs_padded, spatial)]
    y = np.pad(x, [(0, 0), *pads], mode="reflect" if min(spatial) > 1 else "edge")
    known = np.pad(~missing, pads, constant_values=False).astype(np.float32)

    to_t = lambda a: torch.from_numpy(np.ascontiguousarray(a))[None].to(dev)  # noqa: E731
    y_t = to_t(y)
    known_t = to_t(known[None])
    if task == "super_resolution":
        op = Downsampler(scale, C, weight=known_t).to(dev)
    elif task == "reconstruct":
        op = PixelSubset(known_t).to(dev)
    elif task == "inpaint" or missing.any():
        op = Mask(known_t).to(dev)
    else:
        op = Identity(known_t if any(b for _, b in pads) else None).to(dev)
    base_loss = data_loss(st["loss"])
    tv_weight = float(opts["tv_weight"])
    weight = op.weight

    def loss_fn(out, t):
        value = base_loss(op(out), y_t, weight)
        if tv_weight:
            value = value + tv_weight * total_variation(out)
        return value

    keep_known = st["keep_known"]
    crop = tuple(slice(0, s) for s in out_spatial)
    y_keep = y_t * known_t if keep_known else None

    def finalize(out):
        if keep_known:
            out = out * (1 - known_t) + y_keep
        return out[(slice(None), slice(None), *crop)]

    fill_input = st["fill_input"]
    if warm is not None:
        z = warm.z
        if fill_input:
            z = torch.cat([torch.from_numpy(_classical_guess(y, known, scale))[None].to(dev), z[:, C:]], dim=1)
    else:
        z = make_input(st["input_kind"], input_depth - (C if fill_input else 0), z_spatial, generator=z_gen)
        if fill_input:
            z = torch.cat([torch.from_numpy(_classical_guess(y, known, scale))[None], z], dim=1)
        net, z = net.to(dev), z.to(dev)

    stopper = VarianceStop(window=opts["window"], patience=opts["patience"]) if st["early"] else None
    fit_kwargs = dict(iterations=iterations, lr=st["lr"], reg_noise_std=st["reg"],
                      param_noise_std=float(opts["param_noise_std"]), ema=opts["ema"], output=opts["output"],
                      early_stop=stopper, backtrack=Backtracker() if st["backtrack"] else None,
                      preview_every=max(1, int(opts["preview_every"])), precision=opts["precision"], seed=job.seed)
    codec = job.codec
    config = {
        "task": task, "preset": st["preset_name"], "preset_reason": st["reason"], "seed": job.seed,
        "device": str(dev), "iterations": job.iterations, "factor": scale if scale > 1 else None,
        "channel_axis": codec.channel_axis,
        "network": {"arch": st["arch"], **spec, "parameters": net.n_parameters, "depth_note": depth_note},
        "input": st["input_kind"], "input_depth": input_depth, "fill_input": fill_input,
        "missing_depth": st["missing_depth"],
        "loss": st["loss"], "tv_weight": tv_weight, "early_stop": bool(st["early"]),
        "window": opts["window"], "patience": opts["patience"], "backtrack": bool(st["backtrack"]),
        "keep_known": keep_known, "missing_pixels": int(missing.sum()),
        "shape": list(job.image.shape), "dtype": str(job.image.dtype), "value_range": [codec.lo, codec.hi],
        **{k: fit_kwargs[k] for k in ("lr", "reg_noise_std", "param_noise_std", "ema", "output",
                                      "preview_every", "precision")},
    }
    return _Plan(net, z, loss_fn, finalize, fit_kwargs, config, spec)
