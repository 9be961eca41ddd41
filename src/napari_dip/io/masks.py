"""A mask file read as napari's Labels convention (non-zero = missing), the bools :mod:`napari_dip.core.mask`
works with. No napari, no torch.
"""

from __future__ import annotations

import numpy as np

from .image import read_image


def read_mask(path, known_white: bool = False) -> np.ndarray:
    """A mask file as bools, napari's convention: True (non-zero) = missing.

    An RGB mask picture is read from its first channel. ``known_white``: the
    file uses the original DIP convention (white = known, black = missing).
    """
    mask = read_image(path)
    data = mask.data
    if mask.channel_axis is not None:  # an RGB mask picture: any channel
        data = np.take(data, 0, axis=mask.channel_axis)
    return (data == 0) if known_white else (data != 0)
