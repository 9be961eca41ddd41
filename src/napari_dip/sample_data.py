"""Sample data made from images that ship with scikit-image (no download).

Each ``make_*`` function returns napari LayerData tuples (plain tuples: this
module does not import napari), so they serve both File > Open Sample and the
command line's ``demo``. The clean image comes along as a reference layer.
"""

from __future__ import annotations

import numpy as np

from .masks import pixels
from .masks import text as _text

SIZE = 128


def _crop_resize(image: np.ndarray, size: int) -> np.ndarray:
    from skimage.transform import resize

    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    out = resize(image[top:top + s, left:left + s], (size, size) + image.shape[2:], anti_aliasing=True)
    return (np.clip(out, 0, 1) * 255).round().astype(np.uint8)


def cell(size: int = SIZE) -> np.ndarray:
    """A microscopy image (scikit-image's ``cell``), centre crop, uint8."""
    from skimage import data

    return _crop_resize(data.cell() / 255.0, size)


def astronaut(size: int = SIZE) -> np.ndarray:
    """An RGB photograph (scikit-image's ``astronaut``), uint8 (size, size, 3)."""
    from skimage import data

    return _crop_resize(data.astronaut()[30:330, 100:400] / 255.0, size)


def camera(size: int = SIZE) -> np.ndarray:
    from skimage import data

    return _crop_resize(data.camera() / 255.0, size)


def add_gaussian_noise(image: np.ndarray, sigma: float = 25.0, seed: int = 0) -> np.ndarray:
    """uint8 image + N(0, sigma) noise, clipped to uint8."""
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).round().astype(np.uint8)


def text_mask(
    shape: tuple[int, int], text: str = "napari dip\nrestores\nthis text", seed: int = 0
) -> np.ndarray:
    """A uint8 Labels mask (1 = missing) with text strokes drawn over an image of ``shape``.

    See :func:`napari_dip.masks.text` for the size and position options.
    """
    return _text(shape, text, seed=seed)


def random_pixel_mask(shape: tuple[int, int], fraction: float = 0.5, seed: int = 0) -> np.ndarray:
    """A uint8 Labels mask with ``fraction`` of the pixels missing at random
    (:func:`napari_dip.masks.pixels`)."""
    return pixels(shape, fraction, seed=seed)


def downsample(image: np.ndarray, factor: int, channel_axis: int | None = None) -> np.ndarray:
    """Lanczos (antialiased) down-sampling, the operator DIP's super-resolution inverts."""
    import torch

    from .core.physics import Downsampler  # torch: sample data loads without it

    x = np.asarray(image, dtype=np.float32)
    x = x[None] if channel_axis is None else np.moveaxis(x, channel_axis, 0)
    with torch.no_grad():
        y = Downsampler(factor, x.shape[0])(torch.from_numpy(x)[None])[0].numpy()
    y = y[0] if channel_axis is None else np.moveaxis(y, 0, channel_axis)
    return np.clip(y, 0, 255).round().astype(image.dtype)


# --- napari sample-data contributions ---------------------------------------------------


def _damage(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask.astype(bool)
    if image.ndim == 3:
        m = m[..., None]
    return np.where(m, 255, image).astype(image.dtype)


def make_noisy_sample():
    """A noisy microscopy image (sigma 25) with its clean reference."""
    clean = cell()
    return [(add_gaussian_noise(clean), {"name": "cell (noisy)"}, "image"),
            (clean, {"name": "cell (reference)", "visible": False}, "image")]


def make_text_sample():
    """An image damaged by text, the Labels mask of the damage, and the clean reference."""
    clean = camera()
    mask = text_mask(clean.shape)
    return [(_damage(clean, mask), {"name": "camera (text)"}, "image"),
            (mask, {"name": "text mask", "opacity": 0.5}, "labels"),
            (clean, {"name": "camera (reference)", "visible": False}, "image")]


def make_missing_pixels_sample():
    """An image with half its pixels missing (set to 0), its Labels mask and the reference."""
    clean = cell()
    mask = random_pixel_mask(clean.shape)
    return [
        (np.where(mask.astype(bool), 0, clean).astype(clean.dtype), {"name": "cell (50% pixels)"}, "image"),
        (mask, {"name": "missing pixels", "opacity": 0.4}, "labels"),
        (clean, {"name": "cell (reference)", "visible": False}, "image"),
    ]


def make_low_resolution_sample():
    """A 4x down-sampled image and its high-resolution reference (scale set so they overlay)."""
    clean = camera()
    low = downsample(clean, 4)
    return [(low, {"name": "camera (low-res 4x)", "scale": (4.0, 4.0), "translate": (1.5, 1.5)}, "image"),
            (clean, {"name": "camera (reference)", "visible": False}, "image")]


def timelapse(
    frames: int = 5, size: int = 96, peak: float = 30.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)``: a cell drifting across ``frames`` frames, as photon counts with shot noise.

    The clean frames are scikit-image's ``cell`` (a centre crop), shifted by (0.7, 1.0) px per
    frame, scaled to ``peak`` photons over a background of 2; the noisy ones are Poisson draws
    (uint16), as a fluorescence camera gives them. For ``noise="poisson"``.
    """
    from scipy.ndimage import shift
    from skimage import data
    from skimage.transform import resize

    base = resize(data.cell()[240:504, 296:550] / 255.0, (size, size), anti_aliasing=True)
    clean = np.stack([shift(base, (0.7 * t, 1.0 * t), mode="reflect") for t in range(frames)]) * peak + 2.0
    noisy = np.random.default_rng(seed).poisson(clean).astype(np.uint16)
    return noisy, clean.astype(np.float32)


def make_timelapse_sample():
    """A noisy fluorescence time-lapse (T, Y, X; Poisson counts) with its clean reference."""
    noisy, clean = timelapse()
    geometry = {"scale": (2.0, 0.2, 0.2), "units": ("s", "µm", "µm"), "axis_labels": ("t", "y", "x")}
    return [(noisy, {"name": "cell time-lapse (counts)", **geometry}, "image"),
            (clean, {"name": "cell time-lapse (reference)", "visible": False, **geometry}, "image")]


# --- image blending (multi-scale DIP blending, report 001 section 4.2) ------------------

#: Foreground/background pairs for :func:`blend_pair`: (foreground image, its crop box
#: (top, bottom, left, right), background image, its crop box, ellipse centre and radii as
#: fractions of the side, grey).
BLEND_PAIRS: dict[str, dict] = {
    "cat_rocket": dict(foreground="chelsea", fg_box=(0, 300, 95, 395), background="rocket",
                       bg_box=(0, 360, 0, 360), centre=(0.57, 0.5), radii=(0.3, 0.36), grey=False),
    "cup_brick": dict(foreground="coffee", fg_box=(0, 300, 140, 440), background="brick",
                      bg_box=(0, 512, 0, 512), centre=(0.38, 0.5), radii=(0.3, 0.42), grey=True),
    "cat_grass": dict(foreground="chelsea", fg_box=(0, 300, 95, 395), background="grass",
                      bg_box=(0, 512, 0, 512), centre=(0.57, 0.5), radii=(0.3, 0.36), grey=True),
    "face_tissue": dict(foreground="astronaut", fg_box=(0, 260, 130, 390), background="immunohistochemistry",
                        bg_box=(0, 512, 0, 512), centre=(0.45, 0.5), radii=(0.34, 0.26), grey=False),
}


def ellipse_mask(shape: tuple[int, int], centre: tuple[float, float],
                 radii: tuple[float, float]) -> np.ndarray:
    """A uint8 Labels mask (1 inside) of an axis-aligned ellipse; centre and radii as fractions of the
    sides."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    cy, cx = (centre[0] * h, centre[1] * w)
    ry, rx = (radii[0] * h, radii[1] * w)
    return ((((yy + 0.5 - cy) / ry) ** 2 + ((xx + 0.5 - cx) / rx) ** 2) <= 1.0).astype(np.uint8)


def blend_pair(name: str = "cat_rocket", size: int = SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A foreground, a background and a coarse elliptical mask for image blending.

    Parameters
    ----------
    name : {"cat_rocket", "cup_brick", "cat_grass", "face_tissue"}
        ``"cat_rocket"``: Chelsea the cat's face pasted into the evening sky of
        scikit-image's ``rocket`` (RGB). ``"cup_brick"``: the top of the
        ``coffee`` cup pasted onto the ``brick`` wall (grey, directional texture).
        ``"cat_grass"``: the cat's face on ``grass`` (grey, isotropic texture).
        ``"face_tissue"``: the ``astronaut``'s face on the ``immunohistochemistry``
        tissue (RGB).
    size : int
        Side of the square images.

    Returns
    -------
    foreground, background : ndarray of uint8
        ``(size, size, 3)`` (RGB) or ``(size, size)`` (grey), aligned so that the
        object lies under the mask.
    mask : ndarray of uint8
        ``(size, size)``, 1 where the foreground goes (a napari Labels layer).
    """
    from skimage import data
    from skimage.color import rgb2gray

    try:
        spec = BLEND_PAIRS[name]
    except KeyError:
        raise ValueError(f"unknown blend pair {name!r}; choose one of {sorted(BLEND_PAIRS)}") from None

    def load(image_name: str, box: tuple[int, int, int, int]) -> np.ndarray:
        image = getattr(data, image_name)() / 255.0
        top, bottom, left, right = box
        image = image[top:bottom, left:right]
        if spec["grey"] and image.ndim == 3:
            image = rgb2gray(image)
        elif not spec["grey"] and image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        return _crop_resize(image, size)

    foreground = load(spec["foreground"], spec["fg_box"])
    background = load(spec["background"], spec["bg_box"])
    mask = ellipse_mask((size, size), spec["centre"], spec["radii"])
    return foreground, background, mask


def make_blend_sample():
    """A foreground, a background and a coarse Labels mask of where the foreground goes."""
    foreground, background, mask = blend_pair("cat_rocket")
    return [(foreground, {"name": "cat (foreground)"}, "image"),
            (background, {"name": "rocket (background)"}, "image"),
            (mask, {"name": "blend mask", "opacity": 0.5}, "labels")]
