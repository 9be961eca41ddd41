"""Render the dock-widget screenshots of README.md and docs/ after short real runs on the bundled samples.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/scripts/screenshots.py [ITERATIONS] [--w2s DIR]
        [--only restore,blend,experiments,mask_maker,region]

One real napari viewer per dock, each after a real (short) run, at the dock's natural width:

* ``restore_widget.png``: Restore denoising a microscopy image, a 256 x 256 crop of the W2S
  widefield image ``noisy_001_0.tif`` (``--w2s``, default ``../shared/data/w2s`` beside the
  repository), its estimate of time and memory filled before Run, ITERATIONS (default 150) as the
  cap, so that the status shows the cap message and Continue; ``restore_advanced.png``: the expert
  options unfolded; ``compare_grid.png``: then its Compare grid (input, DIP, non-local means, TV,
  BM3D, the clean ``clean_001_0.tif`` as reference, the residual of each method), each tile named,
  and the table of numbers in the dock;
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

import argparse
import time
from pathlib import Path

import napari
import numpy as np
import tifffile
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from napari_dip import sample_data

OUT = Path(__file__).resolve().parents[1] / "images"
#: The W2S images (widefield, 512 x 512): a folder beside the repository by default.
W2S = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "w2s"
ALL = ("restore", "blend", "experiments", "mask_maker", "region")


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


def w2s_crop(folder: Path, name: str, side: int = 128) -> np.ndarray:
    """The central ``side`` x ``side`` pixels of a W2S image (512 x 512, uint8): 128, the crops of
    docs/tables/real-noise-128.md, where a fit to its automatic stop takes a few minutes on a CPU."""
    image = tifffile.imread(folder / name)
    y, x = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    return np.ascontiguousarray(image[y:y + side, x:x + side])


def wait_until(app, ready, timeout: float = 300) -> None:
    t0 = time.time()
    while not ready() and time.time() - t0 < timeout:
        app.processEvents()
        time.sleep(0.05)
    settle(app)


def restore_and_compare(iterations: int, w2s: Path) -> None:
    """Restore a widefield microscopy crop with the defaults to the automatic stop (the estimate filled),
    the expert options, then Compare with the clean image as reference. ``iterations`` is not used here:
    a capped fit would show DIP early, beside classical methods that ran to the end."""
    noisy, clean = w2s_crop(w2s, "noisy_001_0.tif"), w2s_crop(w2s, "clean_001_0.tif")
    viewer, app = viewer_with(lambda: [(noisy, {"name": "widefield (noisy)", "colormap": "gray"}, "image"),
                                       (clean, {"name": "widefield (clean)", "visible": False}, "image")])
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.layers["widefield (noisy)"]
    wait_until(app, lambda: widget.estimate.value.startswith("about"))
    print("estimate:", widget.estimate.value)
    widget.run_button.clicked.emit()
    wait_for(widget, app)
    wait_until(app, lambda: widget.estimate.value.startswith("about"))
    viewer.layers.selection.active = viewer.layers["widefield (noisy) [DIP denoise]"]
    viewer.reset_view()
    settle(app)
    shot(viewer, "restore_widget.png")
    widget.show_advanced.value = True
    wait_until(app, lambda: widget.estimate.value.startswith("about"))
    shot(viewer, "restore_advanced.png")
    widget.show_advanced.value = False
    widget.reference.value = viewer.layers["widefield (clean)"]
    widget.compare_button.clicked.emit()
    wait_until(app, lambda: widget.table.rowCount() > 0)
    wait_until(app, lambda: widget.estimate.value.startswith("about"))
    shot(viewer, "compare_grid.png")
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


def main(iterations: int = 150, w2s: Path = W2S, only: tuple[str, ...] = ALL) -> None:
    import torch

    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    shots = {"restore": lambda: restore_and_compare(iterations, w2s), "blend": lambda: blend(iterations),
             "experiments": lambda: experiments(max(iterations // 2, 10)), "mask_maker": mask_maker,
             "region": lambda: region(iterations)}
    for name in only:
        shots[name]()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iterations", nargs="?", type=int, default=150)
    parser.add_argument("--w2s", type=Path, default=W2S, help="folder of the W2S images (noisy_001_0.tif)")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated: " + ", ".join(ALL))
    args = parser.parse_args()
    main(args.iterations, args.w2s, tuple(args.only.split(",")))
