"""The geometry of an output: a super-resolved result's pixel size and origin (the napari layer's and the
written file's alike), and a file's pixel size in µm from its metadata. No napari, no torch.
"""

from __future__ import annotations


def super_resolved(shape, scale, translate, factor: int, spatial) -> tuple[tuple, tuple, tuple]:
    """THE geometry of a result ``factor`` times finer along the axes ``spatial`` (indices): ``(shape, scale,
    translate)``, for the napari layer (:func:`napari_dip.widgets._layers.output_kwargs`) and the written
    file (:func:`output_geometry`) alike.

    Each pixel size is divided by ``factor`` and the origin moved from the centre of the first input pixel
    to the centre of the first output pixel inside it (back by half an input pixel, on by half an output
    pixel): napari draws pixel ``i`` centred at ``translate + i * scale``, so the finer pixels cover exactly
    the input's. ``factor`` 1 returns the geometry unchanged.
    """
    shape, scale, translate = list(shape), [float(s) for s in scale], [float(t) for t in translate]
    if factor > 1:
        for i in spatial:
            new = scale[i] / factor
            shape[i] = shape[i] * factor
            translate[i] = translate[i] - scale[i] / 2 + new / 2
            scale[i] = new
    return tuple(shape), tuple(scale), tuple(translate)


def output_geometry(img, result_shape: tuple, factor: int) -> tuple[tuple, tuple, tuple]:
    """``(scale, units, translate)`` of the output file of ``img`` (:func:`super_resolved` along Y and X)."""
    spatial = [i for i, axis in enumerate(img.axes) if axis in "YX"]
    translate = tuple(img.translate) or (0.0,) * len(img.axes)
    _, scale, translate = super_resolved(img.data.shape, img.scale, translate, factor, spatial)
    return scale, tuple(img.units), translate


#: Length units of the files' metadata (as ``io`` names them) in µm.
MICRONS = {"µm": 1.0, "nm": 1e-3, "Å": 1e-4, "pm": 1e-6, "mm": 1e3, "cm": 1e4, "m": 1e6}


def file_pixel_size(img, mode: str | None = None) -> tuple[float, ...] | None:
    """The pixel size of ``img`` (an ``io.ImageFile``) in µm from its metadata: ``(Y, X)``, or ``(Z, Y, X)``
    for ``mode="volume"`` when its Z step is known; None when Y or X has no length unit."""
    axes = "ZYX" if mode == "volume" and "Z" in img.axes else "YX"
    sizes = []
    for axis in axes:
        i = img.axes.index(axis)
        factor = MICRONS.get(img.units[i])
        if factor is None:
            if axis == "Z":
                continue
            return None
        sizes.append(round(img.scale[i] * factor, 9))
    return tuple(sizes)


def with_pixel_size(img, inputs: dict, mode: str | None = None) -> dict:
    """``inputs`` with ``pixel_size`` from the file's metadata where the optics PSF needs one and none is
    given (``napari-dip restore`` and batch runs); a ``ValueError`` when the file has none."""
    optics = inputs.get("na") is not None or inputs.get("wavelength") is not None
    if inputs.get("pixel_size") is not None or not optics:
        return inputs
    size = file_pixel_size(img, mode)
    if size is None:
        raise ValueError("the optics PSF needs the pixel size, and the file's metadata has none (in a "
                         "length unit): pass --pixel-size in µm (pixel_size= in Python).")
    return {**inputs, "pixel_size": size}
