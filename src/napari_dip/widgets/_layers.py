"""Turning layers into restore() arguments and results back into layers (main thread only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from napari_dip._outputs import super_resolved

#: Metadata key under which an output layer carries its run's parameters.
META_KEY = "napari_dip"


def level_data(layer, level: int = 0):
    """The array of pyramid ``level`` of a multiscale layer (the data itself otherwise), not copied."""
    if getattr(layer, "multiscale", False):
        return layer.data[level]
    return layer.data


def level_factors(layer, level: int) -> tuple[float, ...]:
    """Per axis, how many full-resolution pixels one pixel of ``level`` spans (1 for plain layers)."""
    if not getattr(layer, "multiscale", False) or level == 0:
        return (1.0,) * layer.ndim
    full, this = layer.data[0].shape, layer.data[level].shape
    return tuple(f / t for f, t in zip(full[: layer.ndim], this[: layer.ndim], strict=False))


def plane_of(layer, viewer, level: int = 0) -> tuple[np.ndarray, tuple[int, ...]]:
    """The 2D (plus RGB) plane of ``layer`` shown in ``viewer`` now (at pyramid ``level``), and its leading
    index."""
    data = level_data(layer, level)
    n_lead = data.ndim - (3 if layer.rgb else 2)
    if n_lead <= 0:
        return data, ()
    step = viewer.dims.current_step
    offset = viewer.dims.ndim - layer.ndim
    index = tuple(int(np.clip(step[offset + i], 0, data.shape[i] - 1)) for i in range(n_lead))
    return np.asarray(data[index]), index


def output_kwargs(src, name: str, *, scale_factor: int = 1, metadata: dict | None = None,
                  ndim: int | None = None, level: int = 0) -> dict[str, Any]:
    """Layer kwargs that keep the source's geometry, units, colormap and contrast.

    For super-resolution (``scale_factor`` > 1) the pixel size is divided by
    the factor and the origin shifted so that pixel centres stay aligned.
    ``ndim``: the output's number of (non-RGB) axes when it has fewer than the
    source (one plane of a stack): the geometry of the last ``ndim`` axes is kept.
    """
    n = src.ndim if ndim is None else ndim
    # a coarser pyramid level: bigger pixels
    factors = np.asarray(level_factors(src, level), dtype=float)[-n:]
    scale = np.asarray(src.scale, dtype=float)[-n:] * factors
    translate = np.asarray(src.translate, dtype=float)[-n:] + (factors - 1) / 2 * np.asarray(src.scale)[-n:]
    # super-resolution: the one geometry rule of napari-dip's outputs, files included (the last two axes)
    _, scale, translate = super_resolved((1,) * n, scale, translate, scale_factor, (n - 2, n - 1))
    kwargs: dict[str, Any] = {
        "name": name,
        "scale": tuple(scale),
        "translate": tuple(translate),
        "contrast_limits": tuple(src.contrast_limits),
        "metadata": {META_KEY: metadata or {}},
        "rgb": bool(getattr(src, "rgb", False)),
    }
    if not kwargs["rgb"]:
        kwargs["colormap"] = src.colormap
    for attr in ("units", "axis_labels"):
        if hasattr(src, attr):
            kwargs[attr] = tuple(getattr(src, attr))[-n:]
    return kwargs


def mask_plane(mask_layer, index: tuple[int, ...], spatial_shape: tuple[int, ...]) -> np.ndarray:
    """The mask for a 2D plane: a 2D Labels layer applies to every plane; an nD one is indexed."""
    data = np.asarray(mask_layer.data)
    if data.ndim > len(spatial_shape) and index:
        lead = data.ndim - len(spatial_shape)
        data = data[index[-lead:]] if lead <= len(index) else data
    return data
