"""The Restore dock widget: pick a task and layers, Run / Stop, watch the result improve.

Thin by design: it reads layers, builds keyword arguments for
:func:`napari_dip.iter_restore`, runs it in a napari thread worker and turns
the snapshots it yields into in-place updates of one output layer.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np
from magicgui.widgets import Container, Label, PushButton
from napari.utils.notifications import show_error
from qtpy.QtCore import QTimer

# the public API through the package (loaded on first use: torch comes with the first run)
import napari_dip
from napari_dip.core import tasks
from napari_dip.core.data import repeat_pixels

from ._compare import run_classical
from ._fit import FitControls, compact
from ._layers import META_KEY, output_kwargs
from ._restore_form import advanced_fields, main_fields
from ._restore_inputs import read_call
from ._worker import start_call, start_fit

PROGRESS_STEPS = 1000


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
        self.advanced = advanced_fields(self)
        buttons = self._init_fit_controls()
        self.compare_button = PushButton(name="compare_button", text="Compare")
        buttons.append(self.compare_button)
        self.estimate = Label(name="estimate", value="")
        self.extend([*fields, self.advanced, buttons, self.estimate, self.progress, self.status])
        self.native.layout().addWidget(self.plot)
        self._compact()
        self._estimate_timer = QTimer()
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(600)
        self._estimate_timer.timeout.connect(self._start_estimate)
        self._estimate_call, self._classical = None, None

        self.task.changed.connect(self._on_task)
        self.image.changed.connect(self._on_image)
        self.region.changed.connect(self._on_region)
        self.show_advanced.changed.connect(lambda v: setattr(self.advanced, "visible", v))
        self.compare_button.changed.connect(self.compare)
        for field in (
            self.task,
            self.image,
            self.region,
            self.level,
            self.stack,
            self.iterations,
            self.device,
            self.net_width,
            self.tile,
            self.max_memory,
            self.early_stop,
        ):
            field.changed.connect(self.schedule_estimate)
        self._on_task(self.task.value)
        self._on_image(self.image.value)

    def _compact(self) -> None:
        """Narrow fields and wrapping text, so the dock leaves napari's canvas room."""
        compact(self, [self.status, self.estimate])
        self.plot.setMaximumHeight(140)

    # --- form -------------------------------------------------------------------------
    def _on_task(self, label: str) -> None:
        task = self.tasks[label]
        self.mask.visible = task.form.needs_mask
        self.factor.visible = "factor" in task.form.inputs
        self.psf_sigma.visible = self.psf.visible = "psf" in task.form.inputs
        self.early_stop.value = bool(task.policy.preset()["early_stop"])
        self.preset.reset_choices()
        self.preset.value = "auto"

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
            bool(getattr(self.image.value, "multiscale", False)) and self.region.value is None
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
        if self.closed or self.worker is not None or self.image.value is None:
            return
        try:
            kwargs = self.build_kwargs()
        except ValueError as err:
            self.estimate.value = f"cannot run yet: {err}"
            return
        image, task = kwargs.pop("image"), kwargs.pop("task")
        for key in ("index", "level", "region", "reference", "preview_every"):
            kwargs.pop(key, None)
        self.estimate.value = "estimating memory and time…"
        token = object()
        self._estimate_token = token

        def shown(est):
            if not self.closed and self._estimate_token is token:
                self.estimate.value = est.text()

        self._estimate_call = start_call(
            napari_dip.estimate_run,
            image,
            task,
            **kwargs,
            on_result=shown,
            on_error=lambda e: setattr(self.estimate, "value", f"estimate failed: {e}"),
        )

    # --- run / stop ---------------------------------------------------------------------
    def run(self) -> None:
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
        if not self._begin_run(
            kwargs["device"],
            PROGRESS_STEPS,
            src=src,
            snapshots=[],
            keep=bool(self.keep_snapshots.value),
            offset=offset,
        ):
            return
        self._estimate_timer.stop()
        task = kwargs["task"]
        factor = kwargs.get("factor", 1)
        placeholder = image
        if factor > 1:  # nearest-neighbour up-scaling of the (last two) spatial axes
            placeholder = repeat_pixels(image, factor, (-3, -2) if src.rgb else (-2, -1))
        name = f"{src.name} [DIP {task}]"
        params = {k: v for k, v in kwargs.items() if k not in ("mask", "reference", "psf")}
        params.update(
            source=src.name,
            plane=list(index),
            level=level,
            mask_layer=getattr(self.mask.value, "name", None),
            psf_layer=getattr(self.psf.value, "name", None) if "psf" in kwargs else None,
            region=None if region is None else dict(region.as_dict(), of=self.region.current_choice),
        )
        self.output_layer = self.viewer.add_image(
            placeholder,
            **output_kwargs(
                src,
                name,
                scale_factor=factor,
                metadata=params,
                level=level,
                offset=offset,
                ndim=placeholder.ndim - (1 if src.rgb else 0),
            ),
        )
        if region is not None:
            self.estimate.value = f"restoring a region of {region}, full resolution"
        elif getattr(src, "multiscale", False):
            self.estimate.value = f"restoring pyramid level {level} ({'x'.join(map(str, image.shape))})"
        self._run["params"] = params

        def make_generator():
            options = {k: v for k, v in kwargs.items() if k != "task"}
            return napari_dip.iter_restore(image, **options, task=task)

        self.worker = start_fit(
            make_generator,
            on_snapshot=self._on_snapshot,
            on_error=self._on_error,
            on_finished=self._on_finished,
            stop=self._stop,
        )

    def _on_snapshot(self, snap) -> None:
        if self.closed:
            return
        layer = self.output_layer
        layer.data = snap.preview
        self.progress.value = int(snap.progress * PROGRESS_STEPS)
        left = snap.seconds_left
        rate = snap.elapsed / max(1, snap.iteration)
        text = f"iteration {snap.iteration}/{snap.total} · {rate:.2f} s/it"
        if snap.n_planes > 1:
            text = f"plane {snap.plane_number}/{snap.n_planes} · " + text
        if snap.n_tiles > 1:
            text = f"tile {snap.tile_number}/{snap.n_tiles} · " + text
        if left is not None and not snap.done:
            text += f" · ~{left:.0f} s left (max)"
        if snap.metrics:
            text += " · " + ", ".join(f"{k} {v:.3g}" for k, v in snap.metrics.items())
        self.status.value = text
        # one x axis for the whole run: the fits of a stack's planes (and tiles) follow each other
        fits_before = (snap.plane_number - 1) * snap.n_tiles + snap.tile_number - 1
        self.plot.add(fits_before * snap.total + snap.iteration, snap.loss, snap.metrics.get("psnr"))
        if self._run.get("keep"):
            self._run["snapshots"].append((snap.iteration, snap.preview))
        meta = layer.metadata.setdefault(META_KEY, {})
        meta["iteration"] = snap.iteration
        if snap.done:
            result = snap.result
            meta.update(config=result.config, stopped_at=result.stopped_at.__dict__)
            self.status.value = (
                f"done: image from iteration {result.stopped_at.iteration} "
                f"({result.stopped_at.reason}) in {result.config['seconds']:.1f} s"
            ) + (f" · {result.config['noise_choice']['summary']}" if "noise_choice" in result.config else "")

    def _on_finished(self) -> None:
        self._release_device()
        self._end_run()
        if self.closed:
            return
        if self._stop.is_set():
            it = self.output_layer.metadata.get(META_KEY, {}).get("iteration")
            self.status.value = f"stopped by user: showing iteration {it}"
        shots = self._run.get("snapshots")
        if shots:
            src = self._run["src"]
            stack = np.stack([p for _, p in shots])
            kw = output_kwargs(
                src,
                f"{self.output_layer.name} snapshots",
                scale_factor=self._run["params"].get("factor", 1) or 1,
                metadata={"iterations": [i for i, _ in shots]},
                offset=self._run.get("offset"),
                ndim=stack.ndim - 1 - (1 if src.rgb else 0),
            )
            kw["scale"], kw["translate"] = (1.0, *kw["scale"]), (0.0, *kw["translate"])
            kw.pop("units", None)
            labels = kw.get("axis_labels") or tuple(f"axis {i}" for i in range(len(kw["scale"]) - 1))
            kw["axis_labels"] = ("iteration", *labels)
            self.viewer.add_image(stack, **kw)

    # --- compare ---------------------------------------------------------------------------
    def compare(self) -> None:
        """Lay the input, DIP result(s), the task's classical results and the reference side by side."""
        try:
            kwargs = self.build_kwargs()
        except ValueError as err:
            show_error(f"napari-dip: {err}")
            return
        run_classical(self, kwargs)
