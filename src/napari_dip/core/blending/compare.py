"""DIP blending beside the classical blends: run them and score every result (numpy only, no Qt)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata

from ..data import cast_to
from . import poisson, pyramid
from .metrics import bsi, gff, gfp, masked_ssim
from .regions import transition_region

#: Classical methods: check-box name -> (row / layer label, function name).
CLASSICAL = {"alpha": ("alpha blend", "alpha_blend"),
             "laplacian": ("Laplacian blend", "laplacian_blend"),
             "poisson": ("Poisson blend", "poisson_blend")}
METRIC_COLUMNS = ("GFF", "GFP", "BSI", "SSIM")
#: The rank column of the table: each method's mean rank over :data:`METRIC_COLUMNS` (1 = best).
RANK_COLUMN = "rank"


def value_range(*images: np.ndarray) -> tuple[float, float]:
    """One shared (lo, hi) over all images, as :func:`napari_dip.iter_blend` uses."""
    lo = min(float(np.min(x)) for x in images)
    hi = max(float(np.max(x)) for x in images)
    return lo, hi


def to_unit(image: np.ndarray, lo: float, hi: float, n_colour: int | None) -> np.ndarray:
    """An image in the layers' dtype -> float64 in [0, 1] (colour channels only, alpha dropped)."""
    x = np.asarray(image, dtype=np.float64)
    if n_colour is not None:
        x = x[..., :n_colour]
    span = hi - lo
    x = (x - lo) / span if span > 0 else x - lo
    return np.clip(x, 0.0, 1.0)


def from_unit(
    x: np.ndarray, lo: float, hi: float, background: np.ndarray, n_colour: int | None
) -> np.ndarray:
    """float in [0, 1] -> the background's dtype, range and layout (its alpha channel re-attached)."""
    y = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0) * (hi - lo) + lo
    if n_colour is not None and background.shape[-1] > n_colour:
        y = np.concatenate([y, background[..., n_colour:].astype(np.float64)], axis=-1)
    return cast_to(y, background.dtype)


def classical_blends(foreground: np.ndarray, background: np.ndarray, mask: np.ndarray,
                     methods: list[str], n_colour: int | None) -> dict[str, np.ndarray]:
    """Run the chosen classical blends; results in the background's dtype and layout."""
    functions: dict[str, Callable[..., np.ndarray]] = {
        "alpha_blend": pyramid.alpha_blend, "laplacian_blend": pyramid.laplacian_blend,
        "poisson_blend": poisson.poisson_blend}

    lo, hi = value_range(foreground, background)
    fg = to_unit(foreground, lo, hi, n_colour)
    bg = to_unit(background, lo, hi, n_colour)
    out = {}
    for key in methods:
        label, func = CLASSICAL[key]
        out[label] = from_unit(functions[func](fg, bg, mask), lo, hi, background, n_colour)
    return out


def score(results: dict[str, np.ndarray], foreground: np.ndarray, background: np.ndarray,
          mask: np.ndarray, n_colour: int | None) -> dict[str, dict[str, float]]:
    """GFF, GFP, BSI and SSIM (over the transition band) of every result, on the shared [0, 1] scale."""
    lo, hi = value_range(foreground, background)
    fg = to_unit(foreground, lo, hi, n_colour)
    bg = to_unit(background, lo, hi, n_colour)
    region = transition_region(mask)
    table = {}
    for label, image in results.items():
        fused = to_unit(image, lo, hi, n_colour)
        table[label] = {"GFF": gff(fused, fg, bg, mask), "GFP": gfp(fused, fg, bg, mask),
                        "BSI": bsi(fused, fg, bg, mask), "SSIM": masked_ssim(fused, bg, region)}
    return table


def rank_methods(table: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each method's mean rank over GFF, GFP, BSI and SSIM (1 = the highest value, ties averaged).

    All four metrics are higher-is-better (report 001, appendix A4), so the
    method with the lowest mean rank is the one the metrics prefer overall;
    the Blend widget shows this as its ``rank`` column.
    """
    methods = list(table)
    if not methods:
        return {}
    ranks = np.stack([rankdata([-table[m][c] for m in methods]) for c in METRIC_COLUMNS])
    return {m: float(r) for m, r in zip(methods, ranks.mean(axis=0), strict=False)}
