"""The image files of :mod:`napari_dip.io`: :class:`ImageFile`, reading, describing and writing them.

No napari, no torch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import tifffile

from . import bioio as _bio
from . import formats as _f
from . import read as _read
from . import selection
from . import sidecar as _side
from . import zarr as _zarr


@dataclass
class ImageFile:
    """An image read from a file, with what the file says about its axes and pixel size.

    Attributes
    ----------
    data : ndarray
        The pixels, as stored (dtype unchanged).
    axes : str
        One letter per axis of ``data``: ``T`` time, ``Z`` depth, ``C`` channel, ``Y``, ``X``,
        ``S`` colour samples (RGB/RGBA), ``Q`` unknown. E.g. ``"ZYX"``, ``"TYX"``, ``"YXS"``.
    channel_axis : int or None
        Negative index of the colour (``S``) or channel (``C``) axis, None for grey images.
    scale : tuple of float
        Physical size of a pixel along each axis (1.0 where unknown).
    units : tuple of str
        Unit of each ``scale`` entry, e.g. ``"µm"``, ``"s"``; ``"pixel"`` where unknown.
    format : str
        ``"tiff"``, ``"ome-tiff"``, ``"imagej-tiff"``, ``"png"``, ``"jpeg"``, ``"ome-zarr"``, or the
        bioio reader's name (``"bioio_czi"``, ...).
    metadata : dict
        Everything else: ``"imagej"`` (the ImageJ dict), ``"ome"`` (the OME-XML as a dict),
        ``"bioio"`` (reader, scene), ``"napari_dip"`` (embedded settings, when the file has them).
    channel_names : tuple of str
        One name per channel (``C``) where the file names them, else ``()``; one name and no
        ``C`` axis: the name of the one channel.
    translate : tuple of float
        Position of the first pixel's centre along each axis (napari's ``translate``), where
        :func:`write_image` recorded one in the sidecar (a super-resolved result), else ``()``.
    """

    data: np.ndarray = field(repr=False)
    axes: str
    channel_axis: int | None = None
    scale: tuple[float, ...] = ()
    units: tuple[str, ...] = ()
    format: str = "tiff"
    metadata: dict = field(default_factory=dict, repr=False)
    channel_names: tuple[str, ...] = ()
    translate: tuple[float, ...] = ()

    def __post_init__(self):
        self.scale = tuple(float(s) for s in self.scale) or (1.0,) * len(self.axes)
        self.units = tuple(self.units) or tuple(_f.default_unit(a) for a in self.axes)
        self.channel_names = tuple(str(n) for n in self.channel_names)


def _kind(path: Path, write: bool = False) -> str:
    """tiff, png, jpeg, ome-zarr (``.zarr``); reading anything else goes to bioio."""
    suffix = path.suffix.lower()
    if suffix in _f.TIFF:
        return "tiff"
    if suffix in _f.PLAIN:
        return _f.PLAIN[suffix]
    if suffix == ".zarr":
        return "ome-zarr"
    if not write:
        return "bioio"
    raise ValueError(
        f"{path.name}: napari-dip writes .tif/.tiff (ImageJ, OME), .ome.tif, .ome.zarr "
        f"({_bio.INSTALL}), .png and .jpg/.jpeg, not {suffix or 'files without an extension'!r}."
    )


def read_image(path: str | os.PathLike, *, scene=None, channel=None) -> ImageFile:
    """Read an image file with its axes, pixel sizes, units and channel names.

    Parameters
    ----------
    path : str or path-like
        The file (an OME-Zarr: its folder). Its extension selects the reader: TIFF, PNG and JPEG
        are read by napari-dip itself; anything else through bioio (``napari-dip[formats]``).
    scene : int or str, optional
        The image (scene, series) of a multi-image file, by index or name. Default: the first.
    channel : int or str, optional
        Keep this one channel (index or name) of the ``C`` (or ``S``) axis, which is dropped.

    Returns
    -------
    ImageFile
        ``data``, ``axes``, ``channel_axis``, ``scale``, ``units``, ``format``, ``metadata``.
        RGB(A) images get ``axes`` ending in ``"S"`` and ``channel_axis=-1``.

    Raises
    ------
    ValueError
        For a file napari-dip cannot read (naming the extra to install), a scene or channel
        the file does not have (naming its scenes, axes and channels).
    """
    path = Path(path)
    kind = _kind(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if kind in ("ome-zarr", "bioio"):
        img = ImageFile(**_bio.read(path, scene))
    elif kind == "tiff":
        img = ImageFile(**_read.tiff(path, scene))
    else:
        selection.check_scene(path, scene, 1)
        img = ImageFile(**_read.plain(path, kind))
    img = _side.with_translate(img, path)
    return img if channel is None else selection.select_channel(img, channel, path.name)


def read_header(path: str | os.PathLike, *, scene=None, channel=None) -> ImageFile:
    """:func:`read_image` without the pixels: every field the same, but ``data`` is a read-only
    placeholder of the image's shape and dtype that holds no memory (zero strides; its values are 0).
    TIFF and bioio's formats read their headers only; PNG and JPEG are read whole."""
    path = Path(path)
    kind = _kind(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if kind in ("ome-zarr", "bioio"):
        img = ImageFile(**_bio.read(path, scene, pixels=False))
    elif kind == "tiff":
        img = ImageFile(**_read.tiff(path, scene, pixels=False))
    else:
        selection.check_scene(path, scene, 1)
        img = ImageFile(**_read.plain(path, kind))
        img = replace(img, data=_f.placeholder(img.data.shape, img.data.dtype))
    img = _side.with_translate(img, path)
    return img if channel is None else selection.select_channel(img, channel, path.name)


def describe(path: str | os.PathLike, *, scene=None) -> tuple[tuple[int, ...], str, tuple[str, ...]]:
    """``(shape, axes, channel names)`` of an image file, from its header alone where it can."""
    path = Path(path)
    kind = _kind(path)
    if kind in ("ome-zarr", "bioio"):
        return _bio.describe(path, scene)
    if kind != "tiff":
        img = read_image(path, scene=scene)
        return img.data.shape, img.axes, img.channel_names
    with tifffile.TiffFile(path) as tif:
        index = selection.check_scene(path, scene, len(tif.series), [s.name for s in tif.series])
        series = tif.series[index]
        names = _f.ome_channels(tif.ome_metadata, index) if tif.is_ome and tif.ome_metadata else ()
        return tuple(series.shape), series.axes.replace("I", "Z" if tif.is_imagej else "Q"), names


def read_settings(path: str | os.PathLike) -> dict | None:
    """The napari-dip settings saved with an image, or None if it has none.

    Looks in the TIFF's embedded metadata (ImageJ *Info* or OME ``MapAnnotation``) first, then
    in the JSON sidecar (see :func:`sidecar_path`). ``path`` may also be the sidecar itself.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        return json.loads(p.read_text(encoding="utf-8")).get("napari_dip")
    if p.suffix.lower() == ".zarr":
        settings = _bio.zarr_settings(p)
        if settings is not None:
            return settings
    if p.suffix.lower() in _f.TIFF and p.is_file():
        settings = _f.tiff_settings(p)
        if settings is not None:
            return settings
    return _side.load(p).get("napari_dip")


def write_image(path: str | os.PathLike, data: np.ndarray, *, axes: str, scale=None, units=None,
                like: ImageFile | None = None, settings: dict | None = None, sidecar: bool = True,
                channel_names=None, translate=None) -> Path:
    """Write an image with its axes, pixel sizes and the napari-dip settings.

    Parameters
    ----------
    path : str or path-like
        Output file; its extension picks the format. ``.tif``/``.tiff``: an ImageJ hyperstack
        when ``axes`` follow ImageJ's TZCYXS order and the dtype is uint8, uint16, int16 or
        float32 (RGB: uint8), else OME-TIFF; ``.ome.tif``/``.ome.tiff``: always OME-TIFF.
        ``.png`` (grey uint8/uint16, RGB(A) uint8) and ``.jpg``/``.jpeg`` (grey or RGB uint8).
        ``.zarr`` (``.ome.zarr``): an OME-Zarr multiscale pyramid (``napari-dip[formats]``).
    data : ndarray or dask array
        The pixels, written with their dtype (no conversion). A dask array is computed block by
        block into TIFF and OME-Zarr files (never whole: an image larger than memory can be
        written), whole for PNG and JPEG.
    axes : str
        One letter per axis of ``data``, ending in ``"YX"`` or ``"YXS"`` (S: RGB/RGBA samples).
    scale, units : sequence, optional
        Pixel size and unit per axis. Default: taken from ``like`` for the axes it shares,
        else 1.0 and ``"pixel"``. napari's unit names (``"micrometer"``) are accepted.
    like : ImageFile, optional
        The input image: supplies default pixel sizes, units and channel names, and an OME-TIFF
        (or OME-Zarr, CZI, ...) input makes a ``.tif`` output OME-TIFF too.
    settings : dict, optional
        JSON-able napari-dip settings (every option, versions, stop reason): embedded in
        TIFF files and written to the sidecar. numpy values are converted.
    sidecar : bool, default True
        Write the JSON sidecar (:func:`sidecar_path`), replacing an existing one.
    channel_names : sequence of str, optional
        One per channel (``C``; one name without a ``C`` axis). Default: ``like``'s when they
        fit. Written into OME-TIFF, OME-Zarr and the sidecar.
    translate : sequence of float, optional
        Position of the first pixel's centre per axis (napari's ``translate``; a super-resolved
        result's, :func:`napari_dip.io.geometry.super_resolved`). Recorded in the sidecar when not all
        0, and returned by :func:`read_image` as :attr:`ImageFile.translate`.

    Returns
    -------
    Path
        The written image. Files are written under a temporary name and renamed when
        complete: an interrupted write leaves no partial file (and an older file intact).

    Raises
    ------
    ValueError
        If ``axes`` do not match ``data``, or the format cannot hold the data.
    """
    path, data = Path(path), data if _f.is_lazy(data) else np.asarray(data)
    kind, axes = _kind(path, write=True), _f.check_axes(axes, data)
    scale, units = _f.calibration(axes, scale, units, like)
    names, payload = selection.channel_names(data, axes, channel_names, like), _side.payload(settings)
    fmt, writer = _format_writer(path, kind, data, axes, like, names)
    _write_atomic(path, writer, data, axes, scale, units, payload, names)
    if sidecar:
        _side.write(path, payload, _side.image_entry(path, fmt, data, axes, scale, units, names, translate))
    return path


def _write_atomic(path: Path, writer, data, axes: str, scale, units, payload, names) -> None:
    """``writer``'s file under a temporary name, renamed to ``path`` when complete."""
    with _f.atomic(path) as tmp:
        writer(tmp, data, axes, dict(zip(axes, scale, strict=False)), dict(zip(axes, units, strict=False)),
               payload, names=names)


def _format_writer(path: Path, kind: str, data: np.ndarray, axes: str, like, names) -> tuple:
    """``(format name, writer)`` of :func:`write_image`'s output; refuses what the format cannot hold."""
    if kind == "tiff":
        ome = path.name.lower().endswith(_f.OME_SUFFIXES) or (
            like is not None and like.format not in _f.NOT_OME)
        fmt = "ome-tiff" if ome or not _f.fits_imagej(data, axes) else "imagej-tiff"
        return fmt, _f.write_ome if fmt == "ome-tiff" else _f.write_imagej
    if kind == "ome-zarr":
        _zarr.ngff_axes(axes, names)  # refuse axes OME-Zarr cannot hold before writing anything
        return kind, _zarr.write_zarr
    _f.check_plain(path, data, axes, kind)
    return kind, _f.write_plain
