"""One fit compiled for the loop: network, fixed input, loss, finalize and the loop's keyword arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import restarts
from .holdout import choose_holdout, fill_held_out
from .inputs import make_input
from .projector import INPUT_EMA, freeze_weights, input_loss, task_settings
from .restarts import combine, per_restart, restart_seeds
from .sizing import make_network, padded_grid
from .stopping import Backtracker
from .types import FitContext, FitData


@dataclass
class Plan:
    """One fit, ready for :func:`.loop.fit`."""

    net: Any
    z: Any
    loss_fn: Callable
    finalize: Callable
    fit_kwargs: dict
    config: dict
    spec: dict = field(default_factory=dict)


def plan_fit(job, data: FitData, *, iterations: int, warm: Plan | None = None,
             input_crop: Callable | None = None) -> Plan:
    """Compile one fit of ``data`` (a plane, volume or tile of ``job``); ``warm``: continue that fit's
    network (and input, unless ``input_crop``). ``input_crop(channels, z_spatial, padded)``: the input's
    noise or meshgrid channels (``z_spatial``, for the output grid ``padded``), this tile's crop of one input
    for the whole plane (:class:`.inputs.PlaneInput`), instead of its own."""
    fit, settings, dev, scale, nd = job.fit, job.settings, job.device, job.scale, job.nd
    x, missing = data.x, data.missing
    C, spatial = x.shape[0], x.shape[1:]
    out_spatial = tuple(s if i < nd - 2 else s * scale for i, s in enumerate(spatial))
    net, spec, note, input_depth = _network(job, C, out_spatial, warm)

    # geometry: pad (reflect) the observation to the network's grid; padding is unobserved
    padded, z_spatial = padded_grid(net, out_spatial)
    obs_padded = tuple(ps // scale if i >= nd - 2 else ps for i, ps in enumerate(padded))
    pads = [(0, ps - s) for ps, s in zip(obs_padded, spatial, strict=False)]
    y = np.pad(x, [(0, 0), *pads], mode="reflect" if min(spatial) > 1 else "edge")
    observed = np.pad(~missing, pads, constant_values=False).astype(np.float32)
    # held-out pixels (the automatic stop's quality estimate) are unobserved for the fit and its input
    share = job.task.stop.holdout_share(settings, fit)
    like = (
        np.pad(missing, pads, constant_values=False) if share and settings.holdout_like == "damage" else None
    )
    hold = choose_holdout(observed, share, job.seed, like=like)
    known = observed if hold is None else observed * ~hold
    y_in = y if hold is None else fill_held_out(y, known, hold)
    to_t = lambda a: torch.from_numpy(np.ascontiguousarray(a))[None].to(dev)  # noqa: E731
    y_t, known_t, observed_t = to_t(y), to_t(known[None]), to_t(observed[None])
    crop = tuple(slice(0, s) for s in out_spatial)
    ctx = FitContext(
        y=y_t,
        known=known_t,
        weight=known_t if (known == 0).any() else None,
        channels=C,
        dims=nd,
        scale=scale,
        crop=crop,
        inputs=job.inputs,
        settings=task_settings(settings) if fit.fit_mode == "input" else settings,
        fit=fit,
        data=data,
        device=dev,
        codec=job.codec,
        holdout=None if hold is None else to_t(hold[None].astype(np.float32)),
        camera=job.camera,
    )
    loss_fn = job.task.build(ctx)
    if fit.fit_mode == "input":
        loss_fn = input_loss(loss_fn, settings.tv_weight)
    if job.fit.restarts > 1:
        loss_fn = per_restart(loss_fn, job.fit.restarts)
    finalize = _finalizer(crop, y_t * observed_t if fit.keep_known else None, observed_t)
    z = _input(job, ctx, y_in, known, input_depth, (z_spatial, padded), warm, input_crop)
    if fit.fit_mode == "input" and (warm is None or input_crop is not None):
        z.requires_grad_(True)  # the projector fits its input
    if warm is None:
        net = net.to(dev)
    config = _config(job, net, spec, note, input_depth, missing, iterations)
    config["tv_weight"] = getattr(loss_fn, "tv_weight", job.settings.tv_weight)
    return Plan(net, z, loss_fn, finalize, _loop_kwargs(job, ctx, iterations), config, spec)


def _network(job, C: int, out_spatial: tuple, warm: Plan | None):
    """``(net, spec, note, input_depth)``: the warm fit's, or new (its ``restarts`` side by side)."""
    if warm is not None:
        return warm.net, warm.spec, warm.config["network"]["depth_note"], warm.config["input_depth"]
    fit, nd, k = job.fit, job.nd, job.fit.restarts
    nets = []
    for seed in restart_seeds(job.seed, k):
        net, spec, note, input_depth = make_network(fit, C, out_spatial, nd, seed)
        nets.append(freeze_weights(net, input_depth, nd) if fit.fit_mode == "input" else net)
    net = nets[0] if k == 1 else combine(nets, batched=restarts.batched_for(job.device))
    return net, spec, note, input_depth


def _finalizer(crop: tuple, y_keep, known_t) -> Callable:
    """Network output -> image: observed pixels put back exactly (``y_keep``), padding cropped."""
    index = (slice(None), slice(None), *crop)

    def finalize(out):
        if y_keep is not None:
            out = out * (1 - known_t) + y_keep
        return out[index]

    return finalize


def _input(job, ctx: FitContext, y, known, input_depth: int, grids: tuple, warm: Plan | None,
           crop: Callable | None = None):
    """The fixed input: noise or a meshgrid (the warm fit's, or ``crop``'s), with the task's initial guess
    (a classical fill) in front when ``fill_input``."""
    fit, C = job.fit, ctx.channels
    z_spatial, padded = grids
    guess = None
    if fit.fill_input:
        guess = torch.from_numpy(np.ascontiguousarray(job.task.initial_guess(y, known, job.inputs)))[None]
    if warm is not None and crop is None:
        z = warm.z
        return z if guess is None else torch.cat([guess.to(z.device).expand(len(z), -1, *z.shape[2:]),
                                                  z[:, C:]], dim=1)
    depth = input_depth - (C if guess is not None else 0)
    z = crop(depth, tuple(z_spatial), tuple(padded)) if crop is not None else torch.cat(
        [make_input(fit.input_kind, depth, z_spatial, generator=torch.Generator().manual_seed(s))
         for s in restart_seeds(job.seed, job.fit.restarts)])
    if guess is not None:
        z = torch.cat([guess.expand(len(z), -1, *z.shape[2:]), z], dim=1)
    return z.to(job.device)


def _loop_kwargs(job, ctx: FitContext, iterations: int) -> dict:
    fit, s = job.fit, job.settings
    return dict(iterations=iterations, lr=fit.lr, reg_noise_std=fit.reg_noise_std,
                param_noise_std=float(s.param_noise_std), ema=_ema(s, fit), output=s.output,
                early_stop=job.task.stop.rule(ctx, job.task.observation) if fit.early_stop else None,
                backtrack=Backtracker() if fit.backtrack else None,
                preview_every=max(1, int(s.preview_every)), precision=s.precision, seed=job.seed,
                compile=bool(getattr(s, "compile", False)))


def _ema(settings, fit) -> float:
    """The moving average's weight: the user's, else 0.99 (0.9 when fitting the input)."""
    ema = getattr(settings, "ema", None)
    return float(ema) if ema is not None else (INPUT_EMA if fit.fit_mode == "input" else 0.99)


def _config(job, net, spec, note, input_depth, missing, iterations) -> dict:
    """The JSON-ready record of one fit's settings."""
    fit, s, codec = job.fit, job.settings, job.codec
    return {
        "task": job.task.name,
        **job.task.input_rules.describe(job.inputs),
        "preset": fit.preset_name,
        "preset_reason": fit.reason,
        "seed": job.seed,
        "device": str(job.device),
        "iterations": fit.iterations,
        "factor": job.scale if job.scale > 1 else None,
        "channel_axis": codec.channel_axis,
        "network": {"arch": fit.arch, **spec, "parameters": net.n_parameters, "depth_note": note},
        "input": fit.input_kind,
        "input_depth": input_depth,
        "fill_input": fit.fill_input,
        "missing_depth": fit.missing_depth,
        "surround_texture": fit.surround_texture,
        "loss": fit.loss,
        "tv_weight": s.tv_weight,
        "early_stop": fit.early_stop,
        "window": s.window,
        "patience": s.patience,
        "stop_tol": s.stop_tol,
        "holdout": job.task.stop.holdout_share(s, fit),
        "stop_gain": s.stop_gain,
        "backtrack": fit.backtrack,
        "keep_known": fit.keep_known,
        "missing_pixels": int(missing.sum()),
        "shape": list(job.image.shape),
        "dtype": str(job.image.dtype),
        "value_range": [codec.lo, codec.hi],
        "lr": fit.lr,
        "reg_noise_std": fit.reg_noise_std,
        "param_noise_std": s.param_noise_std,
        "ema": _ema(s, fit),
        "fit": fit.fit_mode,
        "compile": bool(getattr(s, "compile", False)),
        "restarts": job.fit.restarts,
        "output": s.output,
        "preview_every": max(1, int(s.preview_every)),
        "precision": s.precision,
    }
