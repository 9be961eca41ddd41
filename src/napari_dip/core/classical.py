"""Classical restorations from scikit-image, the baselines DIP is compared with.

Same conventions as :func:`napari_dip.restore`: arrays in, arrays out, masks
non-zero where pixels are missing, ``channel_axis`` for colour, output in the
input's dtype and range.
"""

from __future__ import annotations

import numpy as np

from .data import cast_to
from .mask import missing_pixels


def _as_float(image: np.ndarray) -> tuple[np.ndarray, float, float]:
    x = np.asarray(image, dtype=np.float64)
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    span = hi - lo if hi > lo else 1.0
    return (x - lo) / span, lo, span


def denoise_nl_means(image: np.ndarray, *, channel_axis: int | None = None,
                     patch_size: int = 5, patch_distance: int = 6, h: float = 0.8) -> np.ndarray:
    """Non-local means with the noise level estimated from the image (``h`` x sigma)."""
    from skimage.restoration import denoise_nl_means as nlm
    from skimage.restoration import estimate_sigma

    x, lo, span = _as_float(image)
    sigma = float(np.mean(estimate_sigma(x, channel_axis=channel_axis)))
    out = nlm(x, h=h * sigma, sigma=sigma, fast_mode=True, patch_size=patch_size,
              patch_distance=patch_distance, channel_axis=channel_axis)
    return cast_to(np.clip(out, 0, 1) * span + lo, np.asarray(image).dtype)


def denoise_tv(
    image: np.ndarray, *, channel_axis: int | None = None, weight: float | None = None
) -> np.ndarray:
    """Total-variation (Chambolle) denoising; ``weight=None`` uses 1.5 x the estimated sigma."""
    from skimage.restoration import denoise_tv_chambolle, estimate_sigma

    x, lo, span = _as_float(image)
    if weight is None:
        weight = 1.5 * float(np.mean(estimate_sigma(x, channel_axis=channel_axis)))
    out = denoise_tv_chambolle(x, weight=weight, channel_axis=channel_axis)
    return cast_to(np.clip(out, 0, 1) * span + lo, np.asarray(image).dtype)


def inpaint_biharmonic(image: np.ndarray, mask: np.ndarray, *, channel_axis: int | None = None) -> np.ndarray:
    """Biharmonic inpainting of the pixels where ``mask`` is non-zero."""
    from skimage.restoration import inpaint_biharmonic as biharmonic

    mask = missing_pixels(mask)
    x, lo, span = _as_float(np.where(_broadcast(mask, image, channel_axis), np.nan, image))
    x = np.nan_to_num(x)
    out = biharmonic(x, mask, channel_axis=channel_axis)
    return cast_to(np.clip(out, 0, 1) * span + lo, np.asarray(image).dtype)


def _broadcast(mask: np.ndarray, image: np.ndarray, channel_axis: int | None) -> np.ndarray:
    if channel_axis is None:
        return mask
    return np.expand_dims(mask, channel_axis % np.ndim(image))


def upscale(image: np.ndarray, factor: int, *, channel_axis: int | None = None, order: int = 3) -> np.ndarray:
    """Spline up-scaling by ``factor`` (order 3: bicubic; 0: nearest neighbour)."""
    from skimage.transform import resize

    image = np.asarray(image)
    shape = [s * factor if i != (channel_axis % image.ndim if channel_axis is not None else None) else s
             for i, s in enumerate(image.shape)]
    out = resize(image.astype(np.float64), shape, order=order, mode="reflect", anti_aliasing=False)
    return cast_to(out, image.dtype)


def _deconvolve(image, psf, channel_axis, method):
    """Run ``method(plane, psf)`` per channel on a reflect-padded copy (scikit-image's deconvolutions
    assume zero or periodic edges, which cost 5-14 dB at 64 px), then crop."""
    x, lo, span = _as_float(image)
    psf = np.asarray(psf, dtype=np.float64)
    planes = x[None] if channel_axis is None else np.moveaxis(x, channel_axis, 0)
    pads = [(0, 0)] + [(min(k, n - 1),) * 2 for k, n in zip(psf.shape, planes.shape[1:], strict=False)]
    padded = np.pad(planes, pads, mode="reflect")
    crop = tuple(slice(p, p + n) for (p, _), n in zip(pads, planes.shape, strict=False))
    out = np.stack([method(p, psf) for p in padded])[crop]
    out = out[0] if channel_axis is None else np.moveaxis(out, 0, channel_axis)
    return cast_to(np.clip(out, 0, 1) * span + lo, np.asarray(image).dtype)


def deconvolve_richardson_lucy(image: np.ndarray, *, psf: np.ndarray, channel_axis: int | None = None,
                               num_iter: int = 30) -> np.ndarray:
    """Richardson-Lucy deconvolution (scikit-image), ``num_iter`` iterations (30: before noise amplifies)."""
    from skimage.restoration import richardson_lucy

    return _deconvolve(
        image, psf, channel_axis, lambda x, k: richardson_lucy(x, k, num_iter=num_iter, clip=False)
    )


def deconvolve_wiener(image: np.ndarray, *, psf: np.ndarray, channel_axis: int | None = None,
                      seed: int = 0) -> np.ndarray:
    """Unsupervised Wiener-Hunt deconvolution (scikit-image; the regularisation is estimated by sampling)."""
    from skimage.restoration import unsupervised_wiener

    rng = np.random.default_rng(seed)
    return _deconvolve(image, psf, channel_axis, lambda x, k: unsupervised_wiener(x, k, rng=rng)[0])
