"""Multi-scale DIP image blending: :func:`blend` and :func:`iter_blend`.

Report 001, section 4.2 and appendix A3: a skip network maps fixed noise to
the fused image and is fitted, with the engine's one loop
(:func:`napari_dip.core.engine.fit`), to a :class:`~.blend_losses.BlendLoss`
that asks for the background's pixels, low frequencies and illumination
outside the mask, the foreground's (multi-scale) gradients and gradient
directions inside it, and a blend of both gradient fields plus the
background's directional texture in the soft transition band. The band is the
low-pass-filtered mask (:func:`~.blend_classical.soft_mask`), sharpened over
the run by the annealing ``alpha ** gamma(t)``.

This module only compiles the pieces for the engine (network, input, loss,
finalize) and maps its snapshots back to the background's dtype and layout,
as :mod:`.restore` does for restoration.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any, Iterator

import numpy as np

from .data import ImageCodec, check_dtype
from .engine import FitHistory, Snapshot
from .restore import RestoreResult, StopInfo, _history

#: Iterations when ``iterations=None``: at the sizes napari users blend
#: interactively (up to ~512 px) the loss has flattened well before this and
#: the EMA output no longer changes visibly.
DEFAULT_ITERATIONS = 1000

DEFAULTS: dict[str, Any] = {
    "width": None,            # cap on channels (None: 128 on CUDA, 64 elsewhere, as restore)
    "depth": 5,               # hourglass depth (sizes are padded to a multiple of 2**depth)
    "input_depth": 32,        # channels of the noise input
    "lr": 0.01,
    "reg_noise_std": 1 / 30,  # input-noise perturbation (A3: "input noise perturbation ... each iteration")
    "ema": 0.99,
    "output": "ema",          # "ema", "last" or "best"
    "early_stop": False,      # True: stop by the output-variance rule (VarianceStop)
    "window": 50,
    "patience": 100,
    "preview_every": 10,
    "precision": "auto",      # "auto" (bf16 autocast on CPU / CUDA), "bf16", "fp32"
    "soft_iterations": 3,     # soft map: low-pass passes of the mask ...
    "soft_sigma": None,       # ... per-pass Gaussian sigma (None: max(1, min(H, W) / 64))
    "soft_lowpass": "gaussian",  # ... "gaussian" or "box"
    "anneal_c": 2.0,          # shape c of gamma(t) = 1 + 4 (1 - t/T)**c
    "low_freq_kernel": None,  # window of G (None: round(min(H, W) / 8) | 1, at least 3)
    "illum_sigma": None,      # blur of J (None: max(2, min(H, W) / 32))
    "grad_scales": (1, 2, 4),
    "structure_sigma": 2.0,
    "dir_eps": 1e-4,
}

#: The network of the paper's blending experiments: 128/128/4 skip hourglass,
#: bilinear upsampling (channels capped by ``width``).
NETWORK = dict(channels_down=128, channels_up=128, channels_skip=4, upsample_mode="bilinear")

_MIN_SIDE = 8


def blend(foreground: np.ndarray, background: np.ndarray, mask: np.ndarray, *,
          channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
          device: str | None = None, weights: dict[str, float] | None = None,
          **options) -> RestoreResult:
    """Blend ``foreground`` into ``background`` where ``mask`` is set, with a Deep Image Prior.

    Parameters
    ----------
    foreground, background : ndarray
        Same shape: 2D grey, or 2D with a colour axis (``channel_axis``); any
        of uint8, uint16, int, float32, float64. Both are scaled to [0, 1]
        with one shared range (the joint min and max), so their colours are
        compared as they are. The foreground is the whole aligned image, not a
        cut-out: only its pixels under (and near) the mask matter. Never
        modified. An RGBA background's alpha channel is copied to the output.
    mask : ndarray
        Spatial shape, bool or integer (a napari Labels layer): non-zero
        where the foreground goes. A coarse mask is fine: it is softened by
        :func:`~napari_dip.core.blend_classical.soft_mask`.
    channel_axis : int, optional
        Axis holding colour channels; None for grey images.
    iterations : int, optional
        Number of iterations ``T`` (also the length of the annealing
        schedule). None: :data:`DEFAULT_ITERATIONS` (1000).
    seed : int
        Seeds the network weights, the input and the input perturbation.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``; None picks cuda, mps, cpu.
    weights : dict, optional
        Overrides of the seven term weights by name: ``pixel`` (50),
        ``low_freq`` (25), ``illum`` (20), ``grad`` (6), ``dir`` (4),
        ``blend`` (12), ``aniso`` (18) (report 001, A3).
    **options
        See :data:`DEFAULTS`: ``width`` (channel cap, None: 128 on CUDA, 64
        elsewhere), ``depth`` (5), ``input_depth`` (32), ``lr`` (0.01),
        ``reg_noise_std`` (1/30), ``ema`` (0.99), ``output`` ("ema"),
        ``early_stop`` (False; True stops when the variance of the outputs
        has not fallen for ``patience`` (300) iterations, window ``window``
        (100)), ``preview_every`` (10), ``precision`` ("auto"),
        ``soft_iterations`` (3), ``soft_sigma`` (None: ``max(1, min(H, W) /
        64)``), ``soft_lowpass`` ("gaussian"), ``anneal_c`` (2) and the loss
        parameters ``low_freq_kernel``, ``illum_sigma``, ``grad_scales``,
        ``structure_sigma``, ``dir_eps`` (see
        :class:`~napari_dip.core.blend_losses.BlendLoss`).

    Returns
    -------
    RestoreResult
        ``image``: the fused image with the background's shape and dtype
        (values within the joint range of the two inputs, which is the
        background's range when the foreground's lies inside it);
        ``history``: the loss of every iteration; ``stopped_at``: the
        iteration the image comes from and why; ``config``: every setting
        used, JSON-ready.

    Raises
    ------
    ValueError
        On shape mismatches, an empty mask or one covering every pixel,
        non-finite values, unknown options or invalid settings.
    """
    final = None
    for snap in iter_blend(foreground, background, mask, channel_axis=channel_axis, iterations=iterations,
                           seed=seed, device=device, weights=weights, **options):
        if snap.done:
            final = snap
    return final.result


def iter_blend(foreground: np.ndarray, background: np.ndarray, mask: np.ndarray, *,
               channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
               device: str | None = None, weights: dict[str, float] | None = None,
               **options) -> Iterator[Snapshot]:
    """The same run as :func:`blend`, as a generator of :class:`~napari_dip.core.engine.Snapshot`.

    Every iteration yields a snapshot; every ``preview_every`` iterations it
    carries ``loss`` and ``preview`` (the current fused image, in the
    background's dtype and layout). Closing the generator stops the fit
    (napari's Stop). The last snapshot has ``done=True`` and ``result`` (a
    :class:`~napari_dip.core.restore.RestoreResult`). Arguments are validated
    before the first snapshot, so a bad call raises ``ValueError`` at the
    first ``next()``.
    """
    from .engine import fit

    plan = _plan(foreground, background, mask, channel_axis=channel_axis, iterations=iterations,
                 seed=seed, device=device, weights=weights, options=options)
    history = FitHistory()
    last_user: np.ndarray | None = None
    started = time.perf_counter()
    gen = fit(plan.net, plan.z, plan.loss_fn, finalize=plan.finalize, history=history, **plan.fit_kwargs)
    try:
        for snap in gen:
            if snap.preview is not None:
                snap.preview = last_user = plan.codec.decode(snap.preview)
            if snap.done:
                plan.config["seconds"] = round(time.perf_counter() - started, 3)
                plan.config["iterations_run"] = snap.iteration
                snap.result = RestoreResult(
                    image=last_user,
                    history=_history(history, {}),
                    stopped_at=StopInfo(snap.iteration, snap.stop_reason),
                    config=plan.config,
                )
            yield snap
    finally:
        gen.close()


@dataclass
class _Plan:
    """A blend compiled for the engine."""

    net: Any
    z: Any
    loss_fn: Any
    finalize: Any
    fit_kwargs: dict
    codec: ImageCodec
    config: dict


def _options(options: dict) -> dict:
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for blend(); valid options are {sorted(DEFAULTS)} "
                         "(plus channel_axis, iterations, seed, device, weights).")
    return {**DEFAULTS, **options}


def _shared_codec(foreground: np.ndarray, background: np.ndarray,
                  channel_axis: int | None) -> ImageCodec:
    """The background's codec with the value range widened to cover the foreground."""
    codec = ImageCodec.fit(background, channel_axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the RGBA note was given for the background already
        fg_codec = ImageCodec.fit(foreground, channel_axis)
    return replace(codec, lo=min(codec.lo, fg_codec.lo), hi=max(codec.hi, fg_codec.hi))


def _plan(foreground, background, mask, *, channel_axis, iterations, seed, device, weights,
          options) -> _Plan:
    import torch

    from .blend_classical import default_sigma, soft_mask
    from .blend_losses import TERM_NAMES, BlendLoss
    from .engine import OUTPUTS, pick_device
    from .inputs import make_input
    from .networks import build_network
    from .presets import apply_width
    from .stopping import VarianceStop

    opts = _options(options)
    fg = np.asarray(foreground)
    bg = np.asarray(background)
    check_dtype(fg, "foreground")
    check_dtype(bg, "background")
    if fg.shape != bg.shape:
        raise ValueError(f"foreground has shape {fg.shape} but background has shape {bg.shape}; they must "
                         "match (resize or crop one, and give both the same channels).")
    if fg.dtype != bg.dtype:
        warnings.warn(f"foreground is {fg.dtype} and background is {bg.dtype}: their values are compared "
                      "as they are (one shared range); convert both to the same scale first if they differ.",
                      stacklevel=3)
    codec = _shared_codec(fg, bg, channel_axis)
    spatial = codec.spatial_shape
    if len(spatial) != 2:
        raise ValueError(f"images have {len(spatial)} spatial axes (shape {bg.shape}, channel_axis="
                         f"{channel_axis}); blend() takes 2D images: pass one plane or set channel_axis.")
    if min(spatial) < _MIN_SIDE:
        raise ValueError(f"images are {spatial[0]}x{spatial[1]} pixels; blend() needs at least "
                         f"{_MIN_SIDE} pixels per side.")
    a = codec.encode(fg)                                      # (C, H, W) in [0, 1]
    b = codec.encode(bg)
    for name, x in (("foreground", a), ("background", b)):
        if not np.isfinite(x).all():
            raise ValueError(f"{name} has NaN or infinite values; replace them (e.g. np.nan_to_num) first.")

    m = np.asarray(mask)
    if m.dtype.kind not in "buif":
        raise ValueError(f"mask has dtype {m.dtype}; pass a boolean or integer (Labels) array.")
    if m.shape != spatial:
        raise ValueError(f"mask has shape {m.shape} but the images' spatial shape is {spatial} (image shape "
                         f"{bg.shape}); paint the mask on a Labels layer with the images' shape.")
    inside = m != 0
    if not inside.any():
        raise ValueError("mask is empty: paint where the foreground goes (non-zero labels) before blending.")
    if inside.all():
        raise ValueError("mask covers every pixel: there is no background left to blend into "
                         "(the result would just be the foreground).")

    if weights is not None:
        unknown = sorted(set(weights) - set(TERM_NAMES))
        if unknown:
            raise ValueError(f"unknown loss term(s) {unknown} in weights; valid names are {list(TERM_NAMES)}.")
    iterations = DEFAULT_ITERATIONS if iterations is None else iterations
    if isinstance(iterations, bool) or int(iterations) != iterations or iterations < 1:
        raise ValueError(f"iterations must be a positive integer; got {iterations!r}.")
    iterations = int(iterations)
    if opts["output"] not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {opts['output']!r}")
    depth = int(opts["depth"])
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {opts['depth']!r}")

    # --- soft map and loss (on the unpadded image) ------------------------------------
    soft_sigma = default_sigma(spatial) if opts["soft_sigma"] is None else opts["soft_sigma"]
    alpha = soft_mask(inside, iterations=opts["soft_iterations"], sigma=soft_sigma, lowpass=opts["soft_lowpass"])

    dev = pick_device(device)
    to_t = lambda x: torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None].to(dev)  # noqa: E731
    loss = BlendLoss(to_t(a), to_t(b), to_t(alpha[None]), weights=weights, iterations=iterations,
                     c=float(opts["anneal_c"]), low_freq_kernel=opts["low_freq_kernel"],
                     illum_sigma=opts["illum_sigma"], grad_scales=tuple(opts["grad_scales"]),
                     structure_sigma=float(opts["structure_sigma"]), dir_eps=float(opts["dir_eps"]))

    # --- network and input --------------------------------------------------------------
    C = a.shape[0]
    width = opts["width"] or (128 if dev.type == "cuda" else 64)
    net_spec = apply_width(dict(NETWORK, depth=depth), int(width))
    input_depth = int(opts["input_depth"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_network("skip", input_depth, C, dims=2, **net_spec)
        z_gen = torch.Generator().manual_seed(seed)

    # --- geometry: the network sees a reflection-padded canvas; loss and output are cropped
    mult = net.multiple
    padded = tuple(max(2 * mult, math.ceil(s / mult) * mult) for s in spatial)
    crop = (slice(None), slice(None), slice(0, spatial[0]), slice(0, spatial[1]))
    z = make_input("noise", input_depth, padded, generator=z_gen)
    net, z = net.to(dev), z.to(dev)

    def loss_fn(out, t):
        return loss(out[crop], t)

    def finalize(out):
        return out[crop]

    stopper = VarianceStop(window=opts["window"], patience=opts["patience"]) if opts["early_stop"] else None
    fit_kwargs = dict(iterations=iterations, lr=float(opts["lr"]), reg_noise_std=float(opts["reg_noise_std"]),
                      ema=float(opts["ema"]), output=opts["output"], early_stop=stopper,
                      preview_every=max(1, int(opts["preview_every"])), precision=opts["precision"], seed=seed)
    config = {
        "task": "blend", "seed": seed, "device": str(dev), "iterations": iterations,
        "channel_axis": codec.channel_axis,
        "network": {"arch": "skip", **net_spec, "parameters": net.n_parameters},
        "input": "noise", "input_depth": input_depth, "padded_shape": list(padded),
        "weights": dict(loss.weights),
        "soft_map": {"iterations": int(opts["soft_iterations"]), "sigma": float(soft_sigma),
                     "lowpass": opts["soft_lowpass"]},
        "loss": {"anneal_c": loss.c, "low_freq_kernel": loss.low_freq_kernel, "illum_sigma": loss.illum_sigma,
                 "grad_scales": list(loss.grad_scales), "structure_sigma": loss.structure_sigma,
                 "dir_eps": loss.dir_eps},
        "early_stop": bool(opts["early_stop"]), "window": opts["window"], "patience": opts["patience"],
        "mask_pixels": int(inside.sum()),
        "shape": list(bg.shape), "dtype": str(bg.dtype), "foreground_dtype": str(fg.dtype),
        "value_range": [codec.lo, codec.hi],
        **{k: fit_kwargs[k] for k in ("lr", "reg_noise_std", "ema", "output", "preview_every", "precision")},
    }
    return _Plan(net, z, loss_fn, finalize, fit_kwargs, codec, config)
