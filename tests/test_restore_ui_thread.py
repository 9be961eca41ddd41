"""What the Restore dock leaves to napari's UI thread during a run, in a real viewer (needs a display: run
under xvfb-run). Structure, not time: the Run click builds nothing, the worker builds the job, previews go
into the one output layer, a newer estimate quits the one before, and the dock says why Continue is not
offered."""

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from napari_dip.sample_data import add_gaussian_noise

pytestmark = pytest.mark.gui


def _wait(qtbot, widget, timeout=300_000):  # generous: the machine may be shared
    qtbot.waitUntil(lambda: widget.worker is None, timeout=timeout)


def _recording(monkeypatch, module, name, threads, key):
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        threads.setdefault(key, set()).add(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)


def test_the_run_click_builds_nothing_and_the_worker_builds_the_job(widget_and_viewer, qtbot, rng,
                                                                      monkeypatch):
    """A deconvolution from the optics: the click adds no layer and computes nothing; the PSF from the optics,
    the placeholder and the job (prepare_job: normalisation, network, noise model) are made on the worker;
    then the PSF layer and the output layer are added on the main thread, once each."""
    from napari_dip.core import restore
    from napari_dip.widgets import _restore_run

    threads: dict = {}
    _recording(monkeypatch, restore, "prepare_job", threads, "job")
    _recording(monkeypatch, _restore_run, "optics_psf", threads, "psf")
    widget, viewer = widget_and_viewer
    src = viewer.add_image((rng.random((32, 32)) * 200).astype(np.uint8), name="cells", scale=(0.065, 0.065))
    widget.task.value = "deconvolve"
    widget.image.value = src
    widget.na.value, widget.wavelength.value = 1.4, 0.52
    widget.iterations.value = 3
    widget.early_stop.value = False
    added = []
    viewer.layers.events.inserted.connect(lambda e: added.append((e.value.name, threading.get_ident())))
    main = threading.get_ident()
    widget.run_button.clicked.emit()
    # the click only read and started: no layer yet, nothing computed on the main thread (the worker may
    # already have begun, on its own thread)
    assert widget.worker is not None and added == [] and all(main not in t for t in threads.values())
    _wait(qtbot, widget)
    assert threads["job"] and main not in threads["job"]
    assert threads["psf"] and main not in threads["psf"]
    assert [name for name, _ in added] == ["cells PSF (NA 1.4, 0.52 µm)", "cells [DIP deconvolve]"]
    assert {t for _, t in added} == {main}
    meta = viewer.layers["cells [DIP deconvolve]"].metadata["napari_dip"]
    assert meta["psf_layer"] == "cells PSF (NA 1.4, 0.52 µm)" and meta["iteration"] == 3


def test_optics_the_task_refuses_are_a_notification_from_the_worker(widget_and_viewer, qtbot, rng,
                                                                     monkeypatch):
    """An NA above the immersion's index passes the form (it is read, not checked, on the click) and fails
    on the worker: a notification, no layer, the dock ready again."""
    from napari_dip.widgets import _fit

    errors = []
    monkeypatch.setattr(_fit, "show_error", errors.append)
    widget, viewer = widget_and_viewer
    src = viewer.add_image((rng.random((32, 32)) * 200).astype(np.uint8), name="cells", scale=(0.065, 0.065))
    widget.task.value = "deconvolve"
    widget.image.value = src
    widget.na.value, widget.ni.value = 1.45, 1.33
    n_layers = len(viewer.layers)
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    assert len(errors) == 1 and "NA" in errors[0], errors
    assert len(viewer.layers) == n_layers and widget.run_button.enabled


def test_previews_go_into_the_one_output_layer_in_place(widget_and_viewer, qtbot, clean64):
    """Every preview is copied into the output layer's own array (the placeholder's): no layer is added
    after it, its data is never replaced (napari's data event, which re-derives the viewer's dimensions,
    never fires), yet it shows the result."""
    widget, viewer = widget_and_viewer
    noisy = add_gaussian_noise(clean64[:40, :40], 25)
    widget.image.value = viewer.add_image(noisy, name="cells")
    widget.show_advanced.value = True
    widget.iterations.value = 12
    widget.preview_every.value = 2
    widget.net_width.value = 8
    widget.early_stop.value = False
    added, replaced, shown = [], [], []
    viewer.layers.events.inserted.connect(lambda e: added.append(e.value.name))
    widget.run_button.clicked.emit()
    qtbot.waitUntil(lambda: "cells [DIP denoise]" in viewer.layers, timeout=60_000)
    out = viewer.layers["cells [DIP denoise]"]
    own = out.data
    assert own is not widget._last["image"]  # the placeholder: a copy the worker does not read
    out.events.data.connect(lambda e: replaced.append(1))
    out.events.set_data.connect(lambda e: shown.append(1))
    _wait(qtbot, widget)
    assert added == ["cells [DIP denoise]"] and replaced == [] and shown
    assert out.visible and viewer.layers.selection.active is out  # added hidden, shown and selected after
    assert out.data is own and not np.array_equal(own, noisy)
    assert np.array_equal(own, widget._last["result"].image)


def test_a_newer_estimate_quits_the_one_before(widget_and_viewer, qtbot, clean64, monkeypatch):
    """Three changes of the form in a burst: each estimate asks the one before to quit, and only the last
    one's text lands (the stand-in estimates block until released: none can finish first)."""
    import napari_dip

    release = threading.Event()
    calls = []

    def stand_in(image, task, **kwargs):
        calls.append(kwargs["iterations"])
        release.wait(60)
        return SimpleNamespace(text=lambda: f"estimate of {kwargs['iterations']} its")

    monkeypatch.setattr(napari_dip, "estimate_run", stand_in)
    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(clean64[:32, :32], name="img")
    widget.show_advanced.value = True
    texts, workers = [], []
    widget.estimate.changed.connect(texts.append)
    for its in (10, 20, 30):
        widget.iterations.value = its
        widget._start_estimate()  # what the form's timer calls once the changes stop
        workers.append(widget._estimate_call)
    widget._estimate_timer.stop()
    assert [w.abort_requested for w in workers] == [True, True, False]
    release.set()
    qtbot.waitUntil(lambda: widget.estimate.value == "estimate of 30 its", timeout=60_000)
    qtbot.waitUntil(lambda: not any(w.is_running for w in workers), timeout=60_000)
    assert widget.estimate.value == "estimate of 30 its"
    assert not any(t.startswith("estimate of 10") or t.startswith("estimate of 20") for t in texts)
    assert calls[-1] == 30 and len(calls) <= 3


def test_a_run_of_several_planes_says_why_continue_is_not_offered(widget_and_viewer, qtbot, clean64):
    """All planes of a stack, stopped at the cap: no Continue (it goes on with one fit), and the status says
    why instead of hiding it."""
    widget, viewer = widget_and_viewer
    planes = np.stack([clean64[:32, :32], clean64[32:, :32]])
    widget.image.value = viewer.add_image(add_gaussian_noise(planes, 20), name="zstack")
    widget.stack.value = "all planes"
    widget.show_advanced.value = True
    widget.iterations.value = 4
    widget.preview_every.value = 2
    widget.net_width.value = 8
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    status = widget.status.value
    assert "cap of 4 iterations" in status and "Continue is not offered" in status and "2 planes" in status
    assert widget.continue_button.native.isHidden()


@pytest.mark.parametrize("config, words", [
    ({"n_planes": 1, "tiles": {"count": 4}, "extent": "whole"}, "4 tiles"),
    ({"n_planes": 3, "tiles": {"count": 2}, "extent": "whole"}, "3 planes and 2 tiles per plane"),
    ({"n_planes": 1, "tiles": None, "extent": "windows", "planes": [{"windows": [{}, {}]}]},
     "2 windows around the holes"),
])
def test_the_status_names_what_made_several_fits(config, words):
    from napari_dip.widgets._restore_status import done_text, several_fits

    result = SimpleNamespace(config={"iterations": 50, **config},
                             stopped_at=SimpleNamespace(iteration=50, reason="iterations"))
    assert several_fits(result) == words
    text = done_text(result, early_stop=True, can_continue=False)
    assert f"this run fitted {words}" in text and "Continue is not offered" in text
    one = SimpleNamespace(config={"iterations": 50, "n_planes": 1, "extent": "whole"},
                          stopped_at=result.stopped_at)
    assert several_fits(one) is None and "Continue runs 50 more" in done_text(one, True, True)


def test_the_worker_waits_for_its_layer_and_a_stop_ends_the_wait(clean64, monkeypatch):
    """run_messages (the worker's side) yields the placeholder, then waits for the main thread to add its
    layer before building the job; a Stop meanwhile ends the run without building it."""
    import napari_dip
    from napari_dip.core import tasks
    from napari_dip.widgets._restore_run import Placeholder, run_messages

    built = []
    monkeypatch.setattr(napari_dip, "iter_restore", lambda *a, **k: iter(built.append(1) or ()))
    stop = threading.Event()
    gen = run_messages(tasks.get("denoise"), clean64, {"task": "denoise"}, rgb=False, stop=stop)
    msg = next(gen)
    assert isinstance(msg, Placeholder) and np.array_equal(msg.data, clean64) and msg.data is not clean64
    stop.set()
    assert list(gen) == [] and built == []
    gen = run_messages(tasks.get("denoise"), clean64, {"task": "denoise"}, rgb=False, stop=threading.Event())
    next(gen).added.set()  # the layer is added: the job is built
    assert list(gen) == [] and built == [1]
