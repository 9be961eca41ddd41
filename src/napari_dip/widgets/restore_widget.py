"""The Restore dock widget: pick a task and layers, Run / Stop, watch the result improve.

Thin by design: it reads layers, builds keyword arguments for
:func:`napari_dip.iter_restore`, runs it in a napari thread worker and turns
the snapshots it yields into in-place updates of one output layer.
"""

from __future__ import annotations

from typing import Any

import napari
from magicgui.widgets import Container, Label, PushButton
from magicgui.widgets.bases import ValueWidget
from napari.utils.notifications import show_error
from qtpy.QtCore import QTimer

from napari_dip.core import tasks

from ._batch_job import BatchJob
from ._compare import CompareTable, run_classical
from ._fit import FitControls, compact, wrap
from ._layers import META_KEY, snapshots_stack
from ._psf_form import show_psf_fields, span_row
from ._restore_estimate import quit_estimate, start_estimate
from ._restore_form import advanced_fields, main_fields
from ._restore_inputs import read_call
from ._restore_run import Placeholder, PsfMade, add_prepared, run_messages, show_preview
from ._restore_status import done_text, hit_cap, progress_text
from ._task_fields import array_inputs, array_layers
from ._worker import start_fit

PROGRESS_STEPS = 1000
#: The fewest milliseconds between two preview updates of the layer, plot and status (the UI thread's share).
PREVIEW_MS = 250


def _tasks():
    """The restoration tasks of the registry (its module, not torch, is imported)."""
    return [tasks.get(n) for n in tasks.names("restore")]


class RestoreWidget(FitControls, Container):
    """Restore an Image layer with a Deep Image Prior (napari-dip > Restore)."""

    def __init__(self, napari_viewer: napari.viewer.Viewer):
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.tasks = {t.form.label: t for t in _tasks()}
        fields = main_fields(self, self.tasks)
        self.batch_job = BatchJob(self)  # "Run as batch job": napari-dip batch in its own process
        self.advanced = [*advanced_fields(self), *self.batch_job.fields]
        buttons = self._init_fit_controls()
        self.compare_button = PushButton(name="compare_button", text="Compare")
        self.continue_button = PushButton(name="continue_button", text="Continue", visible=False,
                                          tooltip="Go on with the same fit for as many iterations again, "
                                          "from where it stopped (same network and optimiser state).")
        buttons.extend([self.compare_button, self.continue_button])
        self.estimate = Label(name="estimate", value="")
        self.extend([*fields, *self.scale_fields, *self.advanced, buttons, self.estimate, self.progress,
                     self.status, self.batch_job.row])
        span_row(self.optics, like=self.image)
        self.native.layout().addWidget(self.plot)
        self.table = CompareTable()
        self.native.layout().addWidget(self.table)
        self._compact()
        self._estimate_timer = self._single_shot(600, self._start_estimate)
        self._preview_timer = self._single_shot(PREVIEW_MS, self._show_latest)
        self._estimate_call, self._classical, self._latest, self._last = None, None, None, None

        self.task.changed.connect(self._on_task)
        self.image.changed.connect(self._on_image)
        self.region.changed.connect(self._on_region)
        self.show_advanced.changed.connect(self._show_expert)
        self.compare_button.changed.connect(self.compare)
        self.continue_button.changed.connect(self.continue_fit)
        for field in self._value_fields():  # the estimate follows every option
            field.changed.connect(self.schedule_estimate)
        self._on_task(self.task.value)
        self._on_image(self.image.value)
        self.schedule_estimate()  # a viewer that already holds an image: its estimate without a click

    def _single_shot(self, ms: int, slot) -> QTimer:
        timer = QTimer()
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(slot)
        return timer

    def _value_fields(self) -> list:
        """Every field of the form (the fold's and the PSF group's included), not the status lines."""
        out, todo = [], list(self)
        while todo:
            w = todo.pop(0)
            if isinstance(w, Container):
                todo.extend(w)
            elif isinstance(w, ValueWidget) and not isinstance(w, Label) and w.name not in ("progress",):
                out.append(w)
        return out

    def _compact(self) -> None:
        """Narrow fields and wrapping text, so the dock leaves napari's canvas room."""
        compact(self, [self.status, self.estimate])
        for line in (self.task_hint, self.noise_hint, self.normalize_hint, self.psf_hint):
            wrap(line)
        self.plot.setMaximumHeight(150)

    # --- form -------------------------------------------------------------------------
    def _on_task(self, label: str) -> None:
        task = self.tasks[label]
        self.task_hint.value = task.form.hint
        show_psf_fields(self)  # the task's input fields (core/tasks/schema.py), the PSF's chosen way's
        preset = task.policy.preset()
        self.early_stop.value = bool(preset["early_stop"])
        # 0 = the task's own cap, as in Python (iterations=None); the preset chosen for the image may differ
        self.iterations.native.setSpecialValueText(f"auto ({preset['iterations']})")
        self.preset.reset_choices()
        self.preset.value = "auto"

    def _show_expert(self, shown: bool) -> None:
        """Unfold (or fold) the expert options; the conditional ones follow the image again."""
        for field in self.advanced:
            field.visible = shown
        show_psf_fields(self)
        self._on_region()  # the level field follows the image again (its value is kept)

    def _on_image(self, layer) -> None:
        lead = 0 if layer is None else layer.ndim - 2
        self.stack.visible = lead > 0
        multiscale = bool(getattr(layer, "multiscale", False))
        self._on_region()
        self.level.reset_choices()
        if multiscale:
            self.level.value = self.level.choices[0]  # the finest; tiled when it exceeds the memory cap

    def _on_region(self, *_) -> None:
        """A region is read at full resolution: no level to choose."""
        self.level.visible = (
            bool(self.show_advanced.value) and bool(getattr(self.image.value, "multiscale", False))
            and self.region.value is None
        )

    def _level(self) -> int:
        layer = self.image.value
        return int(str(self.level.value).split(":")[0]) if getattr(layer, "multiscale", False) else 0

    def build_kwargs(self) -> dict[str, Any]:
        """Read the form and the layers into ``iter_restore`` arguments (main thread)."""
        return read_call(self)

    # --- estimate before Run ---------------------------------------------------------------
    def schedule_estimate(self, *_) -> None:
        """Estimate memory and time a moment after the form stops changing (not during a run)."""
        if not self.closed:
            self._estimate_timer.start()

    def _start_estimate(self) -> None:
        """Memory and time of the run the form describes now, on a worker (``_restore_estimate``)."""
        start_estimate(self)

    # --- run / stop ---------------------------------------------------------------------
    def run(self) -> None:
        """Read the form and the layers and start the worker (the Run click, main thread); the worker computes
        the PSF from the optics and the placeholder, and builds the job (``_restore_run``)."""
        if self._refuse_if_busy():
            return
        try:
            kwargs = self.build_kwargs()
        except ValueError as err:
            show_error(f"napari-dip: {err}")
            return
        src = self.image.value
        image, index, level, region = (kwargs.pop(k) for k in ("image", "index", "level", "region"))
        offset = None if region is None else region.offset
        if not self._begin_run(kwargs["device"], PROGRESS_STEPS, src=src, snapshots=[],
                               keep=bool(self.keep_snapshots.value), offset=offset, level=level):
            return
        params = {k: v for k, v in kwargs.items() if k not in ("reference", *array_inputs())}
        params.update(
            source=src.name,
            plane=list(index),
            level=level,
            **array_layers(self, kwargs),
            region=None if region is None else dict(region.as_dict(), of=self.region.current_choice),
        )
        self.output_layer = None  # added when the worker's placeholder comes (add_prepared)
        if region is not None:
            self.estimate.value = f"restoring a region of {region}, full resolution"
        elif getattr(src, "multiscale", False):
            self.estimate.value = f"restoring pyramid level {level} ({'x'.join(map(str, image.shape))})"
        self._run["params"] = params
        self._start(image, kwargs)

    def _start(self, image, kwargs: dict, resume=None, before: int = 0) -> None:
        """Run ``iter_restore`` on a worker (``resume``: continue that result's fit; ``before``: iterations
        already on the plot)."""
        self._estimate_timer.stop()
        quit_estimate(self)  # its probe would take a thread and the CPU from the fit
        self._latest, self._last = None, dict(image=image, kwargs=kwargs, result=None)
        self._run["before"] = before
        self.continue_button.visible = False
        task, rgb, stop = tasks.get(kwargs["task"]), bool(self._run["src"].rgb), self._stop
        self.worker = start_fit(lambda: run_messages(task, image, kwargs, rgb=rgb, stop=stop, resume=resume),
                                on_snapshot=self._on_snapshot, on_error=self._on_error,
                                on_finished=self._on_finished, stop=self._stop)

    def continue_fit(self) -> None:
        """After a run that hit its cap: the same fit, as many iterations again, into the same layer."""
        last = self._last
        if self._refuse_if_busy() or not last or last["result"] is None or last["result"].resume is None:
            return
        result, kwargs = last["result"], last["kwargs"]
        keep = dict(self._run)
        same = ("src", "snapshots", "keep", "offset", "params", "level")
        if not self._begin_run(kwargs["device"], PROGRESS_STEPS, clear=False, **{k: keep[k] for k in same}):
            return
        self._start(last["image"], kwargs, resume=result,
                    before=keep.get("before", 0) + int(result.config.get("iterations_run", 0)))

    def _on_snapshot(self, snap) -> None:
        """Keep the newest snapshot; the layer, plot and status follow at most every PREVIEW_MS (a preview
        at every snapshot kept the UI thread busy), and at once for the last one."""
        if self.closed:
            return
        if isinstance(snap, (PsfMade, Placeholder)):
            add_prepared(self, snap)  # the worker's messages before the fit: a layer each, in its own slot
            return
        x = self._run.get("before", 0) + snap.iteration
        self.plot.add(x, snap.loss, snap.metrics.get("psnr"), redraw=False)  # every point, drawn later
        if self._run.get("keep"):
            self._run["snapshots"].append((x, snap.preview))
        self._latest = snap
        if snap.done:
            self._preview_timer.stop()
            self._show_latest()
        elif not self._preview_timer.isActive():
            self._preview_timer.start()

    def _show_latest(self) -> None:
        """The newest snapshot into the layer (in place), the progress bar, the status and the plot."""
        snap, self._latest = self._latest, None
        layer = getattr(self, "output_layer", None)
        if snap is None or self.closed or layer is None:
            return
        show_preview(layer, snap.preview, self._run.get("owned", False))
        self._run["owned"] = True
        # done: full, though an automatic stop ends before the cap the bar counts to
        self._set_progress(PROGRESS_STEPS if snap.done else int(snap.progress * PROGRESS_STEPS))
        self.status.value = progress_text(snap)
        self.plot.update()
        meta = layer.metadata.setdefault(META_KEY, {})
        meta["iteration"] = self._run.get("before", 0) + snap.iteration
        if snap.done:
            self._done(snap.result, meta)

    def _done(self, result, meta: dict) -> None:
        """The run's end in the layer's metadata and the status; Continue offered after a cap (or why not)."""
        meta.update(config=result.config, stopped_at=result.stopped_at.__dict__)
        self._last["result"] = result
        can = hit_cap(result) and result.resume is not None
        before = self._run.get("before", 0)
        self.status.value = done_text(result, bool(self.early_stop.value), can, before) + (
            f" · {result.config['noise_choice']['summary']}" if "noise_choice" in result.config else "")
        self.continue_button.visible = can

    def _on_finished(self) -> None:
        self._release_device()
        self._end_run()
        if self.closed:
            return
        self.schedule_estimate()  # the estimate of the next run
        layer = self.output_layer
        if self._stop.is_set():
            it = None if layer is None else layer.metadata.get(META_KEY, {}).get("iteration")
            self.status.value = "stopped by user" + ("" if it is None else f": showing iteration {it}")
        shots = self._run.get("snapshots")
        if shots and layer is not None:
            stack, kwargs = snapshots_stack(
                self._run["src"], f"{self.output_layer.name} snapshots", shots,
                factor=self._run["params"].get("factor", 1) or 1, offset=self._run.get("offset"))
            self.viewer.add_image(stack, **kwargs)

    # --- compare ---------------------------------------------------------------------------
    def compare(self) -> None:
        """Lay the input, DIP result(s), the task's classical results and the reference side by side."""
        try:
            kwargs = self.build_kwargs()
        except ValueError as err:
            show_error(f"napari-dip: {err}")
            return
        run_classical(self, kwargs)
