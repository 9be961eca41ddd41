"""Synthetic damage masks for trying inpainting and reconstruction without painting.

After report 002's mask-creator notebook. Every function returns a 2D
``uint8`` array in napari's Labels convention: **non-zero = missing pixel**
(the original Deep Image Prior code uses the opposite, 1 = known). Pass it
as ``mask=`` to :func:`napari_dip.restore` or add it as a Labels layer.
NumPy, scikit-image and Pillow only (no torch).

>>> from napari_dip import masks
>>> m = masks.pixels((64, 64), fraction=0.5, seed=1)   # half the pixels missing
>>> m = masks.text((128, 128), "hello", size=20)        # text strokes
"""

from __future__ import annotations

import numpy as np

__all__ = ["text", "strokes", "blobs", "pixels", "KINDS"]

#: The mask kinds, by name (the mask maker widget and the scripts pick from these).
KINDS = ("text", "strokes", "blobs", "pixels")


def _shape(shape) -> tuple[int, int]:
    try:
        h, w = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (rows, columns), got {shape!r}; for an RGB image or a stack "
                         "pass its last two spatial axes, e.g. image.shape[:2].") from None
    if h < 1 or w < 1:
        raise ValueError(f"shape must be positive, got {(h, w)}")
    return h, w


def _positive(name: str, value, minimum: float = 1) -> None:
    if value is not None and not value >= minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


def text(shape, string: str = "napari-dip", *, size: int | None = None,
         position: tuple[int, int] | str | None = None, spacing: int | None = None,
         seed: int = 0) -> np.ndarray:
    """Text strokes over an image of ``shape`` (report 002's text masks).

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the image.
    string : str
        The text; ``"\\n"`` starts a new line.
    size : int, optional
        Font size in pixels (default ``max(8, rows // 7)``).
    position : (row, column) or "random", optional
        Top-left corner of the text (default ``(rows // 10, columns // 16)``);
        ``"random"`` draws it from ``seed`` so that the text fits when it can.
    spacing : int, optional
        Pixels between lines (default ``rows // 12``).
    seed : int
        Used only by ``position="random"``.

    Returns
    -------
    ndarray of uint8, shape ``shape``
        1 under the text (missing), 0 elsewhere.
    """
    from PIL import Image, ImageDraw

    h, w = _shape(shape)
    _positive("size", size)
    size = int(size) if size is not None else max(8, h // 7)
    spacing = int(spacing) if spacing is not None else h // 12
    font = _font(size)
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    if position is None:
        row, col = h // 10, w // 16
    elif isinstance(position, str):
        if position != "random":
            raise ValueError(f"position must be (row, column), 'random' or None, got {position!r}")
        left, top, right, bottom = draw.multiline_textbbox((0, 0), string, font=font, spacing=spacing)
        rng = np.random.default_rng(seed)
        row = int(rng.integers(0, max(1, h - (bottom - top)) + 1)) - top
        col = int(rng.integers(0, max(1, w - (right - left)) + 1)) - left
    else:
        row, col = (int(p) for p in position)
    draw.multiline_text((col, row), string, fill=1, font=font, spacing=spacing)
    return (np.asarray(canvas) > 0).astype(np.uint8)


def strokes(shape, n: int = 8, *, width: int | None = None, segments: int = 4, seed: int = 0) -> np.ndarray:
    """Random brush strokes: ``n`` polylines of ``segments`` random steps each.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the image.
    n : int
        Number of strokes.
    width : int, optional
        Stroke width in pixels (default ``max(1, min(shape) // 32)``).
    segments : int
        Straight pieces per stroke, each up to a quarter of the image long.
    seed : int
        Seeds the strokes' positions.

    Returns
    -------
    ndarray of uint8, shape ``shape``
        1 under the strokes (missing), 0 elsewhere.
    """
    from PIL import Image, ImageDraw

    h, w = _shape(shape)
    _positive("n", n)
    _positive("width", width)
    _positive("segments", segments)
    width = int(width) if width is not None else max(1, min(h, w) // 32)
    rng = np.random.default_rng(seed)
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    step = max(h, w) / 4
    for _ in range(int(n)):
        point = rng.uniform((0, 0), (w, h))
        points = [tuple(point)]
        for _ in range(int(segments)):
            angle = rng.uniform(0, 2 * np.pi)
            point = np.clip(point + rng.uniform(0.3, 1.0) * step * np.array([np.cos(angle), np.sin(angle)]),
                            0, (w - 1, h - 1))
            points.append(tuple(point))
        draw.line(points, fill=1, width=width, joint="curve")
    return (np.asarray(canvas) > 0).astype(np.uint8)


def blobs(shape, n: int = 4, *, radius: float | None = None, seed: int = 0) -> np.ndarray:
    """Random filled ellipses (holes), radii between ``radius / 2`` and ``radius``.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the image.
    n : int
        Number of blobs (they may overlap).
    radius : float, optional
        Largest semi-axis in pixels (default ``max(2, min(shape) / 10)``).
    seed : int
        Seeds the blobs' centres, radii and orientations.

    Returns
    -------
    ndarray of uint8, shape ``shape``
        1 inside the blobs (missing), 0 elsewhere.
    """
    from skimage.draw import ellipse

    h, w = _shape(shape)
    _positive("n", n)
    _positive("radius", radius, 0.5)
    radius = float(radius) if radius is not None else max(2.0, min(h, w) / 10)
    rng = np.random.default_rng(seed)
    out = np.zeros((h, w), np.uint8)
    for _ in range(int(n)):
        r, c = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(radius / 2, radius, size=2)
        rr, cc = ellipse(r, c, ry, rx, shape=(h, w), rotation=rng.uniform(0, np.pi))
        out[rr, cc] = 1
    return out


def pixels(shape, fraction: float = 0.5, *, seed: int = 0) -> np.ndarray:
    """A random subset of the pixels, each missing with probability ``fraction``.

    The paper's reconstruction experiment (50 % of the pixels dropped,
    Bernoulli mask); ``fraction=0.98`` gives its few-pixel variant.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the image.
    fraction : float
        Probability in [0, 1] that a pixel is missing.
    seed : int
        Seeds the draw.

    Returns
    -------
    ndarray of uint8, shape ``shape``
        1 where the pixel is missing, 0 where it is kept.
    """
    h, w = _shape(shape)
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
    rng = np.random.default_rng(seed)
    return (rng.random((h, w)) < fraction).astype(np.uint8)
