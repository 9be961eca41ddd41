"""The Blend dock widget: paste a foreground into a background with a Deep Image Prior.

Thin by design, like the Restore widget: it reads the layers, runs the
classical baselines (alpha, Laplacian-pyramid and Poisson blending) in a
thread worker, fits :func:`napari_dip.iter_blend` in another one and turns
its snapshots into in-place updates of one output layer. When the fit ends
(or is stopped) it scores every result with GFF, GFP, BSI and masked SSIM
and shows them in a table that can be copied or saved as CSV.
"""

from __future__ import annotations

import time
from typing import Any

import napari
import numpy as np
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSpinBox,
    Label,
    PushButton,
    SpinBox,
    Table,
    create_widget,
)
from napari.utils.notifications import show_error
from qtpy.QtWidgets import QHeaderView, QStyledItemDelegate

# the public API through the package (loaded on first use: torch comes with the first blend)
import napari_dip
from napari_dip.core.blending.compare import CLASSICAL, classical_blends, score

from ._blend_inputs import read_call
from ._fit import FitControls, compact, device_choices
from ._layers import META_KEY, output_kwargs
from ._metrics_table import MetricsTable
from ._worker import start_call, start_fit

DIP_LABEL = "DIP blend"


class BlendWidget(MetricsTable, FitControls, Container):
    """Blend a foreground Image into a background Image where a Labels mask is set (napari-dip > Blend)."""

    def __init__(self, napari_viewer: napari.viewer.Viewer):
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.foreground = create_widget(name="foreground", annotation=napari.layers.Image, label="foreground")
        self.background = create_widget(name="background", annotation=napari.layers.Image, label="background")
        self.mask = create_widget(name="mask", annotation=napari.layers.Labels, label="mask",
                                  options={"tooltip": "Labels layer: painted (non-zero) pixels are where the "
                                                      "foreground goes."})
        self.iterations = SpinBox(name="iterations", label="iterations", min=1, max=100_000, step=100,
                                  value=1000)
        self.seed = SpinBox(name="seed", label="seed", min=0, max=2**31 - 1, value=0)
        self.device = ComboBox(name="device", label="device", choices=device_choices())
        self.preview_every = SpinBox(name="preview_every", label="preview", min=1, max=10_000, value=10,
                                    tooltip="Update the layer every this many iterations.")
        self.alpha = CheckBox(name="alpha", text="alpha", value=True,
                              tooltip="Alpha blending with the soft mask.")
        self.laplacian = CheckBox(name="laplacian", text="Laplacian", value=True,
                                  tooltip="Laplacian-pyramid (Burt-Adelson) blending.")
        self.poisson = CheckBox(name="poisson", text="Poisson", value=True,
                                tooltip="Poisson (seamless cloning) blending.")
        methods = Container(widgets=[self.alpha, self.laplacian, self.poisson], layout="vertical",
                            labels=False, label="classical")  # vertical: the dock stays narrow
        methods.margins = (0, 0, 0, 0)
        self.show_advanced = CheckBox(name="show_advanced", text="advanced options", value=False)
        self.lr = FloatSpinBox(name="lr", label="lr", min=1e-5, max=1.0, step=0.001, value=0.01)
        self.net_width = ComboBox(name="net_width", label="width", choices=["auto", 16, 32, 64, 128],
                                  value="auto")
        self.advanced = Container(widgets=[self.lr, self.net_width], labels=True, visible=False)
        buttons = self._init_fit_controls()
        self.extend([self.foreground, self.background, self.mask, self.iterations, self.seed, self.device,
                     self.preview_every, methods, self.show_advanced, self.advanced, buttons, self.progress,
                     self.status])
        self.native.layout().addWidget(self.plot)
        self._add_metrics_box()
        compact(self, [self.status, self.metrics_label])
        self.plot.setMaximumHeight(140)

        self.show_advanced.changed.connect(lambda v: setattr(self.advanced, "visible", v))
        self.copy_button.changed.connect(self.copy_table)
        self.save_button.changed.connect(self._save_dialog)

        # self.worker (the DIP fit) stays set until the whole run, metrics included, is over.
        self.metrics: dict[str, dict[str, float]] = {}
        self.output_layer = None
        self._classical = self._scorer = None

    def _add_metrics_box(self) -> None:
        """The metrics table of every result, with its label and its Copy / Save CSV buttons."""
        self.table = Table(name="table", value=self._table_value({}))
        self.table.read_only = True
        self.table.min_height = 150
        self.copy_button = PushButton(name="copy_button", text="Copy table")
        self.save_button = PushButton(name="save_button", text="Save CSV…")
        table_buttons = Container(widgets=[self.copy_button, self.save_button], layout="horizontal",
                                  labels=False)
        self.metrics_label = Label(value="metrics of each result")
        self.metrics_label.tooltip = self.table.tooltip = (
            "GFF: gradient fusion factor, GFP: gradient fusion performance, BSI: boundary smoothness index, "
            "SSIM: structural similarity to the background; GFF, BSI and SSIM over the band around the "
            "mask's edge, GFP over the whole image. All four: higher is better. rank: the method's mean rank "
            "over the four (1 = best on every metric). On the test pairs of docs/notes/blending.md DIP beats "
            "Poisson on GFF and SSIM on 2 of 4.")
        self.metrics_box = Container(widgets=[self.metrics_label, self.table, table_buttons], labels=False)
        self.native.layout().addWidget(self.metrics_box.native)
        self.table.native.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.native.setMinimumWidth(0)
        # text as given, not 4 decimals
        self.table.native.setItemDelegate(QStyledItemDelegate(self.table.native))
        self.table.native.setMaximumHeight(180)

    # --- form ---------------------------------------------------------------------------
    def build_inputs(self) -> dict[str, Any]:
        """Read and check the layers and the form (main thread); raise ValueError with a fix."""
        return read_call(self)

    # --- run / stop -----------------------------------------------------------------------
    busy_message = "a blend is already running in this widget; press Stop first."

    def run(self) -> None:
        if self._refuse_if_busy():
            return
        try:
            inputs = self.build_inputs()
        except ValueError as err:
            show_error(f"napari-dip: {err}")
            return
        options = inputs["options"]
        fg_layer, bg_layer, mask_layer = inputs["layers"]
        fg, bg = inputs["foreground"], inputs["background"]
        mask, n_colour = inputs["mask"], inputs["n_colour"]
        params = dict(options, task="blend", foreground=fg_layer.name, background=bg_layer.name,
                      mask_layer=mask_layer.name, plane=list(inputs["index"]), methods=inputs["methods"])
        if not self._begin_run(options["device"], options["iterations"], params=params, src=bg_layer,
                               inputs=(fg, bg, mask, n_colour), results={}, fit_done=False,
                               classical_done=not inputs["methods"], dip=None):
            return
        self.output_layer = self.viewer.add_image(
            bg.copy(), **self._geometry(bg_layer, f"{bg_layer.name} [{DIP_LABEL}]", bg.ndim, params))
        self.metrics = {}
        self.table.value = self._table_value({})

        if inputs["methods"]:
            self._classical = start_call(classical_blends, fg, bg, mask, inputs["methods"], n_colour,
                                         on_result=self._on_classical, on_error=self._on_classical_error)

        def make_generator():
            return napari_dip.iter_blend(fg, bg, mask, **options)  # torch comes with the first blend

        self.worker = start_fit(make_generator, on_snapshot=self._on_snapshot, on_error=self._on_error,
                                on_finished=self._on_finished, stop=self._stop)

    def _geometry(self, src, name: str, ndim: int, metadata: dict) -> dict[str, Any]:
        """output_kwargs for a result of ``ndim`` dimensions (one plane of an nD layer keeps its last
        axes)."""
        kw = output_kwargs(src, name, metadata=metadata)
        n = ndim - (1 if kw["rgb"] else 0)
        for key in ("scale", "translate", "units", "axis_labels"):
            if key in kw:
                kw[key] = tuple(kw[key])[-n:]
        return kw

    # --- classical results (main thread) ---------------------------------------------------
    def _on_classical(self, results: dict[str, np.ndarray]) -> None:
        if self.closed:
            return
        src = self._run["src"]
        for label, image in results.items():
            name = f"{src.name} [{label}]"
            meta = {
                "method": label,
                "task": "blend",
                **{k: self._run["params"][k] for k in ("foreground", "background", "mask_layer", "plane")},
            }
            if name in self.viewer.layers and self.viewer.layers[name].data.shape == image.shape \
                    and META_KEY in self.viewer.layers[name].metadata:
                layer = self.viewer.layers[name]  # a result of an earlier run: update it in place
                layer.data = image
                layer.metadata[META_KEY] = meta
            else:
                self.viewer.add_image(image, **self._geometry(src, name, image.ndim, meta))
        self._run["results"].update(results)
        self._run["classical_done"] = True
        self._maybe_score()

    def _on_classical_error(self, err: Exception) -> None:
        if self.closed:
            return
        show_error(f"napari-dip: classical blending failed: {err}")
        self._run["classical_done"] = True
        self._maybe_score()

    # --- DIP fit (main thread) --------------------------------------------------------------
    def _on_snapshot(self, snap) -> None:
        if self.closed:
            return
        layer = self.output_layer
        if snap.preview is not None:
            layer.data = snap.preview
            self._run["dip"] = snap.preview
        self.progress.value = snap.iteration
        rate = snap.elapsed / max(1, snap.iteration)
        text = f"iteration {snap.iteration}/{snap.total} · {rate:.2f} s/it"
        left = snap.seconds_left
        if left is not None and not snap.done:
            text += f" · ~{left:.0f} s left (max)"
        self.status.value = text
        self.plot.add(snap.iteration, snap.loss)
        meta = layer.metadata.setdefault(META_KEY, {})
        meta["iteration"] = snap.iteration
        if snap.done:
            result = snap.result
            meta.update(config=result.config, stopped_at=result.stopped_at.__dict__)
            self.status.value = (f"done: {snap.iteration} iterations in {result.config['seconds']:.1f} s; "
                                 "scoring…")

    def _on_error(self, err: Exception) -> None:
        super()._on_error(err)
        self._run["dip"] = None

    def _on_finished(self) -> None:
        self._release_device()
        if self.closed:
            self.worker = None
            return
        self.stop_button.enabled = False
        if self._stop.is_set():
            it = (self.output_layer.metadata.get(META_KEY, {}).get("iteration")
                  if self.output_layer is not None else None)
            if it is None and self.output_layer in self.viewer.layers:
                self.viewer.layers.remove(self.output_layer)  # stopped before the first preview
            self.status.value = f"stopped by user at iteration {it}; scoring…"
        if self._run.get("dip") is not None:
            self._run["results"][DIP_LABEL] = self._run["dip"]
        self._run["fit_done"] = True
        self._maybe_score()

    # --- metrics -------------------------------------------------------------------------------
    def _maybe_score(self) -> None:
        """Once the fit and the classical blends are both over, score every result in a worker."""
        run = self._run
        if not (run.get("fit_done") and run.get("classical_done")) or run.get("scoring"):
            return
        run["scoring"] = True
        results = {label: run["results"][label] for label in [c[0] for c in CLASSICAL.values()] + [DIP_LABEL]
                   if label in run["results"]}
        if not results:
            self._end_run()
            return
        fg, bg, mask, n_colour = run["inputs"]
        self._scorer = start_call(score, results, fg, bg, mask, n_colour,
                                  on_result=self._on_scores, on_error=self._on_score_error)

    def _on_scores(self, table: dict[str, dict[str, float]]) -> None:
        if self.closed:
            self.worker = None
            return
        self.metrics = table
        self.table.value = self._table_value(table)
        if DIP_LABEL in table and self.output_layer is not None:
            self.output_layer.metadata.setdefault(META_KEY, {})["metrics"] = dict(table[DIP_LABEL])
        self._end_run()

    def _on_score_error(self, err: Exception) -> None:
        if not self.closed:
            show_error(f"napari-dip: scoring the results failed: {err}")
        self._end_run()

    def _end_run(self) -> None:
        super()._end_run()
        if self.closed:
            return
        seconds = time.perf_counter() - self._run.get("started", time.perf_counter())
        stopped = "stopped by user" if self._stop.is_set() else "done"
        self.status.value = (f"{stopped}: {len(self.metrics)} result(s) scored in {seconds:.1f} s in all"
                             + self.rank_note())
