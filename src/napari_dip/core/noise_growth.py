"""Does an image's noise variance grow with its brightness? The test behind ``noise="auto"``.

Photon counts from a camera have a noise variance that grows linearly with the mean
(``var = gain x mean + intercept``, :mod:`.noise`); Gaussian noise has a constant variance. The test
(:func:`variance_growth`) measures the noise of every pixel as in :func:`.noise.estimate_camera_noise`
(Immerkaer's residual, a 5 x 5 local mean, :data:`BINS` brightness levels), with three changes that make
it a decision rather than a fit:

- each level's variance is a trimmed mean of the squared residuals (below the level's 90th percentile,
  divided by that share's chi-square mean), smoother than a median on integer data;
- levels with more than 1% of their pixels next to the image's lowest or highest value are left out:
  clipping (a uint8 image with Gaussian noise, values in [0, 1]) lowers the variance near the ends and
  would look like growth;
- the weighted line through the levels is judged by its slope's t-statistic (the slope over its standard
  error from the levels' scatter about the line, which also counts any bend or texture) and by how much
  the fitted variance grows from the darkest to the brightest level.

The camera model is chosen when (1) at least :data:`MIN_LEVELS` levels remain, (2) the noise is
measurable: its std at the median level is at least 0.7 ADU on integer data (rounding alone gives 0.29;
clean 8-bit photos measure 0.25-0.5) or 1/1000 of the value range on float data, (3) the slope's
t-statistic is at least :data:`MIN_T` (integer data) or :data:`MIN_T_FLOAT` (float data, where nothing
says the values are counts), and (4) the variance at least grows by :data:`MIN_GROWTH` (x1.5) across the
levels. Anything else is Gaussian: constant variance, a clean image, or too little data to tell (a tiny
image's fit is not significant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import convolve, uniform_filter

BINS = 16
MIN_LEVELS = 6
MIN_T = 6.0
MIN_T_FLOAT = 10.0
MIN_GROWTH = 1.5
#: At most this many planes (evenly spaced) and this centre crop of each are read by the test.
MAX_PLANES = 8
MAX_SIDE = 1024
_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64) / 6.0
_TRIM = 0.9
#: The mean of a squared standard Gaussian below its 90th percentile (2.706): the trimmed mean's scale.
_TRIMMED_CHI2 = 0.6220


@dataclass(frozen=True)
class Growth:
    """The verdict of :func:`variance_growth` and the numbers behind it."""

    grows: bool                 # the camera model fits: the variance grows with the mean
    reason: str                 # one line: why
    slope: float = 0.0          # fitted variance per unit of mean (the gain's estimate)
    t: float = 0.0              # the slope's t-statistic
    growth: float = 1.0         # fitted variance at the brightest level / at the darkest
    noise_std: float = 0.0      # the noise std at the median level, in the image's units
    levels: int = 0             # brightness levels used (clipped ones left out)


def variance_growth(image: np.ndarray, *, channel_axis: int | None = None) -> Growth:
    """Whether ``image``'s noise variance grows with its mean (module docstring: the criterion)."""
    x = np.asarray(image)
    integer = x.dtype.kind in "uib"
    planes = _planes(x, channel_axis)
    if min(planes.shape[-2:]) < 12:
        return Growth(False, "the image is too small to measure its noise")
    lo, hi = float(np.nanmin(planes)), float(np.nanmax(planes))
    levels, var, clipped = _levels(planes, lo, hi)
    keep = clipped <= 0.01
    L, V = levels[keep], var[keep]
    if len(L) < MIN_LEVELS:
        return Growth(False, "too few unclipped brightness levels to tell", levels=len(L))
    std = float(np.sqrt(np.median(V)))
    floor = 0.7 if integer else 1e-3 * (hi - lo)
    if not std >= floor:
        return Growth(False, f"no measurable noise (std {std:.3g}): a clean image", noise_std=std,
                      levels=len(L))
    slope, t, growth = _line(L, V)
    min_t = MIN_T if integer else MIN_T_FLOAT
    if t >= min_t and growth >= MIN_GROWTH:
        grows, reason = True, f"variance grows with the mean (x{growth:.1f}, t {t:.0f})"
    elif t >= min_t:
        grows, reason = False, f"variance nearly constant (x{growth:.2f} across the levels)"
    else:
        grows, reason = False, f"variance does not grow with the mean (t {t:.1f})"
    return Growth(grows, reason, slope=slope, t=t, growth=growth, noise_std=std, levels=len(L))


def _planes(x: np.ndarray, channel_axis: int | None) -> np.ndarray:
    """At most :data:`MAX_PLANES` 2D planes (every channel's), each cropped to its centre :data:`MAX_SIDE`."""
    if channel_axis is not None:
        x = np.moveaxis(x, channel_axis, 0)
    planes = x.reshape(-1, *x.shape[-2:])
    if len(planes) > MAX_PLANES:
        planes = planes[np.linspace(0, len(planes) - 1, MAX_PLANES).round().astype(int)]
    crop = tuple(slice(max(0, (s - MAX_SIDE) // 2), max(0, (s - MAX_SIDE) // 2) + MAX_SIDE)
                 for s in planes.shape[-2:])
    return np.asarray(planes[(slice(None), *crop)], dtype=np.float64)


def _levels(planes: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each brightness level's median local mean, its noise variance and its share of clipped pixels."""
    means, residuals, near = [], [], []
    inner = (slice(2, -2), slice(2, -2))
    for plane in planes:
        finite = np.isfinite(plane)
        p = np.where(finite, plane, np.nanmean(plane) if finite.any() else 0.0)
        means.append(uniform_filter(p, 5, mode="reflect")[inner].ravel())
        residuals.append((convolve(p, _KERNEL, mode="reflect")[inner] ** 2).ravel())
        near.append(((p <= lo) | (p >= hi))[inner].ravel())
    m, r, c = np.concatenate(means), np.concatenate(residuals), np.concatenate(near)
    groups = np.array_split(np.argsort(m, kind="stable"), BINS)
    levels = np.array([np.median(m[g]) for g in groups])
    var = np.array([_trimmed(r[g]) for g in groups]) / _TRIMMED_CHI2
    clipped = np.array([c[g].mean() for g in groups])
    return levels, var, clipped


def _trimmed(r: np.ndarray) -> float:
    """The mean of ``r`` below its :data:`_TRIM` quantile (edges and texture make the top residuals)."""
    q = np.quantile(r, _TRIM)
    below = r[r <= q]
    return float(below.mean()) if below.size else 0.0


def _line(levels: np.ndarray, var: np.ndarray) -> tuple[float, float, float]:
    """The weighted line ``var = slope x level + b`` (weights 1/var: relative errors): its slope, the slope's
    t-statistic and the fitted variance at the brightest level over that at the darkest."""
    w = 1.0 / np.maximum(var, 1e-300)
    A = np.stack([levels, np.ones_like(levels)], axis=1) * w[:, None]
    coef, *_ = np.linalg.lstsq(A, var * w, rcond=None)
    resid = var * w - A @ coef
    dof = max(len(levels) - 2, 1)
    cov = (resid @ resid / dof) * np.linalg.pinv(A.T @ A)
    se = float(np.sqrt(max(cov[0, 0], 0.0)))
    slope = float(coef[0])
    t = slope / se if se > 0 else (np.inf if slope > 0 else 0.0)
    dark, bright = (coef[0] * levels[0] + coef[1]), (coef[0] * levels[-1] + coef[1])
    growth = float(bright / dark) if dark > 0 else (np.inf if bright > 0 else 0.0)
    return slope, float(t), growth
