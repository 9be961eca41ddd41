"""Image quality metrics: PSNR and SSIM (scikit-image's), masked and coarse PSNR (as in Wang, Liu & Lan's DIP
blending report).

``data_range``: ``None`` uses 255 for uint8 references and the reference's
own max - min otherwise (so a 16-bit image using 0..4000 is not scored
against 65535).
"""

from __future__ import annotations

import numpy as np

from .mask import missing_pixels


def _range(reference: np.ndarray, data_range: float | None) -> float:
    if data_range is not None:
        return float(data_range)
    if reference.dtype == np.uint8:
        return 255.0
    span = float(np.max(reference)) - float(np.min(reference))
    return span if span > 0 else 1.0


def _pair(reference, image) -> tuple[np.ndarray, np.ndarray]:
    reference, image = np.asarray(reference), np.asarray(image)
    if reference.shape != image.shape:
        raise ValueError(
            f"reference has shape {reference.shape} but the image has {image.shape}; they must match."
        )
    return reference, image


def psnr(reference: np.ndarray, image: np.ndarray, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in dB."""
    reference, image = _pair(reference, image)
    mse = np.mean((reference.astype(np.float64) - image.astype(np.float64)) ** 2)
    if mse == 0:
        return float("inf")
    return float(10 * np.log10(_range(reference, data_range) ** 2 / mse))


def ssim(reference: np.ndarray, image: np.ndarray, *, channel_axis: int | None = None,
         data_range: float | None = None) -> float:
    """Structural similarity (scikit-image), window shrunk for tiny images."""
    from skimage.metrics import structural_similarity

    reference, image = _pair(reference, image)
    spatial = [s for i, s in enumerate(reference.shape)
               if channel_axis is None or i != channel_axis % reference.ndim]
    win = min(7, min(spatial) - (1 - min(spatial) % 2))
    return float(structural_similarity(reference.astype(np.float64), image.astype(np.float64),
                                       data_range=_range(reference, data_range),
                                       channel_axis=channel_axis, win_size=max(win, 3)))


def masked_psnr(reference: np.ndarray, image: np.ndarray, mask: np.ndarray, *,
                channel_axis: int | None = None, data_range: float | None = None) -> float:
    """PSNR over the pixels where ``mask`` is non-zero (the filled region) only."""
    reference, image = _pair(reference, image)
    m = missing_pixels(mask)
    if channel_axis is not None:
        m = np.broadcast_to(np.expand_dims(m, channel_axis % reference.ndim), reference.shape)
    if not m.any():
        raise ValueError("mask is empty: masked PSNR needs at least one masked pixel.")
    mse = np.mean((reference[m].astype(np.float64) - image[m].astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(_range(reference, data_range) ** 2 / mse))


def coarse_psnr(reference: np.ndarray, image: np.ndarray, *, factor: int = 4,
                channel_axis: int | None = None, data_range: float | None = None) -> float:
    """PSNR after ``factor`` x down-sampling by block averaging (the blending report's psnr_coarse)."""
    from skimage.measure import block_reduce

    reference, image = _pair(reference, image)
    block = tuple(1 if channel_axis is not None and i == channel_axis % reference.ndim else factor
                  for i in range(reference.ndim))
    r = block_reduce(reference.astype(np.float64), block, np.mean)
    x = block_reduce(image.astype(np.float64), block, np.mean)
    return psnr(r, x, data_range=_range(reference, data_range))
