"""The Restore dock's fields of the tasks' own inputs, made from the task-input schema
(:mod:`napari_dip.core.tasks.schema`): one field per input of the restoration tasks (its kind, label, initial
value, limits and tooltip from there), shown for the tasks that take it and read back in one loop.

Inputs with a ``way`` are alternatives (the PSF's: a layer, a width or the optics): ``_psf_form`` says which
way is chosen; the rest of the dock knows no input by name. Main thread only.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np
from magicgui.widgets import ComboBox, FloatSpinBox, SpinBox, create_widget

from napari_dip.core.mask import mask_plane
from napari_dip.core.tasks.catalog import restore_inputs
from napari_dip.core.tasks.schema import TaskInput, inputs_of

_LAYERS = {"mask": napari.layers.Labels, "image": napari.layers.Image}


def input_field(spec: TaskInput):
    """The form field of one input: a layer (mask, image), a choice, or a number."""
    if spec.kind in _LAYERS:
        return create_widget(name=spec.name, annotation=_LAYERS[spec.kind], label=spec.label,
                             options={"nullable": True, "tooltip": spec.tooltip})
    if spec.choices is not None:
        return ComboBox(name=spec.name, label=spec.label, choices=list(spec.choices), value=spec.value,
                        tooltip=spec.tooltip)
    lo, hi, step, decimals = spec.limits or (0, 1000, 1, None)
    kind = SpinBox if spec.kind == "int" else FloatSpinBox
    box = kind(name=spec.name, label=spec.label, min=lo, max=hi, step=step, value=spec.value,
               tooltip=spec.tooltip)
    if decimals is not None:
        box.native.setDecimals(decimals)
    if spec.suffix:
        box.native.setSuffix(spec.suffix)
    if spec.special:
        box.native.setSpecialValueText(spec.special)
    return box


def task_fields(w) -> dict[str, Any]:
    """A field per input of the restoration tasks, set as attributes of ``w`` (``w.mask``, ``w.factor``,
    ...); returns them by name, in schema order."""
    out = {}
    for spec in restore_inputs().values():
        out[spec.name] = input_field(spec)
        setattr(w, spec.name, out[spec.name])
    return out


def show_task_fields(w, way: str | None) -> None:
    """Show the fields of the chosen task's inputs (of those with a way, the chosen ``way``'s; the pixel-size
    override only in the expert fold); hide the rest."""
    inputs = w.tasks[w.task.value].form.inputs
    for spec in restore_inputs().values():
        shown = spec.name in inputs and spec.way in (None, way)
        getattr(w, spec.name).visible = shown and (not spec.from_scale or bool(w.show_advanced.value))


def read_task_inputs(w, task, layer, index: tuple, mode: str | None, way: str | None,
                     pixel_size) -> dict[str, Any]:
    """The task's own inputs from the form (of those with a way, the chosen ``way``'s), in schema order;
    ``pixel_size(layer, override, volume)`` reads an input taken from the image's scale."""
    out: dict[str, Any] = {}
    for spec in inputs_of(task.form.options):
        if spec.way not in (None, way):
            continue
        value = getattr(w, spec.name).value
        if spec.kind in _LAYERS and value is None:
            raise ValueError(spec.missing.format(task=task.name, label=spec.label))
        if spec.kind == "mask":
            data = np.asarray(value.data)
            out[spec.name] = mask_plane(data, index, 2) if mode is None else data  # the shown plane's part
        elif spec.kind == "image":
            out[spec.name] = np.asarray(value.data, dtype=float)
        elif spec.from_scale:
            out[spec.name] = pixel_size(layer, float(value), mode == "volume")
        else:
            out[spec.name] = {"int": int, "float": float, "floats": float}.get(spec.kind, str)(value)
    return out


def array_layers(w, kwargs: dict) -> dict[str, Any]:
    """The layers of a run's array inputs by name, ``"<input>_layer"``, for the output's metadata (the mask's
    layer always, as it is chosen; the others when the run takes them)."""
    return {f"{s.name}_layer": getattr(getattr(w, s.name).value, "name", None)
            if s.kind == "mask" or s.name in kwargs else None
            for s in restore_inputs().values() if s.is_array}


def array_inputs() -> tuple[str, ...]:
    """The names of the array inputs (left out of a run's metadata: layers, not values)."""
    return tuple(s.name for s in restore_inputs().values() if s.is_array)
