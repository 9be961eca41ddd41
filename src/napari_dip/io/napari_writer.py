"""napari writer contribution: save an Image layer as TIFF with its pixel size and settings.

Registered in ``napari.yaml`` as ``napari-dip.write_tiff`` (*File > Save Selected Layer...*,
choose "napari-dip"; or ``viewer.layers.save("out.tif", plugin="napari-dip")``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .image import write_image
from .sidecar import sidecar_path

_DEFAULT_AXES = {2: "YX", 3: "ZYX", 4: "TZYX", 5: "TZCYX"}


def _layer_axes(labels: Any, ndim: int) -> str:
    """Axis letters from napari's axis labels when they are letters ('z', 'y', 'x'), else by ndim."""
    letters = "".join(str(label).upper() for label in (labels or ()))
    if len(letters) == ndim and len(set(letters)) == ndim and set(letters) <= set("TZCQYX") \
            and letters.endswith("YX"):
        return letters
    if ndim not in _DEFAULT_AXES:
        raise ValueError(f"cannot save a {ndim}D image layer as TIFF: napari-dip saves 2D to 5D "
                         "layers (axes YX, ZYX, TZYX, TZCYX).")
    return _DEFAULT_AXES[ndim]


def write_tiff(path: str, data: Any, attributes: dict) -> list[str]:
    """Save one Image layer as TIFF (npe2 single-layer writer).

    Parameters
    ----------
    path : str
        Output ``.tif``/``.tiff`` path (``.ome.tif`` for OME-TIFF).
    data : array-like or list of array-like
        The layer data; for a multiscale layer the finest level is saved.
    attributes : dict
        The layer's state: ``scale``, ``units``, ``axis_labels``, ``rgb`` and ``metadata``,
        whose ``"napari_dip"`` entry (the run's settings) is embedded and written to the
        JSON sidecar.

    Returns
    -------
    list of str
        The written files: the TIFF and its JSON sidecar.
    """
    if isinstance(data, (list, tuple)):  # multiscale: the finest level
        data = data[0]
    data = np.asarray(data)
    rgb = bool(attributes.get("rgb", False))
    n = data.ndim - rgb
    axes = _layer_axes(attributes.get("axis_labels"), n) + "S" * rgb
    scale = attributes.get("scale")
    scale = [1.0] * n if scale is None else [float(s) for s in scale]
    units = [str(u) for u in (attributes.get("units") or ["pixel"] * n)]
    settings = (attributes.get("metadata") or {}).get("napari_dip")
    out = write_image(path, data, axes=axes, scale=scale + [1.0] * rgb, units=units + [""] * rgb,
                      settings=settings)
    return [str(out), str(sidecar_path(out))]
