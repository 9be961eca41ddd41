"""Run / Stop, progress, status, loss plot and the run lifecycle shared by the dock widgets."""

from __future__ import annotations

import threading
import time

from magicgui.widgets import Container, Label, ProgressBar, PushButton
from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QEvent, QObject
from qtpy.QtWidgets import QAbstractSpinBox, QComboBox

from napari_dip import available_devices

from ._layers import META_KEY
from ._worker import claim_device, release_device
from .loss_plot import LossPlot


class FitControls:
    """Mixin for a magicgui ``Container`` that runs one fit at a time.

    ``_init_fit_controls()`` makes the buttons (returned as a row to place in
    the form), the progress bar, the status label and the loss plot, and wires
    Run / Stop to ``self.run`` / ``self.stop``. In ``run`` a subclass calls
    ``_refuse_if_busy()`` and ``_begin_run(device, total)``; when its fit's
    worker finishes, ``_release_device()``; when the whole run is over,
    ``_end_run()``. Closing the widget, or the viewer (which destroys its dock
    widgets), sets the stop flag and marks the widget closed so that late
    callbacks do nothing; the slot keeps no reference to the widget.
    """

    busy_message = "a fit is already running in this widget; press Stop first."

    def _init_fit_controls(self) -> Container:
        self.run_button = PushButton(name="run_button", text="Run")
        self.stop_button = PushButton(name="stop_button", text="Stop", enabled=False)
        self.progress = ProgressBar(name="progress", label="progress", min=0, max=1000, value=0)
        self.status = Label(name="status", value="ready")
        self.plot = LossPlot()
        self.worker = None
        self._run: dict = {}
        self._stop = threading.Event()
        self._life = life = {"stop": self._stop, "closed": False}
        self.native.destroyed.connect(lambda *_: (life["stop"].set(), life.update(closed=True)))
        self.run_button.changed.connect(self.run)
        self.stop_button.changed.connect(self.stop)
        return Container(widgets=[self.run_button, self.stop_button], layout="horizontal", labels=False)

    @property
    def closed(self) -> bool:
        """True once the widget's Qt side is gone."""
        return self._life["closed"]

    def _refuse_if_busy(self) -> bool:
        if self.worker is not None:
            show_warning(f"napari-dip: {self.busy_message}")
            return True
        return False

    def _begin_run(self, device: str, total: int, clear: bool = True, **run) -> bool:
        """Claim ``device`` and reset the controls (the plot too unless not ``clear``: a continued fit); False
        (with a notification) if the device is busy."""
        if not claim_device(device):
            show_warning(f"napari-dip: another fit is already running on {device}; wait for it or stop it.")
            return False
        self._stop = self._life["stop"] = threading.Event()
        self._run = dict(device=device, started=time.perf_counter(), **run)
        if clear:
            self.plot.clear()
        self.progress.max = total
        self.progress.value = 0
        self.status.value = "starting…"
        self.run_button.enabled = False
        self.stop_button.enabled = True
        return True

    def _set_progress(self, value: int) -> None:
        """Move the progress bar without QProgressBar's synchronous repaint, which repainted napari's
        whole window, the canvas included (about 200 ms a call under a software OpenGL: the UI thread's
        longest pause in a run, benchmarks/ui_gaps.py); the repaint is queued instead."""
        bar = self.progress.native
        bar.setUpdatesEnabled(False)
        self.progress.value = value
        bar.setUpdatesEnabled(True)  # schedules an ordinary update()

    def stop(self) -> None:
        self._stop.set()
        self.status.value = "stopping…"

    def _release_device(self) -> None:
        release_device(self._run.get("device", ""))

    def _end_run(self) -> None:
        self.worker = None
        if self.closed:
            return
        self.run_button.enabled = True
        self.stop_button.enabled = False

    def _on_error(self, err: Exception) -> None:
        """A fit failed: notify with what to do, and drop an output layer that never showed a result."""
        if self.closed:
            return
        msg = str(err)
        if "out of memory" in msg.lower():
            msg = f"{msg}. Use a smaller image or network width, or device 'cpu'."
        show_error(f"napari-dip: {msg}")
        self.status.value = f"error: {msg}"
        layer = getattr(self, "output_layer", None)
        if layer is not None and layer in self.viewer.layers:
            if layer.metadata.get(META_KEY, {}).get("iteration") is None:
                self.viewer.layers.remove(layer)


def device_choices() -> list[str]:
    """The devices a fit can run on, the best first."""
    names = available_devices()
    gpus = [n for n in names if n != "cpu"]
    return gpus + ["cpu"]  # the best device first


#: Width (px) a dock may ask for at most, so that napari's default window leaves the canvas room.
MAX_DOCK_WIDTH = 300


def compact(container, labels=()) -> None:
    """Let combo boxes shrink to a few characters (long layer names elide) and ``labels`` wrap."""
    for combo in container.native.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(6)
    for box in container.native.findChildren(QAbstractSpinBox):
        box.setMinimumWidth(70)  # not as wide as their largest value (a seed's 2147483647)
    for label in labels:
        wrap(label)


def wrap(label: Label) -> None:
    """Word-wrap ``label`` and keep it as tall as its text needs at its width, on every new text and resize.

    A wrapped QLabel reports the height it needs only through ``heightForWidth``, which the dock's
    nested layouts do not ask for, so a status that grows to three lines in a narrow dock was cut off.
    """
    native = label.native
    native.setWordWrap(True)

    def fit(*_) -> None:
        if native.width() > 0:
            native.setMinimumHeight(native.heightForWidth(native.width()))

    class _OnResize(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Resize:
                fit()
            return False

    native.installEventFilter(_OnResize(native))  # parented to the label: lives as long as it
    label.changed.connect(fit)
