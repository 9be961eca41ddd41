"""Image quality metrics (``napari_dip.metrics``).

Restoration: :func:`psnr`, :func:`ssim`, :func:`masked_psnr`, :func:`coarse_psnr`.
Blending (Wang, Liu & Lan's multi-scale DIP blending report, appendix A4; see the docs' references):
:func:`gff`, :func:`gfp`, :func:`bsi`,
:func:`masked_ssim`, over the band returned by :func:`transition_region`.
"""

from .core.blending.metrics import bsi, gff, gfp, masked_ssim
from .core.blending.regions import transition_region
from .core.metrics import coarse_psnr, masked_psnr, psnr, ssim

__all__ = [
    "psnr",
    "ssim",
    "masked_psnr",
    "coarse_psnr",
    "gff",
    "gfp",
    "bsi",
    "masked_ssim",
    "transition_region",
]
