"""Image quality metrics (``napari_dip.metrics``).

Restoration: :func:`psnr`, :func:`ssim`, :func:`masked_psnr`, :func:`coarse_psnr`.
"""

from .core.metrics import coarse_psnr, masked_psnr, psnr, ssim

__all__ = ["psnr", "ssim", "masked_psnr", "coarse_psnr"]
