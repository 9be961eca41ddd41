"""Image-blending quality metrics (appendix A4 of the multi-scale DIP blending report).

``F`` is the fused result, ``A`` the foreground, ``B`` the background and
``Omega_T`` the transition region around the mask boundary
(:func:`napari_dip.core.blend_classical.transition_region`).

Conventions shared by all metrics:

* **Gradients** are Sobel derivatives (:func:`scipy.ndimage.sobel`, reflect
  border) divided by 8, so a ramp of slope 1 per pixel has gradient magnitude 1:
  ``G = sqrt(gx^2 + gy^2)``, ``theta = atan2(gy, gx)``.
* **Colour**: gradient-based metrics (GFF, GFP, BSI) are computed on one grey
  channel: for ``C == 3`` the luminance of :func:`skimage.color.rgb2gray`
  (``0.2125 R + 0.7154 G + 0.0721 B``), for any other channel count the mean
  over channels. :func:`masked_ssim` compares all channels
  (``channel_axis=-1``) and averages the SSIM map over channels.
* Images are ``(H, W)`` or ``(H, W, C)`` float arrays (nominally in
  ``[0, 1]``; values outside are accepted so unclipped results can be
  scored). ``mask`` and ``region`` are ``(H, W)``.
* Each metric returns a Python ``float``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage as ndi
from skimage.metrics import structural_similarity

from .measure import check_images, gradients, metric_region
from .regions import as_mask

__all__ = ["gff", "gfp", "bsi", "masked_ssim", "gradients"]


def gff(
    fused: ArrayLike,
    foreground: ArrayLike,
    background: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    region: ArrayLike | None = None,
    width: float | None = None,
    eps: float = 1e-12,
) -> float:
    r"""Gradient-based Fusion Factor (GFF), higher is better, at most 1.

    At each pixel the source with the larger gradient magnitude is the reference,

    .. math::

        G_S = \max(G_A, G_B), \quad
        \theta_S = \theta_A \text{ if } G_A \ge G_B \text{ else } \theta_B,

    and the fused gradient consistency is

    .. math::

        Q = \frac{2 G_F G_S + \varepsilon}{G_F^2 + G_S^2 + \varepsilon}
            \cdot \frac{1 + \cos(\theta_F - \theta_S)}{2},
        \qquad
        \mathrm{GFF} = \frac{1}{|\Omega_T|} \sum_{x \in \Omega_T} Q(x).

    ``eps`` (default ``1e-12``, in squared-gradient units) only makes the magnitude factor well
    defined where ``G_F = G_S = 0``: a flat result where both sources are flat scores 1, not 0/0.

    Parameters
    ----------
    fused, foreground, background : (H, W) or (H, W, C) array_like
        Fused result ``F`` and the sources ``A`` and ``B`` (same shape).
    mask : (H, W) array_like, optional
        Blending mask; ``Omega_T = transition_region(mask, width=width)``.
    region : (H, W) array_like of bool, optional
        ``Omega_T`` given directly (takes precedence over ``mask``).
    width : float, optional
        Band half-width passed to :func:`transition_region` (its default if None).
    eps : float, optional
        Regulariser, see above.

    Returns
    -------
    float
        GFF in ``[0, 1]``.
    """
    imgs = check_images(fused=fused, foreground=foreground, background=background)
    reg = metric_region(imgs["fused"].shape, mask, region, width, required=True)
    g_f, t_f = gradients(imgs["fused"])
    g_a, t_a = gradients(imgs["foreground"])
    g_b, t_b = gradients(imgs["background"])
    pick_a = g_a >= g_b
    g_s = np.where(pick_a, g_a, g_b)
    t_s = np.where(pick_a, t_a, t_b)
    q = (2.0 * g_f * g_s + eps) / (g_f**2 + g_s**2 + eps) * (1.0 + np.cos(t_f - t_s)) / 2.0
    return float(q[reg].mean())


def gfp(
    fused: ArrayLike,
    foreground: ArrayLike,
    background: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    region: ArrayLike | None = None,
    eps: float = 1e-3,
) -> float:
    r"""Gradient Fusion Performance (GFP), higher means more source variation kept.

    .. math::

        \mathrm{GFP} = \frac{1}{N} \sum_x \frac{G_F(x)}{\max(G_A(x), G_B(x)) + \varepsilon}

    averaged over all ``N`` pixels of the image, as in the formula, or over
    ``region`` when one is given. ``mask`` is accepted so that all metrics share
    a call signature, and is only shape-checked. GFP is about 1 when the result
    reproduces the stronger source gradient, above 1 where it adds gradient
    (e.g. seams or ringing) and below 1 where it smooths.

    Parameters
    ----------
    fused, foreground, background : (H, W) or (H, W, C) array_like
        Fused result ``F`` and the sources ``A`` and ``B`` (same shape).
    mask : (H, W) array_like, optional
        Ignored apart from a shape check.
    region : (H, W) array_like of bool, optional
        Average over these pixels instead of the whole image.
    eps : float, optional
        ``varepsilon`` of the formula (default ``1e-3``, gradient units of a
        ``[0, 1]`` image): flat source pixels then contribute ``G_F / 1e-3``.

    Returns
    -------
    float
        GFP (non-negative).
    """
    imgs = check_images(fused=fused, foreground=foreground, background=background)
    shape = imgs["fused"].shape
    if mask is not None:
        as_mask(mask, shape)
    reg = metric_region(shape, None, region, None, required=False)
    g_f, _ = gradients(imgs["fused"])
    g_a, _ = gradients(imgs["foreground"])
    g_b, _ = gradients(imgs["background"])
    ratio = g_f / (np.maximum(g_a, g_b) + eps)
    return float(ratio.mean() if reg is None else ratio[reg].mean())


def bsi(
    fused: ArrayLike,
    foreground: ArrayLike | None = None,
    background: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    *,
    region: ArrayLike | None = None,
    width: float | None = None,
    sigma: float = 2.0,
    eps: float = 1e-3,
) -> float:
    r"""Boundary Smoothness Index (BSI), higher means a smoother transition.

    The fused gradient magnitude is compared with its Gaussian-smoothed version,

    .. math::

        \Delta G = |G_F - \mathcal{G}_\sigma(G_F)|, \qquad
        \mathrm{BSI} = \frac{1}{|\Omega_T|} \sum_{x \in \Omega_T}
                       \frac{1}{\Delta G(x) + \varepsilon},

    so BSI lies in ``(0, 1 / eps]``; with the default ``eps = 1e-3`` a
    perfectly smooth gradient field (e.g. a linear ramp) scores 1000.

    Parameters
    ----------
    fused : (H, W) or (H, W, C) array_like
        Fused result ``F``.
    foreground, background : array_like, optional
        Not used by the formula; accepted (and shape-checked) so that all
        metrics share a call signature.
    mask : (H, W) array_like, optional
        Blending mask; ``Omega_T = transition_region(mask, width=width)``.
    region : (H, W) array_like of bool, optional
        ``Omega_T`` given directly (takes precedence over ``mask``).
    width : float, optional
        Band half-width passed to :func:`transition_region`.
    sigma : float, optional
        Sigma in pixels of the Gaussian smoothing ``G_sigma`` (default 2).
    eps : float, optional
        ``varepsilon`` of the formula (default ``1e-3``).

    Returns
    -------
    float
        BSI.
    """
    imgs = check_images(fused=fused, foreground=foreground, background=background)
    reg = metric_region(imgs["fused"].shape, mask, region, width, required=True)
    g_f, _ = gradients(imgs["fused"])
    delta = np.abs(g_f - ndi.gaussian_filter(g_f, sigma, mode="reflect"))
    return float((1.0 / (delta + eps))[reg].mean())


def masked_ssim(
    fused: ArrayLike,
    background: ArrayLike,
    region: ArrayLike,
    *,
    data_range: float = 1.0,
    **kwargs: object,
) -> float:
    r"""SSIM between the fused result and the background, averaged over a region.

    .. math::

        \mathrm{SSIM}_T = \frac{1}{|\Omega_T|} \sum_{x \in \Omega_T} \mathrm{SSIM}(F, B)(x)

    The local SSIM map comes from
    :func:`skimage.metrics.structural_similarity` with ``full=True`` (its
    defaults: 7 x 7 uniform window); for colour images the per-channel maps are
    averaged over channels.

    Parameters
    ----------
    fused, background : (H, W) or (H, W, C) array_like
        Fused result ``F`` and background ``B`` (same shape).
    region : (H, W) array_like of bool
        ``Omega_T``, e.g. :func:`transition_region` of the mask.
    data_range : float, optional
        Value range of the images (default 1.0 for ``[0, 1]`` images).
    **kwargs
        Passed to :func:`skimage.metrics.structural_similarity`
        (e.g. ``win_size``, ``gaussian_weights``).

    Returns
    -------
    float
        Mean SSIM over the region (1 for identical images).
    """
    imgs = check_images(fused=fused, background=background)
    f, b = imgs["fused"].astype(np.float64), imgs["background"].astype(np.float64)
    reg = metric_region(f.shape, None, region, None, required=True)
    channel_axis = -1 if f.ndim == 3 else None
    _, smap = structural_similarity(
        f, b, data_range=data_range, channel_axis=channel_axis, full=True, **kwargs
    )
    if smap.ndim == 3:
        smap = smap.mean(axis=-1)
    return float(smap[reg].mean())
