"""Reading TIFF (plain, ImageJ, OME) and PNG/JPEG files into the fields of :class:`napari_dip.io.ImageFile`.

No napari, no torch. ``napari_dip.io`` builds the :class:`~napari_dip.io.ImageFile` from these dicts, as
from ``bioio.read``'s.
"""

from __future__ import annotations

from pathlib import Path

import tifffile

from . import formats as _f
from . import selection
from . import sidecar as _side


def plain(path: Path, kind: str) -> dict:
    """A PNG or JPEG (imageio): the fields of an :class:`~napari_dip.io.ImageFile`."""
    import imageio.v3 as iio  # noqa: PLC0415 -- imageio only for PNG and JPEG

    data = iio.imread(path)
    if data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (2, 3, 4)):
        axes = "YX" if data.ndim == 2 else "YXS"
    else:
        raise ValueError(f"{path.name}: unexpected shape {data.shape} for a {kind} image "
                         "(animated files are not supported; save the frames as a TIFF stack).")
    scale = units = ()
    side = _side.load(path)
    if side.get("image", {}).get("axes") == axes:  # pixel sizes written by write_image
        scale, units = side["image"].get("scale", ()), side["image"].get("units", ())
    meta = {"napari_dip": side["napari_dip"]} if side.get("napari_dip") is not None else {}
    return dict(data=data, axes=axes, channel_axis=-1 if axes == "YXS" else None, scale=scale, units=units,
                format=kind, metadata=meta)


def tiff(path: Path, scene=None, pixels: bool = True) -> dict:
    """A TIFF, ImageJ TIFF or OME-TIFF series (``pixels=False``: a placeholder of its shape): the fields
    of an :class:`~napari_dip.io.ImageFile`."""
    names: tuple[str, ...] = ()
    with tifffile.TiffFile(path) as tif:
        index = selection.check_scene(path, scene, len(tif.series), [s.name for s in tif.series])
        series = tif.series[index]
        data = series.asarray() if pixels else _f.placeholder(series.shape, series.dtype)
        axes, page = series.axes, series.keyframe
        if tif.is_ome and tif.ome_metadata:
            fmt, meta = "ome-tiff", {"ome": tifffile.xml2dict(tif.ome_metadata)}
            sizes, units, settings = _f.ome_calibration(tif.ome_metadata, index)
            names = _f.ome_channels(tif.ome_metadata, index)
        elif tif.is_imagej:
            fmt, meta = "imagej-tiff", {"imagej": dict(tif.imagej_metadata or {})}
            axes = axes.replace("I", "Z")  # ImageJ reads a plain stack as slices
            sizes, units, settings = _f.imagej_calibration(meta["imagej"], page)
        else:
            fmt, meta, settings = "tiff", {}, None
            axes = axes.replace("I", "Q")
            sizes, units = _f.tiff_calibration(page)
    if settings is not None:
        meta["napari_dip"] = settings
    channel = next((axes.index(a) - len(axes) for a in "SC" if a in axes), None)
    return dict(data=data, axes=axes, channel_axis=channel, scale=tuple(sizes.get(a, 1.0) for a in axes),
                units=tuple(units.get(a, _f.default_unit(a)) for a in axes), format=fmt, metadata=meta,
                channel_names=names)
