"""The Restore dock's PSF group: how the point-spread function is given (the optics, a blur width or a
measured PSF layer), the optics' fields, the pixel size, and the PSF layer a run with the optics shows.

The fields are the task-input schema's (``_task_fields``); which show follows the task's inputs and the
chosen way (each input's ``way`` in the schema), never the task's name.
Main thread only.
"""

from __future__ import annotations

import napari
import numpy as np
from magicgui.widgets import ComboBox, Container

from napari_dip.core.tasks.catalog import restore_inputs
from napari_dip.core.tasks.schema import inputs_of

from ._layers import META_KEY
from ._task_fields import show_task_fields

OPTICS_WAY, SIGMA_WAY, LAYER_WAY = "from the optics", "blur width (px)", "measured PSF layer"
#: The ways of giving the PSF, in the order the form lists them: the inputs of a way are those whose schema
#: entry (core/tasks/options.py DeconvolveOptions) names it.
WAYS = {OPTICS_WAY: "optics", SIGMA_WAY: "sigma", LAYER_WAY: "layer"}
HINTS = {
    OPTICS_WAY: "The PSF computed from the objective (NA, immersion) and the emission wavelength; the pixel "
    "size is the image's scale.",
    SIGMA_WAY: "A Gaussian blur of this width; raise it if the result still looks blurred.",
    LAYER_WAY: "A measured PSF (a bead image), 2D, or 3D for volume mode.",
}


def psf_group(w, hint, fields: dict) -> list:
    """The way the PSF is given and each way's fields (``fields``: the task-input fields by name; only the
    chosen way's show; the optics' in one container, one row of the form), set as attributes of ``w``;
    ``hint`` makes the line under them. The fields taken from the image's scale (the pixel size) are not
    among them: they go in the expert fold."""
    w.psf_way = ComboBox(name="psf_way", label="PSF", choices=list(WAYS),
                         value=OPTICS_WAY, tooltip="How the point-spread function (the blur) is given: "
                         "computed from the optics, a Gaussian of a given width, or a measured PSF image.")
    specs = [s for s in restore_inputs().values() if s.way is not None and not s.from_scale]
    w.optics = Container(name="optics", label="", labels=True)
    # added after init: labels of one width
    w.optics.extend([fields[s.name] for s in specs if s.way == WAYS[OPTICS_WAY]])
    w.optics.margins = (0, 0, 0, 0)
    others = [fields[s.name] for way in list(WAYS.values())[1:] for s in specs if s.way == way]
    w.psf_hint = hint(HINTS[OPTICS_WAY])
    w.psf_way.changed.connect(lambda *_: show_psf_fields(w))
    # choosing a PSF layer means measuring it is the way (also when set from a script)
    w.psf.changed.connect(lambda layer: setattr(w.psf_way, "value", LAYER_WAY) if layer is not None else None)
    return [w.psf_way, w.optics, *others, w.psf_hint]


def chosen_way(w) -> str:
    """The way of the PSF chosen in the form (the ``way`` of the schema's inputs)."""
    return WAYS[w.psf_way.value]


def show_psf_fields(w) -> None:
    """Show the task's input fields (``_task_fields``), of the PSF's the chosen way's, and the way for a task
    with a PSF (the optics' row only for a task that takes them); hide the rest."""
    inputs = w.tasks[w.task.value].form.inputs
    ways = {s.way for s in restore_inputs().values() if s.way is not None and s.name in inputs}
    way = w.psf_way.value
    w.psf_way.visible = w.psf_hint.visible = bool(ways)
    w.optics.visible = way == OPTICS_WAY and any(f.name in inputs for f in w.optics)
    show_task_fields(w, chosen_way(w))
    w.psf_hint.value = HINTS[way]


def layer_pixel_size(layer, override: float, volume: bool) -> list[float]:
    """The pixel size in µm, (Y, X) or for a volume (Z, Y, X): ``override`` (lateral, > 0) or the layer's
    scale (converted from its units when they are lengths); a scale of 1 px is "not set": a ValueError."""
    scale = [float(s) for s in layer.scale[-3 if volume else -2:]]
    for i, unit in enumerate(getattr(layer, "units", ())[-len(scale):]):
        try:
            scale[i] *= float((1 * unit).to("micrometer").magnitude)
        except Exception:  # noqa: BLE001 (pixels, or a unit that is not a length: the scale as it is)
            pass
    if override > 0:
        scale[-2:] = [override, override]
    elif all(np.isclose(s, 1.0) for s in scale[-2:]):
        raise ValueError(
            f"the PSF from the optics needs the pixel size: image {layer.name!r} has no scale (1 px). Set "
            "'pixel size (µm)' under expert options, or the layer's scale (e.g. layer.scale = (0.065, "
            "0.065))."
        )
    if volume and np.isclose(scale[0], 1.0):
        raise ValueError(f"a volume's PSF from the optics needs the Z step: set the Z scale (µm) of image "
                         f"{layer.name!r} (e.g. layer.scale = (0.2, 0.065, 0.065)).")
    return scale


def optics_psf(task, kwargs: dict) -> tuple[np.ndarray, dict, int] | None:
    """The PSF a run with the optics will use (as the task computes it), its record and its dimensions; None
    for a run without the optics. Raises the task's ValueError for optics it cannot use (NA above the
    immersion index, ...)."""
    if kwargs.get("na") is None:
        return None
    own = {s.name: kwargs.get(s.name) for s in inputs_of(task.form.options) if s.kind != "mask"}
    nd = 3 if kwargs.get("mode") == "volume" else 2
    made = task.input_rules.check_inputs(own, nd=nd, channels=1)
    return np.asarray(made["psf"], dtype=np.float32), made["optics"], nd


def add_psf_layer(viewer, src, data: np.ndarray, record: dict, nd: int) -> napari.layers.Image:
    """The optics' PSF as an Image layer at the image's pixel size, ``"<image> PSF (NA 1.4, 0.52 µm)"``, its
    parameters in its metadata."""
    size = [float(v) for v in np.atleast_1d(record["pixel_size"])]
    scale = size[-nd:] if len(size) >= nd else [size[-1]] * nd
    name = f"{src.name} PSF (NA {record['na']:g}, {record['wavelength']:g} µm)"
    return viewer.add_image(data, name=name, scale=scale, colormap="magma",
                            metadata={META_KEY: {"psf_optics": record}})


def span_row(container: Container, like) -> None:
    """Let a nested container of the form span its row (no empty label of its own in the form's label column,
    so the dock stays as narrow as without it), its labels as wide as the form's (those of ``like``'s row)."""
    row = container._labeled_widget()  # magicgui's labelled row around it (None outside a labelled form)
    if row is not None:
        row._label_widget.visible = False
    outer = like._labeled_widget()
    for field in container:
        inner = field._labeled_widget()
        if outer is not None and inner is not None:
            inner.label_width = max(outer._label_widget.min_width, inner._label_widget.min_width)
