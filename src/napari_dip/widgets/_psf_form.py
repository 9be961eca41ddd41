"""The Restore dock's PSF group: how the point-spread function is given (the optics, a blur width or a
measured PSF layer), the optics' fields, the pixel size, and the PSF layer a run with the optics shows.

Which fields show follows the task's inputs (``psf`` and ``na`` among a task's options), never its name.
Main thread only.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np
from magicgui.widgets import ComboBox, Container, FloatSpinBox, create_widget

from ._layers import META_KEY

OPTICS_WAY, SIGMA_WAY, LAYER_WAY = "from the optics", "blur width (px)", "measured PSF layer"
#: The optics' options of the task (core/tasks/options.py DeconvolveOptions) the form sets.
OPTICS_FIELDS = ("na", "wavelength", "ni", "ns", "microscope")
HINTS = {
    OPTICS_WAY: "The PSF computed from the objective (NA, immersion) and the emission wavelength; the pixel "
    "size is the image's scale.",
    SIGMA_WAY: "A Gaussian blur of this width; raise it if the result still looks blurred.",
    LAYER_WAY: "A measured PSF (a bead image), 2D, or 3D for volume mode.",
}


def _spin(name: str, label: str, value: float, lo: float, hi: float, step: float, tooltip: str,
          decimals: int = 3) -> FloatSpinBox:
    box = FloatSpinBox(name=name, label=label, min=lo, max=hi, step=step, value=value, tooltip=tooltip)
    box.native.setDecimals(decimals)
    return box


def psf_group(w, hint) -> list:
    """The way the PSF is given and each way's fields (only the chosen way's show; the optics' five in one
    container, one row of the form), set as attributes of ``w``; ``hint`` makes the line under them."""
    w.psf_way = ComboBox(name="psf_way", label="PSF", choices=[OPTICS_WAY, SIGMA_WAY, LAYER_WAY],
                         value=OPTICS_WAY, tooltip="How the point-spread function (the blur) is given: "
                         "computed from the optics, a Gaussian of a given width, or a measured PSF image.")
    w.psf = create_widget(name="psf", annotation=napari.layers.Image, label="PSF image", options={
        "nullable": True, "tooltip": "An Image layer holding a measured PSF (e.g. a bead), 2D, or 3D for "
        "volume mode."})
    w.psf_sigma = FloatSpinBox(
        name="psf_sigma", label="blur width (px)", min=0.1, max=50.0, step=0.1, value=1.5,
        tooltip="The blur is a Gaussian of this standard deviation, in pixels. Raise it if the result still "
        "looks blurred, lower it if edges ring.",
    )
    w.na = _spin("na", "NA", 1.4, 0.05, 1.7, 0.05, "The objective's numerical aperture (engraved on it, "
                 "e.g. 60x/1.40 oil); below the immersion index.", decimals=2)
    w.wavelength = _spin("wavelength", "emission (µm)", 0.52, 0.2, 2.0, 0.01,
                         "The emission wavelength in µm (0.52 for 520 nm, GFP).")
    w.wavelength.native.setSuffix(" µm")
    w.ni = _spin("ni", "immersion n", 1.515, 1.0, 2.0, 0.001, "Refractive index of the immersion medium: "
                 "1.515 oil; 1.33 water, 1.0 air, 1.406 silicone.")
    w.ns = _spin("ns", "sample n", 1.33, 1.0, 2.0, 0.01, "Refractive index of the sample (1.33: watery; "
                 "mounting media up to about 1.52).")
    w.microscope = ComboBox(name="microscope", label="microscope", choices=["widefield", "confocal"],
                            value="widefield", tooltip="confocal: the widefield PSF squared (a simple "
                            "approximation of a small pinhole).")
    w.optics = Container(name="optics", label="", labels=True)
    w.optics.extend([w.na, w.wavelength, w.ni, w.ns, w.microscope])  # added after init: labels of one width
    w.optics.margins = (0, 0, 0, 0)
    w.psf_hint = hint(HINTS[OPTICS_WAY])
    w.psf_way.changed.connect(lambda *_: show_psf_fields(w))
    # choosing a PSF layer means measuring it is the way (also when set from a script)
    w.psf.changed.connect(lambda layer: setattr(w.psf_way, "value", LAYER_WAY) if layer is not None else None)
    return [w.psf_way, w.optics, w.psf_sigma, w.psf, w.psf_hint]


def pixel_size_field() -> FloatSpinBox:
    """The expert field that overrides the image's scale as the optics' pixel size (0: the scale)."""
    box = _spin("pixel_size", "pixel size (µm)", 0.0, 0.0, 100.0, 0.005, "The lateral pixel size in the "
                "sample, µm (camera pixel / magnification). automatic: the image layer's scale.", decimals=4)
    box.native.setSpecialValueText("image's scale")
    return box


def show_psf_fields(w) -> None:
    """Show the PSF way and the chosen way's fields for a task with a PSF (the optics only for a task that
    takes them), the pixel size in the fold with the optics; hide the rest."""
    inputs = w.tasks[w.task.value].form.inputs
    has_psf = "psf" in inputs
    way = w.psf_way.value
    w.psf_way.visible = w.psf_hint.visible = has_psf
    w.optics.visible = has_psf and "na" in inputs and way == OPTICS_WAY
    w.psf_sigma.visible = has_psf and way == SIGMA_WAY
    w.psf.visible = has_psf and way == LAYER_WAY
    w.pixel_size.visible = bool(w.show_advanced.value) and has_psf and way == OPTICS_WAY
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


def psf_inputs(w, layer, mode: str | None) -> dict[str, Any]:
    """The task's PSF inputs from the form: a measured PSF, a blur width or the optics and pixel size."""
    way = w.psf_way.value
    if way == LAYER_WAY:
        if w.psf.value is None:
            raise ValueError("choose the measured PSF's Image layer (or another way to give the PSF).")
        return {"psf": np.asarray(w.psf.value.data, dtype=float)}
    if way == SIGMA_WAY:
        return {"psf_sigma": float(w.psf_sigma.value)}
    out: dict[str, Any] = {k: float(getattr(w, k).value) for k in OPTICS_FIELDS if k != "microscope"}
    out["microscope"] = w.microscope.value
    out["pixel_size"] = layer_pixel_size(layer, float(w.pixel_size.value), mode == "volume")
    return out


def optics_psf(task, kwargs: dict) -> tuple[np.ndarray, dict, int] | None:
    """The PSF a run with the optics will use (as the task computes it), its record and its dimensions; None
    for a run without the optics. Raises the task's ValueError for optics it cannot use (NA above the
    immersion index, ...)."""
    if kwargs.get("na") is None:
        return None
    own = {k: kwargs.get(k) for k in task.form.inputs if k != "mask"}
    nd = 3 if kwargs.get("mode") == "volume" else 2
    made = task.input_rules.check_inputs(own, nd=nd, channels=1)
    return np.asarray(made["psf"], dtype=np.float32), made["optics"], nd


def add_psf_layer(viewer, src, psf: np.ndarray, record: dict, nd: int) -> napari.layers.Image:
    """The optics' PSF as an Image layer at the image's pixel size, ``"<image> PSF (NA 1.4, 0.52 µm)"``, its
    parameters in its metadata."""
    size = [float(v) for v in np.atleast_1d(record["pixel_size"])]
    scale = size[-nd:] if len(size) >= nd else [size[-1]] * nd
    name = f"{src.name} PSF (NA {record['na']:g}, {record['wavelength']:g} µm)"
    return viewer.add_image(psf, name=name, scale=scale, colormap="magma",
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
