"""Classical methods to compare DIP with (``napari_dip.baselines``).

Restoration: :func:`classical_restore` (the task's standard method),
:func:`classical_methods` (every method the task lists), and the methods
themselves: :func:`denoise_nl_means`, :func:`denoise_tv`, :func:`inpaint_biharmonic`,
:func:`upscale`, :func:`deconvolve_richardson_lucy`, :func:`deconvolve_wiener`.
Blending: :func:`alpha_blend`, :func:`laplacian_blend`, :func:`poisson_blend`
(each ``(foreground, background, mask, **options) -> image``) and the soft
transition map :func:`soft_mask` they share.
"""

from __future__ import annotations

import numpy as np

from .core.blending.poisson import poisson_blend
from .core.blending.pyramid import alpha_blend, laplacian_blend
from .core.blending.regions import soft_mask
from .core.classical import (deconvolve_richardson_lucy, deconvolve_wiener, denoise_nl_means, denoise_tv,
                             inpaint_biharmonic, upscale)

__all__ = ["classical_restore", "classical_methods", "denoise_nl_means", "denoise_tv", "inpaint_biharmonic",
           "upscale", "deconvolve_richardson_lucy", "deconvolve_wiener", "alpha_blend", "laplacian_blend",
           "poisson_blend", "soft_mask"]


def classical_methods(image: np.ndarray, task: str, *, mask: np.ndarray | None = None,
                      channel_axis: int | None = None, methods: tuple[str, ...] | None = None,
                      **inputs) -> dict[str, np.ndarray]:
    """Every classical method of ``task`` (or those named in ``methods``): ``{name: image}``.

    ``inputs`` are the task's own (``factor`` for super-resolution, ``psf`` or
    ``psf_sigma`` for deconvolution); ``mask`` as for :func:`napari_dip.restore`.
    """
    from .core import tasks

    t = tasks.get(task)
    if t.needs_mask and mask is None:
        raise ValueError(f"task {task!r} needs a mask (non-zero = missing pixels).")
    nd = 3 if np.ndim(inputs.get("psf")) == 3 else 2  # a 3D PSF: the classical methods run on the volume
    cleaned = t.check_inputs({k: inputs.get(k) for k in t.inputs if k != "mask"}, nd=nd, channels=1)
    chosen = t.baselines()
    if methods is not None:
        chosen = {k: v for k, v in chosen.items() if k in methods}
    return {name: f(image, channel_axis, mask, cleaned) for name, f in chosen.items()}


def classical_restore(image: np.ndarray, task: str, *, mask: np.ndarray | None = None, factor: int | None = None,
                      channel_axis: int | None = None, **inputs) -> tuple[str, np.ndarray]:
    """The standard classical method for ``task``; returns ``(method name, image)``."""
    from .core import tasks

    first = next(iter(tasks.get(task).baselines()), None)
    if first is None:
        raise ValueError(f"no classical method for task {task!r}")
    if factor is not None:
        inputs["factor"] = factor
    return first, classical_methods(image, task, mask=mask, channel_axis=channel_axis, methods=(first,),
                                    **inputs)[first]
