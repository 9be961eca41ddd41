"""Map user arrays to the network's layout and back.

The network works on float32 arrays shaped ``(C, *spatial)`` with values in
[0, 1]. :class:`ImageCodec` remembers how a user's array was laid out (channel
axis, dtype, value range, an alpha channel) and maps restored arrays back to
exactly that: same dtype, same range, same axis order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

SUPPORTED_KINDS = "uint8, uint16, int, float32 or float64"


def check_dtype(array: np.ndarray, name: str = "image") -> None:
    """Raise ``ValueError`` unless ``array`` has a real numeric dtype."""
    kind = array.dtype.kind
    if kind == "b":
        raise ValueError(
            f"{name} has dtype bool; pass intensities ({SUPPORTED_KINDS}), "
            "or use a boolean array as the `mask` instead."
        )
    if kind not in "uif":
        raise ValueError(
            f"{name} has dtype {array.dtype}, which napari-dip cannot restore; "
            f"convert it to {SUPPORTED_KINDS} first (e.g. np.abs() for complex data)."
        )


def normalize_axis(axis: int | None, ndim: int, name: str = "channel_axis") -> int | None:
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimensions.")
    return axis % ndim


@dataclass(frozen=True)
class ImageCodec:
    """How a user image maps to ``(C, *spatial)`` in [0, 1] and back.

    Attributes
    ----------
    shape, dtype : the user's array shape and dtype.
    channel_axis : normalised channel axis, or None for a single channel.
    lo, hi : the value range mapped to [0, 1] (finite min and max).
    alpha : the alpha channel of an RGBA image, kept aside and re-attached.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    channel_axis: int | None
    lo: float
    hi: float
    alpha: np.ndarray | None = None

    @classmethod
    def fit(cls, image: np.ndarray, channel_axis: int | None = None) -> "ImageCodec":
        image = np.asarray(image)
        check_dtype(image)
        axis = normalize_axis(channel_axis, image.ndim)
        alpha = None
        if axis is not None and image.shape[axis] == 4 and axis == image.ndim - 1:
            warnings.warn(
                "image has 4 channels on its last axis: treating it as RGBA; the alpha "
                "channel is not restored and is copied to the output unchanged.",
                stacklevel=3,
            )
            alpha = np.take(image, [3], axis=axis).copy()
        finite = image[np.isfinite(image)] if image.dtype.kind == "f" else image
        if finite.size == 0:
            raise ValueError("image has no finite values (all NaN or inf): nothing to restore.")
        lo, hi = float(finite.min()), float(finite.max())
        return cls(tuple(image.shape), image.dtype, axis, lo, hi, alpha)

    @property
    def n_channels(self) -> int:
        if self.channel_axis is None:
            return 1
        return self.shape[self.channel_axis] - (1 if self.alpha is not None else 0)

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        return tuple(s for i, s in enumerate(self.shape) if i != self.channel_axis)

    def encode(self, image: np.ndarray) -> np.ndarray:
        """User array -> float32 ``(C, *spatial)`` in [0, 1]; NaN stays NaN."""
        x = np.asarray(image, dtype=np.float64)
        if self.channel_axis is None:
            x = x[None]
        else:
            x = np.moveaxis(x, self.channel_axis, 0)
            if self.alpha is not None:
                x = x[:3]
        span = self.hi - self.lo
        x = (x - self.lo) / span if span > 0 else x - self.lo
        return np.ascontiguousarray(x, dtype=np.float32)

    def decode(self, chw: np.ndarray, scale: int = 1) -> np.ndarray:
        """Float ``(C, *spatial)`` in [0, 1] -> the user's dtype, range and layout.

        ``scale`` is the spatial up-scaling of ``chw`` relative to the input
        (super-resolution); the alpha channel is then resized by repetition.
        """
        x = np.clip(np.asarray(chw, dtype=np.float64), 0.0, 1.0)
        x = x * (self.hi - self.lo) + self.lo
        if self.channel_axis is None:
            x = x[0]
        else:
            x = np.moveaxis(x, 0, self.channel_axis)
            if self.alpha is not None:
                alpha = self.alpha
                for ax in range(alpha.ndim):
                    if ax != self.channel_axis and scale > 1:
                        alpha = np.repeat(alpha, scale, axis=ax)
                x = np.concatenate([x, alpha.astype(np.float64)], axis=self.channel_axis)
        return cast_to(x, self.dtype)


def cast_to(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast float ``x`` to ``dtype``: round and clip to its range for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(x), info.min, info.max).astype(dtype)
    return x.astype(dtype)


def spatial_mask(
    mask: np.ndarray, spatial_shape: tuple[int, ...], name: str = "mask"
) -> np.ndarray:
    """Validate a napari-style mask (non-zero = missing) and return it as bool."""
    mask = np.asarray(mask)
    if mask.dtype.kind not in "buif":
        raise ValueError(f"{name} has dtype {mask.dtype}; pass a boolean or integer (Labels) array.")
    if mask.shape != tuple(spatial_shape):
        raise ValueError(
            f"{name} has shape {mask.shape} but the image's spatial shape is "
            f"{tuple(spatial_shape)}; paint the mask on a Labels layer with the image's "
            "shape (napari: Layers > New Labels layer while the image is selected)."
        )
    return mask != 0
