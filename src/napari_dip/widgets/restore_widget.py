"""The Restore dock widget: pick a task and layers, Run / Stop, watch the result improve.

Thin by design: it reads layers, builds keyword arguments for
:func:`napari_dip.iter_restore`, runs it in a napari thread worker and turns
the snapshots it yields into in-place updates of one output layer.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FloatSpinBox, PushButton, SpinBox, create_widget
from napari.utils.notifications import show_error

from ._compare import run_classical
from ._fit import FitControls, device_choices
from ._layers import META_KEY, mask_plane, output_kwargs, plane_of
from ._worker import start_fit

STACK_MODES = {"current plane": None, "all planes": "plane", "volume": "volume"}
PROGRESS_STEPS = 1000


def _tasks():
    """The restoration tasks of the registry (its module, not torch, is imported)."""
    from napari_dip.core import tasks

    return [tasks.get(n) for n in tasks.names("restore")]


class RestoreWidget(FitControls, Container):
    """Restore an Image layer with a Deep Image Prior (napari-dip > Restore)."""

    def __init__(self, napari_viewer: napari.viewer.Viewer):
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.tasks = {t.label: t for t in _tasks()}
        self.task = ComboBox(name="task", label="task", choices=list(self.tasks), value=next(iter(self.tasks)))
        self.image = create_widget(name="image", annotation=napari.layers.Image, label="image")
        self.mask = create_widget(name="mask", annotation=napari.layers.Labels, label="mask (painted = missing)",
                                  options={"nullable": True})
        self.factor = ComboBox(name="factor", label="factor", choices=[2, 4, 8], value=4)
        self.psf_sigma = FloatSpinBox(name="psf_sigma", label="PSF sigma (px)", min=0.1, max=50.0, step=0.1,
                                      value=1.5, tooltip="Gaussian point-spread function (used without a PSF layer).")
        self.psf = create_widget(name="psf", annotation=napari.layers.Image, label="PSF layer (optional)",
                                 options={"nullable": True, "tooltip": "A measured PSF (e.g. a bead image), "
                                                                       "2D, or 3D for volume mode."})
        self.reference = create_widget(name="reference", annotation=napari.layers.Image, label="reference (optional)",
                                       options={"nullable": True})
        self.stack = ComboBox(name="stack", label="stack", choices=list(STACK_MODES), value="current plane",
                              tooltip="For images with more than two axes (Z, T, ...): restore the plane shown, "
                                      "every plane one after the other, or fit a 3D network to the Z-stack.")
        self.iterations = SpinBox(name="iterations", label="iterations", min=1, max=100_000, step=100, value=1000)
        self.early_stop = CheckBox(name="early_stop", label="auto stop", value=True,
                                   tooltip="Stop by itself when the result stops improving (no clean image needed).")
        self.seed = SpinBox(name="seed", label="seed", min=0, max=2**31 - 1, value=0)
        self.device = ComboBox(name="device", label="device", choices=device_choices())
        self.preview_every = SpinBox(name="preview_every", label="preview every", min=1, max=10_000, value=10)
        self.show_advanced = CheckBox(text="advanced options", value=False)
        self.lr = FloatSpinBox(name="lr", label="learning rate", min=1e-5, max=1.0, step=0.001, value=0.01)
        self.net_width = ComboBox(name="net_width", label="network width", choices=["auto", 16, 32, 64, 128], value="auto")
        self.network = ComboBox(name="network", label="network", choices=["preset", "skip", "unet", "resnet", "decoder"],
                                value="preset")
        # a callable: napari's reset_choices() (on every layer change) asks the current task again
        self.preset = ComboBox(name="preset", label="preset", value="auto",
                               choices=lambda _: ["auto", *self.tasks[self.task.value].presets])
        self.loss = ComboBox(name="loss", label="loss", choices=["preset", "mse", "multiscale"], value="preset")
        self.output = ComboBox(name="output", label="output", choices=["ema", "last", "best"], value="ema")
        self.keep_snapshots = CheckBox(text="keep snapshots as a stack", value=False)
        self.advanced = Container(widgets=[self.lr, self.net_width, self.network, self.preset, self.loss,
                                           self.output, self.keep_snapshots], labels=True, visible=False)
        buttons = self._init_fit_controls()
        self.compare_button = PushButton(name="compare_button", text="Compare")
        buttons.append(self.compare_button)
        self.extend([self.task, self.image, self.stack, self.mask, self.factor, self.psf_sigma, self.psf,
                     self.reference, self.iterations,
                     self.early_stop, self.seed, self.device, self.preview_every, self.show_advanced,
                     self.advanced, buttons, self.progress, self.status])
        self.native.layout().addWidget(self.plot)

        self.task.changed.connect(self._on_task)
        self.image.changed.connect(self._on_image)
        self.show_advanced.changed.connect(lambda v: setattr(self.advanced, "visible", v))
        self.compare_button.changed.connect(self.compare)
        self._on_task(self.task.value)
        self._on_image(self.image.value)
        self._classical = None

    # --- form -------------------------------------------------------------------------
    def _on_task(self, label: str) -> None:
        task = self.tasks[label]
        self.mask.visible = task.needs_mask
        self.factor.visible = "factor" in task.inputs
        self.psf_sigma.visible = self.psf.visible = "psf" in task.inputs
        self.early_stop.value = bool(task.preset()["early_stop"])
        self.preset.reset_choices()
        self.preset.value = "auto"

    def _on_image(self, layer) -> None:
        lead = 0 if layer is None else layer.ndim - 2
        self.stack.visible = lead > 0

    def build_kwargs(self) -> dict[str, Any]:
        """Read the form and the layers into ``iter_restore`` arguments (main thread)."""
        task = self.tasks[self.task.value]
        layer = self.image.value
        if layer is None:
            raise ValueError("choose an Image layer to restore (add one with File > Open or File > Open Sample).")
        mode = STACK_MODES[self.stack.value] if layer.ndim > 2 else None
        if mode is None:
            image, index = plane_of(layer, self.viewer)
        else:
            image, index = np.asarray(layer.data), ()
        kwargs: dict[str, Any] = dict(
            task=task.name, channel_axis=-1 if layer.rgb else None, iterations=int(self.iterations.value),
            seed=int(self.seed.value), device=self.device.value, early_stop=bool(self.early_stop.value),
            preview_every=int(self.preview_every.value), lr=float(self.lr.value), output=self.output.value,
        )
        if mode is not None:
            kwargs["mode"] = mode
        if self.net_width.value != "auto":
            kwargs["width"] = int(self.net_width.value)
        if self.network.value != "preset":
            kwargs["network"] = self.network.value
        if self.preset.value != "auto":
            kwargs["preset"] = self.preset.value
        if self.loss.value != "preset":
            kwargs["loss"] = self.loss.value
        if task.needs_mask:
            if self.mask.value is None:
                raise ValueError(f"task {task.name!r} needs a mask: add a Labels layer (File > New Layer > "
                                 "Labels) and paint the missing pixels, then choose it as the mask.")
            kwargs["mask"] = (mask_plane(self.mask.value, index, image.shape[:2]) if mode is None
                              else np.asarray(self.mask.value.data))
        if "factor" in task.inputs:
            kwargs["factor"] = int(self.factor.value)
        if "psf" in task.inputs:
            if self.psf.value is not None:
                kwargs["psf"] = np.asarray(self.psf.value.data, dtype=float)
            else:
                kwargs["psf_sigma"] = float(self.psf_sigma.value)
        if self.reference.value is not None:
            ref = (plane_of(self.reference.value, self.viewer)[0] if mode is None
                   else np.asarray(self.reference.value.data))
            kwargs["reference"] = ref
        return dict(image=np.array(image, copy=True), index=index, **kwargs)

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
        if not self._begin_run(kwargs["device"], PROGRESS_STEPS, src=src, snapshots=[],
                               keep=bool(self.keep_snapshots.value)):
            return
        image, index = kwargs.pop("image"), kwargs.pop("index")
        task = kwargs["task"]
        factor = kwargs.get("factor", 1)
        placeholder = image
        if factor > 1:  # nearest-neighbour up-scaling of the (last two) spatial axes
            spatial = (-3, -2) if src.rgb else (-2, -1)
            for ax in spatial:
                placeholder = np.repeat(placeholder, factor, axis=ax)
        name = f"{src.name} [DIP {task}]"
        params = {k: v for k, v in kwargs.items() if k not in ("mask", "reference", "psf")}
        params.update(source=src.name, plane=list(index), mask_layer=getattr(self.mask.value, "name", None),
                      psf_layer=getattr(self.psf.value, "name", None) if "psf" in kwargs else None)
        self.output_layer = self.viewer.add_image(
            placeholder, **output_kwargs(src, name, scale_factor=factor, metadata=params,
                                         ndim=placeholder.ndim - (1 if src.rgb else 0)))
        self._run["params"] = params

        def make_generator():
            from napari_dip import iter_restore

            return iter_restore(image, **{k: v for k, v in kwargs.items() if k != "task"}, task=task)

        self.worker = start_fit(make_generator, on_snapshot=self._on_snapshot, on_error=self._on_error,
                                on_finished=self._on_finished, stop=self._stop)

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
        self.plot.add(snap.iteration, snap.loss, snap.metrics.get("psnr"))
        if self._run.get("keep"):
            self._run["snapshots"].append((snap.iteration, snap.preview))
        meta = layer.metadata.setdefault(META_KEY, {})
        meta["iteration"] = snap.iteration
        if snap.done:
            result = snap.result
            meta.update(config=result.config, stopped_at=result.stopped_at.__dict__)
            self.status.value = (f"done: image from iteration {result.stopped_at.iteration} "
                                 f"({result.stopped_at.reason}) in {result.config['seconds']:.1f} s")

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
            kw = output_kwargs(src, f"{self.output_layer.name} snapshots",
                               scale_factor=self._run["params"].get("factor", 1) or 1,
                               metadata={"iterations": [i for i, _ in shots]},
                               ndim=stack.ndim - 1 - (1 if src.rgb else 0))
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
