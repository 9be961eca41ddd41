"""Each task's own options: what it takes from the user besides the image and the shared settings.

One frozen dataclass per task, its fields documented with their defaults. The options shared by every
task (network, optimisation, stopping, noise model, stacks, tiling) are :class:`~..settings.Settings`;
the arguments of every call (``channel_axis``, ``iterations``, ``seed``, ``device``, ``reference``) are
the entry points' own (:mod:`napari_dip.core.entry`). A task's :class:`~.parts.Form` lists these fields
as its inputs, so the widgets, the command line and :func:`~.split_options` read them from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np


@dataclass(frozen=True)
class NoOptions:
    """Denoising takes nothing besides the image and the shared settings (``noise=`` among them)."""


@dataclass(frozen=True)
class MaskOptions:
    """Inpainting and reconstruction.

    mask : ndarray
        Over the spatial axes, napari's convention: non-zero = missing pixel. Required. For a stack, a 2D
        mask applies to every plane; a mask with more axes matches the image's trailing axes.
    """

    mask: np.ndarray | None = None


@dataclass(frozen=True)
class SuperResolutionOptions:
    """Super-resolution.

    factor : {2, 4, 8}
        Up-scaling factor of the Y and X axes. Required.
    """

    factor: int | None = None


@dataclass(frozen=True)
class DeconvolveOptions:
    """Deconvolution: the point-spread function, as one of the three:

    psf : ndarray, optional
        A measured PSF (e.g. a bead image): 2D, or 3D for ``mode="volume"``; normalised to sum 1.
    psf_sigma : float or sequence of float, optional
        A Gaussian PSF: its sigma in pixels, one value or one per spatial axis.
    na, wavelength : float, optional
        The optics (:func:`napari_dip.core.physics.optics.optics_psf`, ``napari-dip[optics]``): the
        objective's numerical aperture and the emission wavelength in µm (0.52 for 520 nm), both
        required for this way; with them:
    ni, ns : float, optional
        Refractive index of the immersion medium and of the sample (None: 1.515, oil, and 1.33, water).
    microscope : {"widefield", "confocal"}, optional
        None: "widefield"; "confocal" squares the widefield PSF (a simple approximation).
    pixel_size : float or sequence of float, optional
        The pixel size in µm (the layer's scale, the file's metadata): one lateral value, (Y, X), or
        (Z, Y, X); a 3D fit (``mode="volume"``) needs the Z step, i.e. (Z, Y, X). Required with the optics;
        read by them only (given with ``psf`` or ``psf_sigma`` it changes nothing).
    """

    psf: np.ndarray | None = None
    psf_sigma: float | Sequence[float] | None = None
    na: float | None = None
    wavelength: float | None = None
    ni: float | None = None
    ns: float | None = None
    microscope: str | None = None
    pixel_size: float | Sequence[float] | None = None


@dataclass(frozen=True)
class BlendOptions:
    """Blending (:func:`napari_dip.blend`): the foreground pasted into the image under the mask."""

    foreground: np.ndarray | None = None
    mask: np.ndarray | None = None


def as_inputs(options: Any) -> dict[str, Any]:
    """The options' fields as a dict (the arrays themselves, not copies), less the mask (the engine
    takes it apart)."""
    return {f.name: getattr(options, f.name) for f in fields(options) if f.name != "mask"}
