"""The Restore dock's estimate line: memory and time of the run the form describes, before Run.

Read on the main thread (the form, the layers), computed on a worker (``napari_dip.estimate_run``
times a few iterations), shown on the main thread; a newer estimate's result replaces an older one's.
"""

from __future__ import annotations

import napari_dip

from ._batch_job import long_run_hint
from ._worker import start_call


def start_estimate(widget) -> None:
    """The Restore dock `widget`'s estimate line, computed on a worker (it times a few
    iterations); a newer estimate replaces an older one that is still running."""
    if widget.closed or widget.worker is not None:
        return
    if widget.image.value is None:
        widget.estimate.value = "choose an image: its time and memory are estimated here before you run"
        return
    try:
        kwargs = widget.build_kwargs()
    except ValueError as err:
        widget.estimate.value = f"cannot run yet: {err}"
        return
    image, task = kwargs.pop("image"), kwargs.pop("task")
    for key in ("index", "level", "region", "reference", "preview_every"):
        kwargs.pop(key, None)
    widget.estimate.value = "estimating memory and time…"
    token = object()
    widget._estimate_token = token

    def shown(est):
        if not widget.closed and widget._estimate_token is token:
            widget.estimate.value = est.text() + long_run_hint(est)  # long: the batch hand-off

    widget._estimate_call = start_call(
        napari_dip.estimate_run,
        image,
        task,
        **kwargs,
        on_result=shown,
        on_error=lambda e: setattr(widget.estimate, "value", f"estimate failed: {e}"),
    )
