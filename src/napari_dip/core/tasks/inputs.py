"""A task's inputs besides the image, checked without torch: what the user gave, cleaned for the fit.

:class:`InputRules` (a task that takes nothing but the image, or a mask) checks a task's own inputs (a
``ValueError`` saying what to fix), says the output grid (``scale``) and records them for the run's
config (``describe``). :class:`FactorInputs` is super-resolution's (the factor), :class:`PsfInputs`
deconvolution's (the PSF, one of three ways: an array, a Gaussian's sigma, the optics), :class:`NoInputs`
blending's. The catalog (:mod:`.catalog`) holds each task's rules, so that the classical baselines and the
widgets check a task's inputs as a fit does, without torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..physics.optics import fwhm, optics_psf
from ..physics.psf import gaussian_psf, normalized_psf

#: Super-resolution's factors.
FACTORS = (2, 4, 8)


class InputRules:
    """A task that takes nothing besides the image (and its mask, which the engine takes apart)."""

    def check_inputs(self, inputs: dict[str, Any], *, nd: int, channels: int) -> dict[str, Any]:
        """Validate the task's inputs (every name of its form, None when not given); return them
        cleaned."""
        given = {k: v for k, v in inputs.items() if v is not None and k != "mask"}
        if given:
            raise ValueError(f"this task takes no {' or '.join(sorted(given))}.")
        return {}

    def scale(self, inputs: dict[str, Any]) -> int:
        """Output grid / input grid (super-resolution's factor)."""
        return 1

    def describe(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The task's inputs as JSON-ready values for the run's ``config``."""
        return dict(inputs)


class FactorInputs(InputRules):
    """Super-resolution: ``factor``, one of :data:`FACTORS`; the output grid is ``factor`` times finer."""

    def check_inputs(self, inputs, *, nd, channels):
        factor = inputs.get("factor")
        if factor not in FACTORS:
            raise ValueError(f"task 'super_resolution' needs factor=2, 4 or 8 (got {factor!r}).")
        if nd == 3:
            raise ValueError("task 'super_resolution' works plane by plane: use mode='plane'.")
        return {"factor": int(factor)}

    def scale(self, inputs):
        return int(inputs["factor"])


class PsfInputs(InputRules):
    """Deconvolution: the PSF, given one way (``psf``, ``psf_sigma`` or the optics), made into an array."""

    def check_inputs(self, inputs, *, nd, channels):
        psf, sigma = inputs.get("psf"), inputs.get("psf_sigma")
        optics = {k: inputs.get(k) for k in OPTICS if inputs.get(k) is not None}
        if optics.keys() - {"pixel_size"} and not optics.keys() & {"na", "wavelength"}:
            raise ValueError(f"{', '.join(f'{k}=' for k in sorted(optics.keys() - {'pixel_size'}))} describe "
                             "the optics PSF: give na= and wavelength= (µm) with them.")
        if not optics.keys() & {"na", "wavelength"}:
            optics = {}  # the pixel size alone (e.g. the layer's scale) does not make the PSF
        ways = (psf is not None) + (sigma is not None) + bool(optics)
        if ways != 1:
            raise ValueError(
                "task 'deconvolve' needs the point-spread function, one way: psf= (an array, e.g. a measured "
                "bead image), psf_sigma= (a Gaussian's sigma in pixels) or the optics (na=, wavelength= in "
                f"µm, pixel_size= in µm; ni=, ns=, microscope=); got {ways}."
            )
        none = {"psf_sigma": None, "optics": None}
        if optics:
            psf, record = psf_from_optics(optics, nd)
            return {"psf": psf, **none, "optics": record}
        if sigma is not None:
            sig = np.atleast_1d(np.asarray(sigma, dtype=float))
            if sig.size not in (1, nd):
                raise ValueError(
                    f"psf_sigma has {sig.size} values; give one, or one per spatial axis ({nd})."
                )
            return {"psf": gaussian_psf(sig if sig.size > 1 else sig[0], nd), **none,
                    "psf_sigma": sig.tolist()}
        return {"psf": normalized_psf(psf, nd), **none}

    def describe(self, inputs):
        out = {"psf_shape": list(inputs["psf"].shape), "psf_sigma": inputs["psf_sigma"]}
        if inputs.get("optics"):
            out["psf_optics"] = inputs["optics"]
        return out


class NoInputs(InputRules):
    """Blending: the foreground and the mask are the call's own (``core/blend.py``); nothing to check here."""

    def check_inputs(self, inputs, *, nd, channels):
        return {}

    def describe(self, inputs):
        return {}


#: The options that describe the optics (the third way to give the PSF).
OPTICS = ("na", "wavelength", "ni", "ns", "microscope", "pixel_size")
#: Their defaults (``DeconvolveOptions`` holds None for "not given").
OPTICS_DEFAULTS = {"ni": 1.515, "ns": 1.33, "microscope": "widefield"}


def psf_from_optics(optics: dict, nd: int) -> tuple[np.ndarray, dict]:
    """The PSF of the optics described by ``optics`` (the options of :data:`OPTICS` given) for an ``nd``-D
    fit, and its record for the run's config: the parameters and the measured lateral FWHM (µm)."""
    missing = [k for k in ("na", "wavelength", "pixel_size") if k not in optics]
    if missing:
        raise ValueError(f"the optics PSF needs {', '.join(f'{k}=' for k in missing)} (pixel_size in µm: "
                         "the image's scale or the file's metadata; wavelength: the emission's, in µm).")
    size = [float(v) for v in np.atleast_1d(np.asarray(optics["pixel_size"], dtype=float))]
    if len(size) not in (1, 2, 3) or (nd == 3 and len(size) != 3):
        raise ValueError(f"pixel_size has {len(size)} values; give one (lateral), (Y, X) or (Z, Y, X) in µm"
                         + ("; a 3D fit needs the Z step: (Z, Y, X)." if nd == 3 else "."))
    lateral = size[-1]
    if len(size) > 1 and not np.isclose(size[-2], lateral, rtol=0.01):
        raise ValueError(f"the optics PSF needs square pixels; Y and X pixel sizes differ ({size[-2]}, "
                         f"{lateral} µm).")
    params = {**OPTICS_DEFAULTS, **{k: v for k, v in optics.items() if k != "pixel_size"}}
    try:
        psf = optics_psf(**params, pixel_size=lateral, z_step=size[0] if nd == 3 else None)
    except ImportError as err:
        raise ValueError("the optics PSF needs psfmodels: pip install \"napari-dip[optics]\"") from err
    record = {**params, "pixel_size": size if len(size) > 1 else lateral, "model": "vectorial",
              "shape": list(psf.shape),
              "fwhm_lateral": round(fwhm(psf, lateral), 4)}
    if nd == 3:
        record["fwhm_axial"] = round(fwhm(psf, size[0], axis=0), 4)
    return psf, record
