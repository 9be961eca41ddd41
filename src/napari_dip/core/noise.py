"""Photon-count noise: the Poisson-Gaussian camera model, its variance-stabilising transform and its estimate.

A camera records ``ADU = gain x photons + offset + read noise``: Poisson photon
counts, scaled by the gain (ADU per photon), shifted by the offset and blurred
by Gaussian read noise (std ``read_noise`` ADU). The generalised Anscombe
transform (GAT) makes such data approximately Gaussian with unit variance,
whatever the brightness, so that a Gaussian loss (and BM3D, and the variance
stop) fits them; its exact unbiased inverse maps a restored estimate back to
ADU without the low-count bias of the algebraic inverse (Makitalo and Foi,
"Optimal inversion of the generalized Anscombe transformation for
Poisson-Gaussian noise", IEEE TIP 2013; closed-form approximation).

Raw photon counts are ``CameraNoise(gain=1, offset=0, read_noise=0)``, the
classical Anscombe transform; counts stored as floats in [0, 1] (counts /
peak) are ``gain=1/peak``. :func:`estimate_camera_noise` fits the model to one
image by the usual mean-variance regression (Foi et al., "Practical
Poissonian-Gaussian noise modeling and fitting for single-image raw-data",
IEEE TIP 2008, simplified): the noise variance grows linearly with the local
mean, ``var = gain x mean + (read_noise**2 - gain x offset)``. Only ``gain``
and that intercept enter the transform and its inverse; the split of the
intercept into offset and read noise assumes that the darkest pixels hold
(almost) no photons and is reported, not used.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import convolve, uniform_filter

from .noise_growth import variance_growth

#: Immerkaer's noise kernel: zero on locally linear signal, output variance = the noise variance.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64) / 6.0
_SQRT_3_2 = float(np.sqrt(1.5))
#: The median of a chi-square variable with one degree of freedom, over its mean
#: (a squared Gaussian residual).
_CHI2_1_MEDIAN = 0.4549


@dataclass(frozen=True)
class CameraNoise:
    """The Poisson-Gaussian model of one image: ``ADU = gain x Poisson(photons) + offset + N(0,
    read_noise**2)``."""

    gain: float = 1.0
    offset: float = 0.0
    read_noise: float = 0.0
    estimated: bool = False

    @property
    def intercept(self) -> float:
        """The noise variance at zero ADU: ``read_noise**2 - gain x offset`` (what the transform needs)."""
        return self.read_noise**2 - self.gain * self.offset

    def forward(self, x):
        """The generalised Anscombe transform of ADU values (numpy arrays or torch tensors).

        ``(2 / gain) sqrt(gain x + 3/8 gain**2 + intercept)``, clipped at 0 under the root; on photon
        counts (gain 1, no offset or read noise) it is Anscombe's ``2 sqrt(x + 3/8)``.
        """
        a = self.gain
        inner = a * x + 0.375 * a * a + self.intercept
        if isinstance(x, np.ndarray) or np.isscalar(x):
            return (2.0 / a) * np.sqrt(np.maximum(inner, 0.0))
        return (2.0 / a) * (inner.clamp(min=0.0)).sqrt()  # a torch tensor (the deconvolution loss)

    def inverse(self, d) -> np.ndarray:
        """The exact unbiased inverse (closed form): the ADU value whose transform has expectation ``d``."""
        d = np.maximum(np.asarray(d, dtype=np.float64), 2.0 * np.sqrt(0.375))
        unbiased = 0.25 * d**2 + 0.25 * _SQRT_3_2 / d - 1.375 / d**2 + 0.625 * _SQRT_3_2 / d**3 - 0.125
        photons_shifted = unbiased - self.intercept / self.gain**2
        return np.maximum(photons_shifted, -self.intercept / self.gain**2) * self.gain

    def to_dict(self) -> dict:
        return asdict(self)


#: Photon counts as they come off a photon-counting detector: the classical Anscombe transform.
PHOTON_COUNTS = CameraNoise()


def estimate_camera_noise(
    image: np.ndarray, *, channel_axis: int | None = None, bins: int = 16
) -> CameraNoise:
    """Fit the Poisson-Gaussian model to ``image`` (any layout; every 2D plane of the last two axes counts).

    Every pixel gives a local mean (5 x 5) and a squared noise residual (Immerkaer's kernel); pixels are
    grouped into ``bins`` brightness levels, each level's noise variance is the median residual (robust to
    the edges and texture that inflate some residuals) and a weighted line through the levels gives the
    gain (slope) and ``read_noise**2 - gain x offset`` (intercept). Raises ``ValueError`` when the noise does
    not grow with the brightness (no photon counts to model: use ``noise="gaussian"``) or when the image is
    too small to fit.
    """
    x = np.asarray(image, dtype=np.float64)
    if channel_axis is not None:
        x = np.moveaxis(x, channel_axis, 0)
    planes = x.reshape(-1, *x.shape[-2:])
    if min(planes.shape[-2:]) < 12:
        raise ValueError(
            f"an image of {planes.shape[-2:]} pixels is too small to estimate the camera's gain; "
            "give gain= and offset= (or read_noise=) for noise='poisson'."
        )
    means, residuals = _pixel_statistics(planes)
    order = np.argsort(means)
    groups = np.array_split(order, bins)
    levels = np.array([np.median(means[g]) for g in groups])
    noise = np.array([np.median(residuals[g]) for g in groups]) / _CHI2_1_MEDIAN
    spread = levels.max() - levels.min()  # against the noise of a 5 x 5 local mean
    if spread > 3 * np.sqrt(max(np.median(noise), 1e-12)) / 5:
        gain, intercept = np.polyfit(levels, noise, 1, w=1.0 / np.maximum(noise, 1e-12))
    else:  # one brightness only: pure (scaled) Poisson noise, var = gain x mean
        gain, intercept = float(np.median(noise / np.maximum(levels, 1e-12))), 0.0
    if not gain > 0:
        raise ValueError("noise='poisson': this image's noise does not grow with its brightness "
                         f"(estimated gain {gain:.3g}), so it does not look like photon counts; use "
                         "noise='gaussian', or give the camera's gain= and offset= if you know them.")
    offset = float(np.percentile(means, 1))  # the darkest pixels: taken to hold (almost) no photons
    read_var = max(float(intercept) + gain * offset, 0.0)
    return CameraNoise(gain=float(gain), offset=offset, read_noise=float(np.sqrt(read_var)), estimated=True)


def camera_noise(image: np.ndarray, *, gain: float | None = None, offset: float | None = None,
                 read_noise: float | None = None, channel_axis: int | None = None) -> CameraNoise:
    """The model of ``image``: what the user gave, the rest estimated (offset and read noise default to 0
    when the gain is given). Where the estimate fails on non-negative values above 1, raw photon counts
    are assumed, with a warning; on other data the estimate's ``ValueError`` is raised."""
    if gain is None:
        try:
            fitted = estimate_camera_noise(image, channel_axis=channel_axis)
        except ValueError as error:
            if not _could_be_counts(image):
                raise
            warnings.warn(
                f"{error} Treating the values as raw photon counts (gain 1, offset 0).", stacklevel=3
            )
            fitted = PHOTON_COUNTS
        if offset is None and read_noise is None:
            return fitted
        return CameraNoise(
            fitted.gain,
            fitted.offset if offset is None else float(offset),
            fitted.read_noise if read_noise is None else float(read_noise),
            estimated=True,
        )
    if not gain > 0:
        raise ValueError(f"gain must be positive (ADU per photon), got {gain}.")
    return CameraNoise(float(gain), float(offset or 0.0), float(read_noise or 0.0))


def _could_be_counts(image: np.ndarray) -> bool:
    """Non-negative values above 1: raw photon counts are possible (the estimate's fallback); values in
    [0, 1] or below 0 are scaled or offset data, whose model must be estimated or given."""
    x = np.asarray(image)
    finite = x[np.isfinite(x)] if x.dtype.kind == "f" else x.ravel()
    return finite.size > 0 and float(finite.min()) >= 0 and float(finite.max()) > 1


def _pixel_statistics(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The local mean (5 x 5) and the squared noise residual of every pixel away from the plane's border."""
    means, residuals = [], []
    for plane in planes:
        finite = np.isfinite(plane)
        p = np.where(finite, plane, np.nanmean(plane) if finite.any() else 0.0)
        inner = (slice(2, -2), slice(2, -2))
        means.append(uniform_filter(p, 5, mode="reflect")[inner].ravel())
        residuals.append((convolve(p, _NOISE_KERNEL, mode="reflect")[inner] ** 2).ravel())
    return np.concatenate(means), np.concatenate(residuals)


# --- the noise-model layer -------------------------------------------------------------------------
#: ``noise=`` name -> ``builder(image, settings, channel_axis)``: the model of the image's values whose
#: ``forward`` (numpy and torch) stabilises their noise and whose ``inverse`` maps an estimate back, or
#: None for Gaussian noise (no transform). Denoising applies the model to the data (``ImageCodec``),
#: deconvolution inside its loss after the blur (``FitContext.camera``): a new model is one entry here.
#: ``"auto"`` is no model of its own: it resolves to ``"poisson"`` or ``"gaussian"``
#: (:func:`choose_noise_model`).
NOISE_MODELS: dict[str, Callable] = {}
#: The names of the camera parameters a user may give (they imply photon counts).
CAMERA_PARAMETERS = ("gain", "offset", "read_noise")


@dataclass(frozen=True)
class NoiseChoice:
    """The noise model a run uses: its registry ``name``, the built model (``camera``; None: Gaussian), a
    one-line ``reason``, and what the user asked for (``requested``: ``"auto"`` or the name itself)."""

    name: str
    camera: CameraNoise | None
    reason: str
    requested: str = "auto"

    def to_dict(self) -> dict:
        """The run's record (``result.config["noise_choice"]``)."""
        out: dict = {"requested": self.requested, "name": self.name, "reason": self.reason}
        if isinstance(self.camera, CameraNoise):
            out.update(gain=self.camera.gain, offset=self.camera.offset, read_noise=self.camera.read_noise)
        return out

    def summary(self) -> str:
        """The status line: ``noise: auto -> poisson (gain 2.1, offset 98.7; variance grows ...)``."""
        head = f"noise: {self.requested}" + ("" if self.requested == self.name else f" -> {self.name}")
        if isinstance(self.camera, CameraNoise):
            return f"{head} (gain {self.camera.gain:.3g}, offset {self.camera.offset:.3g}; {self.reason})"
        return f"{head} ({self.reason})"


def choose_noise_model(image: np.ndarray, *, channel_axis: int | None = None) -> NoiseChoice:
    """What ``noise="auto"`` picks for ``image``: the camera model (``"poisson"``, with its gain, offset and
    read noise estimated by :func:`estimate_camera_noise`) where the noise variance measurably grows with
    the mean, else ``"gaussian"`` (constant variance, a clean image, too little data to tell). The test and
    its thresholds: :mod:`.noise_growth`. ``reason`` says which way it went and why."""
    growth = variance_growth(image, channel_axis=channel_axis)
    if not growth.grows:
        return NoiseChoice("gaussian", None, growth.reason)
    try:
        camera = estimate_camera_noise(image, channel_axis=channel_axis)
    except ValueError as error:  # the binned fit disagrees with the test: keep the safe choice
        return NoiseChoice("gaussian", None, f"{growth.reason}, but the camera fit failed ({error})")
    return NoiseChoice("poisson", camera, growth.reason)


def register_noise_model(name: str, builder: Callable) -> None:
    """Add (or replace) the noise model ``noise=name``."""
    NOISE_MODELS[name] = builder


def resolve_noise(image: np.ndarray, settings, channel_axis: int | None = None) -> NoiseChoice:
    """The model ``settings.noise`` names, built for ``image``; ``"auto"`` decided first
    (:func:`choose_noise_model`; a given gain, offset or read noise means photon counts). A user's
    explicit name always wins."""
    requested = settings.noise
    if requested not in NOISE_MODELS:
        names = ", ".join(map(repr, NOISE_MODELS))
        raise ValueError(f"noise must be one of {names}; got {requested!r}.")
    if requested != "auto":
        model = NOISE_MODELS[requested](image, settings, channel_axis)
        return NoiseChoice(requested, model, "chosen by the user", requested)
    if any(getattr(settings, n, None) is not None for n in CAMERA_PARAMETERS):
        camera = _camera(image, settings, channel_axis)
        return NoiseChoice("poisson", camera, "the camera's parameters were given")
    choice = choose_noise_model(image, channel_axis=channel_axis)
    if choice.name == "poisson":  # the same model as noise="poisson" (and its photon-count check)
        return NoiseChoice("poisson", _camera(image, settings, channel_axis), choice.reason)
    return choice


def noise_model(image: np.ndarray, settings, channel_axis: int | None = None):
    """The model ``settings.noise`` names, built for ``image`` (None: Gaussian noise; ``"auto"`` resolved)."""
    return resolve_noise(image, settings, channel_axis).camera


def _auto(image: np.ndarray, settings, channel_axis):
    return resolve_noise(image, settings, channel_axis).camera


def _gaussian(image: np.ndarray, settings, channel_axis) -> None:
    given = [n for n in CAMERA_PARAMETERS if getattr(settings, n, None) is not None]
    if given:
        raise ValueError(f"{', '.join(given)} describe photon counts: pass noise='poisson' with them.")
    return None


def _camera(image: np.ndarray, settings, channel_axis) -> CameraNoise:
    """The camera model, given or estimated; a warning when the brightest pixel holds under one photon."""
    model = camera_noise(image, gain=settings.gain, offset=settings.offset, read_noise=settings.read_noise,
                         channel_axis=channel_axis)
    x = np.asarray(image)
    finite = x[np.isfinite(x)] if x.dtype.kind == "f" else x.ravel()
    photons = (float(finite.max()) - model.offset) / model.gain if finite.size else 0.0
    if photons < 1:
        warnings.warn(f"noise='poisson': with gain {model.gain:.3g} and offset {model.offset:.3g} the "
                      f"brightest pixel holds {photons:.2g} photons; check gain= and offset= (or leave them "
                      "to the estimate).", stacklevel=4)
    return model


register_noise_model("gaussian", _gaussian)
register_noise_model("poisson", _camera)
register_noise_model("auto", _auto)
