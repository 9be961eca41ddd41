"""Shared parts of blending: input checks, the soft transition map and the transition band.

These are the baselines that multi-scale DIP blending is compared with, plus
the soft transition map of the DIP blending loss. Everything here is numpy in,
numpy out, in the style of scikit-image:

* images are floating-point arrays with values in ``[0, 1]``, shaped
  ``(H, W)`` (grey) or ``(H, W, C)`` (channels last); integer images are
  converted with :func:`skimage.util.img_as_float`;
* a *mask* is an ``(H, W)`` array (bool or integer, napari Labels style) whose
  non-zero pixels are where the foreground goes;
* the result has the shape of the inputs and a floating dtype (``float32`` when
  both images are ``float32``, ``float64`` otherwise).

Invalid inputs raise :class:`ValueError` with a message that says what is wrong
and how to fix it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage as ndi
from skimage.util import img_as_float

#: Number of low-pass passes used by :func:`soft_mask` by default.
DEFAULT_SOFT_ITERATIONS = 3

_RANGE_TOL = 1e-6


# --------------------------------------------------------------------------- #
# validation helpers (shared with blend_metrics)
# --------------------------------------------------------------------------- #
def as_image(image: ArrayLike, name: str, *, check_range: bool = True) -> NDArray[np.floating]:
    """Validate one image and return it as a floating array (no copy if possible)."""
    arr = np.asarray(image)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(
            f"{name} must be a real-valued numeric image (float in [0, 1]); got dtype {arr.dtype}. "
            "Convert it, e.g. with skimage.util.img_as_float(image)."
        )
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be 2-D (H, W) or 3-D (H, W, C) with channels last; got shape {arr.shape}. "
            "Squeeze singleton axes or move the channel axis last with np.moveaxis(image, 0, -1)."
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape}); every axis needs at least one pixel.")
    if np.issubdtype(arr.dtype, np.integer):
        arr = img_as_float(arr)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; replace them (e.g. np.nan_to_num) first.")
    if check_range:
        lo, hi = float(arr.min()), float(arr.max())
        if lo < -_RANGE_TOL or hi > 1.0 + _RANGE_TOL:
            raise ValueError(
                f"{name} values must lie in [0, 1]; got range [{lo:.4g}, {hi:.4g}]. Rescale it, e.g. with "
                "skimage.exposure.rescale_intensity(image, out_range=(0.0, 1.0))."
            )
    return arr


def as_mask(mask: ArrayLike, shape: tuple[int, ...], name: str = "mask") -> NDArray[np.bool_]:
    """Validate a mask against the spatial ``shape`` (H, W) and return it as bool."""
    arr = np.asarray(mask)
    if not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise ValueError(f"{name} must be a bool or integer (H, W) array; got dtype {arr.dtype}.")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (H, W); got shape {arr.shape}. For a multi-channel mask, "
            "combine the channels first, e.g. mask.any(axis=-1)."
        )
    if arr.shape != tuple(shape[:2]):
        raise ValueError(
            f"{name} shape {arr.shape} does not match the image's spatial shape {tuple(shape[:2])} "
            f"(image shape {tuple(shape)}; images are (H, W) or (H, W, C) with channels last). "
            "Give a mask with one entry per pixel."
        )
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr != 0


def check_pair(
    foreground: ArrayLike,
    background: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    check_range: bool = True,
) -> tuple[NDArray[np.floating], NDArray[np.floating], NDArray[np.bool_] | None, np.dtype]:
    """Validate foreground, background and (optional) mask together."""
    fg = as_image(foreground, "foreground", check_range=check_range)
    bg = as_image(background, "background", check_range=check_range)
    if fg.shape != bg.shape:
        raise ValueError(
            f"foreground shape {fg.shape} and background shape {bg.shape} differ; both images must "
            "have the same (H, W) or (H, W, C) shape. Resize or crop one of them "
            "(e.g. skimage.transform.resize) and convert grey/colour so the channels agree."
        )
    m = None if mask is None else as_mask(mask, fg.shape)
    out_dtype = np.result_type(fg.dtype, bg.dtype, np.float32)
    return fg, bg, m, out_dtype


def positive(value: Any, name: str, *, integer: bool = False) -> float:
    """Check that ``value`` is a positive (integer) number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number; got {value!r}.")
    if integer and int(value) != value:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be positive and finite; got {value!r}.")
    return float(value)


def default_sigma(shape: tuple[int, ...]) -> float:
    """Default per-pass Gaussian sigma of :func:`soft_mask` for an image ``shape``.

    ``max(1, min(H, W) / 64)``: 4 px for a 256 x 256 image. With the default
    ``DEFAULT_SOFT_ITERATIONS = 3`` passes the effective sigma is
    ``sqrt(3) * sigma`` (about 7 px at 256 x 256), i.e. a transition band of
    roughly 5 % of the image side on each side of the mask boundary.
    """
    return max(1.0, min(shape[:2]) / 64.0)


def default_band_width(shape: tuple[int, ...]) -> int:
    """Default half-width (px) of :func:`transition_region` for an image ``shape``.

    Two effective sigmas of the default soft map,
    ``round(2 * sqrt(DEFAULT_SOFT_ITERATIONS) * default_sigma(shape))``, so that the
    region covers where the default soft map is between about 0.02 and 0.98
    (14 px at 256 x 256).
    """
    return max(1, int(round(2.0 * math.sqrt(DEFAULT_SOFT_ITERATIONS) * default_sigma(shape))))


def channels_last3(image: NDArray[np.floating]) -> NDArray[np.floating]:
    return image[..., None] if image.ndim == 2 else image


# --------------------------------------------------------------------------- #
# soft transition map and alpha blending
# --------------------------------------------------------------------------- #
def soft_mask(
    mask: ArrayLike,
    *,
    iterations: int = DEFAULT_SOFT_ITERATIONS,
    sigma: float | None = None,
    lowpass: str = "gaussian",
) -> NDArray[np.float64]:
    """Soft transition map ``alpha(x)`` in ``[0, 1]`` from a binary mask.

    The binary mask is low-pass filtered ``iterations`` times (A3, "Soft
    Transition Band Modeling"): pixels deep inside the mask get ``alpha ~ 1``,
    pixels far outside ``alpha ~ 0`` (exactly 0 beyond the filter support), and
    pixels near the boundary form a smooth band with ``alpha = 0.5`` on it.

    Parameters
    ----------
    mask : (H, W) array_like of bool or int
        Non-zero where the foreground goes.
    iterations : int, optional
        Number of filtering passes (default 3). ``n`` Gaussian passes of sigma
        ``s`` equal one pass of sigma ``s * sqrt(n)``.
    sigma : float, optional
        Per-pass Gaussian sigma in pixels. Default ``max(1, min(H, W) / 64)``
        (see :func:`default_sigma`).
    lowpass : {'gaussian', 'box'}, optional
        Low-pass filter: a Gaussian (truncated at 4 sigma) or a box filter of
        odd size ``~ sqrt(12 sigma^2 + 1)`` (same variance as the Gaussian).

    Returns
    -------
    alpha : (H, W) ndarray of float64
        Soft map, clipped to ``[0, 1]``.

    Raises
    ------
    ValueError
        If the mask is not 2-D or the options are not positive.

    Notes
    -----
    Filtering uses ``mode='reflect'``, so a mask that touches the image border
    stays close to 1 there (the border is not treated as a seam).

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((64, 64), bool); m[16:48, 16:48] = True
    >>> a = soft_mask(m)
    >>> bool(a[32, 32] > 0.99 and a[0, 0] < 0.01)
    True
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W); got shape {m.shape}.")
    m = as_mask(m, m.shape)
    n = int(positive(iterations, "iterations", integer=True))
    s = default_sigma(m.shape) if sigma is None else positive(sigma, "sigma")
    return np.clip(_lowpass(m.astype(np.float64), s, n, lowpass), 0.0, 1.0)


def _lowpass(alpha: NDArray[np.float64], s: float, n: int, lowpass: str) -> NDArray[np.float64]:
    """``n`` passes of :func:`soft_mask`'s low-pass filter ``lowpass`` of sigma ``s``, reflect mode."""
    if lowpass == "gaussian":
        for _ in range(n):
            alpha = ndi.gaussian_filter(alpha, s, mode="reflect", truncate=4.0)
    elif lowpass == "box":
        size = int(round(math.sqrt(12.0 * s * s + 1.0)))
        size += 1 - size % 2  # odd, so the map is not shifted
        for _ in range(n):
            alpha = ndi.uniform_filter(alpha, size, mode="reflect")
    else:
        raise ValueError(f"lowpass must be 'gaussian' or 'box'; got {lowpass!r}.")
    return alpha


def transition_region(mask: ArrayLike, *, width: float | None = None) -> NDArray[np.bool_]:
    """Band ``Omega_T`` around the mask boundary (A4).

    A pixel belongs to the band when its Euclidean distance to the nearest pixel
    on the other side of the boundary is at most ``width``. This equals
    ``dilation(mask, disk(width)) XOR erosion(mask, disk(width))`` for a mask
    away from the image border, but the image border itself is never treated
    as a boundary (a mask touching it gets no band along it). The band reaches
    ``width`` pixels into the mask and ``width`` pixels out of it (total
    thickness ``2 * width``).

    Parameters
    ----------
    mask : (H, W) array_like of bool or int
        Non-zero where the foreground goes.
    width : float, optional
        Half-width of the band in pixels. Default
        ``round(2 * sqrt(3) * max(1, min(H, W) / 64))`` (see
        :func:`default_band_width`), which matches the band of the default
        :func:`soft_mask`.

    Returns
    -------
    region : (H, W) ndarray of bool
        All False when the mask is empty or covers the whole image.

    Raises
    ------
    ValueError
        If the mask is not 2-D or ``width`` is not positive.
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W); got shape {m.shape}.")
    m = as_mask(m, m.shape)
    wdt = float(default_band_width(m.shape)) if width is None else positive(width, "width")
    if not m.any() or m.all():
        return np.zeros(m.shape, dtype=bool)
    inside = ndi.distance_transform_edt(m)  # distance of mask pixels to the nearest non-mask pixel
    outside = ndi.distance_transform_edt(~m)  # and vice versa
    return (m & (inside <= wdt)) | (~m & (outside <= wdt))
