"""Output file names: ``INPUT_dip_TASK`` with the input's format where napari-dip writes it (``napari-dip
restore`` and batch runs). No napari, no torch.
"""

from __future__ import annotations

from pathlib import Path

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
