"""Image files in and out, keeping axes, pixel sizes, units and the napari-dip settings.

Reads TIFF (ImageJ hyperstacks, OME-TIFF, plain), PNG and JPEG; writes the same
formats. Needs tifffile and imageio (a dependency of scikit-image); no napari, no torch.

>>> img = read_image("cells.tif")                                  # doctest: +SKIP
>>> img.axes, img.scale, img.units                                 # doctest: +SKIP
('ZYX', (0.5, 0.1, 0.1), ('µm', 'µm', 'µm'))
>>> write_image("out.tif", restored, axes=img.axes, like=img,      # doctest: +SKIP
...             settings=result.config)

**Sidecar rule.** Every written image gets a JSON sidecar next to it, named after the
image with its last extension replaced by ``.json`` (``out.tif`` -> ``out.json``,
``out.ome.tif`` -> ``out.ome.json``). It holds ``{"napari_dip": settings, "image": {file,
format, axes, shape, dtype, scale, units}, "written_by": {...}}``. TIFF files also embed
the settings: ImageJ TIFF in the *Info* text (a ``napari_dip = {json}`` line, shown by
Fiji's *Image > Show Info*), OME-TIFF in a ``MapAnnotation`` with key ``napari_dip``.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _io_formats as _f

__all__ = ["ImageFile", "read_image", "write_image", "read_settings", "sidecar_path"]


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
        ``"tiff"``, ``"ome-tiff"``, ``"imagej-tiff"``, ``"png"`` or ``"jpeg"``.
    metadata : dict
        Everything else: ``"imagej"`` (the ImageJ dict), ``"ome"`` (the OME-XML as a dict),
        ``"napari_dip"`` (embedded settings, when the file has them).
    """

    data: np.ndarray = field(repr=False)
    axes: str
    channel_axis: int | None = None
    scale: tuple[float, ...] = ()
    units: tuple[str, ...] = ()
    format: str = "tiff"
    metadata: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.scale = tuple(float(s) for s in self.scale) or (1.0,) * len(self.axes)
        self.units = tuple(self.units) or tuple(_f.default_unit(a) for a in self.axes)


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar of an image file: its last extension replaced by ``.json``."""
    return Path(path).with_suffix(".json")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _f.TIFF:
        return "tiff"
    if suffix in _f.PLAIN:
        return _f.PLAIN[suffix]
    raise ValueError(f"{path.name}: napari-dip reads and writes .tif/.tiff (ImageJ, OME), .png and "
                     f".jpg/.jpeg, not {suffix or 'files without an extension'!r}. For CZI, ND2, LIF or "
                     "OME-Zarr, open the file in napari with a reader plugin (see docs/files.md) "
                     "or convert it to OME-TIFF.")


def read_image(path: str | os.PathLike) -> ImageFile:
    """Read a TIFF, OME-TIFF, ImageJ TIFF, PNG or JPEG file with its axes and pixel size.

    Parameters
    ----------
    path : str or path-like
        The file. Its extension selects the reader.

    Returns
    -------
    ImageFile
        ``data``, ``axes``, ``channel_axis``, ``scale``, ``units``, ``format``, ``metadata``.
        RGB(A) images get ``axes`` ending in ``"S"`` and ``channel_axis=-1``.

    Raises
    ------
    ValueError
        For an extension napari-dip cannot read.
    """
    path = Path(path)
    kind = _kind(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if kind == "tiff":
        return _read_tiff(path)
    import imageio.v3 as iio

    data = iio.imread(path)
    if data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (2, 3, 4)):
        axes = "YX" if data.ndim == 2 else "YXS"
    else:
        raise ValueError(f"{path.name}: unexpected shape {data.shape} for a {kind} image "
                         "(animated files are not supported; save the frames as a TIFF stack).")
    scale = units = ()
    side = _load_sidecar(path)
    if side.get("image", {}).get("axes") == axes:  # pixel sizes written by write_image
        scale, units = side["image"].get("scale", ()), side["image"].get("units", ())
    meta = {"napari_dip": side["napari_dip"]} if side.get("napari_dip") is not None else {}
    return ImageFile(data, axes, -1 if axes == "YXS" else None, scale, units, kind, meta)


def _read_tiff(path: Path) -> ImageFile:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        data, axes, page = series.asarray(), series.axes, tif.pages[0]
        if tif.is_ome and tif.ome_metadata:
            fmt, meta = "ome-tiff", {"ome": tifffile.xml2dict(tif.ome_metadata)}
            sizes, units, settings = _f.ome_calibration(tif.ome_metadata)
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
    return ImageFile(data, axes, channel, [sizes.get(a, 1.0) for a in axes],
                     [units.get(a, _f.default_unit(a)) for a in axes], fmt, meta)


def _load_sidecar(path: Path) -> dict:
    """The sidecar of ``path`` if it exists and describes this very file, else {}."""
    side = sidecar_path(path)
    if side == path or not side.is_file():
        return {}
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(doc, dict) and doc.get("image", {}).get("file", path.name) == path.name
    return doc if ok else {}


def read_settings(path: str | os.PathLike) -> dict | None:
    """The napari-dip settings saved with an image, or None if it has none.

    Looks in the TIFF's embedded metadata (ImageJ *Info* or OME ``MapAnnotation``) first, then
    in the JSON sidecar (see :func:`sidecar_path`). ``path`` may also be the sidecar itself.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        return json.loads(p.read_text(encoding="utf-8")).get("napari_dip")
    if p.suffix.lower() in _f.TIFF and p.is_file():
        import tifffile

        with tifffile.TiffFile(p) as tif:
            if tif.is_ome and tif.ome_metadata:
                settings = _f.ome_calibration(tif.ome_metadata)[2]
            elif tif.is_imagej:
                settings = _f.imagej_calibration(dict(tif.imagej_metadata or {}), tif.pages[0])[2]
            else:
                settings = None
        if settings is not None:
            return settings
    return _load_sidecar(p).get("napari_dip")


def write_image(path: str | os.PathLike, data: np.ndarray, *, axes: str, scale=None, units=None,
                like: ImageFile | None = None, settings: dict | None = None, sidecar: bool = True) -> Path:
    """Write an image with its axes, pixel sizes and the napari-dip settings.

    Parameters
    ----------
    path : str or path-like
        Output file; its extension picks the format. ``.tif``/``.tiff``: an ImageJ hyperstack
        when ``axes`` follow ImageJ's TZCYXS order and the dtype is uint8, uint16, int16 or
        float32 (RGB: uint8), else OME-TIFF; ``.ome.tif``/``.ome.tiff``: always OME-TIFF.
        ``.png`` (grey uint8/uint16, RGB(A) uint8) and ``.jpg``/``.jpeg`` (grey or RGB uint8).
    data : ndarray
        The pixels, written with their dtype (no conversion).
    axes : str
        One letter per axis of ``data``, ending in ``"YX"`` or ``"YXS"`` (S: RGB/RGBA samples).
    scale, units : sequence, optional
        Pixel size and unit per axis. Default: taken from ``like`` for the axes it shares,
        else 1.0 and ``"pixel"``. napari's unit names (``"micrometer"``) are accepted.
    like : ImageFile, optional
        The input image: supplies default pixel sizes and units, and an OME-TIFF input makes
        a ``.tif`` output OME-TIFF too.
    settings : dict, optional
        JSON-able napari-dip settings (every option, versions, stop reason): embedded in
        TIFF files and written to the sidecar. numpy values are converted.
    sidecar : bool, default True
        Write the JSON sidecar (:func:`sidecar_path`), replacing an existing one.

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
    path, data = Path(path), np.asarray(data)
    kind, axes = _kind(path), _check_axes(axes, data)
    scale, units = _calibration(axes, scale, units, like)
    if settings is not None and not isinstance(settings, dict):
        raise ValueError(f"settings must be a dict of JSON-able values, not {type(settings).__name__}")
    payload = None if settings is None else json.dumps(settings, default=_f.json_default)
    if kind == "tiff":
        ome = path.name.lower().endswith(_f.OME_SUFFIXES) or (like is not None and like.format == "ome-tiff")
        fmt = "ome-tiff" if ome or not _f.fits_imagej(data, axes) else "imagej-tiff"
        writer = _f.write_ome if fmt == "ome-tiff" else _f.write_imagej
    else:
        fmt, writer = kind, _f.write_plain
        _f.check_plain(path, data, axes, kind)
    with _atomic(path) as tmp:
        writer(tmp, data, axes, dict(zip(axes, scale)), dict(zip(axes, units)), payload)
    if sidecar:
        doc = {"napari_dip": None if payload is None else json.loads(payload),
               "image": {"file": path.name, "format": fmt, "axes": axes, "shape": list(data.shape),
                         "dtype": str(data.dtype), "scale": scale, "units": units},
               "written_by": _f.versions()}
        with _atomic(sidecar_path(path)) as tmp:
            tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _check_axes(axes: str, data: np.ndarray) -> str:
    axes = str(axes).upper()
    if len(axes) != data.ndim:
        raise ValueError(f"axes {axes!r} has {len(axes)} letters but the data has {data.ndim} dimensions "
                         f"(shape {data.shape}): give one letter per dimension, e.g. 'ZYX' or 'YXS'.")
    if len(set(axes)) != len(axes) or not set(axes) <= set(_f.LETTERS) or not axes.endswith(("YX", "YXS")):
        raise ValueError(f"axes {axes!r} must be distinct letters of {_f.LETTERS!r} ending in 'YX' (or 'YXS' "
                         "for RGB/RGBA colour last), e.g. 'TZCYX'. Move axes with np.moveaxis first.")
    return axes


def _calibration(axes: str, scale, units, like: ImageFile | None) -> tuple[list, list]:
    known_scale = dict(zip(like.axes, like.scale)) if like is not None else {}
    known_units = dict(zip(like.axes, like.units)) if like is not None else {}
    scale = [known_scale.get(a, 1.0) for a in axes] if scale is None else [float(s) for s in scale]
    units = [known_units.get(a, _f.default_unit(a)) for a in axes] if units is None else list(units)
    for name, values in (("scale", scale), ("units", units)):
        if len(values) != len(axes):
            raise ValueError(f"{name} has {len(values)} values but axes {axes!r} has {len(axes)}: give one "
                             "per axis (1.0 / '' for colour or channel axes).")
    if not all(np.isfinite(s) and s > 0 for s in scale):
        raise ValueError(f"pixel sizes must be positive and finite, got scale={scale}")
    return scale, [_f.unit_name(u) if a not in "SC" else str(u) for a, u in zip(axes, units)]


@contextmanager
def _atomic(path: Path):
    """Yield a temporary name next to ``path``; rename it to ``path`` only if the block succeeds."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
