"""The Restore widget's form: its fields, made compact (short labels, tooltips), and how they read back.

The task fields follow the task registry; the microscopy options (``noise``,
``normalize``, ``warm_start``, ``planes``, ``tile``, ``max_memory``) are made
from :class:`napari_dip.core.settings.Settings`, whose meanings become their
tooltips. Main thread only.
"""

from __future__ import annotations

from typing import Any

import napari
from magicgui.widgets import CheckBox, ComboBox, FloatSpinBox, Label, LineEdit, SpinBox, create_widget
from qtpy.QtWidgets import QSizePolicy

from napari_dip.core.settings import option_help, parse_planes
from napari_dip.core.tasks.catalog import restore_inputs

from ._fit import device_choices
from ._layers import VIEW
from ._psf_form import psf_group
from ._task_fields import task_fields

STACK_MODES = {"current plane": None, "all planes": "plane", "volume": "volume"}
TILES = {"auto": "auto", "off": False, "128 px": 128, "256 px": 256, "512 px": 512}
#: Settings shown as form fields, in this order (noise and normalize above the fold).
MICROSCOPY = ("noise", "normalize", "warm_start", "planes", "tile", "max_memory")


#: The plain words the dock shows for some settings' values (the values themselves are Settings').
_WORDS = {"ema": "average of recent iterations", "last": "last iteration", "best": "lowest loss",
          "weights": "network weights", "input": "network input (faster)"}


def _choices(name: str) -> list[tuple[str, Any]]:
    """The values of setting ``name`` (its ``choices`` in Settings), in plain words where the dock has
    them."""
    return [(_WORDS.get(c, c), c) for c in option_help()[name][2]]


def _preset_first(name: str) -> list:
    """``"preset"`` (None: the preset's choice) first, then the setting's values."""
    return ["preset", *(c for c in option_help()[name][2] if c is not None)]


def _default(name: str):
    return option_help()[name][0]


def _help(name: str) -> str:
    default, text, _ = option_help()[name]
    return f"{text} (default: {default})"


def _layer(name: str, label: str, annotation, tooltip: str, nullable: bool = True):
    return create_widget(name=name, annotation=annotation, label=label,
                         options={"nullable": nullable, "tooltip": tooltip})


def level_choices(layer) -> list[str]:
    """``"0: 2048x2048"``, ``"1: 1024x1024"``, ... for a multiscale layer (``["0"]`` otherwise)."""
    if not getattr(layer, "multiscale", False):
        return ["0"]
    k = 3 if layer.rgb else 2
    return [f"{i}: {'x'.join(map(str, d.shape[-k:][:2]))}" for i, d in enumerate(layer.data)]


def region_choices(viewer) -> list[tuple[str, Any]]:
    """``none``, ``current view`` and every Shapes layer of the viewer (its rectangle)."""
    shapes = [(ly.name, ly) for ly in viewer.layers if isinstance(ly, napari.layers.Shapes)]
    return [("none", None), (VIEW, VIEW), *shapes]


def hint(text: str = "") -> Label:
    """The one short line under a main field that says what it does."""
    line = Label(value=text, label="")
    line.native.setWordWrap(True)
    # its width follows the dock's (it wraps), never the other way round
    line.native.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    line.native.setStyleSheet("color: gray; font-size: 11px;")
    return line


def main_fields(w, tasks: dict) -> list:
    """The fields above the fold (what a microscopist sets: image, task, its inputs, noise, scaling), each
    with a line saying what it does, set as attributes of ``w``; returns them, hint lines included, in form
    order. At most 7 fields show at once (the PSF group's way and its fields, a stack's mode)."""
    w.image = create_widget(name="image", annotation=napari.layers.Image, label="image")
    w.task = ComboBox(name="task", label="task", choices=list(tasks), value=next(iter(tasks)))
    w.task_hint = hint()
    w.stack = ComboBox(
        name="stack",
        label="stack",
        choices=list(STACK_MODES),
        value="current plane",
        tooltip="Images with more than two axes (Z, T, ...): restore the plane shown, every "
        "plane one after the other, or fit a 3D network to the Z-stack.",
    )
    inputs = task_fields(w)  # the tasks' own inputs (core/tasks/schema.py): w.mask, w.factor, w.psf, ...
    specs = restore_inputs().values()
    plain = [inputs[s.name] for s in specs if s.way is None and not s.from_scale]
    w.scale_fields = [inputs[s.name] for s in specs if s.from_scale]  # overrides of the scale: in the fold
    w.psf_group = psf_group(w, hint, inputs)
    w.noise = ComboBox(
        name="noise",
        label="noise",
        choices=list(option_help()["noise"][2]),  # the noise-model registry (core/noise.py), auto among them
        value=option_help()["noise"][0],  # "auto"
        tooltip=_help("noise") + ". Auto measures whether the noise grows with the brightness (a camera's "
        "photon counts: poisson) or not (gaussian); the run's status and metadata say which it chose and "
        "why. Poisson: photon counts (fluorescence).",
    )
    w.noise_hint = hint("How the values are noisy: photon counts (poisson) for fluorescence cameras, "
                        "gaussian otherwise.")
    w.normalize = ComboBox(
        name="normalize",
        label="intensities",
        choices=_choices("normalize"),
        value=_default("normalize"),
        tooltip=_help("normalize") + ". percentile: when a few hot or dead pixels set the range.",
    )
    w.normalize_hint = hint("How values map to the fit's range: minmax keeps every value exactly; "
                            "percentile ignores hot pixels.")
    w.show_advanced = CheckBox(name="show_advanced", text="expert options", value=False,
                               tooltip="Iterations, network, learning rate, memory, device, ...: the "
                               "defaults suit most images.")
    return [
        w.image,
        w.task,
        w.task_hint,
        w.stack,
        *plain,
        *w.psf_group,
        w.noise,
        w.noise_hint,
        w.normalize,
        w.normalize_hint,
        w.show_advanced,
    ]


def expert_fields(w) -> list:
    """What the region, the run and the network need: set as attributes of ``w``, in fold order."""
    w.region = ComboBox(
        name="region",
        label="region",
        choices=lambda _: region_choices(w.viewer),
        value=None,
        tooltip="Restore only a region, at full resolution: the selected (else the first) "
        "rectangle of a Shapes layer, or what the canvas shows now. none: the whole image.",
    )
    w.level = ComboBox(
        name="level",
        label="pyramid level",
        choices=lambda _: level_choices(w.image.value),
        tooltip="Multiscale image: the pyramid level to restore (0 = full resolution; large "
        "levels are restored in tiles).",
    )
    w.reference = _layer(
        "reference",
        "clean reference",
        napari.layers.Image,
        "Optional: a clean image of the same scene (a simulation's ground truth); PSNR and SSIM are "
        "then shown live and in Compare.",
    )
    w.iterations = SpinBox(
        name="iterations",
        label="max iterations",
        min=0,
        max=100_000,
        step=100,
        value=0,
        tooltip="The most iterations a fit may run (the automatic stop usually ends it sooner). "
        "auto: the task's own cap (as in Python); raise it if the status says the cap was hit.",
    )
    w.early_stop = CheckBox(
        name="early_stop",
        label="stop by itself",
        value=True,
        tooltip="Stop when the result stops improving (no clean image needed). Turn off only to run "
        "exactly 'max iterations'.",
    )
    return [w.region, w.level, w.reference, w.iterations, w.early_stop]


def advanced_fields(w) -> list:
    """The folded options (hidden until "expert options" is ticked), set as attributes of ``w``; returns them
    in form order (in the form's own label column, not a nested one: the dock stays narrow)."""
    run = expert_fields(w)
    w.output = ComboBox(
        name="output", label="result image",
        choices=_choices("output"), value=_default("output"),
        tooltip=_help("output") + ". The average is the least noisy; keep it unless comparing.",
    )
    w.fit = ComboBox(name="fit", label="what is trained",
                     choices=_choices("fit"), value=_default("fit"),
                     tooltip=_help("fit") + ". Try the input for large images on a CPU.")
    w.fit.changed.connect(lambda mode: _fit_lr(w, mode))
    w.restarts = SpinBox(name="restarts", label="averaged fits", min=1, max=8, value=1,
                         tooltip=_help("restarts") + ". More: less noise, proportionally slower.")
    w.lr = FloatSpinBox(name="lr", label="learning rate", min=1e-5, max=1.0, step=0.001, value=0.01,
                        tooltip=_help("lr") + ". Lower it if the loss jumps up and down.")
    w.net_width = ComboBox(name="net_width", label="network width", choices=["auto", 8, 16, 32, 64, 128],
                           value="auto", tooltip=_help("width") + ". Narrower: faster, less detail.")
    w.network = ComboBox(name="network", label="network",
                         choices=_preset_first("network"), value="preset", tooltip=_help("network"))
    # a callable: napari's reset_choices() (on every layer change) asks the current task again
    w.preset = ComboBox(name="preset", label="preset", value="auto", tooltip=_help("preset"),
                        choices=lambda _: ["auto", *w.tasks[w.task.value].policy.presets])
    w.loss = ComboBox(name="loss", label="data loss", choices=_preset_first("loss"), value="preset",
                      tooltip=_help("loss"))
    w.warm_start = CheckBox(name="warm_start", label="warm planes", value=False,
                            tooltip=_help("warm_start") + ". Faster on stacks of similar planes.")
    w.planes = LineEdit(name="planes", label="planes", value="",
                        tooltip="All planes: the planes to restore, e.g. 0-4,7 (empty: all; others are "
                        "copied).")
    w.tile = ComboBox(name="tile", label="tiles", choices=list(TILES), value="auto",
                      tooltip=_help("tile") + ". auto tiles only images too large for the memory limit.")
    w.max_memory = FloatSpinBox(name="max_memory", label="memory (GiB)", min=0.0, max=4096.0, step=0.5,
                                value=0.0, tooltip="Memory one fit may use, GiB; larger images are tiled. "
                                "automatic: 4 GiB on CPU, 90% of the free GPU memory.")
    w.max_memory.native.setSpecialValueText("automatic")
    w.seed = SpinBox(name="seed", label="random seed", min=0, max=2**31 - 1, value=0,
                     tooltip="Same seed, same result; change it to see how much a result depends on chance.")
    w.device = ComboBox(name="device", label="device", choices=device_choices(),
                        tooltip="Where the fit runs: a GPU is 10-100x faster than the CPU.")
    w.preview_every = SpinBox(name="preview_every", label="preview every", min=1, max=10_000, value=10,
                              tooltip="Show the result every this many iterations; raise it for large "
                              "images.")
    w.keep_snapshots = CheckBox(text="keep snapshots", value=False,
                                tooltip="Also keep every preview as a stack with an iteration axis.")
    fields = [*run, w.output, w.fit, w.restarts, w.lr, w.net_width, w.network, w.preset, w.loss,
              w.warm_start, w.planes, w.tile, w.max_memory, w.seed, w.device, w.preview_every,
              w.keep_snapshots]
    for field in fields:
        field.visible = False
    return fields


def _fit_lr(w, mode: str) -> None:
    """Fitting the input has its own learning rate (0.1): the lr field follows the fit while untouched."""
    pair = {"input": (0.01, 0.1), "weights": (0.1, 0.01)}[mode]
    if abs(w.lr.value - pair[0]) < 1e-9:
        w.lr.value = pair[1]


def option_kwargs(w, *, stack_mode: str | None) -> dict[str, Any]:
    """The Settings options the form sets (only those that differ from "the preset's")."""
    kw: dict[str, Any] = dict(
        early_stop=bool(w.early_stop.value),
        preview_every=int(w.preview_every.value),
        lr=float(w.lr.value),
        fit=w.fit.value,
        restarts=int(w.restarts.value),
        output=w.output.value,
        noise=w.noise.value,
        normalize=w.normalize.value,
        tile=TILES[w.tile.value],
    )
    for name, field, default in (
        ("width", w.net_width, "auto"),
        ("network", w.network, "preset"),
        ("preset", w.preset, "auto"),
        ("loss", w.loss, "preset"),
    ):
        if field.value != default:
            kw[name] = int(field.value) if name == "width" else field.value
    if w.max_memory.value > 0:
        kw["max_memory"] = int(w.max_memory.value * 2**30)
    if stack_mode is not None:
        kw["mode"] = stack_mode
        if stack_mode == "plane":
            kw["warm_start"] = bool(w.warm_start.value)
            if w.planes.value.strip():
                try:
                    kw["planes"] = parse_planes(w.planes.value)
                except ValueError:
                    raise ValueError(
                        f"planes: {w.planes.value!r} is not a list of planes such as 0-4,7."
                    ) from None
    return kw
