"""The Restore dock's run between the two threads: what the worker prepares before the fit (the PSF from the
optics, the output's placeholder, then the job inside ``iter_restore``) and the main thread's cheap answers
to it (a layer added once, previews copied into it).

The Run click only reads the form and the layers and starts the worker; everything that computes happens
here on the worker. The main thread adds the layers the worker's first messages describe, one per slot,
and per preview only copies the image into the output layer's own array.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from qtpy.QtCore import QTimer

# the public API through the package (loaded on first use: torch comes with the first run, on the worker)
import napari_dip
from napari_dip.core.data import repeat_pixels

from ._layers import output_kwargs
from ._psf_form import add_psf_layer, optics_psf


@dataclass
class PsfMade:
    """The worker's message: the PSF a run from the optics will use (``optics_psf``'s data, record, dims).
    ``added`` is set once its layer is added (the worker waits for it)."""

    data: np.ndarray
    record: dict
    nd: int
    added: threading.Event = field(default_factory=threading.Event)


@dataclass
class Placeholder:
    """The worker's message: the output layer's first image (the input, up-scaled for super-resolution).
    ``added`` is set once its layer is added (the worker waits for it)."""

    data: np.ndarray
    added: threading.Event = field(default_factory=threading.Event)


def _until_added(msg, stop: threading.Event) -> bool:
    """Wait, on the worker, for the main thread to add ``msg``'s layer; False if the run was stopped first.

    Adding a layer is napari's heaviest main-thread step of a run, and Python code: the worker building the
    job meanwhile would take the interpreter from it half of the time, doubling the pause."""
    while not msg.added.wait(0.05):
        if stop.is_set():
            return False
    return True


def run_messages(task, image: np.ndarray, kwargs: dict, *, rgb: bool, stop: threading.Event,
                 resume=None) -> Iterator:
    """The worker's side of a run: a :class:`PsfMade` (a run from the optics) and a :class:`Placeholder`
    (not for a continued fit: its layer is there), each waited for until its layer is added, then
    ``iter_restore``'s snapshots. A bad input is the task's ``ValueError``, raised here (the worker's error:
    a notification)."""
    if resume is None:
        optics = optics_psf(task, kwargs)
        factor = kwargs.get("factor", 1) or 1
        # nearest-neighbour up-scaling of the (last two) spatial axes; a copy: the layer's own array
        placeholder = Placeholder(repeat_pixels(image, factor, (-3, -2) if rgb else (-2, -1)) if factor > 1
                                  else np.array(image, copy=True))
        for msg in ([] if optics is None else [PsfMade(*optics)]) + [placeholder]:
            yield msg
            if not _until_added(msg, stop):
                return
    options = {k: v for k, v in kwargs.items() if k != "task"}
    yield from napari_dip.iter_restore(image, **options, task=kwargs["task"], resume=resume)


def add_prepared(widget, msg: PsfMade | Placeholder) -> None:
    """A message of the worker's before the fit, on the main thread: the PSF layer (its name goes to the run's
    parameters) or the output layer with the placeholder (its array the layer's own: previews go into it)."""
    run = widget._run
    src, params = run["src"], run["params"]
    if isinstance(msg, PsfMade):
        try:
            params["psf_layer"] = add_psf_layer(widget.viewer, src, msg.data, msg.record, msg.nd).name
        finally:
            msg.added.set()  # the worker goes on
        return
    factor = params.get("factor", 1) or 1
    try:
        widget.output_layer = add_layer(widget.viewer, msg.data, output_kwargs(
            src, f"{src.name} [DIP {params['task']}]", scale_factor=factor, metadata=params,
            level=run["level"], offset=run["offset"], ndim=msg.data.ndim - (1 if src.rgb else 0)),
            then=msg.added.set)  # the worker goes on once the layer shows
    except Exception:
        msg.added.set()
        raise
    run["owned"] = True


def add_layer(viewer, data: np.ndarray, kwargs: dict, then=None):
    """``viewer.add_image(data, **kwargs)`` with the cost the UI thread pays for it split in two turns of the
    event loop: the layer is added hidden and not selected (no slice, no first draw of a new visual, no
    switch of napari's layer controls), and shown and selected a moment later, after the window has
    repainted; ``then()`` after that."""
    layers = viewer.layers
    before = getattr(layers, "_activate_on_insert", None)  # napari's SelectableEventedList; absent: as napari
    if before is not None:
        layers._activate_on_insert = False
    try:
        layer = viewer.add_image(data, **{**kwargs, "visible": False})
    finally:
        if before is not None:
            layers._activate_on_insert = before
    QTimer.singleShot(SHOW_MS, lambda: _show(layers, layer, then))
    return layer


#: Milliseconds between adding the output layer and showing it: the window repaints in between.
SHOW_MS = 30


def _show(layers, layer, then=None) -> None:
    try:
        if layer in layers:
            layer.visible = True
            layers.selection.active = layer
    finally:
        if then is not None:
            then()


def show_preview(layer, image: np.ndarray, owned: bool) -> None:
    """Show ``image`` in ``layer``, whose array is then the layer's own (``owned``: it is already, as the
    placeholder is: nothing else holds it).

    An owned array takes the image in place and the layer refreshes its slice and thumbnail: setting
    ``layer.data`` also re-derives the layer's extent and the viewer's dimensions, which do not change
    between previews (more than half of the update). Otherwise, or for an image of another shape or type,
    ``layer.data`` is set to a copy (the snapshot's own array may be kept elsewhere: the snapshots stack)."""
    data = layer.data
    if owned and isinstance(data, np.ndarray) and data.shape == image.shape and data.dtype == image.dtype:
        np.copyto(data, image)
        layer.refresh(extent=False, highlight=False)
    else:
        layer.data = np.array(image, copy=True)
