"""The Restore dock's "Run as batch job": the run the form describes, handed to ``napari-dip batch`` in a
process of its own (it survives closing napari), followed from its files, its result opened as a layer.

Main thread only: the hand-off reads the form with the dock's own ``build_kwargs`` (the options of Run),
writes the layer's pixels (unless the layer is its file, unchanged) and the array inputs once into the job
folder (``napari_dip.batch.handoff``), and starts the command; a QTimer reads the job's small files every
second; the result is read on a worker and added on the main thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from magicgui.widgets import Container, Label, LineEdit, PushButton, SpinBox
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QProgressBar

from napari_dip.batch import handoff
from napari_dip.batch.inputs import file_id
from napari_dip.cli.batch_argv import batch_argv
from napari_dip.io import describe, read_image, read_settings
from napari_dip.io.names import default_output

from ._fit import wrap
from ._layers import output_kwargs
from ._task_fields import array_inputs, array_layers
from ._worker import start_call

#: The estimate line suggests the hand-off when a run is expected to take longer than this (seconds).
LONG_RUN_S = 600
POLL_MS = 1000
#: Options of the dock's run that a batch has no use for (display) or takes otherwise (the geometry).
_LOCAL = ("image", "index", "level", "region", "reference", "preview_every", "channel_axis", "task")


def long_run_hint(estimate) -> str:
    """What the estimate line adds for a long run: the hand-off, or a region first."""
    if getattr(estimate, "expected_seconds", 0) <= LONG_RUN_S:
        return ""
    return (" · long: use \"Run as batch job\" (it goes on after napari closes) or restore a region first "
            "(expert options)")


class BatchJob:
    """The hand-off's button (beside Run), its expert fields, its status row and its one job."""

    def __init__(self, widget):
        self.w = widget
        self.button = PushButton(name="batch_button", text="Run as batch job",
                                 tooltip="Run this restoration as `napari-dip batch` in a process of its "
                                 "own: it goes on after napari closes; hand it off again to resume or "
                                 "to open its result.")
        self.scheduler = LineEdit(name="batch_scheduler", label="scheduler", value="",
                                  tooltip="Batch job: a running Dask scheduler's address (tcp://host:8786), "
                                  "whose workers see this machine's files; empty: a local cluster.")
        self.workers = SpinBox(name="batch_workers", label="workers", min=0, max=256, value=0,
                               tooltip="Batch job on the local cluster: worker processes (0: one per fit "
                               "up to the cores).")
        self.workers.native.setSpecialValueText("automatic")
        self.fields = [self.scheduler, self.workers]
        for f in self.fields:
            f.visible = False
        self.line = Label(name="batch_status", value="")
        self.stop_button = PushButton(name="batch_stop", text="Stop batch job", visible=False)
        buttons = Container(widgets=[self.button, self.stop_button], layout="horizontal", labels=False)
        self.row = Container(widgets=[buttons, self.line], labels=False)  # under the status, unlabelled
        buttons.margins = self.row.margins = (0, 0, 0, 0)  # nested: no extra width taken from the canvas
        # a plain Qt bar: not a form value (the dock re-estimates when a value changes)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.row.native.layout().addWidget(self.bar)
        wrap(self.line)
        self.job: handoff.Job | None = None
        self.state = "idle"
        self.result_layer = None
        self._params: dict[str, Any] = {}
        self._timer = QTimer()
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        widget.native.destroyed.connect(self._timer.stop)  # the job itself goes on
        self.button.changed.connect(self.hand_off)
        self.stop_button.changed.connect(self.stop)

    # --- hand-off -------------------------------------------------------------------------------
    def hand_off(self) -> None:
        """Prepare the job folder and start (or resume, or follow) the batch job of the form's run."""
        if self.state == "running":
            show_error("napari-dip: a batch job is running from this dock; stop it or wait for it.")
            return
        try:
            job, params = prepare(self.w, handoff.jobs_root(), cluster=self.cluster())
            before = job.done_before()
            handoff.start(job)
        except (ValueError, OSError) as err:
            show_error(f"napari-dip: {err}")
            return
        self.job, self._params, self.result_layer = job, params, None
        self.state = "running"
        self.bar.setRange(0, job.total)
        self.bar.setValue(before)
        self.bar.setVisible(True)
        self.stop_button.visible = True
        again = f"resuming: {before} of {job.total} done · " if before else ""
        self.line.value = f"{again}batch job started in {job.folder.name}"
        self.line.tooltip = f"The job's folder (its log, its result): {job.folder}"
        show_info(f"napari-dip: batch job started; its folder: {job.folder}")
        self._timer.start()

    def cluster(self) -> dict[str, Any]:
        address = self.scheduler.value.strip()
        if address:
            return {"scheduler": address}
        return {"workers": int(self.workers.value) or None}

    def stop(self) -> None:
        if self.job is not None:
            handoff.stop(self.job)
            self.line.value = "stopping the batch job…"

    # --- progress ---------------------------------------------------------------------------------
    def poll(self) -> None:
        """Read the job's files (small: its report, its kept tiles, its log's end) and show its state."""
        if self.job is None or self.w.closed:
            self._timer.stop()
            return
        p = handoff.progress(self.job)
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(p.done)
        self.line.value = f"{p.text} · {self.job.folder.name}"
        if p.state == "running":
            return
        self._timer.stop()
        self.stop_button.visible = False
        if p.state == "done":
            self.state = "reading"
            output = self.job.output
            start_call(read_image, output, on_result=self._add_result,
                       on_error=lambda e: self._fail(f"cannot read {output}: {e}"))
        else:
            self.state = p.state

    def _fail(self, message: str) -> None:
        self.state = "failed"
        if not self.w.closed:
            self.line.value = message

    def _add_result(self, img) -> None:
        """The result as a layer with the input's geometry, the run's options and the batch's settings."""
        if self.w.closed or self.job is None:
            return
        params = dict(self._params)
        src, offset = params.pop("_layer"), params.pop("_offset")
        meta = dict(params, config=read_settings(self.job.output) or {},
                    batch={"folder": str(self.job.folder), "output": str(self.job.output),
                           "record": self.job.record()})
        data = img.data
        ndim = data.ndim - (1 if src.rgb else 0)
        kwargs = output_kwargs(src, f"{src.name} [DIP {params['task']} batch]",
                               scale_factor=params.get("factor", 1) or 1, metadata=meta,
                               level=params["level"], offset=offset, ndim=ndim)
        self.result_layer = self.w.viewer.add_image(data, **kwargs)
        self.state = "done"


def prepare(widget, root: Path, *, cluster: dict | None = None) -> tuple[handoff.Job, dict[str, Any]]:
    """The job of the Restore dock ``widget``'s run (main thread): its folder under ``root``, its input
    (the layer's file when the run restores that file whole and the layer still holds its pixels, else the
    pixels written once), its array inputs written once, its command; and the result layer's metadata."""
    kwargs = widget.build_kwargs()  # the same options as Run
    src = widget.image.value
    image, index, level, region = (kwargs[k] for k in ("image", "index", "level", "region"))
    task = kwargs["task"]
    arrays = {k: kwargs[k] for k in array_inputs() if k in kwargs}
    options = {k: v for k, v in kwargs.items() if k not in (*_LOCAL, *arrays)}
    offset = None if region is None else region.offset
    ndim = image.ndim - (1 if src.rgb else 0)
    geometry = output_kwargs(src, "", level=level, offset=offset, ndim=ndim)
    scale, units = geometry["scale"], tuple(str(u) for u in geometry.get("units", ("pixel",) * ndim))
    path = _source_file(src, image) if (index == () and region is None and level == 0) else None
    source = ({**file_id(path), "path": str(path.resolve())} if path
              else handoff.pixels_id(image, scale, units))
    key = handoff.job_key(source, task, options, arrays)
    folder = handoff.job_folder(root, src.name, task, key)
    folder.mkdir(parents=True, exist_ok=True)
    axes = _axes(ndim, src.rgb)
    if path is None:  # the colour axis: no pixel size
        path = handoff.write_once(folder / "input.tif", image, axes=axes, scale=(*scale, *(1.0,) * src.rgb),
                                  units=(*units, *("",) * src.rgb))
    files = {name: handoff.write_once(folder / f"{name}.tif", _array_file(name, a), axes=_axes(
        a.ndim, False)) for name, a in arrays.items()}
    mask = files.pop("mask", None)
    if options.get("device") and (cluster or {}).get("scheduler"):
        options.pop("device")  # a remote cluster's workers pick their best device
    argv = batch_argv([path], folder / handoff.OUT, task=task, options={**options, **files}, mask=mask,
                      cluster=cluster)
    shape, file_axes, _ = describe(path)
    total, tiled = handoff.total_fits(tuple(shape), file_axes, options)
    job = handoff.Job(folder, handoff.command(argv), folder / handoff.OUT / _output_name(path, task),
                      total=total, tiled=tiled)
    params = {k: v for k, v in kwargs.items() if k not in ("image", "reference", *array_inputs())}
    params.update(source=src.name, plane=list(index), **array_layers(widget, kwargs), _layer=src,
                  _offset=offset, region=None if region is None else dict(
                      region.as_dict(), of=widget.region.current_choice))
    return job, params


def _source_file(layer, image: np.ndarray) -> Path | None:
    """The layer's file when it still holds that file's pixels, else None."""
    path = getattr(getattr(layer, "source", None), "path", None)
    if not path or not Path(path).is_file() or getattr(layer, "multiscale", False):
        return None
    return Path(path) if handoff.same_pixels(path, image) else None


def _axes(ndim: int, rgb: bool) -> str:
    if ndim > 4:
        raise ValueError(f"a batch job takes images of at most 4 axes (T, Z, Y, X), not {ndim}.")
    return "TZYX"[-ndim:] + ("S" if rgb else "")


def _array_file(name: str, a: np.ndarray) -> np.ndarray:
    """A mask as uint8 (non-zero: missing), other arrays as they are."""
    return (np.asarray(a) != 0).astype(np.uint8) if name == "mask" else np.asarray(a)


def _output_name(path: Path, task: str) -> str:
    return default_output(Path(Path(path).name), task).name
