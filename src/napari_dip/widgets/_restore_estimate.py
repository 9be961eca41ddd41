"""The Restore dock's estimate line: memory and time of the run the form describes, before Run.

Read on the main thread (the form, the layers), computed on a worker (``napari_dip.estimate_run``
times a few iterations), shown on the main thread. A newer estimate quits the one before: a quit
estimate that has not begun ends before its probe (its worker checks between two steps), and one
whose probe runs shows nothing when it ends, so a burst of changes to the form costs one probe.
"""

from __future__ import annotations

from collections.abc import Iterator

# the public API through the package (loaded on first use: torch comes with the first estimate, on the worker)
import napari_dip

from ._batch_job import long_run_hint
from ._worker import start_steps


def probe(image, task: str, kwargs: dict) -> Iterator[None]:
    """The estimate on the worker, in two steps: a quit worker that has not yet run (napari's thread pool
    may hold it behind a fit or another estimate) stops between them, before any work."""
    yield
    return napari_dip.estimate_run(image, task, **kwargs)


def start_estimate(widget) -> None:
    """The Restore dock `widget`'s estimate line, computed on a worker (it times a few
    iterations); a newer estimate quits an older one that is still running or waiting."""
    if widget.closed or widget.worker is not None:
        return
    quit_estimate(widget)
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

    def shown(est) -> None:
        if not widget.closed and widget._estimate_token is token:
            widget.estimate.value = est.text() + long_run_hint(est)  # long: the batch hand-off

    def failed(err: Exception) -> None:
        if not widget.closed and widget._estimate_token is token:
            widget.estimate.value = f"estimate failed: {err}"

    widget._estimate_call = start_steps(probe, image, task, kwargs, on_result=shown, on_error=failed)


def quit_estimate(widget) -> None:
    """Ask the estimate still running (or waiting for a thread) to quit; its result, if it comes, is not
    shown."""
    call, widget._estimate_call = getattr(widget, "_estimate_call", None), None
    widget._estimate_token = None
    if call is not None:
        call.quit()
