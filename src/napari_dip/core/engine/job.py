"""A validated restoration: the image, how it splits into fits, and the settings they share.

:func:`prepare` checks a user call (every bad input is a ``ValueError`` that
says what is wrong and how to fix it) and returns a :class:`Job` for the
driver. The task (``core/tasks/``) validates its own inputs and chooses its
preset; nothing here depends on which task it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import ImageCodec
from ..devices import pick_device
from ..mask import stack_mask
from ..noise import CameraNoise, NoiseChoice, resolve_noise
from ..tiling.boxes import choose_tile
from . import checks, sizing, windows
from .types import Damage, FitData, FitSettings, TaskLike


@dataclass(kw_only=True)
class Job:
    """Everything the driver needs to run the fits of one call (built by keyword)."""

    image: np.ndarray
    task: TaskLike
    inputs: dict                  # the task's validated inputs (mask excluded)
    codec: ImageCodec
    nd: int                       # spatial axes per fit: 2 (planes) or 3 (volumes)
    mode: str
    planes: list                  # leading-axis indices restored, in order
    run: list                     # of those, the ones that need a fit (the others are copied)
    mask: np.ndarray | None       # bool, shape a trailing part of codec.spatial_shape
    scale: int
    settings: Any                 # the user's Settings
    fit: FitSettings
    device: Any
    seed: int
    warm_iterations: int
    out_shape: tuple
    tile: int | None              # tile size (input pixels) or None
    overlap: int
    memory: int                   # estimated bytes of one untiled fit
    max_memory: int
    extras: dict | None = None    # task data beside the image, ``(C, *spatial)`` or spatial arrays
    camera: CameraNoise | None = None  # the noise model of the image's values (core/noise.py; None: Gaussian)
    windows: dict | None = None   # plane index -> (y0, y1, x0, x1) windows fitted alone (engine/windows.py);
                                  # None: the whole plane (or its tiles)
    noise: NoiseChoice | None = None   # which model, why (noise="auto" resolved), for the run's record

    def data(self, idx: tuple) -> FitData:
        """Plane ``idx`` encoded ``(C, *plane)`` (non-finite values set to 0) and its missing pixels: the
        mask's and the non-finite ones (:func:`.checks.plane_missing`)."""
        x = self.codec.encode(self.image, index=idx)
        masked, nonfinite = checks.plane_missing(self.image, self.codec, self.mask, idx)
        return FitData(np.where(np.isfinite(x), x, 0.0).astype(np.float32), masked | nonfinite,
                       dict(self.extras or {}))

    @property
    def keep(self) -> bool:
        return self.fit.keep_known

    @property
    def split(self) -> bool:
        """Each plane is fitted in parts (tiles or windows) pasted into it."""
        return bool(self.tile) or self.windows is not None


def prepare(image, task: TaskLike, settings, *, mask, inputs: dict, channel_axis, iterations, seed,
            device) -> Job:
    """Validate a call of :func:`napari_dip.restore` and size its fits."""
    image = image if isinstance(image, np.ndarray) else np.asarray(image)
    mode, nd = checks.geometry(image.shape, channel_axis, settings.mode)
    noise = resolve_noise(image, settings, channel_axis)  # noise="auto" decided before anything reads it
    camera = noise.camera
    codec = ImageCodec.fit(image, channel_axis, normalize=settings.normalize, spatial_ndim=nd,
                           transform=camera if task.observation.stabilise_data else None)
    cleaned = task.input_rules.check_inputs(inputs, nd=nd, channels=codec.n_channels)
    scale = task.input_rules.scale(cleaned)
    planes = checks.planes(settings.planes, codec.lead_shape)
    m = _mask(task, mask, codec)
    run, depth, texture = checks.planes_to_fit(image, codec, planes, m, measure_depth=task.form.needs_mask,
                                               keep=settings.keep_known and task.observation.keeps_known)
    dev = pick_device(device)
    damage = Damage(depth, texture)
    fit = sizing.resolve(task, settings, dev, cleaned, iterations=iterations, damage=damage)
    warm = settings.warm_iterations
    warm_its = int(warm) if warm is not None else max(1, fit.iterations // 3)
    if warm_its < 1:
        raise ValueError(f"warm_iterations must be at least 1, got {warm_its}")

    C = codec.n_channels
    given = settings.max_memory
    max_memory = int(given) if given is not None else sizing.default_max_memory(dev)
    overlap = int(settings.tile_overlap)
    plane_in = codec.plane_shape
    out_plane = _scaled(plane_in, scale)
    memory = sizing.estimate(fit, C, out_plane, nd, dev, settings.precision)

    def need_for_tile(side: int) -> int:
        shape = (*plane_in[:-2], *(min(side, s) for s in plane_in[-2:]))
        return sizing.estimate(fit, C, _scaled(shape, scale), nd, dev, settings.precision)

    boxes = windows.plan(image, codec, run, m, task, settings, fit, damage, nd=nd, scale=scale)
    if boxes is not None:
        largest = max((max(b[1] - b[0], b[3] - b[2]) for bs in boxes.values() for b in bs), default=2)
        memory = need_for_tile(largest)
        if memory > max_memory:  # a window too large for one fit: the whole plane, tiled
            if settings.extent == "windows":
                raise ValueError(f"a window of {largest} px needs about {memory / 2**30:.1f} GiB, more than "
                                 f"max_memory={max_memory / 2**30:.1f} GiB; use extent='whole' (tiled).")
            boxes, memory = None, sizing.estimate(fit, C, out_plane, nd, dev, settings.precision)
    tile = None if boxes is not None else choose_tile(settings.tile, memory, max_memory, overlap,
                                                       plane_in, need_for_tile)
    return make_job(image, task, settings, codec=codec, fit=fit, device=dev, seed=seed, inputs=cleaned,
                    nd=nd, mode=mode, planes=planes, run=run, mask=m, scale=scale, warm_iterations=warm_its,
                    tile=tile, overlap=overlap, memory=memory, max_memory=max_memory, camera=camera,
                    windows=boxes, noise=noise)


def make_job(image: np.ndarray, task: TaskLike, settings, *, codec: ImageCodec, fit: FitSettings, device,
             seed: int, inputs: dict, nd: int = 2, mode: str = "plane", planes: list | None = None,
             run: list | None = None, mask: np.ndarray | None = None, scale: int = 1,
             warm_iterations: int | None = None, tile: int | None = None, overlap: int = 0, memory: int = 0,
             max_memory: int = 0, **rest) -> Job:
    """A :class:`Job` (restoration's :func:`prepare` and blending's ``core/blend.py`` alike): the output's
    shape from the codec and ``scale``; the defaults are one whole 2D fit (one plane, no mask, no tiles,
    ``warm_iterations`` the fit's iterations, no memory sizing). ``rest``: :class:`Job`'s optional
    fields."""
    return Job(image=image, task=task, inputs=inputs, codec=codec, nd=nd, mode=mode,
               planes=[()] if planes is None else planes, run=[()] if run is None else run, mask=mask,
               scale=scale, settings=settings, fit=fit, device=device, seed=seed,
               warm_iterations=fit.iterations if warm_iterations is None else warm_iterations,
               out_shape=output_shape(codec, scale), tile=tile, overlap=overlap, memory=memory,
               max_memory=max_memory, **rest)


def _mask(task: TaskLike, mask, codec: ImageCodec) -> np.ndarray | None:
    if task.form.needs_mask:
        if mask is None:
            raise ValueError(f"task {task.name!r} needs a mask: a boolean or Labels array with the image's "
                             f"spatial shape {codec.plane_shape[-2:]}, non-zero where pixels are missing.")
        return stack_mask(mask, codec.spatial_shape, 2)
    if mask is not None:
        raise ValueError(f"task {task.name!r} takes no mask; use task='inpaint' to fill masked pixels.")
    return None


def _scaled(plane: tuple[int, ...], scale: int) -> tuple[int, ...]:
    """The last two (Y, X) axes of ``plane`` times ``scale``."""
    return tuple(s if i < len(plane) - 2 else s * scale for i, s in enumerate(plane))


def output_shape(codec: ImageCodec, scale: int) -> tuple[int, ...]:
    """The restored image's shape: the last two spatial axes x ``scale``."""
    spatial = [i for i in range(len(codec.shape)) if i != codec.channel_axis][-2:]
    return tuple(s * scale if i in spatial else s for i, s in enumerate(codec.shape))
