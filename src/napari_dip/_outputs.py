"""Output names, output pixel sizes and mask files: shared by ``napari-dip restore`` and batch runs.

No napari, no torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_dip.io import read_image


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


#: Suffixes napari-dip writes; other inputs (CZI, ND2, LIF, ...) give OME-TIFF outputs.
WRITTEN = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".zarr")


def default_output(path: Path, task: str) -> Path:
    """``INPUT_dip_TASK`` with the input's suffix (``.ome.tif``, ``.ome.zarr`` kept whole); ``.ome.tif``
    for an input whose format napari-dip does not write (CZI, ND2, LIF, ...)."""
    path = Path(path)
    name = path.name
    whole = next((s for s in (".ome.tif", ".ome.tiff", ".ome.zarr") if name.lower().endswith(s)), None)
    suffix = whole or path.suffix
    stem = name[: len(name) - len(suffix)] if suffix else name
    out = suffix if suffix.lower() in (*WRITTEN, ".ome.tif", ".ome.tiff", ".ome.zarr") else ".ome.tif"
    return path.with_name(stem + f"_dip_{task}{out}")


def output_geometry(img, result_shape: tuple, factor: int) -> tuple[tuple, tuple]:
    """Pixel sizes of the output: the Y and X sizes divided by the super-resolution factor."""
    scale = list(img.scale)
    for i, axis in enumerate(img.axes):
        if axis in "YX":
            scale[i] = scale[i] / factor
    return tuple(scale), tuple(img.units)
