"""The Blend widget in a real napari viewer (needs a display: run under xvfb-run)."""

import csv

import numpy as np
import pytest

from napari_dip.sample_data import blend_pair

pytestmark = pytest.mark.gui

ROWS = ["alpha blend", "Laplacian blend", "Poisson blend", "DIP blend"]  # layers and CSV
TABLE_ROWS = ["alpha", "Laplacian", "Poisson", "DIP"]  # the dock's table (short, for the numbers' sake)


@pytest.fixture
def widget_and_viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Blend")
    return widget, viewer


@pytest.fixture(scope="module")
def grey_pair():
    return blend_pair("cup_brick", size=32)


def _wait(qtbot, widget, timeout=60_000):
    qtbot.waitUntil(lambda: widget.worker is None, timeout=timeout)


def _small(widget, iterations=20):
    widget.iterations.value = iterations
    widget.show_advanced.value = True
    widget.net_width.value = 16


def _notes(monkeypatch, name):
    """Collect the notifications `name` (show_error, show_warning) of the widget and its run controls."""
    from napari_dip.widgets import _fit, _metrics_table, blend_widget

    got = []
    for module in (blend_widget, _fit, _metrics_table):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, got.append)
    return got


def test_widget_has_the_contract(widget_and_viewer):
    widget, _ = widget_and_viewer
    for name in ("foreground", "background", "mask", "iterations", "seed", "device", "preview_every",
                 "alpha", "laplacian", "poisson", "lr", "net_width"):
        assert getattr(widget, name).name == name
    assert widget.iterations.value == 1000
    assert widget.alpha.value and widget.laplacian.value and widget.poisson.value
    assert widget.run_button.text == "Run" and widget.stop_button.text == "Stop"
    assert not widget.stop_button.enabled
    assert "cpu" in widget.device.choices
    assert widget.table.column_headers == ("GFF", "GFP", "BSI", "SSIM", "rank") and widget.table.shape[0] == 0


def test_run_blends_scores_and_saves(widget_and_viewer, qtbot, grey_pair, tmp_path):
    widget, viewer = widget_and_viewer
    fg, bg, mask = grey_pair
    fg_layer = viewer.add_image(fg, name="cup")
    bg_layer = viewer.add_image(bg, name="brick", scale=(0.5, 0.25), translate=(3, 4), colormap="magma")
    mask_layer = viewer.add_labels(mask, name="where")
    copies = fg.copy(), bg.copy(), mask.copy()
    widget.foreground.value, widget.background.value, widget.mask.value = fg_layer, bg_layer, mask_layer
    widget.seed.value = 3
    _small(widget)
    widget.run_button.clicked.emit()
    assert widget.run_button.enabled is False and widget.stop_button.enabled is True
    out = viewer.layers["brick [DIP blend]"]  # appears at once
    _wait(qtbot, widget)
    assert widget.run_button.enabled is True and widget.stop_button.enabled is False

    assert out.data.shape == bg.shape and out.data.dtype == bg.dtype
    assert tuple(out.scale) == (0.5, 0.25) and tuple(out.translate) == (3, 4) and out.colormap.name == "magma"
    assert not np.array_equal(out.data, bg)
    meta = out.metadata["napari_dip"]
    assert meta["seed"] == 3 and meta["iterations"] == 20 and meta["width"] == 16
    assert meta["config"]["task"] == "blend" and meta["stopped_at"]["iteration"] == 20
    assert meta["foreground"] == "cup" and meta["mask_layer"] == "where"
    for method in ("alpha", "Laplacian", "Poisson"):
        layer = viewer.layers[f"brick [{method} blend]"]
        assert layer.data.shape == bg.shape and layer.data.dtype == bg.dtype
        assert tuple(layer.scale) == (0.5, 0.25)
    # Poisson keeps the background exactly outside the mask
    poisson = viewer.layers["brick [Poisson blend]"].data
    assert np.array_equal(poisson[mask == 0], bg[mask == 0])

    assert list(widget.table.row_headers) == TABLE_ROWS
    values = np.array(widget.table.data.to_list(), dtype=float)
    assert values.shape == (4, 5) and np.isfinite(values).all()
    assert set(meta["metrics"]) == {"GFF", "GFP", "BSI", "SSIM"}
    # the rank column: mean rank over the four metrics (ranks 1..4 each), the best named in the status
    ranks = values[:, 4]
    assert np.isclose(ranks.sum(), 1 + 2 + 3 + 4) and ranks.min() >= 1 and ranks.max() <= 4
    best = [row for row, r in zip(ROWS, ranks, strict=False) if r == ranks.min()]
    assert (
        f"best mean rank: {best[0]}" if len(best) == 1 else f"tied best: {', '.join(best)}"
    ) in widget.status.value

    path = widget.save_csv(tmp_path / "metrics.csv")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["method", "GFF", "GFP", "BSI", "SSIM", "rank"]
    assert [r[0] for r in rows[1:]] == ROWS
    full = np.array([r[1:] for r in rows[1:]], dtype=float)  # the CSV keeps 6 digits, the table 2 decimals
    shown = np.where(np.abs(full) < 10, np.round(full, 2), np.round(full))
    np.testing.assert_allclose(values[:, :4], shown[:, :4], atol=0.0051)
    np.testing.assert_array_equal(values[:, 4], full[:, 4])

    for arr, copy in zip((fg_layer.data, bg_layer.data, mask_layer.data), copies, strict=False):
        assert np.array_equal(arr, copy), "an input layer was modified"


def test_rgb_float_images_and_a_subset_of_methods(widget_and_viewer, qtbot, monkeypatch):
    widget, viewer = widget_and_viewer
    infos = _notes(monkeypatch, "show_info")
    fg, bg, mask = blend_pair("cat_rocket", size=32)
    fg, bg = fg.astype(np.float32) * 4.0, bg.astype(np.float32) * 4.0  # float, range [0, 1020]
    widget.foreground.value = viewer.add_image(fg, name="cat", rgb=True)
    widget.background.value = viewer.add_image(bg, name="sky", rgb=True)
    widget.mask.value = viewer.add_labels(mask, name="m")
    widget.alpha.value = widget.laplacian.value = False
    _small(widget, iterations=10)
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["sky [DIP blend]"]
    assert out.rgb and out.data.shape == bg.shape and out.data.dtype == np.float32
    assert out.metadata["napari_dip"]["channel_axis"] == -1
    poisson = viewer.layers["sky [Poisson blend]"].data
    assert poisson.dtype == np.float32 and poisson.max() > 2.0  # mapped back to the images' range
    assert np.allclose(poisson[mask == 0], bg[mask == 0], atol=1e-3)
    assert "sky [alpha blend]" not in viewer.layers
    assert list(widget.table.row_headers) == ["Poisson", "DIP"]

    from qtpy.QtWidgets import QApplication

    widget.copy_button.clicked.emit()
    text = QApplication.clipboard().text()
    assert text.splitlines()[0] == "method,GFF,GFP,BSI,SSIM,rank" and len(text.splitlines()) == 3
    assert infos


def test_stop_and_a_second_run_is_refused(widget_and_viewer, qtbot, grey_pair, monkeypatch):
    widget, viewer = widget_and_viewer
    warnings = _notes(monkeypatch, "show_warning")
    fg, bg, mask = grey_pair
    widget.foreground.value = viewer.add_image(fg, name="cup")
    widget.background.value = viewer.add_image(bg, name="brick")
    widget.mask.value = viewer.add_labels(mask, name="m")
    widget.alpha.value = widget.laplacian.value = False
    _small(widget, iterations=100_000)
    widget.preview_every.value = 1
    widget.run_button.clicked.emit()
    out = viewer.layers["brick [DIP blend]"]
    qtbot.waitUntil(lambda: out.metadata["napari_dip"].get("iteration", 0) >= 3, timeout=60_000)
    widget.run()  # a second Run while fitting
    assert warnings and "already running" in warnings[0]
    assert [ly.name for ly in viewer.layers].count("brick [DIP blend]") == 1
    at_stop = out.metadata["napari_dip"]["iteration"]
    widget.stop_button.clicked.emit()
    _wait(qtbot, widget, timeout=60_000)  # a ceiling, not a measurement: the property is the count below
    # previews every iteration: the fit ended within a few iterations of the click
    assert at_stop <= out.metadata["napari_dip"]["iteration"] <= at_stop + 5
    assert widget.run_button.enabled
    assert list(widget.table.row_headers) == ["Poisson", "DIP"]  # the stopped result is scored


def test_shape_mismatch_notifies_and_keeps_working(widget_and_viewer, grey_pair, monkeypatch):
    widget, viewer = widget_and_viewer
    errors = _notes(monkeypatch, "show_error")
    fg, bg, mask = grey_pair
    widget.foreground.value = viewer.add_image(fg[:24], name="cup")
    widget.background.value = viewer.add_image(bg, name="brick")
    widget.mask.value = viewer.add_labels(mask, name="m")
    widget.run_button.clicked.emit()
    assert errors and "shape" in errors[0]
    assert widget.worker is None and widget.run_button.enabled and not widget.stop_button.enabled
    assert [ly.name for ly in viewer.layers] == ["cup", "brick", "m"]

    widget.foreground.value = viewer.layers["brick"]
    widget.mask.value = viewer.add_labels(np.zeros((16, 16), np.uint8), name="small")
    widget.run_button.clicked.emit()
    assert len(errors) == 2  # the same layer twice
    widget.foreground.value = viewer.layers["cup"]
    viewer.layers["cup"].data = fg
    widget.run_button.clicked.emit()
    assert len(errors) == 3 and "mask" in errors[2] and "shape" in errors[2]
    widget.mask.value = viewer.add_labels(np.zeros_like(mask), name="empty")
    widget.run_button.clicked.emit()
    assert len(errors) == 4 and "empty" in errors[3]
    assert widget.worker is None and widget.run_button.enabled
