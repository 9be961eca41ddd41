"""Shared pieces of the blending metrics: grey level, gradients, input checks, the region measured."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage as ndi
from skimage.color import rgb2gray

from .regions import as_image, as_mask, transition_region


def grey_channel(image: NDArray[np.floating]) -> NDArray[np.floating]:
    """One grey channel: luminance for RGB, channel mean otherwise."""
    image = image.astype(np.float64, copy=False)
    if image.ndim == 2:
        return image
    if image.shape[-1] == 3:
        return rgb2gray(image)
    return image.mean(axis=-1)


def gradients(image: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sobel gradient magnitude and direction of an image's grey channel.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like
        Image; colour is reduced to grey as described in the module docstring.

    Returns
    -------
    magnitude : (H, W) ndarray
        ``G = sqrt(gx^2 + gy^2)`` with ``gx = sobel(x, axis=1) / 8`` and
        ``gy = sobel(x, axis=0) / 8``.
    direction : (H, W) ndarray
        ``theta = atan2(gy, gx)`` in radians (0 where the gradient is 0).
    """
    grey = grey_channel(as_image(image, "image", check_range=False))
    gx = ndi.sobel(grey, axis=1, mode="reflect") / 8.0
    gy = ndi.sobel(grey, axis=0, mode="reflect") / 8.0
    return np.hypot(gx, gy), np.arctan2(gy, gx)


def check_images(**images: ArrayLike | None) -> dict[str, NDArray[np.floating]]:
    checked: dict[str, NDArray[np.floating]] = {}
    ref_name, ref_shape = None, None
    for name, img in images.items():
        if img is None:
            continue
        arr = as_image(img, name, check_range=False)
        if ref_shape is None:
            ref_name, ref_shape = name, arr.shape
        elif arr.shape != ref_shape:
            raise ValueError(
                f"{name} shape {arr.shape} does not match {ref_name} shape {ref_shape}; all images "
                "must have the same (H, W) or (H, W, C) shape."
            )
        checked[name] = arr
    return checked


def metric_region(
    shape: tuple[int, ...],
    mask: ArrayLike | None,
    region: ArrayLike | None,
    width: float | None,
    *,
    required: bool,
) -> NDArray[np.bool_] | None:
    """Resolve the averaging region: ``region`` if given, else the band of ``mask``."""
    if region is not None:
        reg = as_mask(region, shape, name="region")
    elif mask is not None:
        reg = transition_region(as_mask(mask, shape), width=width)
    elif required:
        raise ValueError(
            "give either mask= (the transition region is derived from it) or region= "
            "(an (H, W) boolean map of Omega_T)."
        )
    else:
        return None
    if not reg.any():
        raise ValueError(
            "the averaging region is empty (a mask that is empty or covers the whole image has no "
            "boundary); give a mask with a boundary or a non-empty region."
        )
    return reg
