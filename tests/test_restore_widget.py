"""The Restore widget in a real napari viewer (needs a display: run under xvfb-run)."""

import numpy as np
import pytest

from napari_dip.sample_data import add_gaussian_noise, text_mask

pytestmark = pytest.mark.gui


def _wait(qtbot, widget, timeout=300_000):  # generous: the machine may be shared
    qtbot.waitUntil(lambda: widget.worker is None, timeout=timeout)


def test_the_form_follows_the_task_registry(widget_and_viewer):
    from napari_dip.core import tasks

    widget, _ = widget_and_viewer
    assert list(widget.task.choices) == [tasks.get(n).form.label for n in tasks.names()]
    shown = {}
    for label in widget.task.choices:
        widget.task.value = label
        inputs = (widget.mask, widget.factor, widget.psf_sigma, widget.psf, widget.optics)
        shown[label] = {w.name for w in inputs
                        if not w.native.isHidden()}  # the viewer is not shown: ask what is hidden
        assert list(widget.preset.choices) == ["auto", *widget.tasks[label].policy.presets]
        assert widget.task_hint.value == widget.tasks[label].form.hint != ""
        # the cap is the task's own, as in Python: 0 stands for it and says its number
        preset = widget.tasks[label].policy.preset()
        assert widget.iterations.value == 0
        assert str(preset["iterations"]) in widget.iterations.native.specialValueText()
    assert shown == {"denoise": set(), "inpaint": {"mask"}, "reconstruct": {"mask"},
                     "super-resolution": {"factor"}, "deconvolve": {"optics"}}  # the optics: the default
    widget.task.value = "deconvolve"
    assert widget.early_stop.value is True  # the task's own default stop
    assert widget.run_button.text == "Run" and widget.stop_button.text == "Stop"
    assert "cpu" in widget.device.choices


def test_deconvolve_with_a_psf_layer_and_compare(widget_and_viewer, qtbot, clean64):
    from scipy.ndimage import convolve

    from napari_dip.core.physics import gaussian_psf

    widget, viewer = widget_and_viewer
    blurred = convolve(clean64.astype(float), gaussian_psf(1.5), mode="mirror").astype(np.uint8)
    src = viewer.add_image(blurred, name="blurred", scale=(0.2, 0.2))
    psf_layer = viewer.add_image(gaussian_psf(1.5), name="bead PSF")
    widget.task.value = "deconvolve"
    widget.image.value, widget.psf.value = src, psf_layer
    widget.iterations.value = 20
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["blurred [DIP deconvolve]"]
    meta = out.metadata["napari_dip"]
    assert meta["psf_layer"] == "bead PSF" and "psf_sigma" not in meta
    assert meta["config"]["psf_shape"] == [13, 13] and tuple(out.scale) == (0.2, 0.2)
    assert out.data.shape == blurred.shape and not np.array_equal(out.data, blurred)
    widget.compare_button.clicked.emit()
    qtbot.waitUntil(lambda: "blurred [Wiener]" in viewer.layers, timeout=30_000)
    assert "blurred [Richardson-Lucy]" in viewer.layers and viewer.canvas.grid.enabled


def test_run_denoise_creates_an_updated_output_layer(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    noisy = add_gaussian_noise(clean64, 25)
    src = viewer.add_image(noisy, name="cells", scale=(0.5, 0.25), translate=(3, 4), units=("um", "um"),
                           axis_labels=("y", "x"), colormap="magma")
    ref = viewer.add_image(clean64, name="clean", visible=False)
    widget.image.value = src
    widget.reference.value = ref
    widget.iterations.value = 30
    widget.early_stop.value = False
    widget.show_advanced.value = True
    widget.net_width.value = 32
    before = noisy.copy()
    widget.run_button.clicked.emit()
    assert widget.run_button.enabled is False
    qtbot.waitUntil(lambda: "cells [DIP denoise]" in viewer.layers, timeout=60_000)  # before the fit's end
    out = viewer.layers["cells [DIP denoise]"]
    _wait(qtbot, widget)
    assert widget.run_button.enabled is True
    assert out.data.shape == noisy.shape and out.data.dtype == np.uint8
    assert not np.array_equal(out.data, noisy)
    assert tuple(out.scale) == (0.5, 0.25) and tuple(out.translate) == (3, 4)
    assert tuple(str(u) for u in out.units) == ("micrometer", "micrometer")
    assert tuple(out.axis_labels) == ("y", "x") and out.colormap.name == "magma"
    meta = out.metadata["napari_dip"]
    assert meta["seed"] == 0 and meta["iterations"] == 30 and meta["config"]["task"] == "denoise"
    assert meta["stopped_at"]["iteration"] == 30
    assert np.array_equal(src.data, before), "input layer was modified"
    assert len(widget.plot.psnr) >= 2


def _noisy_cells(widget, viewer, clean64, iterations: int):
    """A noisy image chosen in the dock, its iterations set and the advanced options unfolded."""
    src = viewer.add_image(add_gaussian_noise(clean64, 25), name="cells")
    widget.image.value = src
    widget.iterations.value = iterations
    widget.show_advanced.value = True
    return src


def test_fitting_the_input_from_the_dock(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    _noisy_cells(widget, viewer, clean64, 20)
    widget.fit.value = "input"
    assert widget.lr.value == pytest.approx(0.1)  # the mode's own learning rate while lr is untouched
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    config = viewer.layers["cells [DIP denoise]"].metadata["napari_dip"]["config"]
    assert config["fit"] == "input" and config["lr"] == pytest.approx(0.1) and config["network"]["depth"] == 1
    widget.fit.value = "weights"
    assert widget.lr.value == pytest.approx(0.01)


def test_restarts_from_the_dock_are_averaged_into_one_layer(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    src = _noisy_cells(widget, viewer, clean64, 10)
    widget.restarts.value = 2
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    outputs = [layer for layer in viewer.layers if layer.name.startswith("cells [DIP")]
    assert len(outputs) == 1 and outputs[0].data.shape == src.data.shape
    assert outputs[0].metadata["napari_dip"]["config"]["restarts"] == 2


def test_inpaint_with_a_labels_mask(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    mask = text_mask(clean64.shape)
    damaged = np.where(mask.astype(bool), 255, clean64).astype(np.uint8)
    src = viewer.add_image(damaged, name="photo")
    labels = viewer.add_labels(mask, name="damage")
    assert widget.mask.native.isHidden() and widget.factor.native.isHidden()  # denoise: no mask, no factor
    widget.task.value = "inpaint"
    assert not widget.mask.native.isHidden()
    widget.image.value, widget.mask.value = src, labels
    widget.iterations.value = 20
    widget.show_advanced.value = True
    widget.net_width.value = 32
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["photo [DIP inpaint]"].data
    known = mask == 0
    assert np.array_equal(out[known], damaged[known])
    assert np.array_equal(labels.data, mask)


def test_stop_stops_within_a_few_iterations(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.iterations.value = 100_000
    widget.early_stop.value = False
    widget.preview_every.value = 1
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.run_button.clicked.emit()
    qtbot.waitUntil(  # the layer comes with the worker's placeholder
        lambda: "img [DIP denoise]" in viewer.layers
        and viewer.layers["img [DIP denoise]"].metadata["napari_dip"].get("iteration", 0) >= 3,
        timeout=60_000,
    )
    meta = viewer.layers["img [DIP denoise]"].metadata["napari_dip"]
    at_stop = meta["iteration"]
    widget.stop_button.clicked.emit()
    _wait(qtbot, widget, timeout=60_000)  # a ceiling, not a measurement: the property is the count below
    # previews every iteration: the fit ended within a few iterations of the click
    assert at_stop <= meta["iteration"] <= at_stop + 5, (at_stop, meta["iteration"])


def test_missing_mask_notifies_and_keeps_working(widget_and_viewer, clean64, monkeypatch):
    widget, viewer = widget_and_viewer
    from napari_dip.widgets import restore_widget

    errors = []
    monkeypatch.setattr(restore_widget, "show_error", errors.append)
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.task.value = "inpaint"
    widget.mask.value = None
    widget.run_button.clicked.emit()
    assert errors and "needs a mask" in errors[0]
    assert widget.worker is None and widget.run_button.enabled
    assert [ly.name for ly in viewer.layers] == ["img"]


def test_bad_mask_shape_notifies_from_the_worker(widget_and_viewer, qtbot, clean64, monkeypatch):
    widget, viewer = widget_and_viewer
    from napari_dip.widgets import _fit

    errors = []
    monkeypatch.setattr(_fit, "show_error", errors.append)
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.task.value = "inpaint"
    widget.mask.value = viewer.add_labels(np.ones((10, 10), np.uint8), name="small")
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    assert errors and "shape" in errors[0]
    assert "img [DIP inpaint]" not in viewer.layers
    assert widget.run_button.enabled


def test_the_fit_runs_on_a_worker_while_the_ui_loop_keeps_processing_events(widget_and_viewer, qtbot, clean64,
                                                                            monkeypatch):
    """The fit's generator runs off the main thread, and the main thread's event loop handles events (a
    QTimer's timeouts) while the fit is under way: counted, not timed, so a slow machine cannot fail it."""
    import threading

    from qtpy.QtCore import QTimer

    import napari_dip

    fit_threads = set()
    real = napari_dip.iter_restore

    def recording(image, **kwargs):
        fit_threads.add(threading.get_ident())  # the body runs where the generator is iterated
        yield from real(image, **kwargs)  # close() (Stop) reaches the real generator

    monkeypatch.setattr(napari_dip, "iter_restore", recording)
    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.iterations.value = 100_000  # runs until stopped
    widget.early_stop.value = False
    widget.show_advanced.value = True
    widget.net_width.value = 8
    during = []  # one entry per timeout handled on the main thread while the fit was running
    timer = QTimer()
    timer.timeout.connect(lambda: during.append(1) if widget.worker is not None and fit_threads else None)
    timer.start(20)
    widget.run_button.clicked.emit()
    try:
        qtbot.waitUntil(lambda: len(during) >= 5, timeout=60_000)
    finally:
        timer.stop()
        widget.stop_button.clicked.emit()
        _wait(qtbot, widget)
    assert len(during) >= 5
    assert fit_threads and threading.get_ident() not in fit_threads


def test_compare_lays_out_a_grid(widget_and_viewer, qtbot, clean64):
    """Compare after a run: a layer per available method (the peers included) and a residual per method and
    per DIP result, all at the input's geometry; the residuals diverge around 0."""
    from napari_dip.baselines import unavailable_methods
    from napari_dip.core.tasks import get

    widget, viewer = widget_and_viewer
    noisy = add_gaussian_noise(clean64, 25)
    widget.image.value = src = viewer.add_image(noisy, name="n", scale=(0.5, 0.25), translate=(3, 4))
    widget.iterations.value = 10
    widget.early_stop.value = False
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    widget.compare_button.clicked.emit()
    methods = [m for m in get("denoise").baselines if m not in unavailable_methods("denoise")]
    assert "BM3D" in methods
    qtbot.waitUntil(lambda: all(f"n [residual: {m}]" in viewer.layers for m in methods), timeout=60_000)
    assert viewer.canvas.grid.enabled
    for name in [*(f"n [{m}]" for m in methods), *(f"n [residual: {m}]" for m in methods),
                 "n [residual: DIP denoise]"]:
        layer = viewer.layers[name]
        assert layer.data.shape == noisy.shape and tuple(layer.scale) == tuple(src.scale), name
        assert tuple(layer.translate) == tuple(src.translate), name
    residual = viewer.layers["n [residual: BM3D]"]
    assert (
        residual.contrast_limits[0] == -residual.contrast_limits[1] < 0 and residual.colormap.name == "PiYG"
    )
    # what BM3D removed is the noise: its residual is about the noise added (sigma 25)
    assert 15 < float(np.std(residual.data)) < 30


def test_closing_the_viewer_stops_the_fit(make_napari_viewer, qtbot, clean64):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.iterations.value = 1000  # progress counts per mille: 2 is the second iteration
    widget.preview_every.value = 1
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.run_button.clicked.emit()
    worker, stop = widget.worker, widget._stop
    finished = []
    worker.finished.connect(lambda: finished.append(True))
    qtbot.waitUntil(lambda: widget.progress.value >= 2, timeout=60_000)
    viewer.close()
    qtbot.waitUntil(lambda: stop.is_set(), timeout=10_000)
    qtbot.waitUntil(lambda: bool(finished) or not worker.is_running, timeout=20_000)
    assert stop.is_set() and (finished or not worker.is_running)


def test_plane_of_a_stack_keeps_the_plane_geometry_and_snapshots(widget_and_viewer, qtbot, clean64):
    """A (T, Y, X) layer: the current plane is restored; snapshots stack with an iteration axis."""
    widget, viewer = widget_and_viewer
    stack = np.stack([clean64, clean64[::-1], clean64[:, ::-1]])
    src = viewer.add_image(stack, name="movie", scale=(5.0, 0.5, 0.25), units=("s", "um", "um"))
    viewer.dims.set_current_step(0, 2)
    widget.image.value = src
    widget.iterations.value = 20
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.keep_snapshots.value = True
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["movie [DIP denoise]"]
    assert out.data.shape == clean64.shape and tuple(out.scale) == (0.5, 0.25)
    assert out.metadata["napari_dip"]["plane"] == [2]
    shots = viewer.layers["movie [DIP denoise] snapshots"]
    assert shots.data.shape == (2, 64, 64) and tuple(shots.axis_labels)[0] == "iteration"


@pytest.mark.parametrize("stack_mode, expected_mode", [("all planes", "plane"), ("volume", "volume")])
def test_stack_modes_restore_the_whole_stack(widget_and_viewer, qtbot, clean64, stack_mode, expected_mode):
    widget, viewer = widget_and_viewer
    planes = np.stack([clean64[:32, :32], clean64[32:, :32], clean64[:32, 32:], clean64[32:, 32:]])
    noisy = add_gaussian_noise(planes, 20).astype(np.uint16) * 100
    src = viewer.add_image(noisy, name="zstack", scale=(2.0, 0.5, 0.5))
    widget.image.value = src
    assert not widget.stack.native.isHidden()
    widget.stack.value = stack_mode
    widget.iterations.value = 6
    widget.preview_every.value = 3
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["zstack [DIP denoise]"]
    assert out.data.shape == noisy.shape and out.data.dtype == np.uint16
    assert tuple(out.scale) == (2.0, 0.5, 0.5)
    assert out.metadata["napari_dip"]["config"]["mode"] == expected_mode
    assert widget.progress.value == widget.progress.max
    assert not np.array_equal(out.data[-1], noisy[-1])  # the last plane was restored too


def test_docks_leave_the_canvas_room(make_napari_viewer):
    """At napari's default window (843 x 595) a dock of more than ~300 px leaves the canvas too little."""
    viewer = make_napari_viewer()
    for name in ("Restore", "Blend", "Experiments", "Mask maker"):
        _, widget = viewer.window.add_plugin_dock_widget("napari-dip", name)
        if hasattr(widget, "show_advanced"):
            widget.show_advanced.value = True
        if hasattr(widget, "status"):
            widget.status.value = "a long status line " * 8  # wraps instead of widening the dock
        assert widget.native.minimumSizeHint().width() <= 310, name


def test_a_long_status_is_not_cut_off_in_a_narrow_dock(make_napari_viewer, qtbot):
    """At the dock's 255 px a status of three or more lines gets the height it needs (it was cut at two)."""
    from qtpy.QtCore import QRect, Qt

    viewer = make_napari_viewer(show=True)
    dock, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    dock.setFixedWidth(255)
    label = widget.status.native
    long = ("done: image from iteration 300 (iterations) in 26.0 s; "
            "stopped by user: showing iteration 1234 of 2000")
    for text in ("ready", long, "stopped by user: showing iteration 120"):
        widget.status.value = text
        qtbot.wait(100)
        need = label.fontMetrics().boundingRect(QRect(0, 0, label.width(), 10_000),
                                                int(Qt.TextFlag.TextWordWrap), text).height()
        assert label.height() >= need, (text, label.height(), need)
        if text == long:
            assert need > 2 * label.fontMetrics().height()  # really three lines or more at this width


def test_microscopy_options_reach_iter_restore(widget_and_viewer, qtbot, monkeypatch):
    import napari_dip

    seen = {}
    real = napari_dip.iter_restore

    def recording(image, **kwargs):
        seen.update(kwargs)
        return real(image, **kwargs)

    monkeypatch.setattr(napari_dip, "iter_restore", recording)
    widget, viewer = widget_and_viewer
    stack = (np.random.default_rng(0).poisson(20, (4, 32, 32))).astype(np.uint16)
    widget.image.value = viewer.add_image(stack, name="counts")
    widget.stack.value = "all planes"
    widget.show_advanced.value = True
    widget.noise.value, widget.normalize.value = "poisson", "percentile"
    widget.warm_start.value, widget.planes.value = True, "1-2"
    widget.tile.value, widget.max_memory.value = "off", 2.0
    widget.iterations.value, widget.net_width.value = 3, 8
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    assert seen["noise"] == "poisson" and seen["normalize"] == "percentile" and seen["warm_start"] is True
    assert seen["planes"] == [1, 2] and seen["tile"] is False and seen["max_memory"] == 2 * 2**30
    config = viewer.layers["counts [DIP denoise]"].metadata["napari_dip"]["config"]
    assert [p["plane"] for p in config["planes"] if "skipped" not in p] == [[1], [2]]
    assert config["noise"] == "poisson" and config["warm_start"] is True


def test_a_multiscale_layer_is_restored_at_the_chosen_level(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    full = np.kron(clean64, np.ones((2, 2), np.uint8))  # 128 x 128
    src = viewer.add_image([full, clean64], name="pyramid", scale=(0.1, 0.1), multiscale=True)
    widget.image.value = src
    assert widget.level.choices == ("0: 128x128", "1: 64x64") and widget.level.value == "0: 128x128"
    widget.level.value = "1: 64x64"
    widget.iterations.value = 3
    widget.show_advanced.value = True
    widget.net_width.value = 8
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["pyramid [DIP denoise]"]
    assert out.data.shape == (64, 64) and np.allclose(out.scale, (0.2, 0.2))  # level 1: pixels twice as large
    assert out.metadata["napari_dip"]["level"] == 1 and "level 1" in widget.estimate.value


def test_the_estimate_appears_before_run(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.show_advanced.value = True
    widget.net_width.value = 8
    widget.iterations.value = 600
    widget.schedule_estimate()
    qtbot.waitUntil(lambda: widget.estimate.value.startswith("about"), timeout=30_000)
    assert "on cpu" in widget.estimate.value and "600 its" in widget.estimate.value
    assert widget.worker is None  # nothing was started


def _fields_shown(widget, fold: bool = True) -> list[str]:
    """The form's fields a user sees now, before the fold (``fold``) or all (the hint lines, the buttons and
    the status lines are not fields)."""
    from magicgui.widgets import Label

    shown = []
    for w in widget:
        if fold and w.name == "show_advanced":
            break
        if w.name != "show_advanced" and not isinstance(w, Label) and w.name not in ("", "progress") \
                and not w.native.isHidden():
            shown.append(w.name)
    return shown


@pytest.mark.parametrize("task", ["denoise", "inpaint", "super-resolution", "deconvolve"])
def test_at_most_seven_fields_before_the_fold_and_noise_first(widget_and_viewer, clean64, task):
    """Microscopy first: the image, the task, its inputs, the noise model and the scaling, each with a line
    under it; everything else folded until "expert options" is ticked (a stack adds its mode)."""
    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(np.stack([clean64] * 3), name="zstack")
    widget.task.value = task
    shown = _fields_shown(widget)
    assert len(shown) <= 7, shown
    assert shown[:2] == ["image", "task"] and shown[-2:] == ["noise", "normalize"], shown
    for name in ("iterations", "seed", "device", "preview_every", "lr", "fit", "output", "restarts"):
        assert name not in shown
    assert widget.noise_hint.value and widget.normalize_hint.value and widget.task_hint.value
    widget.show_advanced.value = True
    expert = set(_fields_shown(widget, False))
    assert {"iterations", "seed", "device", "preview_every", "max_memory"} <= expert
    assert widget.max_memory.native.specialValueText() == "automatic"  # 0 is not "0.00 GiB"
    assert all(widget.__getattribute__(n).tooltip for n in ("lr", "fit", "output", "restarts", "max_memory"))


def _run_to_cap(widget, viewer, qtbot, clean64, iterations=6):
    widget.image.value = viewer.add_image(add_gaussian_noise(clean64[:40, :40], 25), name="cells")
    widget.show_advanced.value = True
    widget.iterations.value = iterations
    widget.net_width.value = 8
    widget.preview_every.value = 3
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    return viewer.layers["cells [DIP denoise]"]


def test_the_cap_is_said_and_continue_goes_on_with_the_same_fit(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    out = _run_to_cap(widget, viewer, qtbot, clean64)
    assert widget.early_stop.value is True
    assert "cap of 6 iterations" in widget.status.value and "automatic stop fired" in widget.status.value
    assert "Continue" in widget.status.value and not widget.continue_button.native.isHidden()
    first = np.array(out.data)
    points = len(widget.plot.loss)
    widget.continue_button.clicked.emit()
    _wait(qtbot, widget)
    assert "cells [DIP denoise] (1)" not in viewer.layers  # the same layer, not a new run's
    assert out.metadata["napari_dip"]["iteration"] == 12 and "iteration 12" in widget.status.value
    assert len(widget.plot.loss) > points and widget.plot.loss[-1][0] == 12  # one x axis
    assert not np.array_equal(out.data, first)


def test_continue_resumes_the_network_not_a_fresh_one(clean64):
    """iter_restore(resume=...) goes on from the earlier fit: 3 + 3 iterations equal 6 in one go (output
    "last": no average restarted), up to float rounding."""
    import napari_dip

    img = add_gaussian_noise(clean64[:32, :32], 25)
    kw = dict(width=8, early_stop=False, output="last", preview_every=3, device="cpu", reg_noise_std=0.0)
    six = napari_dip.restore(img, "denoise", iterations=6, **kw)
    three = napari_dip.restore(img, "denoise", iterations=3, **kw)
    *_, last = napari_dip.iter_restore(img, "denoise", iterations=3, resume=three, **kw)
    assert np.abs(last.result.image.astype(int) - six.image.astype(int)).max() <= 1
    fresh = napari_dip.restore(img, "denoise", iterations=3, **kw)
    assert np.abs(fresh.image.astype(int) - six.image.astype(int)).max() > 1


def test_previews_are_coalesced_on_the_ui_thread(widget_and_viewer, qtbot, clean64, monkeypatch):
    """Snapshots that arrive while a preview is pending replace it: the layer is updated at most once per
    PREVIEW_MS however fast the fit yields (counted, not timed: the timer never fires in between here), and
    the last snapshot is shown at once."""
    from napari_dip.widgets import restore_widget as rw

    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(clean64, name="img")
    widget.output_layer = viewer.add_image(clean64, name="out")
    widget._run, widget._last = {}, {"result": None}
    updates = []
    widget.output_layer.events.data.connect(lambda e: updates.append(1))

    class Snap:
        def __init__(self, i, done=False):
            self.iteration, self.total, self.loss, self.metrics, self.done = i, 100, 0.1 / i, {}, done
            self.preview, self.progress, self.elapsed, self.seconds_left = clean64 + i, i / 100, i, 1.0
            self.n_planes = self.n_tiles = self.plane_number = self.tile_number = 1

    for i in range(1, 30):
        widget._on_snapshot(Snap(i))
    assert updates == [] and widget._preview_timer.isActive() and widget._latest.iteration == 29
    assert len(widget.plot.loss) == 29  # every point is kept for the plot
    widget._preview_timer.timeout.emit()
    assert len(updates) == 1 and widget._latest is None and rw.PREVIEW_MS >= 100


def test_the_progress_bar_does_not_repaint_synchronously(widget_and_viewer):
    """QProgressBar.setValue repaints at once (napari's whole window, the canvas included): the dock moves
    it with updates off (seen from valueChanged, emitted inside setValue before its repaint), so that the
    repaint is queued."""
    widget, _ = widget_and_viewer
    bar = widget.progress.native
    seen = []
    bar.valueChanged.connect(lambda _: seen.append(bar.updatesEnabled()))
    widget._set_progress(500)
    assert widget.progress.value == 500 and seen == [False] and bar.updatesEnabled()


def test_the_estimate_is_filled_and_follows_the_options(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    widget.image.value = viewer.add_image(clean64[:32, :32], name="img")
    assert widget.build_kwargs()["iterations"] is None  # 0: the task's own cap, as restore(iterations=None)
    qtbot.waitUntil(lambda: widget.estimate.value.startswith("about"), timeout=60_000)
    assert "3000 its" in widget.estimate.value  # the task's own cap
    widget.show_advanced.value = True
    widget.net_width.value = 8
    widget.iterations.value = 40  # any option re-estimates
    qtbot.waitUntil(lambda: "40 its" in widget.estimate.value, timeout=60_000)
    assert widget.estimate.value.startswith("about")


def test_a_dock_opened_on_an_image_estimates_it_untouched(make_napari_viewer, qtbot, clean64):
    """The image is in the viewer before the dock opens: the estimate fills with no change to the form
    (the image field's value does not change, so no field's signal asks for it)."""
    viewer = make_napari_viewer()
    viewer.add_image(clean64[:32, :32], name="img")
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    assert widget.image.value is viewer.layers["img"]
    qtbot.waitUntil(lambda: widget.estimate.value.startswith("about"), timeout=60_000)


def test_compare_labels_each_tile_and_fills_the_table(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    _run_to_cap(widget, viewer, qtbot, clean64)
    widget.reference.value = viewer.add_image(clean64[:40, :40], name="clean")
    widget.compare_button.clicked.emit()
    qtbot.waitUntil(lambda: "cells [residual: BM3D]" in viewer.layers, timeout=60_000)
    qtbot.waitUntil(lambda: widget.table.rowCount() > 0, timeout=10_000)
    tiles = [ly for ly in viewer.layers if ly.visible]
    assert len(tiles) >= 8 and all(ly.name_overlay.visible for ly in tiles)
    text = widget.table.text()
    header = text.splitlines()[0].split("\t")
    assert header[:3] == ["method", "PSNR", "SSIM"] and {"mean", "spread", "lag-1", "s"} <= set(header)
    assert {"DIP denoise", "BM3D", "non-local means"} <= set(widget.table.rows)
    assert widget.table.rows["DIP denoise"]["s"] > 0 and widget.table.isVisible() is not None


def test_residual_stats_tell_white_noise_from_removed_structure(rng):
    from napari_dip.core.residual import residual_stats

    white = residual_stats(rng.normal(0, 5, (64, 64)))
    smooth = residual_stats(np.cumsum(rng.normal(0, 1, (64, 64)), axis=1))
    assert abs(white["lag-1"]) < 0.1 < smooth["lag-1"] and 4 < white["spread"] < 6
