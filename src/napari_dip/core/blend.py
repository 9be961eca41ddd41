"""Multi-scale DIP image blending: :func:`blend` and :func:`iter_blend`.

Report 001, section 4.2 and appendix A3: a skip network maps fixed noise to
the fused image and is fitted to a :class:`~.blending.loss.BlendLoss` that asks for the
background's pixels, low frequencies and illumination outside the mask, the
foreground's (multi-scale) gradients and gradient directions inside it, and a
blend of both gradient fields plus the background's directional texture in the
soft transition band (:func:`~.blending.regions.soft_mask`, sharpened over the run by
the annealing ``alpha ** gamma(t)``). The blend task (``core/tasks/blend.py``)
runs on the same driver and loop as restoration.

This module sits beside :mod:`.restore`, above the tasks and the engine: ``core/blending/`` holds the
blend's building blocks (loss, soft map, classical blends, metrics) and imports neither.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from . import tasks
from .blending.poisson import poisson_blend
from .blending.regions import default_sigma, soft_mask
from .blending.terms import DEFAULT_WEIGHTS, TERM_NAMES
from .data import ImageCodec, check_dtype
from .devices import pick_device
from .engine import sizing
from .engine.driver import run
from .engine.job import make_job
from .engine.loop import Snapshot
from .engine.results import FitResult
from .mask import missing_pixels
from .settings import Settings, option

_MIN_SIDE = 8


class BlendResult(FitResult):
    """What :func:`blend` returns: the fused image (background's shape and dtype), history, stop, config."""


@dataclass(frozen=True)
class BlendSettings(Settings):
    """The options of :func:`blend`: the shared ones of :data:`ACCEPTED` plus the blending loss's own."""

    weights: Any = option(
        None, "overrides of the seven term weights by name (the blending report's appendix A3)"
    )
    soft_iterations: int = option(3, "soft map: low-pass passes of the mask")
    soft_sigma: float | None = option(
        None, "soft map: per-pass Gaussian sigma (None: max(1, min(H, W) / 64))"
    )
    soft_lowpass: str = option("gaussian", "soft map: gaussian or box low-pass", ("gaussian", "box"))
    anneal_c: float = option(2.0, "shape c of gamma(t) = 1 + 4 (1 - t/T)**c")
    anneal_end: float = option(
        1.0,
        "fraction of the annealing schedule reached at the last iteration "
        "(1: the report's, gamma ends at 1; below 1 the map stops short of the soft mask)",
    )
    low_freq_kernel: int | None = option(None, "window of G (None: round(min(H, W) / 8) | 1, at least 3)")
    illum_sigma: float | None = option(None, "blur of J (None: max(2, min(H, W) / 32))")
    grad_scales: tuple = option((1, 2, 4), "scales of the foreground-gradient term")
    structure_sigma: float = option(2.0, "sigma of the background's structure tensor")
    dir_eps: float = option(1e-4, "epsilon of the gradient-direction term")


#: The shared options :func:`blend` takes (the others concern restoration only).
ACCEPTED = ("width", "depth", "input_depth", "lr", "reg_noise_std", "ema", "output", "early_stop", "window",
            "patience", "preview_every", "precision", "seed", "fill_input")


def blend(foreground: np.ndarray, background: np.ndarray, mask: np.ndarray, *,
          channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
          device: str | None = None, weights: dict[str, float] | None = None, **options) -> BlendResult:
    """Blend ``foreground`` into ``background`` where ``mask`` is set, with a Deep Image Prior.

    Parameters
    ----------
    foreground, background : ndarray
        Same shape: 2D grey, or 2D with a colour axis (``channel_axis``); any
        of uint8, uint16, int, float32, float64. Both are scaled to [0, 1]
        with one shared range (the joint min and max). The foreground is the
        whole aligned image, not a cut-out: only its pixels under (and near)
        the mask matter. Never modified. An RGBA background's alpha channel is
        copied to the output.
    mask : ndarray
        Spatial shape, bool or integer (a napari Labels layer): non-zero where
        the foreground goes. A coarse mask is fine: it is softened.
    channel_axis : int, optional
        Axis holding colour channels; None for grey images.
    iterations : int, optional
        Number of iterations ``T`` (also the length of the annealing
        schedule). None: 1000.
    seed : int
        Seeds the network weights, the input and the input perturbation.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``; None picks cuda, mps, cpu.
    weights : dict, optional
        Overrides of the seven term weights by name: ``pixel`` (50),
        ``low_freq`` (25), ``illum`` (20), ``grad`` (6), ``dir`` (4),
        ``blend`` (12), ``aniso`` (18) (Wang, Liu & Lan's blending report, appendix A3).
    **options
        :class:`BlendSettings`: the shared options in :data:`ACCEPTED` (``width``,
        ``depth``, ``lr``, ``early_stop`` (off), ``fill_input`` (``"auto"``:
        on, the Poisson composite is fed as input channels; ``False``: the
        report's fixed noise input only), ...) and the loss's own
        (``soft_iterations``, ``soft_sigma``, ``anneal_c``, ...).

    Returns
    -------
    BlendResult

    Raises
    ------
    ValueError
        On shape mismatches, an empty mask or one covering every pixel,
        non-finite values, unknown options or invalid settings.
    """
    final: Any = None  # the last snapshot (the generator yields at least one)
    for snap in iter_blend(foreground, background, mask, channel_axis=channel_axis, iterations=iterations,
                           seed=seed, device=device, weights=weights, **options):
        final = snap
    return final.result


def iter_blend(foreground: np.ndarray, background: np.ndarray, mask: np.ndarray, *,
               channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
               device: str | None = None, weights: dict[str, float] | None = None,
               **options) -> Generator[Snapshot, None, None]:
    """The same run as :func:`blend`, as a generator of snapshots (see :func:`napari_dip.iter_restore`)."""
    job = prepare(foreground, background, mask, channel_axis=channel_axis, iterations=iterations, seed=seed,
                  device=device, weights=weights, options=options)
    for snap in run(job, None, BlendResult):
        if snap.done:
            snap.result.config.update(_blend_config(job, foreground, mask))
        yield snap


def _blend_config(job, foreground, mask) -> dict:
    """The blending settings of a run, for its ``config``."""
    s = job.settings
    return {
        "weights": {**DEFAULT_WEIGHTS, **(s.weights or {})},
        "soft_map": {
            "iterations": int(s.soft_iterations),
            "lowpass": s.soft_lowpass,
            "sigma": float(default_sigma(job.codec.spatial_shape) if s.soft_sigma is None else s.soft_sigma),
        },
        "loss": {
            "anneal_c": s.anneal_c,
            "anneal_end": s.anneal_end,
            "low_freq_kernel": s.low_freq_kernel,
            "illum_sigma": s.illum_sigma,
            "grad_scales": list(s.grad_scales),
            "structure_sigma": s.structure_sigma,
            "dir_eps": s.dir_eps,
        },
        "mask_pixels": int(missing_pixels(mask).sum()),
        "foreground_dtype": str(np.asarray(foreground).dtype),
    }


def _settings(options: dict, weights) -> BlendSettings:
    blend_own = [n for n in BlendSettings.__dataclass_fields__ if n not in Settings.__dataclass_fields__]
    refused = sorted(set(options) & (set(Settings.__dataclass_fields__) - set(ACCEPTED)))
    if refused:
        raise ValueError(f"option(s) {refused} concern restoration only; blend() takes {sorted(ACCEPTED)} "
                         f"and {sorted(blend_own)} (plus channel_axis, iterations, seed, device, weights).")
    if weights is not None:
        unknown = sorted(set(weights) - set(TERM_NAMES))
        if unknown:
            raise ValueError(
                f"unknown loss term(s) {unknown} in weights; valid names are {list(TERM_NAMES)}."
            )
    s = cast(BlendSettings, BlendSettings.from_options(
        {**options, "weights": weights}, extra=("channel_axis", "iterations", "seed")
    ))
    if not 0.0 < float(s.anneal_end) <= 1.0:
        raise ValueError(
            f"anneal_end must be in (0, 1] (the fraction of the annealing schedule the fit reaches); "
            f"got {s.anneal_end!r}."
        )
    return replace(s, tile=False, keep_known=False)


def _shared_codec(fg: np.ndarray, bg: np.ndarray, channel_axis: int | None) -> ImageCodec:
    """The background's codec with the value range widened to cover the foreground."""
    codec = ImageCodec.fit(bg, channel_axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the RGBA note was given for the background already
        fg_codec = ImageCodec.fit(fg, channel_axis)
    return replace(codec, lo=min(codec.lo, fg_codec.lo), hi=max(codec.hi, fg_codec.hi))


def _check_images(fg: np.ndarray, bg: np.ndarray, channel_axis) -> ImageCodec:
    check_dtype(fg, "foreground")
    check_dtype(bg, "background")
    if fg.shape != bg.shape:
        raise ValueError(f"foreground has shape {fg.shape} but background has shape {bg.shape}; they must "
                         "match (resize or crop one, and give both the same channels).")
    if fg.dtype != bg.dtype:
        warnings.warn(f"foreground is {fg.dtype} and background is {bg.dtype}: their values are compared "
                      "as they are (one shared range); convert both to the same scale first if they differ.",
                      stacklevel=4)
    codec = _shared_codec(fg, bg, channel_axis)
    spatial = codec.spatial_shape
    if len(spatial) != 2:
        raise ValueError(f"images have {len(spatial)} spatial axes (shape {bg.shape}, channel_axis="
                         f"{channel_axis}); blend() takes 2D images: pass one plane or set channel_axis.")
    if min(spatial) < _MIN_SIDE:
        raise ValueError(f"images are {spatial[0]}x{spatial[1]} pixels; blend() needs at least "
                         f"{_MIN_SIDE} pixels per side.")
    return codec


def _check_mask(mask, spatial: tuple) -> np.ndarray:
    inside = missing_pixels(mask)  # here: where the foreground goes
    if inside.shape != spatial:
        raise ValueError(f"mask has shape {inside.shape} but the images' spatial shape is {spatial}; "
                         "paint the mask on a Labels layer with the images' shape.")
    if not inside.any():
        raise ValueError("mask is empty: paint where the foreground goes (non-zero labels) before blending.")
    if inside.all():
        raise ValueError("mask covers every pixel: there is no background left to blend into "
                         "(the result would just be the foreground).")
    return inside


def prepare(foreground, background, mask, *, channel_axis, iterations, seed, device, weights, options):
    """Validate a call of :func:`blend` and make the driver's :class:`~.engine.job.Job`."""
    s = _settings(options, weights)
    fg, bg = np.asarray(foreground), np.asarray(background)
    codec = _check_images(fg, bg, channel_axis)
    inside = _check_mask(mask, codec.spatial_shape)
    a, b = codec.encode(fg), codec.encode(bg)
    for name, x in (("foreground", a), ("background", b)):
        if not np.isfinite(x).all():
            raise ValueError(f"{name} has NaN or infinite values; replace them (e.g. np.nan_to_num) first.")
    if iterations is not None and (
        isinstance(iterations, bool) or int(iterations) != iterations or iterations < 1
    ):
        raise ValueError(f"iterations must be a positive integer; got {iterations!r}.")
    if s.depth is not None and int(s.depth) < 1:
        raise ValueError(f"depth must be at least 1, got {s.depth!r}")
    sigma = default_sigma(codec.spatial_shape) if s.soft_sigma is None else s.soft_sigma
    alpha = soft_mask(inside, iterations=s.soft_iterations, sigma=sigma, lowpass=s.soft_lowpass)
    task, dev = tasks.load("blend"), pick_device(device)
    fit = sizing.resolve(task, s, dev, {}, iterations=iterations)
    extras = {"foreground": a, "alpha": np.ascontiguousarray(alpha, dtype=np.float32)}
    inputs = {"start": _poisson_start(a, b, inside)} if fit.fill_input else {}
    return make_job(bg, task, s, codec=codec, fit=fit, device=dev, seed=int(seed), inputs=inputs,
                    extras=extras)


def _poisson_start(a: np.ndarray, b: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The Poisson composite of encoded ``(C, H, W)`` images: the input channels of ``fill_input``."""
    out = poisson_blend(np.moveaxis(a, 0, -1), np.moveaxis(b, 0, -1), inside)
    return np.ascontiguousarray(np.clip(np.moveaxis(out, -1, 0), 0, 1), dtype=np.float32)
