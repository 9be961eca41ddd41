"""Classical methods to compare DIP with (``napari_dip.baselines``).

Restoration: :func:`denoise_nl_means`, :func:`denoise_tv`,
:func:`inpaint_biharmonic`, :func:`upscale` and :func:`classical_restore`.
"""

from .core.classical import classical_restore, denoise_nl_means, denoise_tv, inpaint_biharmonic, upscale

__all__ = ["classical_restore", "denoise_nl_means", "denoise_tv", "inpaint_biharmonic", "upscale"]
