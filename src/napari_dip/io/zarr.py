"""Writing OME-Zarr (the ``formats`` extra): a chunked multiscale pyramid through ome-zarr's writer.

NGFF orders axes t, c, z, y, x: the data are transposed into that order (RGB samples ``S`` become
the channel axis). Pixel sizes and units go in the axes and the scale of each level, channel names
in ``omero``, the napari-dip settings in the root attributes (key ``napari_dip``). No napari, no torch.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np

from .bioio import INSTALL
from .formats import is_lazy

NGFF_ORDER = "TCZYX"
#: napari-dip's unit names -> the UDUNITS names NGFF asks for.
NGFF_UNITS = {"µm": "micrometer", "nm": "nanometer", "mm": "millimeter", "cm": "centimeter", "m": "meter",
              "Å": "angstrom", "s": "second", "ms": "millisecond", "µs": "microsecond", "min": "minute",
              "h": "hour"}
#: Levels of the pyramid stop before Y or X drops below this many pixels (at most 4 more levels).
MIN_LEVEL = 32
CHUNK = {"T": 1, "C": 1, "Z": 32, "Y": 256, "X": 256}


def ngff_axes(axes: str, names: tuple[str, ...]) -> str:
    """The axes as written, before reordering: ``S`` as ``C``, a single named channel with a ``C`` of 1."""
    if "S" in axes:
        if "C" in axes:
            raise ValueError(f"OME-Zarr has one channel axis; axes {axes!r} have both C and S: "
                             "write one channel (e.g. data[..., 0]) or save as OME-TIFF.")
        axes = axes.replace("S", "C")
    stray = sorted(set(axes) - set(NGFF_ORDER))
    if stray:
        raise ValueError(
            f"OME-Zarr stores the axes T, C, Z, Y, X; axes {axes!r} also have {', '.join(stray)}: "
            "save as OME-TIFF, or reshape the data first."
        )
    return axes if "C" in axes or len(names) != 1 else "C" + axes


def ngff_layout(data: np.ndarray, axes: str, names: tuple[str, ...]) -> tuple[np.ndarray, str]:
    """The data moved into NGFF's t, c, z, y, x order."""
    axes = ngff_axes(axes, names)
    data = data[np.newaxis] if len(axes) > data.ndim else data
    order = [axes.index(a) for a in NGFF_ORDER if a in axes]
    return np.transpose(data, order), "".join(axes[i] for i in order)


def scale_factors(shape_yx: tuple[int, int]) -> tuple[int, ...]:
    """2, 4, 8, 16 while the smallest level keeps at least ``MIN_LEVEL`` pixels in Y and X."""
    return tuple(f for f in (2, 4, 8, 16) if min(shape_yx) // f >= MIN_LEVEL)


def _omero(data: np.ndarray, names: tuple[str, ...], n_channels: int) -> dict:
    labels = list(names) if len(names) == n_channels else [f"channel {i}" for i in range(n_channels)]
    lo, hi = (float(np.nanmin(data)), float(np.nanmax(data))) if data.size else (0.0, 1.0)
    window = {"start": lo, "end": hi, "min": lo, "max": hi}
    return {"channels": [{"label": label, "color": "FFFFFF", "window": window, "active": True}
                         for label in labels]}


def _one_block_at_a_time(lazy: bool):
    """For a dask array: compute its chunks in this thread, one after another (bounded memory, and no
    nested use of a distributed cluster from inside one of its tasks)."""
    if not lazy:
        return contextlib.nullcontext()
    import dask  # dask arrays come with distributed (napari-dip batch); plain arrays never need it

    return dask.config.set(scheduler="synchronous")


def write_zarr(tmp: Path, data, axes, sizes, units, payload, names=()) -> None:
    """Write ``data`` (an array, or a dask array computed chunk by chunk) as an OME-Zarr image group at
    ``tmp`` (a folder)."""
    try:  # optional extra, and heavy: only OME-Zarr outputs need it
        import zarr
        from ome_zarr.writer import write_image as ngff_write
    except ImportError:
        raise ValueError(f"writing OME-Zarr needs ome-zarr >= 0.18 (Python >= 3.11): {INSTALL}.") from None
    lazy = is_lazy(data)
    moved, order = ngff_layout(data if lazy else np.asarray(data), axes, tuple(names))
    if "S" in axes:
        sizes, units = {**sizes, "C": 1.0}, {**units, "C": ""}
    scale = {a.lower(): float(sizes.get(a, 1.0)) if a != "C" else 1.0 for a in order}
    axis_units = {a.lower(): NGFF_UNITS[units[a]] for a in order if units.get(a) in NGFF_UNITS}
    chunks = tuple(min(n, CHUNK[a]) for a, n in zip(order, moved.shape, strict=False))
    with _one_block_at_a_time(lazy):
        extra = {"omero": _omero(moved, tuple(names), moved.shape[order.index("C")])} if "C" in order else {}
    if axis_units:
        extra["axes_units"] = axis_units
    root = zarr.open_group(str(tmp), mode="w")
    with _one_block_at_a_time(lazy):
        ngff_write(moved, root, axes=order.lower(), scale=scale,
                   scale_factors=scale_factors(moved.shape[-2:]), storage_options={"chunks": chunks}, **extra)
    if payload is not None:
        root.attrs["napari_dip"] = json.loads(payload)
