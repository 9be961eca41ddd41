"""The Experiments dock widget: the prior probe and settings sweeps on the selected image.

*prior probe*: one network fitted to the image, the image with noise, its
shuffled pixels and noise (report 003); the four loss curves are drawn live
(log-log) and each fit appears as a layer. *sweep*: one restoration per
combination of one or two settings (report 000); each result arrives as a
layer named by its settings, in grid view with a shared contrast, and as a
row of a sortable table (copy / CSV). Both run on the worker like Restore:
one fit at a time per device, Stop ends the run between two iterations.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np
from magicgui.widgets import ComboBox, Container, FloatSpinBox, LineEdit, SpinBox, create_widget
from napari.utils.notifications import show_error
from qtpy.QtWidgets import QComboBox, QSizePolicy

from napari_dip import experiments
from napari_dip.core import tasks
from napari_dip.core.mask import mask_plane
from napari_dip.core.settings import option_names
from napari_dip.experiments import label, parse_values
from napari_dip.experiments.plotting import COLORS

from ._fit import FitControls, device_choices
from ._grid import show_grid
from ._layers import META_KEY, output_kwargs, plane_of
from ._results import ResultsTable
from ._worker import start_fit
from .curves_plot import CurvesPlot

MODES = ("prior probe", "sweep")
PROGRESS_STEPS = 1000
NONE = "(none)"
def _tasks() -> dict:
    """The registry's restoration tasks by label (the Restore widget's list)."""
    return {tasks.get(n).form.label: tasks.get(n) for n in tasks.names("restore")}


#: The PSF of a deconvolution sweep (the widget has no PSF field: a Gaussian of this sigma, px).
SWEEP_PSF_SIGMA = 1.5
#: Options offered first in the sweep's "vary" lists, with suggested values.
SUGGESTED = {"depth": "2,4", "lr": "0.01,0.0001", "network": "skip,unet,resnet,decoder", "width": "16,32,64",
             "input": "noise,meshgrid", "loss": "mse,multiscale", "iterations": "250,500,1000",
             "reg_noise_std": "0,0.03", "seed": "0,1,2"}


def sweep_options() -> list[str]:
    """The options a sweep may vary: the suggested ones, then every other :func:`restore` option."""
    names = list(SUGGESTED)
    return names + sorted(set(option_names()) - set(names))


class ExperimentsWidget(FitControls, Container):
    """Prior probe and settings sweeps on an Image layer (napari-dip > Experiments)."""

    def __init__(self, napari_viewer: napari.viewer.Viewer):
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.mode = ComboBox(name="mode", label="experiment", choices=list(MODES), value="prior probe")
        self.image = create_widget(name="image", annotation=napari.layers.Image, label="image")
        self.iterations = SpinBox(name="iterations", label="iterations", min=1, max=100_000, step=100,
                                  value=500)
        self.width_choice = ComboBox(name="width_choice", label="net width",
                                     choices=["auto", 8, 16, 32, 64, 128], value=32,
                                     tooltip="channels per level (auto: 128 on a GPU, 64 on a CPU)")
        self.seed = SpinBox(name="seed", label="seed", min=0, max=2**31 - 1, value=0)
        self.device = ComboBox(name="device", label="device", choices=device_choices())
        self.noise_sigma = FloatSpinBox(name="noise_sigma", label="noise σ", min=0.0, max=1.0, step=0.01,
                                        value=0.1,
                                        tooltip="std of the 'noisy' target's noise, image in [0, 1]")
        self.tasks = _tasks()
        self.task = ComboBox(name="task", label="task", choices=list(self.tasks),
                             value=next(iter(self.tasks)))
        self.mask = create_widget(name="mask", annotation=napari.layers.Labels, label="mask",
                                  options={"nullable": True})
        self.reference = create_widget(name="reference", annotation=napari.layers.Image, label="reference",
                                       options={"nullable": True})
        options = sweep_options()
        self.vary1 = ComboBox(name="vary1", label="vary", choices=options, value="depth")
        self.values1 = LineEdit(name="values1", label="values", value=SUGGESTED["depth"])
        self.vary2 = ComboBox(name="vary2", label="and vary", choices=[NONE, *options], value="lr")
        self.values2 = LineEdit(name="values2", label="values", value=SUGGESTED["lr"])
        self.probe_widgets = [self.noise_sigma]
        self.sweep_widgets = [self.task, self.mask, self.reference, self.vary1, self.values1, self.vary2,
                              self.values2]
        buttons = self._init_fit_controls()
        self.curves = CurvesPlot(colors=_probe_colors())
        self.results = ResultsTable()
        self.results.setVisible(False)
        self.extend([self.mode, self.image, *self.probe_widgets, *self.sweep_widgets, self.iterations,
                     self.width_choice, self.seed, self.device, buttons, self.progress, self.status])
        self.native.layout().addWidget(self.curves)
        self.native.layout().addWidget(self.results)
        _compact(self)
        self.mode.changed.connect(self._on_mode)
        self.task.changed.connect(lambda _: self._on_mode(self.mode.value))
        self.vary1.changed.connect(lambda name: setattr(self.values1, "value", SUGGESTED.get(name, "")))
        self.vary2.changed.connect(lambda name: setattr(self.values2, "value", SUGGESTED.get(name, "")))
        self.result_layers: list = []
        self._on_mode(self.mode.value)

    def _on_mode(self, mode: str) -> None:
        for w in self.probe_widgets:
            w.visible = mode == "prior probe"
        for w in self.sweep_widgets:
            w.visible = mode == "sweep"
        self.mask.visible = mode == "sweep" and self.tasks[self.task.value].form.needs_mask
        self.results.setVisible(mode == "sweep")
        self.curves.colors = _probe_colors() if mode == "prior probe" else {}

    # --- reading the form (main thread) ---------------------------------------------------
    def _source(self) -> tuple[Any, np.ndarray, tuple]:
        layer = self.image.value
        if layer is None:
            raise ValueError("choose an Image layer (add one with File > Open or File > Open Sample).")
        image, index = plane_of(layer, self.viewer)
        return layer, np.array(image, copy=True), index

    def _width(self) -> int | None:
        return None if self.width_choice.value == "auto" else int(self.width_choice.value)

    def probe_kwargs(self) -> dict[str, Any]:
        """``iter_prior_probe`` arguments from the form."""
        layer, image, _ = self._source()
        return dict(image=image, iterations=int(self.iterations.value), width=self._width(),
                    noise_sigma=float(self.noise_sigma.value), seed=int(self.seed.value),
                    device=self.device.value, channel_axis=-1 if layer.rgb else None)

    def sweep_kwargs(self) -> dict[str, Any]:
        """``iter_sweep`` arguments from the form; ``ValueError`` for an unusable form."""
        layer, image, index = self._source()
        grid = {self.vary1.value: parse_values(self.values1.value)}
        if self.vary2.value != NONE:
            if self.vary2.value in grid:
                raise ValueError(f"{self.vary2.value!r} is chosen twice: vary two different settings.")
            grid[self.vary2.value] = parse_values(self.values2.value)
        task = self.tasks[self.task.value]
        kwargs: dict[str, Any] = dict(
            image=image,
            task=task.name,
            grid=grid,
            iterations=int(self.iterations.value),
            seed=int(self.seed.value),
            device=self.device.value,
            channel_axis=-1 if layer.rgb else None,
        )
        if self._width() is not None and "width" not in grid:
            kwargs["width"] = self._width()
        if task.form.needs_mask:
            if self.mask.value is None:
                raise ValueError(
                    f"task {task.name!r} needs a mask: a Labels layer painted where pixels are missing "
                    "(Plugins > napari-dip > Mask maker makes one)."
                )
            kwargs["mask"] = mask_plane(np.asarray(self.mask.value.data), index, 2)
        if "factor" in task.form.inputs:
            kwargs["factor"] = 4
        if "psf_sigma" in task.form.inputs:
            kwargs["psf_sigma"] = SWEEP_PSF_SIGMA
        if self.reference.value is not None:
            kwargs["reference"] = plane_of(self.reference.value, self.viewer)[0]
        return kwargs

    # --- run -------------------------------------------------------------------------------
    def run(self) -> None:
        if self._refuse_if_busy():
            return
        probe = self.mode.value == "prior probe"
        try:
            kwargs = self.probe_kwargs() if probe else self.sweep_kwargs()
        except ValueError as err:
            show_error(f"napari-dip: {err}")
            return
        if not self._begin_run(kwargs["device"], PROGRESS_STEPS, src=self.image.value, layers={}):
            return
        self.curves.clear()
        self.result_layers = []
        if not probe:
            self.results.clear()
        name = "iter_prior_probe" if probe else "iter_sweep"

        def make_generator():
            return getattr(experiments, name)(**kwargs)

        on_step = self._on_probe_step if probe else self._on_sweep_step
        self.worker = start_fit(make_generator, on_snapshot=on_step, on_error=self._on_error,
                                on_finished=self._on_finished, stop=self._stop)

    def _progress(self, step, text: str) -> None:
        self.progress.value = int(step.progress * PROGRESS_STEPS)
        self.status.value = text

    def _on_probe_step(self, step) -> None:
        if self.closed:
            return
        if step.losses is not None and len(step.losses):
            self.curves.extend(step.target, step.losses, start=step.iteration - len(step.losses) + 1)
        self._progress(step, f"{step.target} ({step.target_number}/{step.n_targets}): iteration "
                             f"{step.iteration}/{step.total}")
        src, layers = self._run["src"], self._run["layers"]
        if step.preview is not None and not step.done:
            layer = layers.get(step.target)
            if layer is None or layer not in self.viewer.layers:
                kw = output_kwargs(
                    src,
                    f"{src.name} [probe: {step.target}]",
                    metadata={"probe_target": step.target},
                    ndim=step.preview.ndim - (1 if src.rgb else 0),
                )
                kw["contrast_limits"] = (0.0, 1.0)  # the probe fits the image rescaled to [0, 1]
                layers[step.target] = layer = self.viewer.add_image(step.preview, **kw)
                self.result_layers.append(layer)
            else:
                layer.data = step.preview
        if step.done:
            result = step.result
            self.probe_result = result
            for name, layer in layers.items():
                layer.metadata[META_KEY]["summary"] = result.summary.get(name)
            show_grid(self.viewer, [src, *layers.values()])
            reached = ", ".join(f"{k} {v['reached_at'] or '–'}" for k, v in result.summary.items())
            self.status.value = (f"done in {result.config['seconds']:.0f} s; loss below "
                                 f"{result.config['level']}·variance at: {reached}")

    def _on_sweep_step(self, step) -> None:
        if self.closed:
            return
        self.curves.add(f"#{step.index}", step.iteration, step.loss)
        text = f"{step.index}/{step.n}: iteration {step.iteration}/{step.total}"
        if step.metrics:
            text += " · " + ", ".join(f"{k} {v:.3g}" for k, v in step.metrics.items())
        self._progress(step, text)
        if step.record is None:
            return
        rec, src = step.record, self._run["src"]
        meta = {k: rec[k] for k in ("settings", "psnr", "ssim", "seconds", "stopped_at", "stop_reason")}
        scale = rec["config"].get("factor") or 1
        layer = self.viewer.add_image(rec["image"], **output_kwargs(
            src, f"{src.name} [{label(rec['settings'])}]", scale_factor=scale, metadata=meta,
            ndim=rec["image"].ndim - (1 if src.rgb else 0)))
        self.result_layers.append(layer)
        self.results.add(rec)
        show_grid(self.viewer, self.result_layers, tuple(src.contrast_limits))
        if step.done:
            self.status.value = f"done: {step.n} restorations (click a column to sort)"

    def _on_finished(self) -> None:
        self._release_device()
        self._end_run()
        if self.closed or not self._stop.is_set():
            return
        if self.mode.value == "sweep":
            self.status.value = f"stopped by user: {len(self.results.records)} restorations kept"
        else:
            self.status.value = "stopped by user: the curves and fits so far are kept"


def _compact(widget: Container) -> None:
    """Keep the dock narrow: combo boxes do not grow with long layer names, the status line wraps."""
    for combo in widget.native.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
    widget.status.native.setWordWrap(True)
    widget.status.native.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)


def _probe_colors() -> dict[str, str]:
    return dict(COLORS)
