"""Forward operators: how an observation was made from the clean image.

The operators (:mod:`.operators`, :mod:`.blur`) are torch modules; the point-spread functions
(:mod:`.psf`) and the optics' PSF (:mod:`.optics`) are numpy only. The names below load on first use, so
that the tasks' input checks (``core/tasks/inputs.py``) import :mod:`.psf` and :mod:`.optics` without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_getattr

if TYPE_CHECKING:
    from .blur import Blur
    from .operators import Downsampler, Identity, Mask, Operator, lanczos_kernel
    from .optics import fwhm, optics_psf
    from .psf import gaussian_psf, normalized_psf

_LAZY = {
    "Blur": ".blur",
    "Downsampler": ".operators",
    "Identity": ".operators",
    "Mask": ".operators",
    "Operator": ".operators",
    "lanczos_kernel": ".operators",
    "fwhm": ".optics",
    "optics_psf": ".optics",
    "gaussian_psf": ".psf",
    "normalized_psf": ".psf",
}

__all__ = ["Blur", "Downsampler", "Identity", "Mask", "Operator", "fwhm", "gaussian_psf", "lanczos_kernel",
           "normalized_psf", "optics_psf"]

__getattr__ = lazy_getattr(__name__, _LAZY, globals())
