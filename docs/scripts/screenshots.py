"""Render the screenshots used in README.md and docs/ (run under xvfb-run).

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/scripts/screenshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import napari
from qtpy.QtWidgets import QApplication

from napari_dip import sample_data

OUT = Path(__file__).resolve().parents[1] / "images"


def wait_for(widget, app, timeout=600):
    import time

    t0 = time.time()
    while widget.worker is not None and time.time() - t0 < timeout:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()


def main(iterations: int = 300) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1400, 900)
    app = QApplication.instance()
    for data, kwargs, kind in sample_data.make_text_sample():
        getattr(viewer, f"add_{kind}")(data, **kwargs)
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
    viewer.screenshot(path=str(OUT / "restore_widget.png"), canvas_only=False)

    widget.compare_button.clicked.emit()
    import time

    t0 = time.time()
    while "camera (text) [biharmonic]" not in viewer.layers and time.time() - t0 < 120:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
    viewer.screenshot(path=str(OUT / "compare_grid.png"), canvas_only=False)
    viewer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
