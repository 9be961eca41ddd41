"""The test images: the DIP paper's (``../shared/data/dip-paper``), the W2S widefield pairs
(``../shared/data/w2s``) and the blurred, noisy images of the deconvolution benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import convolve
from skimage.io import imread
from skimage.transform import resize

from napari_dip.core.physics import gaussian_psf
from napari_dip.sample_data import add_gaussian_noise, downsample, random_pixel_mask

from . import PAPER_DATA


def _crop(img, size, center=None):
    if not size:
        h, w = img.shape[:2]
        return img[: h - h % 32, : w - w % 32]
    h, w = img.shape[:2]
    cy, cx = center if center is not None else (h // 2, w // 2)
    top = int(np.clip(cy - size // 2, 0, h - size))
    left = int(np.clip(cx - size // 2, 0, w - size))
    return img[top:top + size, left:left + size]


def _shrink(img, size, order=1):
    """Down-scale so the short side is ``size`` (multiple of 32 long side)."""
    h, w = img.shape[:2]
    f = size / min(h, w)
    shape = (int(round(h * f / 32)) * 32 or 32, int(round(w * f / 32)) * 32 or 32)
    out = resize(img, shape + img.shape[2:], order=order, anti_aliasing=order > 0, preserve_range=True)
    return np.round(out).astype(img.dtype)


def _rgb(path):
    img = imread(path)
    return img[..., :3] if img.ndim == 3 else img


def paper_cases(size: int, seed: int) -> list[tuple]:
    """``(name, task, degraded, clean, kwargs, notebook iterations)`` per task of the DIP paper's notebooks,
    cropped to ``size`` (0: the whole image; the library's large hole is down-scaled instead)."""
    out = []
    for name, iters in (("kate", 6000), ("library", 3000)):
        img = _rgb(PAPER_DATA / "inpainting" / f"{name}.png")
        known = imread(PAPER_DATA / "inpainting" / f"{name}_mask.png")
        missing = (known.reshape(known.shape[:2] + (-1,))[..., 0] < 128)
        if name == "library" and size:
            # a large hole: keep the whole scene, down-scaled (the mask with nearest neighbour)
            img, missing = _shrink(img, size), _shrink(missing, size, order=0).astype(bool)
        else:  # thin text: keep native resolution, crop
            img, missing = _crop(img, size), _crop(missing, size)
        damaged = np.where(missing[..., None], 0, img).astype(np.uint8)
        out.append((f"{name} inpainting", "inpaint", damaged, img,
                    dict(mask=missing, channel_axis=-1), iters))
    f16 = _crop(_rgb(PAPER_DATA / "denoising" / "F16_GT.png"), size)
    out.append(("F16 denoising (sigma 25)", "denoise", add_gaussian_noise(f16, 25, seed), f16,
                dict(channel_axis=-1), 3000))
    zebra = _crop(_rgb(PAPER_DATA / "sr" / "zebra_GT.png"), size)
    zebra = zebra[: zebra.shape[0] - zebra.shape[0] % 4, : zebra.shape[1] - zebra.shape[1] % 4]
    out.append(("zebra super-resolution 4x", "super_resolution", downsample(zebra, 4, channel_axis=-1), zebra,
                dict(factor=4, channel_axis=-1), 2000))
    barbara = _crop(imread(PAPER_DATA / "restoration" / "barbara.png"), size)
    barbara = barbara if barbara.ndim == 2 else barbara[..., 0]
    drop = random_pixel_mask(barbara.shape, 0.5, seed)
    out.append(("barbara 50% pixels", "reconstruct", np.where(drop.astype(bool), 0, barbara).astype(np.uint8),
                barbara, dict(mask=drop), 11000))
    return out


def degrade(
    clean: np.ndarray, sigma: float, noise: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(reference, observation)``: ``clean`` blurred by a Gaussian PSF of ``sigma`` px (mirrored edges) plus
    noise, Gaussian (sigma 5 of 255) or ``"poisson"`` (peak ~50 photons), and the clean image on the same
    scale."""
    if noise == "poisson":
        ref = clean.astype(float) / 255 * 50 + 0.5  # photon counts, peak ~50
        obs = rng.poisson(convolve(ref, gaussian_psf(sigma), mode="mirror")).astype(np.uint16)
        return ref, obs
    blurred = convolve(clean.astype(float), gaussian_psf(sigma), mode="mirror")
    obs = np.clip(blurred + rng.normal(0, 5, clean.shape), 0, 255).round().astype(np.uint8)
    return clean.astype(float), obs


def w2s_names(folder: Path) -> list[str]:
    """The W2S pairs' names (``noisy_<name>.tif`` beside ``clean_<name>.tif``), in name order."""
    return sorted(p.stem.removeprefix("noisy_") for p in folder.glob("noisy_*.tif"))


def w2s_pair(folder: Path, name: str, crop: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)`` uint8 of one W2S pair, centre-cropped to ``crop``² (0: whole)."""
    import tifffile  # the benchmarks' reader (the package reads TIFFs through io.py)

    return (centre(tifffile.imread(folder / f"noisy_{name}.tif"), crop),
            centre(tifffile.imread(folder / f"clean_{name}.tif"), crop))


def centre(image: np.ndarray, crop: int) -> np.ndarray:
    """The centre ``crop``² of a 2D image (0: the whole image)."""
    if not crop:
        return image
    top, left = ((s - crop) // 2 for s in image.shape)
    return image[top:top + crop, left:left + crop]
