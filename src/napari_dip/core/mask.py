"""The user's mask in one form, napari's Labels convention: non-zero = missing pixel.

The steps of a mask from the user (a Labels layer, an array, a file) to the loss, one function
each: :func:`missing_pixels` (any bool or numeric mask to bools), :func:`mask_fits` (the shape
rule: a trailing part of the stack's shape), :func:`stack_mask` (both, with the message that says
how to fix it), :func:`mask_plane` (one plane's part of a stack's mask). The engine turns the
missing pixels into the loss's weights (``core/engine/plan.py``: observed = not missing).
"""

from __future__ import annotations

import numpy as np


def missing_pixels(mask, name: str = "mask") -> np.ndarray:
    """A user's mask in napari's Labels convention (non-zero = missing) as bools of its shape.

    The one conversion of a mask on its way to the loss: restore, blend and the classical methods
    all read a mask through it. A mask that is neither boolean nor numeric is a ``ValueError``.
    """
    mask = np.asarray(mask)
    if mask.dtype.kind not in "buif":
        raise ValueError(f"{name} has dtype {mask.dtype}; pass a boolean or integer (Labels) array.")
    return mask != 0


def mask_fits(mask_shape: tuple[int, ...], spatial_shape: tuple[int, ...], plane_ndim: int = 2) -> bool:
    """Whether a mask of ``mask_shape`` goes with a stack of ``spatial_shape`` (no channel axis): it is a
    trailing part of ``spatial_shape`` that covers at least the last ``plane_ndim`` axes."""
    space, n = tuple(spatial_shape), len(mask_shape)
    return plane_ndim <= n <= len(space) and space[len(space) - n:] == tuple(mask_shape)


def mask_plane(mask: np.ndarray, idx: tuple, plane_ndim: int) -> np.ndarray:
    """The part of ``mask`` over plane ``idx`` of a stack whose planes have ``plane_ndim`` axes.

    A mask of ``plane_ndim`` axes applies to every plane; one with ``k`` more is indexed by the last
    ``k`` entries of ``idx`` (a mask with more extra axes than ``idx`` has entries is returned whole,
    for the caller's shape check to report).
    """
    extra = mask.ndim - plane_ndim
    if extra <= 0 or extra > len(idx):
        return mask
    return mask[tuple(idx[len(idx) - extra:])]


def stack_mask(mask: np.ndarray, spatial_shape: tuple[int, ...], plane_ndim: int = 2,
               name: str = "mask") -> np.ndarray:
    """Validate a mask for a stack whose non-channel shape is ``spatial_shape`` (non-zero = missing).

    The mask's shape must be a trailing part of ``spatial_shape`` that covers at
    least the last ``plane_ndim`` (spatial) axes (:func:`mask_fits`): a 2D mask applies to every plane
    of a stack, a full-shape mask gives each plane its own. Returns a bool array
    of the mask's shape (it broadcasts against ``spatial_shape``).
    """
    missing = missing_pixels(mask, name)
    spatial_shape = tuple(spatial_shape)
    if not mask_fits(missing.shape, spatial_shape, plane_ndim):
        allowed = [spatial_shape[len(spatial_shape) - k:] for k in range(plane_ndim, len(spatial_shape) + 1)]
        if len(spatial_shape) == plane_ndim:
            expected = f"the image's spatial shape is {spatial_shape}"
        else:
            expected = (f"the image's plane shape is {spatial_shape[-plane_ndim:]} and its stack shape "
                        f"(planes and spatial axes, without channels) is {spatial_shape}; a mask must have "
                        f"one of the shapes {allowed}")
        raise ValueError(
            f"{name} has shape {missing.shape} but {expected}; paint the mask on a Labels layer with the "
            "image's shape (napari: File > New Layer > Labels while the image is selected)."
        )
    return missing
