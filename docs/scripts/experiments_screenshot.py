"""Render docs/images/experiments_widget.png: a sweep in the Experiments widget (run under xvfb-run).

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/scripts/experiments_screenshot.py [ITERATIONS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from napari_dip import sample_data

OUT = Path(__file__).resolve().parents[1] / "images" / "experiments_widget.png"


def main(iterations: int = 150) -> None:
    import torch

    torch.set_num_threads(1)
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1400, 900)
    app = QApplication.instance()
    for data, kwargs, kind in sample_data.make_text_sample():
        getattr(viewer, f"add_{kind}")(data, **kwargs)
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
    t0 = time.time()
    while widget.worker is not None and time.time() - t0 < 900:
        app.processEvents()
        time.sleep(0.05)
    widget.results.table.sortItems(3, Qt.SortOrder.DescendingOrder)  # best PSNR first
    for _ in range(20):
        app.processEvents()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(path=str(OUT), canvas_only=False)
    print(f"wrote {OUT}")
    viewer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
