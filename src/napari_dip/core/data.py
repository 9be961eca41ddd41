"""Map user arrays to the network's layout and back.

The network works on float32 arrays shaped ``(C, *spatial)`` with values in
[0, 1]. :class:`ImageCodec` remembers how a user's array was laid out (channel
axis, dtype, value range, an alpha channel) and maps restored arrays back to
exactly that: same dtype, same range, same axis order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .noise import PHOTON_COUNTS

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


NORMALIZE = ("minmax", "percentile")
#: ``normalize="percentile"``: these percentiles of the finite values map to :data:`PERCENTILE_WINDOW`.
PERCENTILES = (0.1, 99.9)
PERCENTILE_WINDOW = (0.1, 0.9)
TRANSFORMS = (None, "anscombe")


def anscombe(x: np.ndarray) -> np.ndarray:
    """Variance-stabilising Anscombe transform ``2 sqrt(x + 3/8)`` of counts (negative values -> 0).

    Poisson counts of any mean become approximately Gaussian with unit variance (the camera
    model of :mod:`.noise` with gain 1, no offset and no read noise).
    """
    return PHOTON_COUNTS.forward(np.maximum(x, 0.0))


def inverse_anscombe(d: np.ndarray) -> np.ndarray:
    """The exact unbiased inverse of :func:`anscombe`, closed form (Makitalo & Foi, IEEE TIP 2011).

    ``I(D) = D**2/4 + sqrt(3/2)/(4 D) - 11/(8 D**2) + 5 sqrt(3/2)/(8 D**3) - 1/8``: the count whose
    Anscombe transform has expectation ``D`` (the naive algebraic inverse ``D**2/4 - 3/8`` is biased
    low at small counts). ``D`` below ``A(0) = 2 sqrt(3/8)`` (where ``I`` is 0) maps to 0.
    """
    return PHOTON_COUNTS.inverse(d)


@dataclass(frozen=True)
class ImageCodec:
    """How a user image maps to ``(C, *spatial)`` in [0, 1] and back.

    Attributes
    ----------
    shape, dtype : the user's array shape and dtype.
    channel_axis : normalised channel axis, or None for a single channel.
    lo, hi : the (transformed) values mapped to ``window`` (minmax: the finite min and max
        mapped to [0, 1]; percentile: the 0.1 and 99.9 percentiles mapped to [0.1, 0.9]).
    alpha : the alpha channel of an RGBA image, kept aside and re-attached.
    window : where ``lo`` and ``hi`` land inside [0, 1].
    vmin, vmax : decoded values are clipped to this range (None: ``lo`` and ``hi``).
    transform : None, or the :class:`~.noise.CameraNoise` model whose generalised Anscombe
        transform is applied before the normalisation and inverted exactly-unbiased after it
        (``"anscombe"`` in :meth:`fit`: raw photon counts).
    spatial_ndim : for stacks, how many trailing non-channel axes are spatial (2: planes,
        3: volumes); the others are leading (stack) axes indexed by ``index=`` in
        :meth:`encode` / :meth:`decode`. None: every non-channel axis is spatial.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    channel_axis: int | None
    lo: float
    hi: float
    alpha: np.ndarray | None = None
    window: tuple[float, float] = (0.0, 1.0)
    vmin: float | None = None
    vmax: float | None = None
    transform: Any = None  # a noise model (forward, inverse), e.g. a CameraNoise
    spatial_ndim: int | None = None

    @classmethod
    def fit(cls, image: np.ndarray, channel_axis: int | None = None, *, normalize: str = "minmax",
            transform: Any = None, spatial_ndim: int | None = None) -> ImageCodec:
        """Fit the value mapping to ``image`` (the whole stack: every plane shares it).

        ``normalize="minmax"`` maps the finite minimum and maximum to 0 and 1 (exact);
        ``"percentile"`` maps the 0.1 and 99.9 percentiles to 0.1 and 0.9, so that a few
        outliers neither squeeze the signal nor get clipped by the network's sigmoid
        (values still decode to the input's dtype and are clipped to its finite range).
        """
        image = np.asarray(image)
        check_dtype(image)
        if normalize not in NORMALIZE:
            raise ValueError(f"normalize must be one of {NORMALIZE}, got {normalize!r}")
        if transform == "anscombe":
            transform = PHOTON_COUNTS
        elif not (transform is None or (hasattr(transform, "forward") and hasattr(transform, "inverse"))):
            raise ValueError(f"transform must be one of {TRANSFORMS} or a noise model (forward and inverse), "
                             f"got {transform!r}")
        axis = normalize_axis(channel_axis, image.ndim)
        alpha = None
        if is_rgba(image.shape, axis):
            warnings.warn(
                "image has 4 channels on its last axis: treating it as RGBA; the alpha "
                "channel is not restored and is copied to the output unchanged.",
                stacklevel=3,
            )
            alpha = np.take(image, [3], axis=axis).copy()
            values = np.take(image, [0, 1, 2], axis=axis)
        else:
            values = image
        finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
        if finite.size == 0:
            raise ValueError("image has no finite values (all NaN or inf): nothing to restore.")
        vmin, vmax = float(finite.min()), float(finite.max())
        if not np.isfinite(vmax - vmin):
            raise ValueError(f"image values span [{vmin:g}, {vmax:g}], too wide a range to normalise; "
                             "rescale the image first.")
        t = finite.astype(np.float64)
        if transform is not None:
            t = transform.forward(t)
        lo, hi = float(t.min()), float(t.max())
        window = (0.0, 1.0)
        if normalize == "percentile":
            plo, phi = (float(v) for v in np.percentile(t, PERCENTILES))
            if phi > plo:  # else (e.g. a mostly constant image) fall back to min and max
                lo, hi, window = plo, phi, PERCENTILE_WINDOW
        exact = window == (0.0, 1.0) and transform is None
        return cls(tuple(image.shape), image.dtype, axis, lo, hi, alpha, window,
                   None if exact else vmin, None if exact else vmax, transform, spatial_ndim)

    @property
    def n_channels(self) -> int:
        if self.channel_axis is None:
            return 1
        return self.shape[self.channel_axis] - (1 if self.alpha is not None else 0)

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """Every non-channel axis (leading stack axes included)."""
        return tuple(s for i, s in enumerate(self.shape) if i != self.channel_axis)

    @property
    def lead_axes(self) -> tuple[int, ...]:
        """User axes of the stack (leading axes before the spatial ones)."""
        axes = [i for i in range(len(self.shape)) if i != self.channel_axis]
        k = len(axes) if self.spatial_ndim is None else self.spatial_ndim
        return tuple(axes[: len(axes) - k])

    @property
    def lead_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[i] for i in self.lead_axes)

    @property
    def plane_shape(self) -> tuple[int, ...]:
        """The spatial shape of one plane (or volume) of the stack."""
        return self.spatial_shape[len(self.lead_axes):]

    def user_index(self, index: tuple[int, ...]) -> tuple:
        """Index into the user's array selecting plane ``index`` of the leading axes."""
        out: list = [slice(None)] * len(self.shape)
        for axis, i in zip(self.lead_axes, index, strict=False):
            out[axis] = i
        return tuple(out)

    def plane_channel_axis(self, index) -> int | None:
        if self.channel_axis is None or index is None:
            return self.channel_axis
        return self.channel_axis - sum(1 for a in self.lead_axes if a < self.channel_axis)

    def encode(self, image: np.ndarray, index: tuple[int, ...] | None = None) -> np.ndarray:
        """User array -> float32 ``(C, *spatial)`` in [0, 1]; NaN stays NaN.

        With ``index`` (a tuple over the leading axes), only that plane of ``image``
        is encoded: ``(C, *plane_shape)``.
        """
        if index is not None:
            image = np.asarray(image)[self.user_index(index)]
        axis = self.plane_channel_axis(index)
        x = np.asarray(image, dtype=np.float64)
        if axis is None:
            x = x[None]
        else:
            x = np.moveaxis(x, axis, 0)
            if self.alpha is not None:
                x = x[:3]
        if self.transform is not None:
            x = self.transform.forward(x)  # NaN stays NaN
        span = self.hi - self.lo
        a, b = self.window
        x = (x - self.lo) / span * (b - a) + a if span > 0 else x - self.lo + a
        return np.ascontiguousarray(x, dtype=np.float32)

    def decode(self, chw: np.ndarray, scale: int = 1, index: tuple[int, ...] | None = None) -> np.ndarray:
        """Float ``(C, *spatial)`` in [0, 1] -> the user's dtype, range and layout.

        ``scale`` is the spatial up-scaling of ``chw`` relative to the input
        (super-resolution); the alpha channel is then resized by repetition.
        With ``index``, ``chw`` is that plane only and the result has the layout
        of ``image[codec.user_index(index)]``.
        """
        x = np.clip(np.asarray(chw, dtype=np.float64), 0.0, 1.0)
        a, b = self.window
        x = (x - a) / (b - a) * (self.hi - self.lo) + self.lo
        if self.transform is not None:
            x = self.transform.inverse(x)
        if self.vmin is not None:
            x = np.clip(x, self.vmin, self.vmax)
        axis = self.plane_channel_axis(index)
        if axis is None:
            x = x[0]
        else:
            x = np.moveaxis(x, 0, axis)
            if self.alpha is not None:
                alpha = self.alpha if index is None else self.alpha[self.user_index(index)]
                if scale > 1:
                    alpha = repeat_pixels(alpha, scale, [ax for ax in range(alpha.ndim) if ax != axis])
                x = np.concatenate([x, alpha.astype(np.float64)], axis=axis)
        return cast_to(x, self.dtype)


def is_rgba(shape: tuple[int, ...], channel_axis: int | None) -> bool:
    """The one RGBA rule: 4 channels on the last axis are RGBA (the alpha is kept aside, not restored)."""
    return (
        channel_axis is not None and shape[channel_axis] == 4 and channel_axis % len(shape) == len(shape) - 1
    )


def colour_channels(shape: tuple[int, ...], channel_axis: int | None) -> int:
    """Channels the network restores: 1 (grey), the channel count, or 3 for RGBA."""
    if channel_axis is None:
        return 1
    return shape[channel_axis] - (1 if is_rgba(shape, channel_axis) else 0)


def repeat_pixels(x: np.ndarray, factor: int, axes) -> np.ndarray:
    """Nearest-neighbour up-scaling of ``axes`` by ``factor`` (the placeholder of super-resolution)."""
    for ax in axes:
        x = np.repeat(x, factor, axis=ax)
    return x


def cast_to(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast float ``x`` to ``dtype``: round and clip to its range for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(x), info.min, info.max).astype(dtype)
    return x.astype(dtype)
