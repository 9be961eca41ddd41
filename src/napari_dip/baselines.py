"""Classical methods to compare DIP with (``napari_dip.baselines``).

Restoration: :func:`classical_restore` (the task's standard method),
:func:`classical_methods` (every method the task lists), :func:`unavailable_methods`
(those whose package is missing, with the install command), :func:`compare` (all of
them with the :func:`residual` of each result), and the methods
themselves: :func:`denoise_nl_means`, :func:`denoise_tv`, :func:`inpaint_biharmonic`,
:func:`upscale`, :func:`deconvolve_richardson_lucy`, :func:`deconvolve_wiener`, and the
peers a user would pick instead: :func:`denoise_bm3d` (BM3D/BM4D),
:func:`denoise_noise2void` (careamics), :func:`deconvolve_richardson_lucy_tv`.
Blending: :func:`alpha_blend`, :func:`laplacian_blend`, :func:`poisson_blend`
(each ``(foreground, background, mask, **options) -> image``) and the soft
transition map :func:`soft_mask` they share.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .core import tasks
from .core.blending.poisson import poisson_blend
from .core.blending.pyramid import alpha_blend, laplacian_blend
from .core.blending.regions import soft_mask
from .core.classical import (
    deconvolve_richardson_lucy,
    deconvolve_wiener,
    denoise_nl_means,
    denoise_tv,
    inpaint_biharmonic,
    upscale,
)
from .core.noise import CAMERA_PARAMETERS, NoiseChoice, choose_noise_model, resolve_noise
from .core.peers import deconvolve_richardson_lucy_tv, denoise_bm3d, denoise_noise2void, missing
from .core.residual import residual

__all__ = [
    "classical_restore",
    "classical_methods",
    "compare",
    "residual",
    "unavailable_methods",
    "noise_choice",
    "choose_noise_model",
    "method_label",
    "denoise_nl_means",
    "denoise_tv",
    "denoise_bm3d",
    "denoise_noise2void",
    "inpaint_biharmonic",
    "upscale",
    "deconvolve_richardson_lucy",
    "deconvolve_wiener",
    "deconvolve_richardson_lucy_tv",
    "alpha_blend",
    "laplacian_blend",
    "poisson_blend",
    "soft_mask",
]


def classical_methods(image: np.ndarray, task: str, *, mask: np.ndarray | None = None,
                      channel_axis: int | None = None, methods: tuple[str, ...] | None = None,
                      noise: str = "auto", gain: float | None = None, offset: float | None = None,
                      read_noise: float | None = None, **inputs) -> dict[str, np.ndarray]:
    """Every classical method and peer of ``task`` (or those named in ``methods``): ``{name: image}``.

    ``inputs`` are the task's own (``factor`` for super-resolution, ``psf`` or
    ``psf_sigma`` for deconvolution); ``mask`` as for :func:`napari_dip.restore`.
    The noise model is the DIP run's (``noise``, default ``"auto"``, decided on
    the same image as :func:`napari_dip.restore` decides it): with the camera
    model (``"poisson"``, with ``gain``, ``offset``, ``read_noise`` or their
    estimates) BM3D runs on the variance-stabilised counts (:func:`compare`
    labels it ``"BM3D (camera model)"``, :func:`method_label`); with Gaussian
    noise on its sigma estimate. Methods whose package is not
    installed are left out (:func:`unavailable_methods` lists them with the
    install command).
    """
    t = tasks.get(task)
    if t.form.needs_mask and mask is None:
        raise ValueError(f"task {task!r} needs a mask (non-zero = missing pixels).")
    # a 3D PSF (measured, or the optics' with a Z step): the classical methods run on the volume
    volume_optics = inputs.get("na") is not None and np.size(inputs.get("pixel_size", ())) == 3
    nd = 3 if np.ndim(np.asarray(inputs.get("psf"))) == 3 or volume_optics else 2
    own = {k: inputs.get(k) for k in t.form.inputs if k != "mask"}
    cleaned = t.input_rules.check_inputs(own, nd=nd, channels=1)
    cleaned["camera"] = noise_choice(image, noise=noise, gain=gain, offset=offset, read_noise=read_noise,
                                     channel_axis=channel_axis).camera  # None for Gaussian noise
    chosen = {k: v for k, v in t.baselines.items() if missing(k) is None}
    if methods is not None:
        chosen = {k: v for k, v in chosen.items() if k in methods}
    return {name: f(image, channel_axis, mask, cleaned) for name, f in chosen.items()}


def noise_choice(image: np.ndarray, *, noise: str = "auto", gain: float | None = None,
                 offset: float | None = None, read_noise: float | None = None,
                 channel_axis: int | None = None) -> NoiseChoice:
    """The noise model a run with these options uses on ``image`` (``"auto"`` decided, as
    :func:`napari_dip.restore` decides it), with its reason: what :func:`classical_methods` gives BM3D."""
    model = SimpleNamespace(noise=noise, gain=gain, offset=offset, read_noise=read_noise)
    return resolve_noise(image, model, channel_axis)


def method_label(task: str, method: str, camera) -> str:
    """The name Compare shows for ``method`` of ``task``: ``"BM3D (camera model)"`` where the method
    takes the camera model and the run has one, else ``method``."""
    f = tasks.get(task).baselines.get(method)
    return f"{method} (camera model)" if camera is not None and getattr(f, "uses_camera", False) else method


def compare(image: np.ndarray, task: str, restored: dict[str, np.ndarray] | None = None, *,
            mask: np.ndarray | None = None, channel_axis: int | None = None,
            **options) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every available method of ``task`` on ``image``, and the residual of each result and of ``restored``.

    ``restored``: results made elsewhere (the DIP's), ``{name: image}``. ``options``: the task's inputs and
    the noise model, as for :func:`classical_methods`. Returns ``(results, residuals)``, the residuals
    (:func:`residual`: observation minus the forward model of the result) keyed by method name, the name
    saying which noise model ran where it matters (:func:`method_label`: ``"BM3D (camera model)"``).
    """
    noise = {k: options[k] for k in ("noise", *CAMERA_PARAMETERS) if k in options}
    camera = noise_choice(image, channel_axis=channel_axis, **noise).camera
    results = {method_label(task, name, camera): out for name, out in
               classical_methods(image, task, mask=mask, channel_axis=channel_axis, **options).items()}
    inputs = {k: v for k, v in options.items() if k in tasks.get(task).form.inputs}
    residuals = {name: residual(image, out, task, mask=mask, channel_axis=channel_axis, **inputs)
                 for name, out in {**(restored or {}), **results}.items()}
    return results, residuals


def unavailable_methods(task: str) -> dict[str, str]:
    """The methods of ``task`` that cannot run here: ``{name: the command that installs them}``."""
    return {name: why for name in tasks.get(task).baselines if (why := missing(name))}


def classical_restore(
    image: np.ndarray,
    task: str,
    *,
    mask: np.ndarray | None = None,
    factor: int | None = None,
    channel_axis: int | None = None,
    **inputs,
) -> tuple[str, np.ndarray]:
    """The standard classical method for ``task``; returns ``(method name, image)``."""
    first = next(iter(tasks.get(task).baselines), None)
    if first is None:
        raise ValueError(f"no classical method for task {task!r}")
    if factor is not None:
        inputs["factor"] = factor
    return first, classical_methods(image, task, mask=mask, channel_axis=channel_axis, methods=(first,),
                                    **inputs)[first]
