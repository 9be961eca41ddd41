"""Deconvolution: the observation is the image blurred by the point-spread function (PSF), plus noise.

Inputs: ``psf`` (an array: 2D, or 3D for ``mode="volume"``; normalised to sum
1) or ``psf_sigma`` (a Gaussian PSF: one sigma in pixels, or one per spatial
axis). The forward operator convolves the network output with the PSF
(:class:`~napari_dip.core.physics.Blur`, reflect-padded). Noise: Gaussian
(MSE) or, with ``noise="poisson"``, photon counts from a camera: the loss then
compares the generalised Anscombe transforms (``core/noise.py``) of the blurred
output and of the observation (the blur acts on the camera's values, so the
data themselves are not transformed: ``BlurPhysics.stabilise_data`` is False and
``core/engine/likelihood.py`` applies the transform after the operator). The automatic
stop is on by default, as for denoising.
"""

from __future__ import annotations

import numpy as np

from ..classical import deconvolve_richardson_lucy, deconvolve_wiener
from ..peers import deconvolve_richardson_lucy_tv
from .base import SKIP_4, Task, make_preset
from .options import DeconvolveOptions
from .parts import Form, Physics, Policy, VarianceStops

#: Richardson-Lucy iterations of the classical baseline (scikit-image's default is 50; 30 keeps noise down).
RL_ITERATIONS = 30


class BlurPhysics(Physics):
    """The observation is the image convolved with the PSF (:class:`~napari_dip.core.physics.Blur`)."""

    stabilise_data = False  # the blur mixes the camera's values: the noise model applies in the loss

    def check_inputs(self, inputs, *, nd, channels):
        from ..physics import gaussian_psf, normalized_psf  # torch: task metadata loads without it

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

    def operator(self, ctx):
        from ..physics import Blur  # torch: task metadata loads without it

        return Blur(ctx.inputs["psf"], ctx.channels, weight=ctx.weight)


#: The options that describe the optics (the third way to give the PSF).
OPTICS = ("na", "wavelength", "ni", "ns", "microscope", "pixel_size")
#: Their defaults (``DeconvolveOptions`` holds None for "not given").
OPTICS_DEFAULTS = {"ni": 1.515, "ns": 1.33, "microscope": "widefield"}


def psf_from_optics(optics: dict, nd: int) -> tuple[np.ndarray, dict]:
    """The PSF of the optics described by ``optics`` (the options of :data:`OPTICS` given) for an ``nd``-D
    fit, and its record for the run's config: the parameters and the measured lateral FWHM (µm)."""
    from ..physics.optics import fwhm, optics_psf  # psfmodels: optional (napari-dip[optics])

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


#: Below this PSF width (sigma, px) the network is fed Wiener-Hunt, above it Richardson-Lucy.
WIENER_INPUT_BELOW = 2.0


def psf_width(psf: np.ndarray) -> float:
    """The PSF's width as a Gaussian sigma (px): the root of its mean second central moment over the axes."""
    p = np.clip(np.asarray(psf, dtype=np.float64), 0, None)
    p = p / p.sum()
    grids = np.indices(p.shape, dtype=np.float64)
    moments = [float((p * (g - (p * g).sum()) ** 2).sum()) for g in grids]
    return round(float(np.sqrt(np.mean(moments))), 6)


def input_method(psf: np.ndarray) -> str:
    """Which classical estimate the network starts from: Wiener-Hunt under a narrow 2D PSF, else Richardson-
    Lucy.

    Measured (benchmarks/deconvolve.py --other-input, 64 px, camera and cell, Gaussian noise and photon
    counts, 3 seeds; docs/notes/benchmarks.md): at sigma 1.5 the Wiener-Hunt input gained 3.1-3.3 dB on
    photon counts and tied or won on Gaussian noise; at 2.5 it lost 0.5-3.2 dB; at 2.0 the two came within
    0.9 dB of each other.
    """
    if np.ndim(psf) != 2:  # measured on 2D images only (and scikit-image's Wiener-Hunt fails on some volumes)
        return "Richardson-Lucy"
    return "Wiener" if psf_width(psf) < WIENER_INPUT_BELOW else "Richardson-Lucy"


def classical_estimate(y: np.ndarray, psf: np.ndarray, method: str) -> np.ndarray:
    """``method`` (Richardson-Lucy or Wiener) of ``y`` ``(C, *spatial)``, per channel, reflect-padded, in [0,
    1]."""
    image = np.moveaxis(y, 0, -1).astype(np.float64)
    if method == "Wiener":
        guess = deconvolve_wiener(image, psf=psf, channel_axis=-1)
    else:
        guess = deconvolve_richardson_lucy(image, psf=psf, channel_axis=-1, num_iter=RL_ITERATIONS)
    return np.clip(np.moveaxis(guess, -1, 0), 0, 1).astype(np.float32)


def psf_estimate(y: np.ndarray, known: np.ndarray, inputs: dict) -> np.ndarray:
    """The classical estimate fed as input channels, chosen by the PSF's width (:func:`input_method`)."""
    return classical_estimate(y, inputs["psf"], input_method(inputs["psf"]))


TASK = Task(
    name="deconvolve",
    form=Form(label="deconvolve", options=DeconvolveOptions,
              hint="Undo the blur of the optics (its PSF): computed from the objective, measured, or a "
                   "blur width."),
    policy=Policy({"deconvolve": make_preset(SKIP_4, iterations=3000, reg_noise_std=1 / 30,
                                             early_stop=True, backtrack=True)}, fill_input=True),
    physics=BlurPhysics(),
    stop=VarianceStops(),  # noisy data, nothing to hold out
    estimate=psf_estimate,
    baselines={
        "Richardson-Lucy": lambda image, axis, mask, inputs: deconvolve_richardson_lucy(
            image, psf=inputs["psf"], channel_axis=axis, num_iter=RL_ITERATIONS
        ),
        "Wiener": lambda image, axis, mask, inputs: deconvolve_wiener(
            image, psf=inputs["psf"], channel_axis=axis
        ),
        "Richardson-Lucy-TV": lambda image, axis, mask, inputs: deconvolve_richardson_lucy_tv(
            image, psf=inputs["psf"], channel_axis=axis
        ),
    },
)
