"""The Compare button: the task's other methods beside the DIP result(s), each with its residual, in grid view
(layers are added on the main thread; the methods and residuals run on a worker)."""

from __future__ import annotations

import time

import numpy as np
from napari.utils.notifications import show_error, show_info

from napari_dip.baselines import classical_methods, unavailable_methods
from napari_dip.core import tasks
from napari_dip.core.metrics import psnr, ssim
from napari_dip.core.residual import residual, residual_stats

from ._grid import show_grid
from ._layers import META_KEY, output_kwargs
from ._metrics_table import CompareTable
from ._worker import start_call

__all__ = ["CompareTable", "compare_methods", "run_classical"]

#: The options of a run that the comparison shares: the task's inputs (the optics' too) and the photon-count
#: model.
SHARED = ("factor", "psf", "psf_sigma", "na", "wavelength", "ni", "ns", "microscope", "pixel_size", "noise",
          "gain", "offset", "read_noise")


def run_classical(widget, kwargs: dict) -> None:
    """Run every available method of the task on a worker; add each result and residual as a layer, show the
    grid (each tile named), and fill the dock's table with each method's numbers."""
    src = widget.image.value
    task, factor = kwargs["task"], kwargs.get("factor") or 1
    options = {k: kwargs[k] for k in SHARED if kwargs.get(k) is not None}
    dip = dip_results(widget.viewer, src, kwargs)
    seconds = {name: ly.metadata.get(META_KEY, {}).get("config", {}).get("seconds")
               for name, ly in dip_layers(widget.viewer, src, kwargs).items()}
    offset = kwargs["region"].offset if kwargs.get("region") is not None else None  # a region: its origin
    missing = unavailable_methods(task)
    widget.status.value = "running the other methods…"

    def added(out):
        results, residuals, rows = out
        layers = [widget.viewer.add_image(image, **output_kwargs(
            src, f"{src.name} [{method}]", scale_factor=factor, metadata={"method": method, "task": task},
            ndim=image.ndim - (1 if src.rgb else 0), offset=offset)) for method, image in results.items()]
        shown = [add_residual(widget.viewer, src, name, r, task, offset) for name, r in residuals.items()]
        show_compare_grid(widget.viewer, src, layers, widget.reference.value, residuals=shown)
        for name, s in seconds.items():
            if s is not None and name in rows:
                rows[name]["s"] = s
        widget.table.show_rows(rows)
        widget.status.value = f"compare: {', '.join(results)} beside DIP, with residuals and their numbers"
        if missing:
            show_info("napari-dip: not installed, so not compared: "
                      + "; ".join(f"{m} ({cmd})" for m, cmd in missing.items()))

    widget._classical = start_call(compare_methods, kwargs["image"], task, dip, mask=kwargs.get("mask"),
                                   channel_axis=kwargs["channel_axis"], reference=kwargs.get("reference"),
                                   **options, on_result=added,
                                   on_error=lambda e: show_error(f"napari-dip: {e}"))


def compare_methods(image: np.ndarray, task: str, restored: dict[str, np.ndarray], *, mask=None,
                    channel_axis=None, reference=None, **options):
    """(worker) Every available method of ``task``, each timed; the residual of each result and of
    ``restored``; a row of numbers per method: PSNR/SSIM against ``reference`` when given, the residual's
    mean, spread and lag-1 correlation, the seconds. Returns ``(results, residuals, rows)``."""
    results, rows = {}, {}
    for method in tasks.get(task).baselines:
        if method in unavailable_methods(task):
            continue
        t0 = time.perf_counter()
        results.update(classical_methods(image, task, mask=mask, channel_axis=channel_axis, methods=(method,),
                                         **options))
        rows[method] = {"s": round(time.perf_counter() - t0, 2)}
    inputs = {k: v for k, v in options.items() if k in tasks.get(task).form.inputs}
    residuals = {}
    for name, out in {**restored, **results}.items():
        residuals[name] = residual(image, out, task, mask=mask, channel_axis=channel_axis, **inputs)
        row: dict[str, float] = {}
        if reference is not None and np.shape(reference) == np.shape(out):
            row.update(PSNR=psnr(reference, out), SSIM=ssim(reference, out, channel_axis=channel_axis))
        row.update(residual_stats(residuals[name]))
        rows[name] = {**row, **rows.get(name, {})}
    return results, residuals, rows


def dip_results(viewer, src, kwargs: dict) -> dict:
    """The DIP result layers of ``src`` whose data match the compared image (the same plane of a stack, the
    same
    region)."""
    image, index = kwargs["image"], kwargs.get("index") or ()
    factor = kwargs.get("factor") or 1
    expected = tuple(
        s * factor if i in _spatial(image.ndim, kwargs["channel_axis"]) else s
        for i, s in enumerate(image.shape)
    )
    out = {}
    for name, ly in dip_layers(viewer, src, kwargs).items():
        data = np.asarray(ly.data)
        if index and data.ndim > image.ndim:
            data = data[index]
        if data.shape == expected:
            out[name] = data
    return out


def dip_layers(viewer, src, kwargs: dict) -> dict:
    """The DIP result layers of ``src`` for the same region, named by what they add to the source's name
    ("DIP denoise")."""
    region = kwargs.get("region")
    out = {}
    for ly in viewer.layers:
        meta = ly.metadata.get(META_KEY, {})
        if meta.get("source") != src.name or "method" in meta:
            continue
        if (meta.get("region") or {}).get("offset") != (None if region is None else list(region.offset)):
            continue
        out[ly.name.removeprefix(src.name).strip(" []") or ly.name] = ly
    return out


def _spatial(ndim: int, channel_axis) -> tuple[int, ...]:
    axes = [i for i in range(ndim) if channel_axis is None or i != channel_axis % ndim]
    return tuple(axes[-2:])


def add_residual(viewer, src, name: str, r: np.ndarray, task: str, offset: tuple[int, int] | None = None):
    """A residual layer at the input's geometry, diverging colormap centred on 0 (grey channels summed for
    RGB)."""
    grey = r.sum(axis=-1) if src.rgb else r
    limit = float(np.percentile(np.abs(grey), 99.5)) or 1.0
    kw = output_kwargs(
        src,
        f"{src.name} [residual: {name}]",
        metadata={"residual_of": name, "task": task},
        ndim=grey.ndim,
        offset=offset,
    )
    kw.update(rgb=False, colormap="PiYG", contrast_limits=(-limit, limit))
    return viewer.add_image(grey, **kw)


def label_tiles(layers: list) -> None:
    """Write each layer's name (its method: "[BM3D]", "[residual: BM3D]") on its own grid tile (napari's
    layer-name overlay, drawn in the canvas, so that it shows in screenshots)."""
    for ly in layers:
        overlay = getattr(ly, "name_overlay", None)  # napari >= 0.6
        if overlay is not None:
            overlay.visible = True
            overlay.box = True
            overlay.font_size = 9


def show_compare_grid(viewer, src, classical_layers: list, reference=None,
                      residuals: list | None = None) -> None:
    """Grid view of the input, its DIP result(s), the other methods, the reference and the residuals, in that
    order."""
    keep = [src]
    keep += [
        ly
        for ly in viewer.layers
        if ly.metadata.get(META_KEY, {}).get("source") == src.name and ly.ndim == src.ndim
    ]
    keep += classical_layers
    if reference is not None:
        keep.append(reference)
    keep += residuals or []
    limits = {ly.name: ly.contrast_limits for ly in residuals or []}
    show_grid(viewer, keep, src.contrast_limits)
    for ly in residuals or []:  # residuals keep their own, symmetric contrast
        ly.contrast_limits = limits[ly.name]
    label_tiles(keep)
    order = ", ".join(ly.name for ly in keep)
    show_info(
        f"napari-dip: grid view, left to right and top to bottom: {order} (View > Toggle grid mode to leave)."
    )
