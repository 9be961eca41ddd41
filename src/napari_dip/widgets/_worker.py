"""Run a generator of snapshots in napari's worker thread with a cooperative Stop.

The worker thread only iterates the core generator; it forwards the
snapshots that carry something to show (a preview, the final result) and
any other message the generator yields (what a dock prepared on the worker
before the fit), and checks the stop flag between every two of them. Layer and Qt updates
happen in the callbacks, which napari runs on the main thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

_BUSY: set[str] = set()
_LOCK = threading.Lock()


def claim_device(device: str) -> bool:
    """Reserve ``device`` for one fit; False if a fit already runs there."""
    with _LOCK:
        if device in _BUSY:
            return False
        _BUSY.add(device)
        return True


def release_device(device: str) -> None:
    with _LOCK:
        _BUSY.discard(device)


def _forward(make_generator: Callable[[], Iterator], stop: threading.Event):
    gen = make_generator()
    try:
        for snap in gen:
            if stop.is_set():
                return
            if not hasattr(snap, "preview") or snap.preview is not None or snap.done:
                yield snap
    finally:
        gen.close()


def start_fit(make_generator: Callable[[], Iterator], *, on_snapshot, on_error, on_finished,
              stop: threading.Event):
    """Start ``make_generator()`` in a napari thread worker; return the worker.

    The generator is created inside the worker thread, so slow set-up (building
    the network, a classical fill) never blocks the UI.
    """
    from napari.qt.threading import create_worker

    # We handle errors ourselves (a notification), so napari must not re-raise them.
    worker = create_worker(_forward, make_generator, stop, _start_thread=False, _ignore_errors=True)
    worker.yielded.connect(on_snapshot)
    worker.errored.connect(on_error)
    worker.finished.connect(on_finished)
    worker.start()
    return worker


def start_steps(func: Callable, *args, on_result, on_error):
    """Run a generator function in a worker thread; ``on_result`` gets its return value. ``worker.quit()``
    ends it at its next ``yield`` (also before its first step, when the thread pool had not started it),
    without ``on_result``."""
    from napari.qt.threading import create_worker

    worker = create_worker(func, *args, _start_thread=False, _ignore_errors=True)
    worker.returned.connect(on_result)
    worker.errored.connect(on_error)
    worker.start()
    return worker


def start_call(func: Callable, *args, on_result, on_error, **kwargs):
    """Run a plain function (a classical baseline) in a worker thread."""
    from napari.qt.threading import create_worker

    worker = create_worker(func, *args, _start_thread=False, _ignore_errors=True, **kwargs)
    worker.returned.connect(on_result)
    worker.errored.connect(on_error)
    worker.start()
    return worker
