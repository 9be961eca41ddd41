"""One 2D image of a file read by region (``napari-dip batch --tile``: each tile task reads its tile).

:func:`open_region` gives the image as :func:`napari_dip.io.read_image` would (same axes, same
``scene`` and ``channel`` selection, same values and dtype) without reading its pixels;
:meth:`RegionReader.read` then reads a Y/X box of it (every channel), and :meth:`RegionReader.blocks`
walks the whole image band by band. How a box is read:

- ``"tiff"``: an uncompressed TIFF series stored in one piece (what tifffile, ImageJ and napari-dip
  write): the box's rows are read from the file at their offsets, nothing else;
- ``"tiff-chunks"``: a compressed or tiled TIFF (several strips or tiles per plane; needs ``zarr``,
  which the ``formats`` extra installs): tifffile's zarr store decodes the strips or tiles the box
  touches;
- ``"ome-zarr"`` (``formats`` extra): bioio's lazy (dask) array of the first resolution level, sliced:
  the chunks the box touches are read;
- ``"whole"``: anything else (PNG, JPEG, CZI, ND2, LIF, a TIFF stored as one compressed strip per
  plane, a TIFF without ``zarr``): each read reads the whole image and returns the box.

No napari, no torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from . import bioio as _bio
from . import selection
from .image import describe, read_image
from .raw import native, read_box

#: :meth:`RegionReader.blocks` reads bands of about BLOCK x BLOCK pixels (the client's passes).
BLOCK = 1024


@dataclass(frozen=True)
class RegionReader:
    """A 2D image (with channels) of a file, read by region. ``shape``, ``axes``, ``dtype`` and
    ``channel_axis`` are those of ``read_image(path, scene=scene, channel=channel)``."""

    path: Path
    scene: object
    channel: object
    how: str
    shape: tuple
    axes: str
    dtype: np.dtype
    channel_axis: int | None
    file_axes: str                # the axes of the stored array (before the channel is picked)
    channel_pick: int | None      # the index kept on the file's channel axis, or None
    offset: int = 0               # "tiff": where the series' data start in the file
    file_shape: tuple = ()
    file_dtype: object = None

    def key(self, ys: slice, xs: slice) -> tuple:
        """The index into the stored array that reads the box (the picked channel an integer)."""
        key: list = [slice(None)] * len(self.file_axes)
        key[self.file_axes.index("Y")], key[self.file_axes.index("X")] = ys, xs
        letter = selection.channel_letter(self.file_axes)
        if self.channel_pick is not None and letter is not None:
            key[self.file_axes.index(letter)] = self.channel_pick
        return tuple(key)

    def read(self, ys: slice, xs: slice) -> np.ndarray:
        """Pixels ``[ys, xs]`` in Y and X, every channel: ``read_image(...).data`` of that box."""
        return fetch(self, self.key(*_bounded(ys, xs, self.shape, self.axes)))

    def blocks(self, pixels: int = BLOCK * BLOCK) -> Iterator[np.ndarray]:
        """The whole image in bands of whole rows, about ``pixels`` pixels each (every channel; one
        read per band of an uncompressed TIFF; one band for ``"whole"``)."""
        h, w = self.shape[self.axes.index("Y")], self.shape[self.axes.index("X")]
        rows = h if self.how == "whole" else max(1, pixels // w)
        for y in range(0, h, rows):
            yield self.read(slice(y, min(y + rows, h)), slice(0, w))


def _bounded(ys: slice, xs: slice, shape: tuple, axes: str) -> tuple[slice, slice]:
    h, w = shape[axes.index("Y")], shape[axes.index("X")]
    return slice(*slice(ys.start, ys.stop).indices(h)[:2]), slice(*slice(xs.start, xs.stop).indices(w)[:2])


def fetch(reader: RegionReader, key: tuple) -> np.ndarray:
    """Every read of pixels from storage goes through here (the tests count what it returns)."""
    if reader.how == "tiff":
        return read_box(reader.path, reader.offset, reader.file_shape, reader.file_dtype, key)
    if reader.how == "tiff-chunks":
        import zarr  # optional (the formats extra): tifffile's zarr store of a compressed or tiled TIFF

        with tifffile.TiffFile(reader.path) as tif:
            index = selection.check_scene(reader.path, reader.scene, len(tif.series))
            store = tif.series[index].aszarr()
            try:
                return native(np.asarray(zarr.open_array(store, mode="r")[key]))
            finally:
                store.close()
    if reader.how == "ome-zarr":
        lazy = _bio.open_image(reader.path, reader.scene).get_image_dask_data(reader.file_axes)
        return np.asarray(lazy[key].compute(scheduler="synchronous"))
    return np.asarray(read_image(reader.path, scene=reader.scene).data[key])


def open_region(path, *, scene=None, channel=None) -> RegionReader:
    """The image ``read_image(path, scene=scene, channel=channel)`` reads, ready to be read by region."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        return _tiff(path, scene, channel)
    if suffix == ".zarr":
        shape, axes, names = _bio.describe(path, scene)
        dtype = np.dtype(_bio.open_image(path, scene).dtype)
        return _reader(path, scene, channel, "ome-zarr", shape, axes, names, dtype)
    img = read_image(path, scene=scene)
    return _reader(path, scene, channel, "whole", img.data.shape, img.axes, img.channel_names, img.data.dtype)


def _reader(path, scene, channel, how, shape, axes, names, dtype, **extra) -> RegionReader:
    pick = None
    if channel is not None:
        pick = selection.channel_index(axes, shape, names, channel, path.name)
    out_shape, out_axes = tuple(shape), axes
    if pick is not None:
        out_shape, out_axes, _ = selection.select_shape(shape, axes, names, channel, path.name)
    letter = selection.channel_letter(out_axes) if pick is None else None
    c = None if letter is None else out_axes.index(letter) - len(out_axes)
    return RegionReader(path, scene, channel, how, out_shape, out_axes, np.dtype(dtype).newbyteorder("="), c,
                        axes, pick, **extra)


def _tiff(path: Path, scene, channel) -> RegionReader:
    shape, axes, names = describe(path, scene=scene)
    with tifffile.TiffFile(path) as tif:
        series = tif.series[selection.check_scene(path, scene, len(tif.series))]
        page, offset = series.keyframe, series.dataoffset
        dtype = np.dtype(series.dtype).newbyteorder(tif.byteorder)  # as stored in the file
        chunked = page.is_tiled or len(page.dataoffsets) > 1  # else one strip a plane: decoded whole
    if offset is not None:
        return _reader(path, scene, channel, "tiff", shape, axes, names, dtype, offset=int(offset),
                       file_shape=tuple(shape), file_dtype=np.dtype(dtype))
    try:
        import zarr  # noqa: F401 - optional (formats extra): decodes the strips or tiles a box touches
    except ImportError:
        chunked = False
    return _reader(path, scene, channel, "tiff-chunks" if chunked else "whole", shape, axes, names, dtype)
