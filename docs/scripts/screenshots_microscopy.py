"""Render the Restore widget's advanced options on the time-lapse sample, and a Poisson-mode result.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/scripts/screenshots_microscopy.py [ITERATIONS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
from qtpy.QtWidgets import QApplication

OUT = Path(__file__).resolve().parents[1] / "images"


def settle(app, widget=None, timeout=900):
    t0 = time.time()
    while widget is not None and widget.worker is not None and time.time() - t0 < timeout:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(40):
        app.processEvents()
        time.sleep(0.02)


def main(iterations: int = 150) -> None:
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1400, 900)
    app = QApplication.instance()
    viewer.open_sample("napari-dip", "timelapse")
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    src = viewer.layers["cell time-lapse (counts)"]
    widget.image.value = src
    widget.reference.value = viewer.layers["cell time-lapse (reference)"]
    widget.stack.value = "all planes"
    widget.show_advanced.value = True
    widget.noise.value, widget.normalize.value = "poisson", "percentile"
    widget.iterations.value = iterations
    widget.early_stop.value = False
    widget.schedule_estimate()
    t0 = time.time()
    while not widget.estimate.value.startswith("about") and time.time() - t0 < 120:
        app.processEvents()
        time.sleep(0.05)
    settle(app)
    viewer.screenshot(path=str(OUT / "restore_advanced.png"), canvas_only=False)
    widget.run_button.clicked.emit()
    settle(app, widget)
    out = viewer.layers["cell time-lapse (counts) [DIP denoise]"]
    for layer in viewer.layers:
        layer.visible = layer in (src, out)
    viewer.canvas.grid.enabled = True
    viewer.dims.set_current_step(0, 2)
    viewer.reset_view()
    settle(app)
    viewer.screenshot(path=str(OUT / "poisson_timelapse.png"), canvas_only=False)
    viewer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
