"""One scorer for every benchmark: PSNR (and SSIM) of a result against its reference."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from napari_dip.metrics import bsi, gff, gfp, masked_psnr, masked_ssim, psnr, ssim

#: The W2S README's rule: the result fitted to the 400-frame average first, then a data range of 255.
W2S_RULE = {"affine": True, "data_range": 255.0}


class Score(NamedTuple):
    psnr: float
    ssim: float | None  # None unless asked for (``with_ssim=True``)


def score(reference: np.ndarray, result: np.ndarray, *, data_range: float | str | None = None,
          affine: bool = False, where: np.ndarray | None = None, with_ssim: bool = False) -> Score:
    """PSNR in dB (and SSIM with ``with_ssim``) of ``result`` against ``reference``.

    ``data_range``: None, :mod:`napari_dip.metrics`' rule (255 for a uint8 reference, its own max - min
    otherwise); ``"span"``, the reference's own max - min whatever its type (photon counts, a blurred scale);
    or a number. ``affine``: first fit ``a * result + b`` to the reference by least squares (the W2S
    README's rule for its min-max normalised files). ``where``: score only these pixels (non-zero).
    """
    ref, out = np.asarray(reference), np.asarray(result).astype(np.float64)
    if affine:
        x = out.ravel()
        design = np.stack([x, np.ones_like(x)], 1)
        a, b = np.linalg.lstsq(design, ref.astype(np.float64).ravel(), rcond=None)[0]
        ref, out = ref.astype(np.float64), a * out + b
    span = float(ref.max() - ref.min()) if data_range == "span" else data_range
    assert not isinstance(span, str), f"data_range: None, 'span' or a number, not {data_range!r}"
    if where is None:
        value = psnr(ref, out, data_range=span)
    else:
        value = masked_psnr(ref, out, where, data_range=span)
    return Score(value, ssim(ref, out, data_range=span) if with_ssim else None)


def blend_scores(fused: np.ndarray, fg: np.ndarray, bg: np.ndarray, region: np.ndarray) -> dict[str, float]:
    """A blend's metrics (Wang, Liu & Lan), images as floats in [0, 1]: GFF, GFP, BSI over the transition
    ``region``, and SSIM with the background there (the blending report's SSIM_T)."""
    return {"GFF": gff(fused, fg, bg, region=region), "GFP": gfp(fused, fg, bg),
            "BSI": bsi(fused, region=region), "SSIM": masked_ssim(fused, bg, region)}
