"""Image files in and out, keeping axes, pixel sizes, units and the napari-dip settings.

Reads TIFF (ImageJ hyperstacks, OME-TIFF, plain), PNG and JPEG itself (tifffile, imageio), and
OME-Zarr, CZI, ND2, LIF through bioio when the ``formats`` extra is installed; writes TIFF, OME-TIFF,
PNG, JPEG and (``formats``) OME-Zarr. No napari, no torch.

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

from .image import ImageFile, describe, read_header, read_image, read_settings, write_image
from .sidecar import sidecar_path

__all__ = ["ImageFile", "read_image", "read_header", "describe", "write_image", "read_settings",
           "sidecar_path"]
