"""Output names, output pixel sizes and mask files: shared by ``napari-dip restore`` and batch runs.

No napari, no torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_mask(path, known_white: bool = False) -> np.ndarray:
    """A mask file as bools, napari's convention: True (non-zero) = missing.

    An RGB mask picture is read from its first channel. ``known_white``: the
    file uses the original DIP convention (white = known, black = missing).
    """
    from napari_dip.io import read_image

    mask = read_image(path)
    data = mask.data
    if mask.channel_axis is not None:  # an RGB mask picture: any channel
        data = np.take(data, 0, axis=mask.channel_axis)
    return (data == 0) if known_white else (data != 0)


def default_output(path: Path, task: str) -> Path:
    """``INPUT_dip_TASK`` with the input's suffix (``.ome.tif`` kept whole)."""
    path = Path(path)
    name = path.name
    suffix = ".ome.tif" if name.lower().endswith(".ome.tif") else path.suffix
    return path.with_name(name[: len(name) - len(suffix)] + f"_dip_{task}{suffix}")


def output_geometry(img, result_shape: tuple, factor: int) -> tuple[tuple, tuple]:
    """Pixel sizes of the output: the Y and X sizes divided by the super-resolution factor."""
    scale = list(img.scale)
    for i, axis in enumerate(img.axes):
        if axis in "YX":
            scale[i] = scale[i] / factor
    return tuple(scale), tuple(img.units)
