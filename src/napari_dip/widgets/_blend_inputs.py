"""The Blend dock's form and layers read into ``iter_blend`` arguments (main thread only), each bad
input a ``ValueError`` that says how to fix it."""

from __future__ import annotations

from typing import Any

import numpy as np

from napari_dip.core.blending.compare import CLASSICAL
from napari_dip.core.data import colour_channels
from napari_dip.core.mask import mask_plane, missing_pixels

from ._layers import plane_of


def read_call(widget) -> dict[str, Any]:
    """Read and check the layers and the form (main thread); raise ValueError with a fix."""
    fg_layer, bg_layer, mask_layer = widget.foreground.value, widget.background.value, widget.mask.value
    if fg_layer is None or bg_layer is None:
        raise ValueError("choose a foreground and a background Image layer (File > Open, or "
                         "File > Open Sample > napari-dip > Foreground, background, mask).")
    if mask_layer is None:
        raise ValueError("choose a mask: add a Labels layer (File > New Layer > Labels) and paint where "
                         "the foreground goes.")
    if fg_layer is bg_layer:
        raise ValueError("foreground and background are the same layer; choose two different images.")
    if bool(fg_layer.rgb) != bool(bg_layer.rgb):
        raise ValueError(
            f"{fg_layer.name!r} is {'RGB' if fg_layer.rgb else 'grey'} but {bg_layer.name!r} "
            f"is {'RGB' if bg_layer.rgb else 'grey'}; convert one so both have the same channels."
        )
    fg, _ = plane_of(fg_layer, widget.viewer)
    bg, index = plane_of(bg_layer, widget.viewer)
    if fg.shape != bg.shape:
        raise ValueError(f"foreground {fg_layer.name!r} has shape {fg.shape} but background "
                         f"{bg_layer.name!r} has shape {bg.shape}; they must match (resize or crop one).")
    for name, x in (("foreground", fg), ("background", bg)):
        if x.dtype.kind not in "uif":
            raise ValueError(f"{name} has dtype {x.dtype}; napari-dip blends integer or float images.")
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise ValueError(f"{name} has NaN or infinite values; replace them first.")
    spatial = bg.shape[:2]
    inside = missing_pixels(mask_plane(np.asarray(mask_layer.data), index, 2))  # the foreground's place
    if inside.shape != spatial:
        raise ValueError(f"mask {mask_layer.name!r} has shape {inside.shape} but the images are "
                         f"{spatial[0]}x{spatial[1]}; paint the mask on a Labels layer of that shape.")
    if not inside.any():
        raise ValueError(f"mask {mask_layer.name!r} is empty: paint where the foreground goes first.")
    if inside.all():
        raise ValueError(
            f"mask {mask_layer.name!r} covers every pixel: leave some background to blend into."
        )
    n_colour = colour_channels(bg.shape, -1) if bg_layer.rgb else None
    options: dict[str, Any] = dict(
        channel_axis=-1 if bg_layer.rgb else None, iterations=int(widget.iterations.value),
        seed=int(widget.seed.value), device=widget.device.value,
        preview_every=int(widget.preview_every.value), lr=float(widget.lr.value))
    if widget.net_width.value != "auto":
        options["width"] = int(widget.net_width.value)
    methods = [key for key in CLASSICAL if getattr(widget, key).value]
    return dict(foreground=np.array(fg, copy=True), background=np.array(bg, copy=True),
                mask=inside, index=index, n_colour=n_colour, methods=methods,
                options=options, layers=(fg_layer, bg_layer, mask_layer))
