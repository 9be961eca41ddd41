"""Classical methods to compare DIP with (``napari_dip.baselines``).

Restoration: :func:`denoise_nl_means`, :func:`denoise_tv`,
:func:`inpaint_biharmonic`, :func:`upscale` and :func:`classical_restore`.
Blending: :func:`alpha_blend`, :func:`laplacian_blend`, :func:`poisson_blend`
(each ``(foreground, background, mask, **options) -> image``) and the soft
transition map :func:`soft_mask` they share.
"""

from .core.blend_classical import alpha_blend, laplacian_blend, poisson_blend, soft_mask
from .core.classical import classical_restore, denoise_nl_means, denoise_tv, inpaint_biharmonic, upscale

__all__ = ["classical_restore", "denoise_nl_means", "denoise_tv", "inpaint_biharmonic", "upscale",
           "alpha_blend", "laplacian_blend", "poisson_blend", "soft_mask"]
