"""The Restore dock's PSF from the optics (needs a display: run under xvfb-run; needs psfmodels)."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui
pytest.importorskip("psfmodels")


def _shown(widget, *names) -> set[str]:
    return {n for n in names if not getattr(widget, n).native.isHidden()}  # the viewer is not shown


def _fields_before_the_fold(widget) -> list[str]:
    """As tests/test_restore_widget.py counts them: the form's rows shown before "expert options", less the
    hint lines."""
    from magicgui.widgets import Label

    shown = []
    for w in widget:
        if w.name == "show_advanced":
            break
        if not isinstance(w, Label) and w.name not in ("", "progress") and not w.native.isHidden():
            shown.append(w.name)
    return shown


def test_the_optics_fields_show_only_for_deconvolution_from_the_optics(widget_and_viewer, clean64):
    widget, viewer = widget_and_viewer
    names = ("psf_way", "optics", "psf_sigma", "psf", "pixel_size")
    widget.image.value = viewer.add_image(np.stack([clean64] * 3), name="zstack")  # a stack adds its mode
    widget.task.value = "denoise"
    assert _shown(widget, *names) == set()
    widget.task.value = "deconvolve"
    assert widget.psf_way.value == "from the optics"  # the default
    assert _shown(widget, *names) == {"psf_way", "optics"}
    assert widget.wavelength.native.suffix().strip() == "µm" and "µm" in widget.wavelength.label
    assert widget.ni.value == 1.515 and "1.406 silicone" in widget.ni.tooltip and widget.ns.value == 1.33
    assert list(widget.microscope.choices) == ["widefield", "confocal"]
    # the optics are one row of the form: at most 7 fields before the fold still
    shown = _fields_before_the_fold(widget)
    assert len(shown) <= 7 and "optics" in shown, shown
    widget.show_advanced.value = True
    assert "pixel_size" in _shown(widget, *names)
    widget.psf_way.value = "blur width (px)"
    assert _shown(widget, *names) == {"psf_way", "psf_sigma"}
    widget.psf_way.value = "measured PSF layer"
    assert _shown(widget, *names) == {"psf_way", "psf"}
    widget.task.value = "inpaint"
    assert _shown(widget, *names) == set()


@pytest.mark.parametrize("expert", [False, True])
def test_the_canvas_keeps_half_of_a_1280_wide_window(make_napari_viewer, qtbot, clean64, expert):
    """The deconvolution form (the optics its tallest inputs), with and without the expert options."""
    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1280, 800)
    dock, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.add_image(clean64, name="cells")
    widget.task.value = "deconvolve"
    widget.show_advanced.value = expert  # with it, the pixel size too
    qtbot.wait(50)  # the layout settles (no timing is measured)
    assert widget.optics.native.isVisible() and widget.pixel_size.native.isVisible() == expert
    canvas = viewer.window._qt_viewer.canvas.native
    assert canvas.width() >= 640, (canvas.width(), dock.width())


def test_a_deconvolution_from_the_optics_shows_its_psf_and_records_it(widget_and_viewer, qtbot, rng):
    widget, viewer = widget_and_viewer
    image = (rng.random((32, 32)) * 200).astype(np.uint8)
    src = viewer.add_image(image, name="cells", scale=(0.065, 0.065))
    widget.task.value = "deconvolve"
    widget.image.value = src
    widget.na.value, widget.wavelength.value = 1.4, 0.52
    widget.iterations.value = 3
    widget.early_stop.value = False
    widget.run_button.clicked.emit()
    name = "cells PSF (NA 1.4, 0.52 µm)"  # shown as the run starts (made on the worker)
    qtbot.waitUntil(lambda: name in viewer.layers, timeout=60_000)
    psf = viewer.layers[name]
    assert np.allclose(psf.scale, (0.065, 0.065)) and psf.data.ndim == 2
    assert np.isclose(psf.data.sum(), 1, atol=1e-3) and psf.data.shape[0] % 2 == 1
    qtbot.waitUntil(lambda: widget.worker is None, timeout=300_000)  # generous: the machine may be shared
    out = viewer.layers["cells [DIP deconvolve]"]
    meta = out.metadata["napari_dip"]
    optics = meta["config"]["psf_optics"]
    assert optics["na"] == 1.4 and optics["wavelength"] == 0.52 and optics["ni"] == 1.515
    assert np.allclose(optics["pixel_size"], 0.065) and meta["psf_layer"] == psf.name
    assert meta["na"] == 1.4 and meta["microscope"] == "widefield"
    assert psf.metadata["napari_dip"]["psf_optics"]["fwhm_lateral"] == optics["fwhm_lateral"]
    assert out.data.shape == image.shape and tuple(out.scale) == (0.065, 0.065)


def test_without_a_pixel_size_a_notification_and_nothing_starts(widget_and_viewer, monkeypatch, rng):
    import napari_dip
    from napari_dip.widgets import restore_widget

    widget, viewer = widget_and_viewer
    errors, calls = [], []
    monkeypatch.setattr(restore_widget, "show_error", errors.append)
    monkeypatch.setattr(napari_dip, "iter_restore", lambda *a, **k: calls.append(k))
    src = viewer.add_image((rng.random((32, 32)) * 200).astype(np.uint8), name="cells")  # scale 1: not set
    widget.task.value = "deconvolve"
    widget.image.value = src
    n_layers = len(viewer.layers)
    widget.run_button.clicked.emit()
    assert len(errors) == 1 and "pixel size" in errors[0], errors
    assert widget.worker is None and not calls and len(viewer.layers) == n_layers
    widget.show_advanced.value = True
    widget.pixel_size.value = 0.065  # the override: the optics now have their pixel size
    kwargs = widget.build_kwargs()
    assert kwargs["pixel_size"] == [0.065, 0.065] and kwargs["na"] == 1.4 and kwargs["ns"] == 1.33
