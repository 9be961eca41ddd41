"""Render the dock-widget screenshots of README.md and docs/ after short real runs on the bundled samples.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/scripts/screenshots.py [ITERATIONS]

One real napari viewer per dock, each after a real (short) run on a sample of *File > Open Sample >
napari-dip*, at the dock's natural width:

* ``restore_widget.png``: Restore, inpainting the text sample (ITERATIONS, default 150), then
  ``restore_advanced.png``: the advanced options unfolded;
* ``compare_grid.png``: Restore denoising the noisy cell (3 x ITERATIONS), then its Compare grid (input,
  DIP, non-local means, TV, BM3D, reference, and the residual of each method);
* ``blend_widget.png``: Blend on the blend sample (ITERATIONS), the classical blends beside it, the
  metrics table;
* ``experiments_widget.png``: Experiments, a 2 x 2 sweep (depth x learning rate) on the text sample
  (ITERATIONS // 2 each);
* ``mask_maker_widget.png``: Mask maker, a strokes mask added over the camera image;
* ``restore_region.png``: Restore with a region, a rectangle of a Shapes layer over a noisy two-level
  pyramid (ITERATIONS), the result in place over the image.

The runs are far shorter than the defaults (1000-3000 iterations with the automatic stop), so the
results are less converged than a real run: the pictures show the docks, not the quality. It uses
one torch thread. About three minutes on a 2-core CPU.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from napari_dip import sample_data

OUT = Path(__file__).resolve().parents[1] / "images"


def settle(app, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.02)


def wait_for(widget, app, timeout: float = 900) -> None:
    t0 = time.time()
    while widget.worker is not None and time.time() - t0 < timeout:
        app.processEvents()
        time.sleep(0.05)
    settle(app)


def viewer_with(sample) -> tuple[napari.Viewer, QApplication]:
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1400, 900)
    for data, kwargs, kind in sample():
        getattr(viewer, f"add_{kind}")(data, **kwargs)
    return viewer, QApplication.instance()


def shot(viewer, name: str) -> None:
    from napari._qt.dialogs.qt_notification import NapariQtNotification

    for toast in viewer.window._qt_window.findChildren(NapariQtNotification):
        toast.close()  # a notification toast would cover the canvas
    QApplication.instance().processEvents()
    path = OUT / name
    viewer.screenshot(path=str(path), canvas_only=False)
    print(f"wrote {path.relative_to(OUT.parents[1])}")


def restore(iterations: int) -> None:
    viewer, app = viewer_with(sample_data.make_text_sample)
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.task.value = "inpaint"
    widget.image.value = viewer.layers["camera (text)"]
    widget.mask.value = viewer.layers["text mask"]
    widget.reference.value = viewer.layers["camera (reference)"]
    widget.iterations.value = iterations
    widget.run_button.clicked.emit()
    wait_for(widget, app)
    viewer.layers["text mask"].visible = False
    viewer.reset_view()
    settle(app)
    shot(viewer, "restore_widget.png")
    widget.show_advanced.value = True
    settle(app)
    shot(viewer, "restore_advanced.png")
    viewer.close()


def blend(iterations: int) -> None:
    viewer, app = viewer_with(sample_data.make_blend_sample)
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Blend")
    widget.foreground.value = viewer.layers["cat (foreground)"]
    widget.background.value = viewer.layers["rocket (background)"]
    widget.mask.value = viewer.layers["blend mask"]
    widget.iterations.value = iterations
    widget.run_button.clicked.emit()
    wait_for(widget, app)
    for name in ("blend mask", "cat (foreground)"):
        viewer.layers[name].visible = False
    viewer.grid.enabled = True
    viewer.reset_view()
    settle(app)
    shot(viewer, "blend_widget.png")
    viewer.close()


def experiments(iterations: int) -> None:
    viewer, app = viewer_with(sample_data.make_text_sample)
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Experiments")
    widget.mode.value = "sweep"
    widget.task.value = "inpaint"
    widget.image.value = viewer.layers["camera (text)"]
    widget.mask.value = viewer.layers["text mask"]
    widget.reference.value = viewer.layers["camera (reference)"]
    widget.vary1.value, widget.values1.value = "depth", "2,4"
    widget.vary2.value, widget.values2.value = "lr", "0.01,0.0001"
    widget.iterations.value, widget.width_choice.value = iterations, 32
    widget.run_button.clicked.emit()
    wait_for(widget, app)
    widget.results.table.sortItems(3, Qt.SortOrder.DescendingOrder)  # best PSNR first
    settle(app)
    shot(viewer, "experiments_widget.png")
    viewer.close()


def mask_maker() -> None:
    viewer, app = viewer_with(sample_data.make_text_sample)
    for name in ("camera (text)", "text mask"):
        viewer.layers[name].visible = False
    viewer.layers["camera (reference)"].visible = True
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Mask maker")
    widget.image.value = viewer.layers["camera (reference)"]
    widget.kind.value = "strokes"
    widget.add_button.clicked.emit()
    viewer.reset_view()
    settle(app)
    shot(viewer, "mask_maker_widget.png")
    viewer.close()


def compare(iterations: int) -> None:
    """Denoise the noisy cell, then Compare: every available method of the task and every residual."""
    viewer, app = viewer_with(sample_data.make_noisy_sample)
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.layers["cell (noisy)"]
    widget.reference.value = viewer.layers["cell (reference)"]
    widget.iterations.value = 3 * iterations
    widget.run_button.clicked.emit()
    wait_for(widget, app)
    widget.compare_button.clicked.emit()
    t0 = time.time()
    while "cell (noisy) [residual: BM3D]" not in viewer.layers and time.time() - t0 < 300:
        app.processEvents()
        time.sleep(0.05)
    settle(app)
    shot(viewer, "compare_grid.png")
    viewer.close()


def region(iterations: int) -> None:
    clean = sample_data.cell(512)
    noisy = sample_data.add_gaussian_noise(clean, 25)
    viewer, app = viewer_with(lambda: [([noisy, noisy[::2, ::2].copy()],
                                        {"name": "cells (noisy pyramid)", "multiscale": True, "scale": (0.5, 0.5),
                                         "translate": (100.0, 40.0), "units": ("um", "um")}, "image")])
    # edges between pixels 229.5..357.5 and 299.5..459.5: 128 x 160 px over the cell's edge
    rectangle = [[100 + 0.5 * 229.5, 40 + 0.5 * 299.5], [100 + 0.5 * 357.5, 40 + 0.5 * 459.5]]
    viewer.add_shapes([rectangle], shape_type="rectangle", name="region", edge_color="yellow", edge_width=1.5,
                      face_color="transparent", units=("um", "um"))
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.layers["cells (noisy pyramid)"]
    widget.region.value = viewer.layers["region"]
    widget.iterations.value = iterations
    widget.run_button.clicked.emit()
    wait_for(widget, app)
    viewer.layers.move(viewer.layers.index("region"), len(viewer.layers))  # the outline on top
    viewer.layers.selection.active = viewer.layers["cells (noisy pyramid) [DIP denoise]"]
    viewer.reset_view()
    settle(app)
    shot(viewer, "restore_region.png")
    viewer.close()


def main(iterations: int = 150) -> None:
    import torch

    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    restore(iterations)
    compare(iterations)
    blend(iterations)
    experiments(max(iterations // 2, 10))
    mask_maker()
    region(iterations)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
