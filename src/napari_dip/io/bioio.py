"""Reading through bioio (the ``formats`` extra): OME-Zarr, CZI, ND2, LIF and what else bioio reads.

bioio gives every file as T, C, Z, Y, X (plus S for RGB samples); napari-dip keeps the axes longer
than 1 (Y and X always), the physical pixel sizes with their units, and the channel names. No
napari, no torch.
"""

from __future__ import annotations

from pathlib import Path

from . import formats as _f
from .selection import channel_letter, check_scene

#: The install line for everything beyond TIFF, PNG and JPEG.
INSTALL = 'pip install "napari-dip[formats]"'
_ORDER = "TCZYXS"


def missing(path: Path) -> ValueError:
    """The error for a file only bioio reads, when bioio is not installed."""
    return ValueError(f"{path.name}: napari-dip reads .tif/.tiff, .png and .jpg/.jpeg by itself; "
                      f"{path.suffix or 'this file'} needs bioio and its readers: {INSTALL} "
                      "(OME-Zarr, CZI, ND2, LIF; see docs/files.md), or convert the file to OME-TIFF.")


def open_image(path: Path, scene=None):
    """A ``bioio.BioImage`` of ``path`` with ``scene`` (an index or a name) selected."""
    try:  # optional extra, and heavy: imported only for files the native readers cannot open
        from bioio import BioImage
        from bioio_base.exceptions import UnsupportedFileFormatError
    except ImportError:
        raise missing(path) from None
    try:
        img = BioImage(path)
    except UnsupportedFileFormatError as err:
        raise ValueError(f"{path.name}: no installed bioio reader opens this file ({err}). {INSTALL} "
                         "installs the readers for OME-Zarr, OME-TIFF, CZI, ND2 and LIF.") from None
    if scene is not None:
        img.set_scene(check_scene(path, scene, len(img.scenes), list(img.scenes)))
    return img


def _axes(dims) -> str:
    sizes = dict(zip(dims.order, dims.shape, strict=False))
    return "".join(a for a in _ORDER if a in sizes and (sizes[a] > 1 or a in "YX"))


def describe(path: Path, scene=None) -> tuple[tuple[int, ...], str, tuple[str, ...]]:
    """``(shape, axes, channel names)`` without reading the pixels."""
    img = open_image(path, scene)
    axes = _axes(img.dims)
    sizes = dict(zip(img.dims.order, img.dims.shape, strict=False))
    return tuple(sizes[a] for a in axes), axes, _names(img)


def _names(img) -> tuple[str, ...]:
    names = tuple(str(n) for n in (img.channel_names or ()))
    generated = all(n.startswith("Channel:") for n in names)  # bioio's ids where the file has no names
    return () if generated else names


def _calibration(img, axes: str) -> tuple[list[float], list[str]]:
    """Pixel sizes and units of ``axes``: bioio's sizes, its units where the reader gives them, else
    µm for space and s for time (the OME defaults; bioio's readers report sizes in these)."""
    sizes = img.physical_pixel_sizes
    known = {"Z": sizes.Z, "Y": sizes.Y, "X": sizes.X, "T": img.time_interval}
    props = getattr(img, "dimension_properties", None)
    scale, units = [], []
    for a in axes:
        value = known.get(a)
        if a in "CS" or not value or value <= 0:
            scale.append(1.0)
            units.append(_f.default_unit(a))
            continue
        unit = getattr(
            getattr(props, a, None), "unit", None
        )  # bioio >= 3: pint units where the file has them
        scale.append(float(value))
        units.append(_f.unit_name(unit) if unit is not None else ("s" if a == "T" else "µm"))
    return scale, units


def read(path: Path, scene=None, pixels: bool = True) -> dict:
    """The fields of an :class:`napari_dip.io.ImageFile` read through bioio (first resolution level);
    without ``pixels``, ``data`` is a placeholder of the image's shape and dtype (:func:`_f.placeholder`)."""
    img = open_image(path, scene)
    axes = _axes(img.dims)
    if pixels:
        data = img.get_image_data(axes)
    else:
        sizes = dict(zip(img.dims.order, img.dims.shape, strict=False))
        data = _f.placeholder(tuple(sizes[a] for a in axes), img.dtype)
    scale, units = _calibration(img, axes)
    meta = {"bioio": {"reader": type(img.reader).__module__.split(".")[0], "scene": img.current_scene,
                      "scenes": list(img.scenes)}}
    settings = zarr_settings(path) if path.suffix.lower() == ".zarr" else None
    if settings is not None:
        meta["napari_dip"] = settings
    fmt = "ome-zarr" if path.suffix.lower() == ".zarr" else meta["bioio"]["reader"]
    letter = channel_letter(axes)
    return {
        "data": data,
        "axes": axes,
        "channel_axis": None if letter is None else axes.index(letter) - len(axes),
        "scale": scale,
        "units": units,
        "format": fmt,
        "metadata": meta,
        "channel_names": _names(img),
    }


def zarr_settings(path: Path):
    """The napari-dip settings in an OME-Zarr's root attributes, or None."""
    try:  # optional extra (zarr comes with ome-zarr / bioio-ome-zarr)
        import zarr
    except ImportError:
        return None
    try:
        attrs = zarr.open_group(str(path), mode="r").attrs.asdict()
    except Exception:  # noqa: BLE001 - not a zarr group: no settings
        return None
    return attrs.get("napari_dip")
