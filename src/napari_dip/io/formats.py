"""Format details for :mod:`napari_dip.io`: units, ImageJ / OME / TIFF calibration, writers."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from napari_dip import __version__

from .raw import write_box

PLAIN = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
TIFF = (".tif", ".tiff")
OME_SUFFIXES = (".ome.tif", ".ome.tiff")
NOT_OME = ("tiff", "imagej-tiff", "png", "jpeg")  # an input of any other format makes .tif outputs OME-TIFF
LETTERS = "STZCYXAPRHEQ"  # tifffile's axis codes; S = colour samples (RGB/RGBA), Q = unknown
UNITS = {"micron": "µm", "microns": "µm", "um": "µm", "μm": "µm", "micrometer": "µm", "\\u00b5m": "µm",
          "nanometer": "nm", "millimeter": "mm", "centimeter": "cm", "meter": "m", "angstrom": "Å",
          "pixels": "pixel", "px": "pixel", "": "pixel", "sec": "s", "second": "s", "seconds": "s",
          "millisecond": "ms", "microsecond": "µs", "minute": "min", "hour": "h"}
OME_UNITS = {"X": {"pm", "Å", "nm", "µm", "mm", "cm", "m", "in"}, "T": {"ns", "µs", "ms", "s", "min", "h"}}
OME_UNITS["Y"] = OME_UNITS["Z"] = OME_UNITS["X"]
TIFF_RESUNIT_UM = {2: 25400.0, 3: 10000.0, 4: 1000.0, 5: 1.0}  # inch, cm, mm, µm -> µm


def unit_name(u: Any) -> str:
    s = str(u).strip()
    return UNITS.get(s.lower(), s)


def round9(v: float) -> float:
    return float(f"{v:.9g}")  # drop the noise of TIFF's rational resolution


def default_unit(axis: str) -> str:
    return "" if axis in "SC" else "pixel"


def tiff_calibration(page) -> tuple[dict, dict]:
    xres, yres = page.resolution
    factor = TIFF_RESUNIT_UM.get(int(page.resolutionunit))
    if not factor or xres <= 0 or yres <= 0:
        return {}, {}
    return {"X": round9(factor / xres), "Y": round9(factor / yres)}, {"X": "µm", "Y": "µm"}


def imagej_calibration(ij: dict, page) -> tuple[dict, dict, Any]:
    xres, yres = page.resolution
    unit = unit_name(ij.get("unit", "pixel"))
    sizes = {"X": round9(1 / xres) if xres > 0 else 1.0, "Y": round9(1 / yres) if yres > 0 else 1.0}
    units = {"X": unit, "Y": unit_name(ij.get("yunit", unit)), "Z": unit_name(ij.get("zunit", unit))}
    if "spacing" in ij:
        sizes["Z"] = float(ij["spacing"])
    interval = ij.get("finterval") or (1 / ij["fps"] if ij.get("fps") else None)
    if interval:
        sizes["T"], units["T"] = float(interval), unit_name(ij.get("tunit", "sec"))
    settings = None
    for line in str(ij.get("Info", "")).splitlines():
        if line.startswith("napari_dip = "):
            settings = json.loads(line[len("napari_dip = "):])
    return sizes, units, settings


def _pixels(root, index: int):
    """The ``Pixels`` element of image ``index`` (the scene), or None."""
    found = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"]
    return found[index] if index < len(found) else None


def ome_channels(xml: str, index: int = 0) -> tuple[str, ...]:
    """The channel names of image ``index``: () unless every channel has a name."""
    pixels = _pixels(ET.fromstring(xml), index)
    channels = [] if pixels is None else [e for e in pixels if e.tag.rsplit("}", 1)[-1] == "Channel"]
    names = tuple(e.get("Name", "") for e in channels)
    return names if names and all(names) else ()


def ome_calibration(xml: str, index: int = 0) -> tuple[dict, dict, Any]:
    root = ET.fromstring(xml)
    pixels = _pixels(root, index)
    sizes, units = {}, {}
    attrs = pixels.attrib if pixels is not None else {}
    for ax in "XYZ":
        if f"PhysicalSize{ax}" in attrs:
            sizes[ax] = float(attrs[f"PhysicalSize{ax}"])
            units[ax] = unit_name(attrs.get(f"PhysicalSize{ax}Unit", "µm"))
    if "TimeIncrement" in attrs:
        sizes["T"], units["T"] = float(attrs["TimeIncrement"]), unit_name(attrs.get("TimeIncrementUnit", "s"))
    settings = next((json.loads(e.text) for e in root.iter()
                     if e.tag.rsplit("}", 1)[-1] == "M" and e.get("K") == "napari_dip" and e.text), None)
    return sizes, units, settings


def tiff_settings(path: Path) -> Any:
    """The napari-dip settings embedded in a TIFF (OME ``MapAnnotation``, ImageJ *Info*), or None."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if tif.is_ome and tif.ome_metadata:
            return ome_calibration(tif.ome_metadata)[2]
        if tif.is_imagej:
            return imagej_calibration(dict(tif.imagej_metadata or {}), tif.pages[0])[2]
    return None


def fits_imagej(data: np.ndarray, axes: str) -> bool:
    order = [("TZCYXS".find(a)) for a in axes]
    if -1 in order or order != sorted(order) or data.dtype.char not in "BHhf":
        return False
    return "S" not in axes or (data.dtype == np.uint8 and data.shape[-1] in (3, 4))


def check_plain(path: Path, data: np.ndarray, axes: str, kind: str) -> None:
    colours = {"png": (3, 4), "jpeg": (3,)}[kind]
    if not (axes == "YX" or (axes == "YXS" and data.shape[-1] in colours)):
        raise ValueError(f"{path.name}: a {kind.upper()} file holds one 2D image (grey or RGB"
                         f"{'/RGBA' if kind == 'png' else ''}), but the data has axes {axes!r} and shape "
                         f"{data.shape}. Save it as .tif, which keeps every plane, the pixel size and the "
                         "settings, or write one plane (e.g. data[0]).")
    dtypes = ("uint8", "uint16") if kind == "png" and axes == "YX" else ("uint8",)
    if str(data.dtype) not in dtypes:
        raise ValueError(f"{path.name}: {kind.upper()} cannot store {data.dtype} "
                         f"{'grey' if axes == 'YX' else 'colour'} pixels (only {' or '.join(dtypes)}). "
                         "Convert with skimage.util.img_as_ubyte (or img_as_uint), or save as .tif, "
                         f"which keeps {data.dtype}.")


def write_plain(tmp: Path, data, axes, sizes, units, payload, names=()) -> None:
    import imageio.v3 as iio

    options = {"quality": 95} if tmp.suffix.lower() in (".jpg", ".jpeg") else {}
    iio.imwrite(tmp, data, extension=tmp.suffix.lower(), **options)


def write_imagej(tmp: Path, data, axes, sizes, units, payload, names=()) -> None:
    def ij(u):  # ImageJ's own spelling
        return {"µm": "micron", "s": "sec"}.get(u, u)

    md: dict[str, Any] = {"axes": axes}
    if units["X"] != "pixel":
        md["unit"] = ij(units["X"])
    if units["Y"] != units["X"]:
        md["yunit"] = ij(units["Y"])
    if "Z" in axes:
        md["spacing"] = sizes["Z"]
        if units["Z"] != units["X"]:
            md["zunit"] = ij(units["Z"])
    if "T" in axes and units["T"] != "pixel":
        md["finterval"], md["tunit"] = sizes["T"], ij(units["T"])
    if payload is not None:
        md["Info"] = f"napari_dip = {payload}"
    tiff_write(tmp, data, imagej=True, resolution=(1 / sizes["X"], 1 / sizes["Y"]), metadata=md,
               photometric="rgb" if "S" in axes else "minisblack")


def write_ome(tmp: Path, data, axes, sizes, units, payload, names=()) -> None:
    md: dict[str, Any] = {"axes": axes}
    for ax in "XYZT":
        if ax not in axes or units[ax] == "pixel":
            continue
        if units[ax] not in OME_UNITS[ax]:
            raise ValueError(f"OME-TIFF cannot store the unit {units[ax]!r} of axis {ax}; use one of "
                             f"{sorted(OME_UNITS[ax])}, or 'pixel'.")
        key = "TimeIncrement" if ax == "T" else f"PhysicalSize{ax}"
        md[key], md[f"{key}Unit"] = sizes[ax], units[ax]
    if payload is not None:
        md["MapAnnotation"] = {"napari_dip": payload}
    if names and "S" not in axes:
        md["Channel"] = {"Name": list(names)}
    # samples last (contig) or before Y and X (separate: a planar RGB TIFF read back as ...SYX)
    planar = "S" in axes and axes.index("S") == len(axes) - 3
    samples = data.shape[axes.index("S")] if "S" in axes else 0
    rgb = samples == 3 and data.dtype in (np.uint8, np.uint16)
    config = "separate" if planar else "contig" if axes.endswith("S") and not rgb else None
    tiff_write(tmp, data, ome=True, photometric="rgb" if rgb else "minisblack", planarconfig=config,
               metadata=md)


def placeholder(shape: tuple, dtype) -> np.ndarray:
    """A read-only array of ``shape`` and ``dtype`` that holds no memory (zero strides, all 0): an image's
    header without its pixels (:func:`napari_dip.io.read_header`)."""
    return np.broadcast_to(np.zeros((), np.dtype(dtype).newbyteorder("=")), tuple(shape))


def is_lazy(data) -> bool:
    """A dask array (written block by block), not pixels in memory."""
    return type(data).__module__.split(".")[0] == "dask"


def lazy_blocks(data):
    """``(index, block)`` of every chunk of a dask array, computed one at a time in this thread."""
    edges = [np.cumsum((0, *c)) for c in data.chunks]
    for idx in np.ndindex(*data.numblocks):
        key = tuple(slice(int(e[i]), int(e[i + 1])) for e, i in zip(edges, idx, strict=True))
        yield key, np.asarray(data.blocks[idx].compute(scheduler="synchronous"))


def tiff_write(tmp: Path, data, **kwargs) -> None:
    """``tifffile.imwrite(tmp, data, **kwargs)``; a dask array is written empty (uncompressed, in one
    piece) and filled chunk by chunk at its data offset, never whole in memory."""
    if not is_lazy(data):
        tifffile.imwrite(tmp, data, **kwargs)
        return
    tifffile.imwrite(tmp, None, shape=data.shape, dtype=data.dtype, **kwargs)
    with tifffile.TiffFile(tmp) as tif:
        offset = tif.series[0].dataoffset
    if offset is None:
        raise ValueError(f"{tmp.name}: tifffile did not store the image in one piece to fill by blocks.")
    for key, block in lazy_blocks(data):
        write_box(tmp, offset, data.shape, data.dtype, key, block)


def json_default(obj: Any) -> Any:
    """JSON for what the settings may hold: numpy scalars and arrays, tuples, sets, paths, dtypes."""
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)  # paths, dtypes, enums, units


def versions() -> dict:
    """The versions that wrote a file (for its sidecar)."""
    return {"napari_dip": __version__, "tifffile": tifffile.__version__, "numpy": np.__version__}


def check_axes(axes: str, data: np.ndarray) -> str:
    axes = str(axes).upper()
    if len(axes) != data.ndim:
        raise ValueError(f"axes {axes!r} has {len(axes)} letters but the data has {data.ndim} dimensions "
                         f"(shape {data.shape}): give one letter per dimension, e.g. 'ZYX' or 'YXS'.")
    if len(set(axes)) != len(axes) or not set(axes) <= set(LETTERS) or not axes.endswith(("YX", "YXS")):
        raise ValueError(f"axes {axes!r} must be distinct letters of {LETTERS!r} ending in 'YX' (or 'YXS' "
                         "for RGB/RGBA colour last), e.g. 'TZCYX'. Move axes with np.moveaxis first.")
    return axes


def calibration(axes: str, scale, units, like) -> tuple[list, list]:
    known_scale = dict(zip(like.axes, like.scale, strict=False)) if like is not None else {}
    known_units = dict(zip(like.axes, like.units, strict=False)) if like is not None else {}
    scale = [known_scale.get(a, 1.0) for a in axes] if scale is None else [float(s) for s in scale]
    units = [known_units.get(a, default_unit(a)) for a in axes] if units is None else list(units)
    for name, values in (("scale", scale), ("units", units)):
        if len(values) != len(axes):
            raise ValueError(f"{name} has {len(values)} values but axes {axes!r} has {len(axes)}: give one "
                             "per axis (1.0 / '' for colour or channel axes).")
    if not all(np.isfinite(s) and s > 0 for s in scale):
        raise ValueError(f"pixel sizes must be positive and finite, got scale={scale}")
    return scale, [unit_name(u) if a not in "SC" else str(u) for a, u in zip(axes, units, strict=False)]


@contextmanager
def atomic(path: Path):
    """Yield a temporary name next to ``path``; rename it to ``path`` only if the block succeeds."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part{path.suffix}")
    try:
        yield tmp
        if tmp.is_dir():  # a folder (OME-Zarr) replaces an older one only once it is complete
            _replace_folder(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        raise


def _replace_folder(tmp: Path, path: Path) -> None:
    if not path.exists():
        os.replace(tmp, path)
        return
    if not path.is_dir():
        raise ValueError(f"{path} exists and is not a folder: remove it, or choose another output name.")
    old = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
    os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
