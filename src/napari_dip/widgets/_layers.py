"""Turning layers into restore() arguments and results back into layers (main thread only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from napari_dip.io.geometry import super_resolved

from ._region import Region, RegionError, region_of

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


def plane_of(
    layer, viewer, level: int = 0, region: Region | None = None
) -> tuple[np.ndarray, tuple[int, ...]]:
    """The 2D (plus RGB) plane of ``layer`` shown in ``viewer`` now (at pyramid ``level``), and its leading
    index.

    With a ``region`` only its pixels are read (one indexing of the level's array: a lazy, chunked
    level reads just the chunks the region touches).
    """
    data = level_data(layer, level)
    n_lead = data.ndim - (3 if layer.rgb else 2)
    spatial = () if region is None else region.slices
    if n_lead <= 0:
        return (data if region is None else np.asarray(data[spatial])), ()
    step = viewer.dims.current_step
    offset = viewer.dims.ndim - layer.ndim
    index = tuple(int(np.clip(step[offset + i], 0, data.shape[i] - 1)) for i in range(n_lead))
    return np.asarray(data[index + spatial]), index


def spatial_shape(layer, level: int = 0) -> tuple[int, int]:
    """The (Y, X) shape of ``layer`` at pyramid ``level``."""
    shape = level_data(layer, level).shape
    return tuple(shape[-3:-1] if layer.rgb else shape[-2:])


def crop(
    data,
    region: Region | None,
    *,
    rgb: bool = False,
    full: tuple[int, int] | None = None,
    what: str = "layer",
):
    """``data`` restricted to ``region`` in its last two spatial axes (all leading axes kept).

    ``full``: the (Y, X) shape ``data`` must have for the region to mean the same pixels (the
    image's at full resolution); a ValueError names ``what`` otherwise.
    """
    if region is None:
        return data
    shape = tuple(data.shape[-3:-1] if rgb else data.shape[-2:])
    if full is not None and shape != tuple(full):
        raise ValueError(
            f"region: the {what} is {'x'.join(map(str, shape))} px, not the image's "
            f"{'x'.join(map(str, full))} px at full resolution, so it cannot be cropped the same way."
        )
    lead = data.ndim - (3 if rgb else 2)
    return data[(slice(None),) * lead + region.slices]


#: The region choice that means "what the canvas shows now".
VIEW = "current view"


def layer_region(layer, choice, viewer) -> Region | None:
    """The full-resolution pixels of ``layer`` under the chosen region: None (the whole image), ``VIEW``
    (the canvas's extent) or a Shapes layer (its selected rectangle, else its first). Raises RegionError."""
    if choice is None:
        return None
    n = layer.ndim
    if not (
        np.allclose(layer.rotate, np.eye(n))
        and np.allclose(layer.shear, 0)
        and np.allclose(layer.affine.affine_matrix, np.eye(n + 1))
    ):
        raise RegionError(
            f"region: {layer.name!r} is rotated, sheared or has an affine transform; a region "
            "needs an image whose axes are the world's (only scale and translate)."
        )
    corners = view_rectangle(viewer) if choice == VIEW else shapes_rectangle(choice)
    return region_of(
        corners,
        scale=tuple(layer.scale)[-2:],
        translate=tuple(layer.translate)[-2:],
        shape=spatial_shape(layer, 0),
    )


def shapes_rectangle(shapes) -> np.ndarray:
    """World (Y, X) vertices of the selected shape of a Shapes layer, else of its first rectangle."""
    types = list(shapes.shape_type)
    if not types:
        raise RegionError(
            f"region: the Shapes layer {shapes.name!r} has no shapes; draw a rectangle on it "
            "(rectangle tool)."
        )
    selected = sorted(shapes.selected_data)
    rectangles = [i for i, t in enumerate(types) if t == "rectangle"]
    if selected and types[selected[0]] != "rectangle":
        raise RegionError(
            f"region: the selected shape of {shapes.name!r} is a {types[selected[0]]}, not a "
            "rectangle; select a rectangle, or draw one (rectangle tool)."
        )
    if not selected and not rectangles:
        raise RegionError(
            f"region: the Shapes layer {shapes.name!r} holds no rectangle (only "
            f"{', '.join(sorted(set(types)))}); draw one (rectangle tool)."
        )
    i = selected[0] if selected else rectangles[0]
    world = np.array([shapes.data_to_world(v) for v in np.asarray(shapes.data[i], dtype=float)])
    return world[:, -2:]


def view_rectangle(viewer) -> np.ndarray:
    """World (Y, X) corners of what the 2D canvas shows now."""
    dims = viewer.dims
    if dims.ndisplay != 2:
        raise RegionError("region: 'current view' needs the 2D view (the 2D/3D button).")
    if tuple(dims.displayed) != (dims.ndim - 2, dims.ndim - 1):
        raise RegionError(
            "region: 'current view' needs the image's last two axes on screen, in order "
            "(napari's transpose or roll changed them)."
        )
    scene = getattr(viewer, "scene", None)  # napari >= 0.9; viewer.camera before
    camera = scene.camera if scene is not None else viewer.camera
    canvas = getattr(viewer, "canvas", None)
    size = canvas.viewbox_size(viewer.layers) if hasattr(canvas, "viewbox_size") else viewer._canvas_size
    centre = np.asarray(camera.center, dtype=float)[-2:]
    half = np.asarray(size, dtype=float) / camera.zoom / 2
    return np.stack([centre - half, centre + half])


def output_kwargs(
    src,
    name: str,
    *,
    scale_factor: int = 1,
    metadata: dict | None = None,
    ndim: int | None = None,
    level: int = 0,
    offset: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Layer kwargs that keep the source's geometry, units, colormap and contrast.

    For super-resolution (``scale_factor`` > 1) the pixel size is divided by
    the factor and the origin shifted so that pixel centres stay aligned.
    ``ndim``: the output's number of (non-RGB) axes when it has fewer than the
    source (one plane of a stack): the geometry of the last ``ndim`` axes is kept.
    ``offset``: a region's first (Y, X) pixel at full resolution: the origin moves there.
    """
    n = src.ndim if ndim is None else ndim
    # a coarser pyramid level: bigger pixels
    factors = np.asarray(level_factors(src, level), dtype=float)[-n:]
    scale = np.asarray(src.scale, dtype=float)[-n:] * factors
    translate = np.asarray(src.translate, dtype=float)[-n:] + (factors - 1) / 2 * np.asarray(src.scale)[-n:]
    if offset is not None:
        translate[-2:] += np.asarray(offset, dtype=float) * np.asarray(src.scale, dtype=float)[-2:]
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


def snapshots_stack(src, name: str, shots: list, *, factor: int = 1, offset=None) -> tuple[np.ndarray, dict]:
    """``(stack, layer kwargs)`` of a run's kept previews ``[(iteration, image), ...]``: an iteration axis
    in front of the output's geometry."""
    stack = np.stack([p for _, p in shots])
    kw = output_kwargs(src, name, scale_factor=factor, metadata={"iterations": [i for i, _ in shots]},
                       offset=offset, ndim=stack.ndim - 1 - (1 if src.rgb else 0))
    kw["scale"], kw["translate"] = (1.0, *kw["scale"]), (0.0, *kw["translate"])
    kw.pop("units", None)
    labels = kw.get("axis_labels") or tuple(f"axis {i}" for i in range(len(kw["scale"]) - 1))
    kw["axis_labels"] = ("iteration", *labels)
    return stack, kw
