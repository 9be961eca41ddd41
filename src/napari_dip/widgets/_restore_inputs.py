"""The Restore dock's form and layers read into ``iter_restore`` arguments (main thread only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from napari_dip.core.tasks.schema import inputs_of

from ._layers import crop, layer_region, level_data, plane_of, spatial_shape
from ._psf_form import chosen_way, layer_pixel_size
from ._restore_form import STACK_MODES, option_kwargs
from ._task_fields import read_task_inputs


def read_call(widget) -> dict[str, Any]:
    """Read the Restore dock ``widget``'s form and layers into ``iter_restore`` arguments (main thread): the
    image (the shown plane, a stack or a region of full resolution), the task's inputs cropped alike,
    the reference and every option."""
    task = widget.tasks[widget.task.value]
    layer = widget.image.value
    if layer is None:
        raise ValueError(
            "choose an Image layer to restore (add one with File > Open or File > Open Sample)."
        )
    region = layer_region(layer, widget.region.value, widget.viewer)  # full-resolution pixels, or None
    level = 0 if region is not None else widget._level()
    mode = STACK_MODES[widget.stack.value] if layer.ndim > 2 else None
    if mode is None:
        image, index = plane_of(layer, widget.viewer, level, region)
    else:
        image, index = np.asarray(crop(level_data(layer, level), region, rgb=layer.rgb)), ()
    kwargs: dict[str, Any] = dict(
        task=task.name,
        channel_axis=-1 if layer.rgb else None,
        iterations=int(widget.iterations.value) or None,  # 0: the task's own cap, as in Python
        seed=int(widget.seed.value),
        device=widget.device.value,
        **option_kwargs(widget, stack_mode=mode),
    )
    kwargs.update(_task_inputs(widget, task, image, index, mode))
    full = spatial_shape(layer)
    for spec in inputs_of(task.form.options):  # the masks cropped alike (a PSF is not the image's)
        if spec.kind == "mask":
            kwargs[spec.name] = crop(kwargs[spec.name], region, full=full,
                                     what=f"{spec.label} {getattr(widget, spec.name).value.name!r}")
    if (ref_layer := widget.reference.value) is not None:
        ref = plane_of(ref_layer, widget.viewer)[0] if mode is None else np.asarray(ref_layer.data)
        kwargs["reference"] = crop(
            ref, region, rgb=ref_layer.rgb, full=full, what=f"reference {ref_layer.name!r}"
        )
    return dict(image=np.array(image, copy=True), index=index, level=level, region=region, **kwargs)


def _task_inputs(widget, task, image, index, mode) -> dict[str, Any]:
    """The task's own inputs from the form, in one loop over the task-input schema (``_task_fields``)."""
    return read_task_inputs(widget, task, widget.image.value, index, mode, chosen_way(widget),
                            layer_pixel_size)
