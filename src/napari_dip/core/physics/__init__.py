"""Forward operators ("physics"): how an observation was made from the clean image."""

from .blur import Blur, gaussian_psf, normalized_psf
from .operators import Downsampler, Identity, Mask, Operator, PixelSubset, lanczos_kernel
from .optics import fwhm, optics_psf

__all__ = ["Blur", "Downsampler", "Identity", "Mask", "Operator", "PixelSubset", "fwhm", "gaussian_psf",
           "lanczos_kernel", "normalized_psf", "optics_psf"]
