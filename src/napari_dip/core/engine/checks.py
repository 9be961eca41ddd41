"""Checks of a user call: the layout, the planes to restore, masks and missing pixels.

Each check raises a ``ValueError`` that says what is wrong and how to fix it.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import ndimage as ndi
from scipy.ndimage import distance_transform_edt

from ..data import ImageCodec, normalize_axis
from ..mask import mask_plane

MODES = ("plane", "volume")


def geometry(shape: tuple[int, ...], channel_axis: int | None, mode: str | None) -> tuple[str, int]:
    """Check the layout; return ``(mode, spatial axes per fit)``."""
    axis = normalize_axis(channel_axis, len(shape))
    n_space = len(shape) - (axis is not None)
    if mode not in (None, *MODES):
        raise ValueError(f"mode must be 'plane' or 'volume' (or None), got {mode!r}")
    mode = mode or "plane"
    nd = 3 if mode == "volume" else 2
    if n_space < nd:
        what = "a Z-stack (Z, Y, X)" if nd == 3 else "an image with two spatial axes (Y, X)"
        raise ValueError(f"image has shape {tuple(shape)} (channel_axis={channel_axis}): {n_space} spatial "
                         f"ax{'i' if n_space == 1 else 'e'}s, but mode={mode!r} needs {what}.")
    if 0 in shape:
        raise ValueError(f"image has an empty axis (shape {tuple(shape)}): nothing to restore.")
    spatial = [s for i, s in enumerate(shape) if i != axis]
    plane = spatial[len(spatial) - nd:]
    if min(plane[-2:]) < 2:
        raise ValueError(
            f"image is only {min(plane[-2:])} pixel wide along a spatial axis (shape {tuple(shape)}, "
            f"channel_axis={channel_axis}): too small to restore."
        )
    if nd == 3 and plane[0] < 2:
        raise ValueError(f"mode='volume' needs at least 2 planes along Z (shape {tuple(shape)}); "
                         "use mode='plane' for a single plane.")
    return mode, nd


def planes(selection, lead_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Normalise ``planes=`` into a list of index tuples over the leading axes."""
    if selection is None:
        return [tuple(int(i) for i in idx) for idx in np.ndindex(*lead_shape)] if lead_shape else [()]
    if isinstance(selection, (int, np.integer)) or (
            isinstance(selection, tuple) and all(isinstance(i, (int, np.integer)) for i in selection)):
        selection = [selection]
    out: list[tuple[int, ...]] = []
    for item in selection:
        idx = (item,) if isinstance(item, (int, np.integer)) else tuple(item)
        if len(idx) != len(lead_shape) or not all(isinstance(i, (int, np.integer)) for i in idx):
            raise ValueError(
                f"planes: {item!r} is not an index over the image's leading (stack) axes of shape "
                f"{lead_shape}; pass a list of {len(lead_shape)}-tuples of integers."
            )
        norm = []
        for i, n in zip(idx, lead_shape, strict=False):
            if not -n <= i < n:
                raise ValueError(f"planes: index {idx} is out of range for stack shape {lead_shape}.")
            norm.append(int(i) % n)
        if tuple(norm) not in out:
            out.append(tuple(norm))
    if not out:
        raise ValueError("planes is empty: pass None to restore every plane, or the planes to restore.")
    return out


def nonfinite(image: np.ndarray, codec: ImageCodec, idx: tuple) -> np.ndarray:
    """Pixels of plane ``idx`` where any (colour) channel is NaN or inf."""
    if image.dtype.kind != "f":
        return np.zeros(codec.plane_shape, bool)
    raw = np.asarray(image[codec.user_index(idx)])
    axis = codec.plane_channel_axis(idx)
    if axis is None:
        return ~np.isfinite(raw)
    if codec.alpha is not None:
        raw = np.take(raw, [0, 1, 2], axis=axis)
    return ~np.isfinite(raw).all(axis=axis)


def plane_missing(image: np.ndarray, codec: ImageCodec, mask: np.ndarray | None,
                  idx: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Plane ``idx``'s missing pixels, the one place they are made: ``(masked, nonfinite)``, the user's mask
    (bools, True = missing; a 2D mask applies to every plane) and the NaN/inf pixels, over the plane's
    spatial axes. A fit's missing pixels are their union (:meth:`.job.Job.data`)."""
    masked = (mask_plane(mask, idx, len(codec.plane_shape)) if mask is not None
              else np.zeros(codec.plane_shape, bool))
    return masked, nonfinite(image, codec, idx)


def largest_hole_radius(missing: np.ndarray) -> float:
    """Depth (in pixels) of the deepest missing pixel: the radius of the largest hole."""
    if not missing.any():
        return 0.0
    return float(distance_transform_edt(np.pad(missing, 1, constant_values=False)).max())


def surround_texture(x: np.ndarray, missing: np.ndarray, depth: float) -> float:
    """How textured the observed pixels around ``missing`` are: 0 (smooth) to about 1 (fine texture).

    ``x`` is one encoded plane ``(C, *spatial)`` in [0, 1]. In a ring of observed pixels 2 to
    ``max(4, depth)`` px from the missing ones (the missing pixels filled with their nearest observed
    value first), the standard deviation of ``x`` minus its Gaussian blur (sigma 1 px) over the standard
    deviation of ``x``: the fine-scale share of the surround's contrast. A surround flatter than 1 % of
    the range is smooth (0). Measured on 13 holes: brick, grass, gravel, text and stars 0.58-0.71; smooth
    photographs, faces and the paper images 0.19-0.47 (benchmarks/hole_rule.py).
    """
    if not missing.any() or missing.all():
        return 0.0
    _, nearest = ndi.distance_transform_edt(missing, return_indices=True)
    filled = np.nan_to_num(x[(slice(None), *nearest)])
    dist = ndi.distance_transform_edt(~missing)
    ring = ~missing & (dist >= 2) & (dist <= max(4.0, depth))
    if not ring.any():
        return 0.0
    values = filled[:, ring]
    spread = float(values.std(axis=1).mean())
    if spread < 0.01:
        return 0.0
    fine = filled - ndi.gaussian_filter(filled, sigma=(0,) + (1.0,) * missing.ndim)
    return float(fine[:, ring].std(axis=1).mean()) / spread


def planes_to_fit(
    image: np.ndarray,
    codec: ImageCodec,
    selected: list,
    mask: np.ndarray | None,
    *,
    keep: bool,
    measure_depth: bool,
) -> tuple[list, float, float]:
    """The planes that need a fit (with ``keep``, a plane with nothing missing is copied), the deepest hole
    and the :func:`surround_texture` of the plane that holds it."""
    n_nonfinite, any_masked, radius, texture, run = 0, False, 0.0, 0.0, []
    where = "" if not codec.lead_shape else " of plane {}"
    for idx in selected:
        masked, bad = plane_missing(image, codec, mask, idx)
        n_nonfinite += int(bad.sum())
        any_masked |= bool(masked.any())
        missing = masked | bad
        if bad.all():
            raise ValueError(f"every pixel{where.format(idx)} is NaN or inf: nothing to restore from.")
        if missing.all():
            raise ValueError(f"mask covers every pixel{where.format(idx)}: nothing is observed, so there is "
                             "nothing to restore from.")
        if keep and not missing.any():
            continue  # the fit would return the input exactly
        run.append(idx)
        if measure_depth and missing.any():
            depth = largest_hole_radius(missing)
            if depth > radius:
                radius, texture = depth, surround_texture(codec.encode(image, idx), missing, depth)
    if mask is not None and not any_masked:
        raise ValueError("mask is empty: paint the missing pixels (non-zero labels) before restoring.")
    if n_nonfinite:
        warnings.warn(f"{n_nonfinite} NaN/inf pixels are treated as missing and filled in.", stacklevel=5)
    return run, radius, texture
