"""Render docs/images/blend_widget.png: the Blend dock after a run on the bundled sample (run under xvfb-run).

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/scripts/blend_screenshot.py 300

The argument is the number of DIP iterations (the widget's default is 1000; fewer keep the
screenshot quick on a CPU, so the DIP layer is less converged than a default run).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
from qtpy.QtWidgets import QApplication

from napari_dip import sample_data

OUT = Path(__file__).resolve().parents[1] / "images"


def main(iterations: int = 300) -> None:
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1400, 900)
    app = QApplication.instance()
    for data, kwargs, kind in sample_data.make_blend_sample():
        getattr(viewer, f"add_{kind}")(data, **kwargs)
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Blend")
    widget.foreground.value = viewer.layers["cat (foreground)"]
    widget.background.value = viewer.layers["rocket (background)"]
    widget.mask.value = viewer.layers["blend mask"]
    widget.iterations.value = iterations
    widget.run_button.clicked.emit()
    t0 = time.time()
    while widget.worker is not None and time.time() - t0 < 1800:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
    for name in ("blend mask", "cat (foreground)"):
        viewer.layers[name].visible = False
    viewer.grid.enabled = True
    viewer.reset_view()
    for _ in range(20):
        app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(path=str(OUT / "blend_widget.png"), canvas_only=False)
    print(widget.status.value)
    viewer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
