"""napari's grid view with a chosen set of layers, in order (main thread)."""

from __future__ import annotations


def show_grid(viewer, layers, contrast_limits=None) -> None:
    """Show only ``layers``, in order, in napari's grid view, with one shared contrast (not for RGB)."""
    for ly in viewer.layers:
        ly.visible = ly in layers
        if ly in layers and contrast_limits is not None and hasattr(ly, "contrast_limits") \
                and not getattr(ly, "rgb", False):
            ly.contrast_limits = contrast_limits
    # napari's grid fills cells from the bottom layer up: put the layers on top, in order
    for ly in layers:
        viewer.layers.move(viewer.layers.index(ly), len(viewer.layers))
    grid = grid_of(viewer)
    grid.enabled = True
    grid.stride = 1
    viewer.reset_view()


def grid_of(viewer):
    """The viewer's grid settings (``viewer.canvas.grid`` since napari 0.9, ``viewer.grid`` before)."""
    canvas = getattr(viewer, "canvas", None)
    return canvas.grid if canvas is not None and hasattr(canvas, "grid") else viewer.grid
