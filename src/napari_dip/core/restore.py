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
from .data import ImageCodec, spatial_mask
from .engine import FitHistory, Snapshot

DEFAULTS: dict[str, Any] = {
    "preset": None,          # None: the task's preset ("hole" picked automatically for large holes)
    "network": None,         # "skip", "unet", "resnet", "decoder" (None: the preset's)
    "width": None,           # cap on channels (None: 128 on GPU, 64 on CPU)
    "depth": None,           # hourglass depth (None: the preset's)
    "input": None,           # "noise" or "meshgrid" (None: the preset's)
    "input_depth": None,
    "fill_input": "auto",    # feed the classical estimate as input channels (not for large holes)
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
}


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
        2D grayscale or 2D with channels (``channel_axis``, RGB included); any
        of uint8, uint16, int, float32, float64. Never modified.
    task : {"denoise", "inpaint", "reconstruct", "super_resolution"}
    mask : ndarray, optional
        Over the spatial axes, napari's convention: non-zero = missing pixel.
        Required by ``inpaint`` and ``reconstruct``.
    factor : {2, 4, 8}, optional
        Up-scaling factor, required by ``super_resolution``.
    channel_axis : int, optional
        Axis holding colour channels; None for a single channel.
    iterations : int, optional
        Maximum iterations (None: the preset's, e.g. 3000 for denoise).
    seed : int
        Seeds the network weights, the input and the regularisation noise.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``; None picks cuda, mps, cpu.
    reference : ndarray, optional
        A clean image with the output's shape; PSNR/SSIM are then recorded.
    **options
        See :data:`DEFAULTS` and docs/index.md: ``preset``, ``network``,
        ``width``, ``lr``, ``reg_noise_std``, ``early_stop``, ``loss``
        ("multiscale": report 001's), ``output``, ...

    Returns
    -------
    RestoreResult
    """
    final = None
    for snap in iter_restore(image, task, mask=mask, factor=factor, channel_axis=channel_axis,
                             iterations=iterations, seed=seed, device=device, reference=reference, **options):
        if snap.done:
            final = snap
    return final.result


@dataclass
class _Plan:
    """A task compiled for the engine."""

    net: Any
    z: Any
    loss_fn: Any
    finalize: Any
    fit_kwargs: dict
    codec: ImageCodec
    scale: int
    config: dict


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
    """
    from .engine import fit

    plan = _plan(image, task, mask=mask, factor=factor, channel_axis=channel_axis,
                 iterations=iterations, seed=seed, device=device, options=options)
    expected = _output_shape(plan.codec, plan.scale)
    if reference is not None:
        reference = np.asarray(reference)
        if reference.shape != expected:
            raise ValueError(f"reference has shape {reference.shape} but the restored image will have "
                             f"shape {expected}; pass the clean image that matches the output.")
    history = FitHistory()
    records: dict[int, dict] = {}
    last_user: np.ndarray | None = None
    started = time.perf_counter()
    gen = fit(plan.net, plan.z, plan.loss_fn, finalize=plan.finalize, history=history, **plan.fit_kwargs)
    try:
        for snap in gen:
            if snap.preview is not None:
                snap.preview = last_user = plan.codec.decode(snap.preview, scale=plan.scale)
                if reference is not None:
                    snap.metrics = _score(reference, last_user, plan.codec.channel_axis)
                records[snap.iteration] = snap.metrics
            if snap.done:
                plan.config["seconds"] = round(time.perf_counter() - started, 3)
                plan.config["iterations_run"] = snap.iteration
                snap.result = RestoreResult(
                    image=last_user,
                    history=_history(history, records),
                    stopped_at=StopInfo(history.stopped_at, snap.stop_reason),
                    config=plan.config,
                )
            yield snap
    finally:
        gen.close()


def _score(reference: np.ndarray, image: np.ndarray, channel_axis: int | None) -> dict[str, float]:
    from .metrics import psnr, ssim

    return {"psnr": psnr(reference, image), "ssim": ssim(reference, image, channel_axis=channel_axis)}


def _history(history: FitHistory, records: dict[int, dict]) -> list[dict]:
    rows = []
    for i, loss in enumerate(history.loss, start=1):
        row = {"iteration": i, "loss": loss}
        row.update(records.get(i, {}))
        rows.append(row)
    return rows


def _output_shape(codec: ImageCodec, scale: int) -> tuple[int, ...]:
    return tuple(s if i == codec.channel_axis else s * scale for i, s in enumerate(codec.shape))


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

    Biharmonic inpainting of the missing pixels, or a bicubic up-scaling for
    super-resolution; ``y`` is ``(C, *spatial)`` in [0, 1].
    """
    from .classical import inpaint_biharmonic, upscale

    if scale > 1:
        guess = upscale(y, scale, channel_axis=0)
    elif (known == 0).any():
        guess = np.moveaxis(inpaint_biharmonic(np.moveaxis(y, 0, -1), known == 0, channel_axis=-1), -1, 0)
    else:
        guess = y
    return np.clip(guess, 0, 1).astype(np.float32)


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
    depth = int(spec.get("depth", 5))
    need = (spec.get("filter_size_down", 3) // 2 + 1) if arch != "decoder" else 1
    fits = max((d for d in range(1, depth + 1) if 2**d * need <= 2 * side), default=0)
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


def _plan(image, task, *, mask, factor, channel_axis, iterations, seed, device, options) -> _Plan:
    import torch

    from .engine import pick_device
    from .inputs import make_input
    from .losses import data_loss, total_variation
    from .networks import build_network
    from .operators import Downsampler, Identity, Mask, PixelSubset
    from .stopping import Backtracker, VarianceStop

    if task not in _presets.TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {_presets.TASKS}")
    opts = _options(options)
    if not isinstance(image, np.ndarray):
        image = np.asarray(image)
    codec = ImageCodec.fit(image, channel_axis)
    spatial = codec.spatial_shape
    if len(spatial) != 2:
        raise ValueError(
            f"image has {len(spatial)} spatial axes (shape {image.shape}, channel_axis={channel_axis}); "
            "restore() takes a 2D image here: pass one plane (e.g. image[z]) or set channel_axis.")
    if min(spatial) < 1:
        raise ValueError(f"image has an empty axis (shape {image.shape}).")
    x = codec.encode(image)                                   # (C, H, W), NaN where not finite
    nonfinite = ~np.isfinite(x).all(axis=0)
    if nonfinite.any():
        warnings.warn(f"{int(nonfinite.sum())} NaN/inf pixels are treated as missing and filled in.", stacklevel=3)

    missing = np.zeros(spatial, dtype=bool)
    if task in ("inpaint", "reconstruct"):
        if mask is None:
            raise ValueError(f"task {task!r} needs a mask: a boolean or Labels array with the image's "
                             f"spatial shape {spatial}, non-zero where pixels are missing.")
        missing = spatial_mask(mask, spatial)
        if not missing.any():
            raise ValueError("mask is empty: paint the missing pixels (non-zero labels) before restoring.")
        if missing.all():
            raise ValueError("mask covers every pixel: nothing is observed, so there is nothing to restore from.")
    elif mask is not None:
        raise ValueError(f"task {task!r} takes no mask; use task='inpaint' to fill masked pixels.")
    missing |= nonfinite
    x = np.where(np.isfinite(x), x, 0.0).astype(np.float32)

    scale = 1
    if task == "super_resolution":
        if factor not in (2, 4, 8):
            raise ValueError(f"task 'super_resolution' needs factor=2, 4 or 8 (got {factor!r}).")
        scale = int(factor)
    elif factor not in (None, 1):
        raise ValueError(f"factor is only used by task 'super_resolution' (got factor={factor}).")

    # --- preset and settings ---------------------------------------------------------
    dev = pick_device(device)
    preset_name = opts["preset"] or task
    reason = "task default"
    if opts["preset"] is None and task == "inpaint":
        radius = _largest_hole_radius(missing)
        if radius >= opts["hole_radius"]:
            preset_name, reason = "hole", f"largest missing region is {radius:.0f} px deep (>= hole_radius)"
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
    reg = opts["reg_noise_std"] if opts["reg_noise_std"] is not None else (
        0.05 if scale == 8 else p["reg_noise_std"])
    fill_input = opts["fill_input"]
    if fill_input == "auto":
        fill_input = task in ("inpaint", "reconstruct", "super_resolution") and preset_name != "hole"
    early = opts["early_stop"] if opts["early_stop"] is not None else p["early_stop"]
    backtrack = opts["backtrack"] if opts["backtrack"] is not None else p["backtrack"]
    keep_known = bool(opts["keep_known"]) and task in ("inpaint", "reconstruct")

    C = x.shape[0]
    arch = net_spec.pop("arch")
    depth_note = _fit_depth(net_spec, arch, min(spatial) * scale, explicit=opts["depth"] is not None)
    if fill_input:
        input_depth = max(input_depth, C + 1)
    if input_kind == "meshgrid" and not fill_input:
        input_depth = 2
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_network(arch, input_depth, C, dims=2, **net_spec)
        z_gen = torch.Generator().manual_seed(seed)

    # --- geometry: pad (reflect) to what the network needs -----------------------------
    m = net.multiple
    out_spatial = tuple(s * scale for s in spatial)
    padded = tuple(max(net.min_size, math.ceil(s / m) * m) for s in out_spatial)
    obs_padded = tuple(ps // scale for ps in padded)
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
    loss_name = opts["loss"] or p["loss"]
    base_loss = data_loss(loss_name)
    tv_weight = float(opts["tv_weight"])
    weight = op.weight

    def loss_fn(out, t):
        value = base_loss(op(out), y_t, weight)
        if tv_weight:
            value = value + tv_weight * total_variation(out)
        return value

    crop = tuple(slice(0, s) for s in out_spatial)
    y_keep = y_t * known_t if keep_known else None

    def finalize(out):
        if keep_known:
            out = out * (1 - known_t) + y_keep
        return out[(slice(None), slice(None), *crop)]

    z = make_input(input_kind, input_depth - (C if fill_input else 0),
                   tuple(s // net.input_stride for s in padded), generator=z_gen)
    if fill_input:
        z = torch.cat([torch.from_numpy(_classical_guess(y, known, scale))[None], z], dim=1)
    net, z = net.to(dev), z.to(dev)

    stopper = VarianceStop(window=opts["window"], patience=opts["patience"]) if early else None
    fit_kwargs = dict(iterations=iterations, lr=opts["lr"] or p["lr"], reg_noise_std=reg,
                      param_noise_std=float(opts["param_noise_std"]), ema=opts["ema"], output=opts["output"],
                      early_stop=stopper, backtrack=Backtracker() if backtrack else None,
                      preview_every=max(1, int(opts["preview_every"])), precision=opts["precision"], seed=seed)
    config = {
        "task": task, "preset": preset_name, "preset_reason": reason, "seed": seed, "device": str(dev),
        "iterations": iterations, "factor": factor, "channel_axis": codec.channel_axis,
        "network": {"arch": arch, **net_spec, "parameters": net.n_parameters, "depth_note": depth_note},
        "input": input_kind, "input_depth": input_depth, "fill_input": bool(fill_input),
        "loss": loss_name, "tv_weight": tv_weight, "early_stop": bool(early),
        "window": opts["window"], "patience": opts["patience"], "backtrack": bool(backtrack),
        "keep_known": keep_known, "missing_pixels": int(missing.sum()),
        "shape": list(image.shape), "dtype": str(image.dtype), "value_range": [codec.lo, codec.hi],
        **{k: fit_kwargs[k] for k in ("lr", "reg_noise_std", "param_noise_std", "ema", "output",
                                      "preview_every", "precision")},
    }
    return _Plan(net, z, loss_fn, finalize, fit_kwargs, codec, scale, config)
