"""The public restoration API: :func:`restore`, :func:`iter_restore` and :func:`estimate_memory`.

A thin adapter: the task registry (``core/tasks/``) says what each task needs
and how its observation was made, :class:`~.settings.Settings` holds every
option, :func:`.engine.job.prepare` validates the call and
:func:`.engine.driver.run` runs its fits through the one loop.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np

from . import tasks
from .data import colour_channels
from .devices import pick_device
from .engine import checks, sizing
from .engine.driver import run
from .engine.estimate import estimate
from .engine.job import prepare
from .engine.loop import Snapshot
from .engine.results import FitResult, StopInfo
from .engine.types import Damage
from .settings import Settings
from .tasks.base import Task
from .tasks.options import as_inputs

__all__ = ["RestoreResult", "StopInfo", "estimate_memory", "estimate_run", "iter_restore", "restore"]

#: The named arguments of :func:`restore` (offered as close matches for a misspelt option).
_ARGUMENTS = ("mask", "factor", "channel_axis", "iterations", "seed", "device", "reference", "resume")


class RestoreResult(FitResult):
    """What :func:`restore` returns (see :class:`~.engine.results.FitResult`).

    ``image`` has the input's shape (super-resolution: spatial axes x factor),
    dtype and value range; for a stack, ``config["planes"]`` has one record
    per plane (planes not in ``planes`` are copied from the input).
    """


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
    task : str
        One of ``napari_dip.core.tasks.names()``: "denoise", "inpaint",
        "reconstruct", "super_resolution", "deconvolve".
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
        The task's own inputs (``deconvolve``: ``psf``, ``psf_sigma`` or the optics: ``na``,
        ``wavelength``, ``pixel_size``, ``ni``, ``ns``, ``microscope``) and any
        option of :class:`~napari_dip.core.settings.Settings` (``preset``,
        ``network``, ``width``, ``lr``, ``early_stop``, ``loss``, ``mode``,
        ``planes``, ``warm_start``, ``normalize``, ``noise``, ``tile``, ...).
        An unknown name is a ``ValueError`` naming the close matches.

    Returns
    -------
    RestoreResult
    """
    final: Any = None  # the last snapshot (the generator yields at least one)
    for snap in iter_restore(image, task, mask=mask, factor=factor, channel_axis=channel_axis,
                             iterations=iterations, seed=seed, device=device, reference=reference, **options):
        final = snap
    return final.result


def iter_restore(image: np.ndarray, task: str, *, mask: np.ndarray | None = None, factor: int | None = None,
                 channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
                 device: str | None = None, reference: np.ndarray | None = None,
                 resume: FitResult | None = None, **options) -> Generator[Snapshot, None, None]:
    """The same run as :func:`restore`, as a generator of :class:`~.engine.loop.Snapshot`.

    Every iteration yields a snapshot; every ``preview_every`` iterations it
    carries ``loss`` and ``preview`` (the current image, in the input's dtype
    and layout: for a stack, the whole stack filled plane by plane). Closing
    the generator stops the fit (napari's Stop). The last snapshot has
    ``done=True`` and ``result`` (a :class:`RestoreResult`). ``plane``,
    ``plane_number``/``n_planes`` and ``tile_number``/``n_tiles`` say which fit
    a snapshot belongs to; ``progress`` is the fraction of all the work done.
    Arguments are validated before the first snapshot, so a bad call raises
    ``ValueError`` at the first ``next()``.

    ``resume``: the result of an earlier call with the same image and options
    (one plane or volume, no tiles): its fit goes on for ``iterations`` more
    iterations from where it stopped (same network, input and optimiser
    state) instead of starting afresh; the Restore dock's Continue.
    """
    job = prepare_job(image, task, mask=mask, factor=factor, channel_axis=channel_axis, iterations=iterations,
                      seed=seed, device=device, **options)
    if reference is not None:
        reference = np.asarray(reference)
        if reference.shape != job.out_shape:
            raise ValueError(f"reference has shape {reference.shape} but the restored image will have "
                             f"shape {job.out_shape}; pass the clean image that matches the output.")
    yield from run(job, reference, RestoreResult, resume=resume)


def estimate_run(image: np.ndarray, task: str, *, mask: np.ndarray | None = None, factor: int | None = None,
                 channel_axis: int | None = None, iterations: int | None = None, seed: int = 0,
                 device: str | None = None, probe_iterations: int = 3, **options):
    """Memory and time of ``restore(image, task, ...)`` before running it (a :class:`RunEstimate`).

    Validates the call as :func:`restore` does, then times ``probe_iterations``
    iterations of its first fit; ``.text()`` says e.g. "about 0.3 GiB, up to
    4 min on cpu (1000 its)".
    """
    job = prepare_job(image, task, mask=mask, factor=factor, channel_axis=channel_axis, iterations=iterations,
                      seed=seed, device=device, **options)
    return estimate(job, probe_iterations)


def prepare_job(image: np.ndarray, task: str, *, channel_axis=None, iterations: int | None = None,
                seed: int = 0, device: str | None = None, **options):
    """The validated :class:`~.engine.job.Job` of ``restore(image, task, ...)`` (its fits, tiles,
    settings); the task's inputs (the mask among them) come in ``options``, as the schema names them."""
    t = tasks.restoration(task)
    opts = dict(options)
    mask = opts.pop("mask", None)  # the mask kind: the engine takes it apart (core/tasks/schema.py)
    settings, inputs = _split(t, opts)
    return prepare(image, t, settings, mask=mask, inputs=inputs, channel_axis=channel_axis,
                   iterations=iterations, seed=seed, device=device)


def estimate_memory(shape: tuple[int, ...], task: str = "denoise", *, channel_axis: int | None = None,
                    factor: int | None = None, device: str | None = None, **options) -> int:
    """Bytes one fit of an image of ``shape`` needs (one plane, or one volume with ``mode="volume"``).

    Counts the activations of the network that :func:`restore` would build for
    this shape, task and ``options`` (``width``, ``network``, ``precision``,
    ...) and applies the model of :mod:`napari_dip.core.memory`. It is what
    ``max_memory`` is compared with to decide on tiling. Inpainting is
    estimated with the task's default preset and, since no mask is given, the
    network of a deep hole (on a CPU the wider one of thin masks and holes).
    """
    t = tasks.restoration(task)
    settings, inputs = _split(t, {**options, "factor": factor})
    shape = tuple(int(s) for s in shape)
    _, nd = checks.geometry(shape, channel_axis, settings.mode)
    axis = None if channel_axis is None else channel_axis % len(shape)
    C = colour_channels(shape, axis)
    cleaned = t.input_rules.check_inputs(inputs, nd=nd, channels=C)
    scale = t.input_rules.scale(cleaned)
    spatial = [s for i, s in enumerate(shape) if i != axis][-nd:]
    out_spatial = tuple(s if i < nd - 2 else s * scale for i, s in enumerate(spatial))
    dev = pick_device(device)
    deep = Damage(depth=float("inf"))  # no mask here: the larger network of the two inpainting widths
    fit = sizing.resolve(t, settings, dev, cleaned, iterations=1, damage=deep)
    return sizing.estimate(fit, C, out_spatial, nd, dev, settings.precision)


def _split(task: Task, options: dict) -> tuple[Settings, dict]:
    """Options -> (Settings, the task's inputs, mask excluded), through :func:`~.tasks.split_options`
    (the one mapping of user options, batch's too); unknown names are a ``ValueError``."""
    opts = dict(options)
    factor = opts.pop("factor", None)
    if factor is not None and (factor != 1 or "factor" in task.form.inputs):
        opts["factor"] = factor  # restore's named argument: super-resolution's own option
    settings, own, _ = tasks.split_options(task, opts, named=_ARGUMENTS)
    return settings, as_inputs(own)
