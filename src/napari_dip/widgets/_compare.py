"""The Compare button: classical results beside the DIP result(s), laid out in grid view (main thread)."""

from __future__ import annotations

from napari.utils.notifications import show_error, show_info

from ._grid import show_grid as show_layers_in_grid
from ._layers import META_KEY, output_kwargs
from ._worker import start_call


def run_classical(widget, kwargs: dict) -> None:
    """Run every classical method of the task on a worker; add each result as a layer and show the grid."""
    from napari_dip.baselines import classical_methods

    src = widget.image.value
    task, factor = kwargs["task"], kwargs.get("factor") or 1
    inputs = {k: kwargs[k] for k in ("factor", "psf", "psf_sigma") if kwargs.get(k) is not None}
    widget.status.value = "running the classical methods…"

    def added(results: dict):
        layers = []
        for method, image in results.items():
            layers.append(widget.viewer.add_image(image, **output_kwargs(
                src, f"{src.name} [{method}]", scale_factor=factor, metadata={"method": method, "task": task},
                ndim=image.ndim - (1 if src.rgb else 0))))
        show_grid(widget.viewer, src, layers, widget.reference.value)
        widget.status.value = f"compare: {', '.join(results)} beside DIP"

    widget._classical = start_call(classical_methods, kwargs["image"], task, mask=kwargs.get("mask"),
                                   channel_axis=kwargs["channel_axis"], **inputs,
                                   on_result=added, on_error=lambda e: show_error(f"napari-dip: {e}"))


def show_grid(viewer, src, classical_layers: list, reference=None) -> None:
    """Grid view of the input, its DIP result(s), the classical results and the reference, in that order."""
    keep = [src]
    keep += [ly for ly in viewer.layers
             if ly.metadata.get(META_KEY, {}).get("source") == src.name and ly.ndim == src.ndim]
    keep += classical_layers
    if reference is not None:
        keep.append(reference)
    show_layers_in_grid(viewer, keep, src.contrast_limits)
    order = ", ".join(ly.name for ly in keep)
    show_info(f"napari-dip: grid view, left to right and top to bottom: {order} "
              "(View > Toggle grid mode to leave).")
