"""Each task's own options: what it takes from the user besides the image and the shared settings.

One frozen dataclass per task, its fields documented with their defaults. The options shared by every
task (network, optimisation, stopping, noise model, stacks, tiling) are :class:`~..settings.Settings`;
the arguments of every call (``channel_axis``, ``iterations``, ``seed``, ``device``, ``reference``) are
the entry points' own (:mod:`napari_dip.core.entry`). A task's :class:`~.catalog.Form` lists these fields
as its inputs, so the widgets, the command line and :func:`~.split_options` read them from here: each
field is a :func:`~.schema.task_input`, whose metadata (its kind, help, choices, flag and form field) the
Restore dock, ``napari-dip restore``/``batch`` and :func:`napari_dip.batch.run` render in one loop
(:mod:`.schema`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .schema import inputs_of, task_input

#: The command line's group of the PSF's inputs.
PSF_GROUP = ("deconvolve: the PSF, one of --psf, --psf-sigma or the optics (--na and --wavelength; "
             "--pixel-size from the file's metadata when not given)")


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

    mask: np.ndarray | None = task_input(
        "mask", "mask file for inpaint/reconstruct: non-zero = missing (napari convention)",
        tooltip="Labels layer: painted (non-zero) pixels are missing.",
        missing="task {task!r} needs a mask: add a Labels layer (File > New Layer > Labels) and paint the "
        "missing pixels, then choose it as the mask.")


@dataclass(frozen=True)
class SuperResolutionOptions:
    """Super-resolution.

    factor : {2, 4, 8}
        Up-scaling factor of the Y and X axes. Required.
    """

    factor: int | None = task_input("int", "super-resolution factor (2, 4, 8)", choices=(2, 4, 8), value=4,
                                    tooltip="Up-scaling factor.")


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

    psf: np.ndarray | None = task_input(
        "image", "a PSF image file (2D, or 3D with --mode volume)", group=PSF_GROUP, way="layer",
        label="PSF image",
        tooltip="An Image layer holding a measured PSF (e.g. a bead), 2D, or 3D for volume mode.",
        missing="choose the measured PSF's Image layer (or another way to give the PSF).")
    psf_sigma: float | Sequence[float] | None = task_input(
        "floats", "Gaussian PSF sigma in pixels (one value, or one per spatial axis)", group=PSF_GROUP,
        way="sigma", label="blur width (px)", value=1.5, limits=(0.1, 50.0, 0.1, None),
        tooltip="The blur is a Gaussian of this standard deviation, in pixels. Raise it if the result still "
        "looks blurred, lower it if edges ring.")
    na: float | None = task_input(
        "float", "the objective's numerical aperture (needs napari-dip[optics])", group=PSF_GROUP,
        way="optics",
        label="NA", value=1.4, limits=(0.05, 1.7, 0.05, 2), tooltip="The objective's numerical aperture "
        "(engraved on it, e.g. 60x/1.40 oil); below the immersion index.")
    wavelength: float | None = task_input(
        "float", "emission wavelength in µm (0.52 for 520 nm)", group=PSF_GROUP, way="optics",
        label="emission (µm)", value=0.52, limits=(0.2, 2.0, 0.01, 3), suffix=" µm",
        tooltip="The emission wavelength in µm (0.52 for 520 nm, GFP).")
    ni: float | None = task_input(
        "float", "immersion medium's refractive index (default 1.515, oil)", group=PSF_GROUP, way="optics",
        label="immersion n", value=1.515, limits=(1.0, 2.0, 0.001, 3), tooltip="Refractive index of the "
        "immersion medium: 1.515 oil; 1.33 water, 1.0 air, 1.406 silicone.")
    ns: float | None = task_input(
        "float", "sample's refractive index (default 1.33, water)", group=PSF_GROUP, way="optics",
        label="sample n", value=1.33, limits=(1.0, 2.0, 0.01, 3), tooltip="Refractive index of the sample "
        "(1.33: watery; mounting media up to about 1.52).")
    microscope: str | None = task_input(
        "choice", "default widefield; confocal: the widefield PSF squared (an approximation)",
        choices=("widefield", "confocal"), group=PSF_GROUP, way="optics", value="widefield",
        tooltip="confocal: the widefield PSF squared (a simple approximation of a small pinhole).")
    pixel_size: float | Sequence[float] | None = task_input(
        "floats", "pixel size in µm: one lateral value, Y X, or Z Y X (default: the file's metadata)",
        metavar="UM", group=PSF_GROUP, way="optics", from_scale=True, label="pixel size (µm)", value=0.0,
        limits=(0.0, 100.0, 0.005, 4), special="image's scale", tooltip="The lateral pixel size in the "
        "sample, µm (camera pixel / magnification). automatic: the image layer's scale.")


@dataclass(frozen=True)
class BlendOptions:
    """Blending (:func:`napari_dip.blend`): the foreground pasted into the image under the mask."""

    foreground: np.ndarray | None = task_input("image", "the image pasted into the background")
    mask: np.ndarray | None = task_input("mask", "where the foreground goes: non-zero = pasted")


def as_inputs(options: Any) -> dict[str, Any]:
    """The options' fields as a dict (the arrays themselves, not copies), less the mask (the engine
    takes it apart)."""
    return {s.name: getattr(options, s.name) for s in inputs_of(type(options)) if s.kind != "mask"}
