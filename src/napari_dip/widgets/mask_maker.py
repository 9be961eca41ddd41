"""The Mask maker dock widget: draw text, strokes, blobs or a random pixel subset into a Labels layer.

Report 002's mask-creator notebook, in napari: the Labels layer matches the
chosen image's last two spatial axes (shape, scale, translate, units), so it
can be used at once as the Restore or Experiments widget's mask (non-zero =
missing). The drawing is :mod:`napari_dip.masks`.
"""

from __future__ import annotations

import napari
import numpy as np
from magicgui.widgets import ComboBox, Container, FloatSpinBox, LineEdit, PushButton, SpinBox, create_widget
from napari.utils.notifications import show_error

from napari_dip import masks

#: Which parameters each kind shows.
PARAMETERS = {"text": ("string", "size"), "strokes": ("n", "stroke_width"), "blobs": ("n", "radius"),
              "pixels": ("fraction",)}


def spatial_geometry(layer) -> dict:
    """Shape, scale, translate (and units, axis labels) of ``layer``'s last two spatial axes."""
    data_shape = np.shape(layer.data)
    shape = data_shape[-3:-1] if layer.rgb else data_shape[-2:]
    geometry = {"scale": tuple(layer.scale)[-2:], "translate": tuple(layer.translate)[-2:]}
    for attr in ("units", "axis_labels"):
        if hasattr(layer, attr):
            geometry[attr] = tuple(getattr(layer, attr))[-2:]
    return {"shape": tuple(int(s) for s in shape), **geometry}


def make_mask(kind: str, shape: tuple[int, int], *, string: str = "napari-dip", size: int = 0, n: int = 8,
              stroke_width: int = 0, radius: float = 0.0, fraction: float = 0.5, seed: int = 0) -> np.ndarray:
    """One mask of ``kind`` (see :data:`napari_dip.masks.KINDS`); 0 for a size, width or radius means
    'auto'."""
    if kind == "text":
        return masks.text(shape, string.replace("\\n", "\n"), size=size or None, seed=seed)
    if kind == "strokes":
        return masks.strokes(shape, n, width=stroke_width or None, seed=seed)
    if kind == "blobs":
        return masks.blobs(shape, n, radius=radius or None, seed=seed)
    if kind == "pixels":
        return masks.pixels(shape, fraction, seed=seed)
    raise ValueError(f"unknown mask kind {kind!r}; choose one of {masks.KINDS}")


class MaskMakerWidget(Container):
    """Add a synthetic damage mask for an Image layer (napari-dip > Mask maker)."""

    def __init__(self, napari_viewer: napari.viewer.Viewer):
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.image = create_widget(name="image", annotation=napari.layers.Image, label="image")
        self.kind = ComboBox(name="kind", label="kind", choices=list(masks.KINDS), value="text")
        self.string = LineEdit(name="string", label="text", value="napari-dip",
                               tooltip="the text to draw; \\n starts a new line")
        self.size = SpinBox(
            name="size", label="font size", min=0, max=2000, value=0, tooltip="pixels; 0: auto"
        )
        self.n = SpinBox(name="n", label="how many", min=1, max=1000, value=8)
        self.stroke_width = SpinBox(name="stroke_width", label="stroke width", min=0, max=500, value=0,
                                    tooltip="pixels; 0: auto")
        self.radius = FloatSpinBox(name="radius", label="radius", min=0, max=5000, value=0,
                                   tooltip="largest blob radius in pixels; 0: auto")
        self.fraction = FloatSpinBox(name="fraction", label="missing fraction", min=0.0, max=1.0, step=0.05,
                                     value=0.5)
        self.seed = SpinBox(name="seed", label="seed", min=0, max=2**31 - 1, value=0)
        self.add_button = PushButton(name="add_button", text="Add mask")
        self.extend([self.image, self.kind, self.string, self.size, self.n, self.stroke_width, self.radius,
                     self.fraction, self.seed, self.add_button])
        self.kind.changed.connect(self._on_kind)
        self.add_button.changed.connect(self.add_mask)
        self._on_kind(self.kind.value)

    def _on_kind(self, kind: str) -> None:
        for name in ("string", "size", "n", "stroke_width", "radius", "fraction"):
            getattr(self, name).visible = name in PARAMETERS[kind]

    def add_mask(self):
        """Add the mask as a Labels layer named after the image and the kind; return the layer."""
        layer = self.image.value
        if layer is None:
            show_error("napari-dip: choose the Image layer the mask is for.")
            return None
        geometry = spatial_geometry(layer)
        shape = geometry.pop("shape")
        try:
            data = make_mask(self.kind.value, shape, string=self.string.value, size=int(self.size.value),
                             n=int(self.n.value), stroke_width=int(self.stroke_width.value),
                             radius=float(self.radius.value), fraction=float(self.fraction.value),
                             seed=int(self.seed.value))
        except ValueError as err:
            show_error(f"napari-dip: {err}")
            return None
        if not data.any():
            show_error(
                "napari-dip: the mask came out empty (text outside the image?); change its parameters."
            )
            return None
        name = f"{layer.name} mask ({self.kind.value})"
        return self.viewer.add_labels(data, name=name, opacity=0.5, **geometry)
