"""Alpha and Laplacian-pyramid blending (classical baselines; conventions of :mod:`.regions`)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from skimage.transform import pyramid_reduce, resize

from .regions import DEFAULT_SOFT_ITERATIONS, as_mask, check_pair, positive, soft_mask


def alpha_blend(
    foreground: ArrayLike,
    background: ArrayLike,
    mask: ArrayLike,
    *,
    iterations: int = DEFAULT_SOFT_ITERATIONS,
    sigma: float | None = None,
    lowpass: str = "gaussian",
) -> NDArray[np.floating]:
    """Alpha blending ``alpha * F + (1 - alpha) * B`` with the soft map of ``mask``.

    Parameters
    ----------
    foreground, background : (H, W) or (H, W, C) array_like
        Images with values in ``[0, 1]`` and identical shapes.
    mask : (H, W) array_like of bool or int
        Non-zero where the foreground goes.
    iterations, sigma, lowpass
        Options of :func:`soft_mask` (defaults: 3 passes, sigma
        ``max(1, min(H, W) / 64)``, Gaussian).

    Returns
    -------
    fused : ndarray
        Same shape as the inputs. Equal to ``background`` exactly where the soft
        map is 0 and to ``foreground`` exactly where it is 1.

    Raises
    ------
    ValueError
        On shape mismatches, values outside ``[0, 1]`` or invalid options.
    """
    fg, bg, _, dtype = check_pair(foreground, background)
    m = as_mask(mask, fg.shape)
    alpha = soft_mask(m, iterations=iterations, sigma=sigma, lowpass=lowpass)
    if fg.ndim == 3:
        alpha = alpha[..., None]
    return (alpha * fg + (1.0 - alpha) * bg).astype(dtype, copy=False)


# --------------------------------------------------------------------------- #
# Laplacian pyramid blending
# --------------------------------------------------------------------------- #
def _max_levels(shape: tuple[int, ...]) -> int:
    return int(math.floor(math.log2(min(shape[:2])))) + 1


def _default_levels(shape: tuple[int, ...]) -> int:
    # coarsest level about 8 px on its short side
    return max(1, int(math.floor(math.log2(max(min(shape[:2]) / 8.0, 1.0)))) + 1)


def _expand(image: NDArray[np.floating], shape: tuple[int, ...]) -> NDArray[np.floating]:
    return resize(image, shape, order=1, mode="reflect", anti_aliasing=False, preserve_range=True)


def _gaussian_pyramid(image: NDArray[np.floating], levels: int) -> list[NDArray[np.floating]]:
    channel_axis = -1 if image.ndim == 3 else None
    pyr = [image]
    for _ in range(levels - 1):
        pyr.append(
            pyramid_reduce(
                pyr[-1], downscale=2, mode="reflect", preserve_range=True, channel_axis=channel_axis
            )
        )
    return pyr


def _laplacian_pyramid(image: NDArray[np.floating], levels: int) -> list[NDArray[np.floating]]:
    gauss = _gaussian_pyramid(image, levels)
    lap = [g - _expand(g_next, g.shape) for g, g_next in zip(gauss[:-1], gauss[1:], strict=False)]
    lap.append(gauss[-1])
    return lap


def laplacian_blend(
    foreground: ArrayLike,
    background: ArrayLike,
    mask: ArrayLike,
    *,
    levels: int | None = None,
    clip: bool = True,
) -> NDArray[np.floating]:
    """Laplacian-pyramid (Burt-Adelson) blending.

    Each image is split into a Laplacian pyramid ``L_k = G_k - expand(G_{k+1})``
    (``G`` from :func:`skimage.transform.pyramid_reduce`, ``expand`` a bilinear
    :func:`skimage.transform.resize`); level ``k`` is blended with level ``k`` of
    the Gaussian pyramid ``M_k`` of the mask, ``M_k L_k^F + (1 - M_k) L_k^B``, and
    the blended pyramid is collapsed. Fine detail is thus joined over a narrow
    seam and coarse content over a wide one.

    Parameters
    ----------
    foreground, background : (H, W) or (H, W, C) array_like
        Images with values in ``[0, 1]`` and identical shapes.
    mask : (H, W) array_like of bool or int
        Non-zero where the foreground goes.
    levels : int, optional
        Number of pyramid levels, finest included (1 = a hard cut along the
        mask). Default: as many as keep the coarsest level at least ~8 px on its
        short side (``floor(log2(min(H, W) / 8)) + 1``, 6 at 256 x 256). At most
        ``floor(log2(min(H, W))) + 1``.
    clip : bool, optional
        Clip the result to ``[0, 1]`` (default True); the collapse can overshoot slightly near strong edges.

    Returns
    -------
    fused : ndarray
        Same shape as the inputs. An all-ones mask gives the foreground, an
        all-zeros mask the background (up to rounding).

    Raises
    ------
    ValueError
        On shape mismatches, values outside ``[0, 1]`` or too many levels.
    """
    fg, bg, _, dtype = check_pair(foreground, background)
    m = as_mask(mask, fg.shape)
    n = _levels(levels, fg.shape)
    lap_f = _laplacian_pyramid(fg.astype(np.float64, copy=False), n)
    lap_b = _laplacian_pyramid(bg.astype(np.float64, copy=False), n)
    mask_pyr = _gaussian_pyramid(m.astype(np.float64), n)
    blended = []
    for lf, lb, mk in zip(lap_f, lap_b, mask_pyr, strict=False):
        if lf.ndim == 3:
            mk = mk[..., None]
        blended.append(mk * lf + (1.0 - mk) * lb)
    out = blended[-1]
    for level in reversed(blended[:-1]):
        out = level + _expand(out, level.shape)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out.astype(dtype, copy=False)


def _levels(levels: int | None, shape: tuple[int, ...]) -> int:
    """:func:`laplacian_blend`'s number of levels: ``levels``, checked against the image's size, or the
    default for ``shape``."""
    if levels is None:
        return _default_levels(shape)
    n = int(positive(levels, "levels", integer=True))
    top = _max_levels(shape)
    if n > top:
        raise ValueError(
            f"levels={n} is too many for an image of shape {shape}; use at most {top} "
            "(the coarsest level must keep at least one pixel)."
        )
    return n
