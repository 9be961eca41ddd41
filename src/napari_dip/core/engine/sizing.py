"""Sizing a run: the resolved settings of its fits, their networks and memory.

:func:`resolve` merges a task's preset with the user's :class:`~..settings.Settings`;
:func:`make_network` builds the network of one fit, its depth fitted to the image by
the architecture's own rule; :func:`estimate` applies the memory
model of :mod:`..memory` (from which :func:`..tiling.boxes.choose_tile` picks a tile side).
"""

from __future__ import annotations

import math

import torch

from ..devices import uses_bf16
from ..memory import fit_bytes
from ..networks import architecture
from .projector import input_fit_settings
from .restarts import check_restarts
from .types import Damage, FitSettings, TaskLike, apply_width

CPU_MAX_MEMORY = 4 * 1024**3


def resolve(task: TaskLike, settings, device, inputs: dict, *, iterations: int | None,
            damage: Damage = Damage(), preset_name: str | None = None, reason: str = "") -> FitSettings:
    """The settings every fit of the run shares (the pixels enter only through ``damage``)."""
    if preset_name is None:
        preset_name, reason = (settings.preset, "chosen by the user") if settings.preset else \
            task.policy.choose_preset(settings, damage)
    policy = task.policy
    if preset_name not in policy.presets:
        raise ValueError(
            f"task {task.name!r} has no preset {preset_name!r}; choose one of {list(policy.presets)}."
        )
    p = policy.preset(preset_name, inputs)
    net_spec = dict(p["network"])
    if settings.network is not None and settings.network != net_spec["arch"]:
        net_spec = {"arch": settings.network}
    arch = net_spec.pop("arch")
    if settings.depth is not None:
        net_spec["depth"] = int(settings.depth)
    width = settings.width or policy.default_width(settings, device, preset_name, damage)
    net_spec = _width(arch, net_spec, int(width))
    architecture(arch).check(net_spec)
    input_kind = settings.input or p["input"]
    its = int(iterations if iterations is not None else p["iterations"])
    if its < 1:
        raise ValueError(f"iterations must be at least 1, got {its}")
    fill = settings.fill_input
    if fill == "auto":
        fill = policy.wants_fill_input(settings, preset_name, damage) and architecture(arch).encoder
    elif fill and not architecture(arch).encoder:
        raise ValueError(
            f"fill_input=True needs a network whose input has the image's size; {arch!r} takes a "
            "smaller input. Use network='skip', 'unet' or 'resnet', or fill_input=False."
        )
    fit = FitSettings(
        preset_name=preset_name,
        reason=reason,
        arch=arch,
        net_spec=net_spec,
        input_kind=input_kind,
        input_depth=int(settings.input_depth or (2 if input_kind == "meshgrid" else p["input_depth"])),
        iterations=its,
        lr=float(settings.lr or p["lr"]),
        reg_noise_std=float(
            settings.reg_noise_std if settings.reg_noise_std is not None else p["reg_noise_std"]
        ),
        fill_input=bool(fill),
        loss=settings.loss or p["loss"],
        early_stop=bool(settings.early_stop if settings.early_stop is not None else p["early_stop"]),
        backtrack=bool(settings.backtrack if settings.backtrack is not None else p["backtrack"]),
        keep_known=bool(settings.keep_known) and task.observation.keeps_known,
        missing_depth=round(float(damage.depth), 1),
        surround_texture=round(float(damage.texture), 3),
        explicit_depth=settings.depth is not None,
        restarts=_restarts(settings),
    )
    mode = getattr(settings, "fit", "weights")
    return input_fit_settings(fit, settings, iterations=iterations) if mode == "input" else fit


def _restarts(settings) -> int:
    k = check_restarts(getattr(settings, "restarts", 1))
    if k > 1 and float(getattr(settings, "denoiser_weight", 0) or 0) > 0:
        raise ValueError("restarts > 1 cannot be combined with denoiser_weight > 0 (the denoiser's estimate "
                         "is kept for one fit); use one or the other.")
    return k


def _width(arch: str, spec: dict, width: int) -> dict:
    """Cap the network's channels at ``width`` (the skip net's per-level counts; the others' ``width``)."""
    if arch != "skip":
        return {**spec, "width": width}
    return apply_width({"channels_down": 128, "channels_up": 128, "channels_skip": 4, **spec}, width)


def make_network(fit: FitSettings, channels: int, out_spatial: tuple[int, ...], nd: int, seed: int):
    """``(net, spec, note, input_depth)`` for an output of ``out_spatial`` (seeded, on the CPU)."""
    arch = architecture(fit.arch)
    spec, note = arch.fit(fit.net_spec, min(out_spatial[-2:]), explicit=fit.explicit_depth)
    notes = [note]
    if nd == 3:
        spec, note = arch.fit_z(spec, out_spatial[0])
        notes.append(note)
    input_depth = fit.input_depth
    if fit.input_kind == "meshgrid":
        input_depth = nd
    if fit.fill_input:
        input_depth = (
            input_depth + channels if fit.input_kind == "meshgrid" else max(input_depth, channels + 1)
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = arch.build(input_depth, channels, dims=nd, **spec)
    return net, spec, "; ".join(n for n in notes if n), input_depth


def padded_grid(net, out_spatial: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The output grid padded to what ``net`` needs, and its input's size."""
    mults, mins, strides = net.geometry(len(out_spatial))
    padded = tuple(max(mn, math.ceil(s / m) * m) for s, m, mn in zip(out_spatial, mults, mins, strict=False))
    return padded, tuple(p // st for p, st in zip(padded, strides, strict=False))


def estimate(
    fit: FitSettings, channels: int, out_spatial: tuple[int, ...], nd: int, device, precision: str
) -> int:
    """Bytes one fit of an output of ``out_spatial`` needs (:func:`..memory.fit_bytes`)."""
    net, _, _, input_depth = make_network(fit, channels, out_spatial, nd, 0)
    padded, z_spatial = padded_grid(net, out_spatial)
    return fit.restarts * fit_bytes(
        net, input_depth, channels, z_spatial, padded, low_precision=uses_bf16(device, precision, nd)
    )


def default_max_memory(device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(0.9 * free)
    return CPU_MAX_MEMORY
