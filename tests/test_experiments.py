"""Masks, the prior probe, settings sweeps, their command line and widgets (issue 12).

Small on purpose (48 px images, tiny networks, fp32 so that the same seed
gives bit-identical curves). The probe's margins were measured on this CPU
with seeds 0-2 and 1-2 torch threads at iteration 100: noisy/clean >= 2.1,
shuffled/noisy >= 5.5, noise/noisy >= 4.9; the assertions ask for much less.
"""

import csv
import importlib.util
import json

import numpy as np
import pytest

from napari_dip import masks
from napari_dip.sample_data import add_gaussian_noise, camera

PROBE = dict(width=16, depth=3, input_depth=8, precision="fp32")


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one torch thread, restored afterwards


@pytest.fixture(scope="module")
def image48():
    return camera(48)


@pytest.fixture(scope="module")
def probe100(image48):
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        from napari_dip.experiments import prior_probe

        return prior_probe(image48, iterations=100, seed=0, **PROBE)
    finally:
        torch.set_num_threads(old)


# --- masks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", masks.KINDS)
def test_masks_have_the_shape_and_are_labels(kind):
    m = getattr(masks, kind)((48, 60), seed=1)
    assert m.shape == (48, 60) and m.dtype == np.uint8
    assert set(np.unique(m)) == {0, 1}, "non-empty and binary"
    assert np.array_equal(m, getattr(masks, kind)((48, 60), seed=1))


def test_mask_fraction_seed_and_errors():
    m = masks.pixels((100, 100), fraction=0.3, seed=2)
    assert abs(m.mean() - 0.3) < 0.03
    assert not np.array_equal(m, masks.pixels((100, 100), fraction=0.3, seed=3))
    assert masks.pixels((10, 10), 0.0).sum() == 0 and masks.pixels((10, 10), 1.0).all()
    assert masks.text((64, 64), "ab", size=30).mean() > masks.text((64, 64), "ab", size=10).mean()
    assert not np.array_equal(masks.strokes((64, 64), seed=0), masks.strokes((64, 64), seed=1))
    assert masks.blobs((64, 64), 3, radius=10).mean() > masks.blobs((64, 64), 3, radius=3).mean()
    for call in (lambda: masks.pixels((10, 10, 3)), lambda: masks.pixels((10, 10), 1.5),
                 lambda: masks.strokes((10, 10), width=0), lambda: masks.text((10, 10), position="left")):
        with pytest.raises(ValueError):
            call()


# --- the prior probe ------------------------------------------------------------------------------

def test_probe_curves_are_ordered_as_the_reports_claim(probe100):
    at = {name: curve[99] for name, curve in probe100.curves.items()}  # iteration 100
    assert at["noisy"] > 1.4 * at["clean"]
    assert at["shuffled"] > 3 * at["noisy"] and at["noise"] > 3 * at["noisy"]
    s = probe100.summary
    assert s["clean"]["reached_at"] is not None and s["shuffled"]["reached_at"] is None
    assert s["clean"]["reached_at"] < (s["noisy"]["reached_at"] or 101)


def test_probe_result_layout(probe100, image48):
    r = probe100
    assert list(r.curves) == ["clean", "noisy", "shuffled", "noise"]
    for name in r.curves:
        assert r.curves[name].shape == (100,) and np.isfinite(r.curves[name]).all()
        assert r.images[name].shape == image48.shape and r.targets[name].shape == image48.shape
        assert 0 <= r.images[name].min() and r.images[name].max() <= 1
        assert list(r.snapshots[name]) == [10, 20, 50, 100]
    clean = r.targets["clean"]
    assert clean.min() == 0 and clean.max() == 1
    assert np.array_equal(np.sort(r.targets["shuffled"], axis=None), np.sort(clean, axis=None))
    assert not np.array_equal(r.targets["shuffled"], clean)
    assert r.targets["noisy"].min() >= 0 and r.targets["noisy"].max() <= 1
    assert abs(np.std(r.targets["noisy"] - clean) - 0.1) < 0.03
    assert abs(r.targets["noise"].mean() - 0.5) < 0.05
    json.dumps(r.config)


def test_probe_same_seed_same_curves(probe100, image48):
    from napari_dip.experiments import prior_probe

    again = prior_probe(image48, iterations=20, targets=("clean", "shuffled"), seed=0, **PROBE)
    for name in again.curves:
        np.testing.assert_array_equal(again.curves[name], probe100.curves[name][:20])
    np.testing.assert_array_equal(again.targets["shuffled"], probe100.targets["shuffled"])
    other = prior_probe(image48, iterations=5, targets=("clean",), seed=1, **PROBE)
    assert not np.array_equal(other.curves["clean"], probe100.curves["clean"][:5])


def test_probe_stops_when_closed_and_validates(image48):
    from napari_dip.experiments import iter_prior_probe, prior_probe

    gen = iter_prior_probe(image48, iterations=50, preview_every=5, **PROBE)
    steps = [next(gen) for _ in range(12)]
    gen.close()
    assert steps[-1].target == "clean" and steps[-1].iteration == 12
    assert steps[4].losses.shape == (5,) and steps[4].preview.shape == image48.shape
    rgb = prior_probe(np.stack([image48] * 3, axis=-1), iterations=3, targets=("shuffled",), channel_axis=-1,
                      **PROBE)
    assert rgb.images["shuffled"].shape == (48, 48, 3)
    for bad in (dict(targets=("clean", "blurry")), dict(iterations=0), dict(depth=6)):
        with pytest.raises(ValueError):
            prior_probe(image48, **{**PROBE, "iterations": 2, **bad})
    with pytest.raises(ValueError, match="constant"):
        prior_probe(np.zeros((48, 48)), iterations=2)


def test_probe_plot_is_written(probe100, tmp_path):
    pytest.importorskip("matplotlib")
    from napari_dip.experiments import plot

    fig = plot(probe100, tmp_path / "probe.png")
    assert (tmp_path / "probe.png").stat().st_size > 10_000
    assert fig.axes[0].get_xscale() == "log"
    plot(probe100, tmp_path / "probe.svg", images=False)
    assert (tmp_path / "probe.svg").read_text().lstrip().startswith("<?xml")


# --- sweeps -----------------------------------------------------------------------------------------

SWEEP = dict(iterations=8, width=8, early_stop=False)


def test_sweep_returns_one_record_per_combination(image48, tmp_path):
    from napari_dip.experiments import sweep, write_csv

    noisy = add_gaussian_noise(image48, 25)
    recs = sweep(noisy, "denoise", {"depth": [2, 3], "lr": [0.01, 0.001]}, reference=image48, **SWEEP)
    assert [r["settings"] for r in recs] == [{"depth": 2, "lr": 0.01}, {"depth": 2, "lr": 0.001},
                                            {"depth": 3, "lr": 0.01}, {"depth": 3, "lr": 0.001}]
    for r in recs:
        assert isinstance(r["psnr"], float) and 0 < r["ssim"] <= 1 and r["seconds"] > 0
        assert r["stopped_at"] == 8 and r["image"].shape == noisy.shape and r["image"].dtype == np.uint8
        assert (
            r["config"]["network"]["depth"] == r["settings"]["depth"]
            and r["config"]["lr"] == r["settings"]["lr"]
        )
    rows = list(csv.reader(write_csv(recs, tmp_path / "s.csv").open()))
    assert (
        rows[0] == ["depth", "lr", "psnr", "ssim", "seconds", "stopped_at", "stop_reason"] and len(rows) == 5
    )


def test_closing_a_sweep_keeps_the_finished_records(image48):
    from napari_dip.experiments import iter_sweep

    gen = iter_sweep(image48, "denoise", {"lr": [0.01, 0.001, 0.0001]}, **SWEEP)
    records = []
    for step in gen:
        if step.record is not None:
            records.append(step.record)
            gen.close()
    assert len(records) == 1 and records[0]["psnr"] is None and records[0]["ssim"] is None


def test_sweep_errors_are_value_errors(image48):
    from napari_dip.experiments import sweep

    with pytest.raises(ValueError, match="dpeth"):  # restore's own validation of option names
        sweep(image48, "denoise", {"dpeth": [2, 3]}, **SWEEP)
    for grid, fixed in (({}, {}), ({"depth": 2}, {}), ({"depth": []}, {}), ({"width": [8]}, {"width": 8})):
        with pytest.raises(ValueError):
            sweep(image48, "denoise", grid, **{**SWEEP, **fixed})


# --- command line -----------------------------------------------------------------------------------

def _cli(argv):
    from napari_dip.cli import main

    return main(argv)


def test_cli_probe_and_sweep_write_their_files(image48, tmp_path):
    from skimage.io import imsave

    imsave(tmp_path / "cam.png", camera(64), check_contrast=False)
    mask = masks.text((64, 64), "dip", size=20)
    imsave(tmp_path / "mask.png", mask * 255, check_contrast=False)
    out = tmp_path / "probe"
    assert _cli(["probe", str(tmp_path / "cam.png"), "--out", str(out), "--iterations", "6", "--size", "48",
                 "--width", "8", "--depth", "3"]) == 0
    rows = list(csv.reader((out / "curves.csv").open()))
    assert rows[0] == ["iteration", "clean", "noisy", "shuffled", "noise"] and len(rows) == 7
    for name in ("clean", "noisy", "shuffled", "noise"):
        assert (out / f"fit_{name}.tif").exists() and (out / f"fit_{name}.png").exists()
    assert "summary" in json.loads((out / "summary.json").read_text())
    # the figure needs matplotlib (the testing extra installs it); without it the CLI warns and skips it
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert (out / "probe.png").exists() == has_matplotlib
    out = tmp_path / "sweep"
    argv = ["sweep", str(tmp_path / "cam.png"), "--task", "inpaint", "--mask", str(tmp_path / "mask.png"),
            "--reference", str(tmp_path / "cam.png"), "--vary", "depth=2,3", "--vary", "lr=0.01",
            "--set", "width=8", "--iterations", "4", "--size", "48", "--out", str(out)]
    assert _cli(argv) == 0
    rows = list(csv.reader((out / "results.csv").open()))
    assert rows[0][:2] == ["depth", "lr"] and len(rows) == 3 and float(rows[1][2]) > 10
    assert len(list(out.glob("*.tif"))) == 2
    assert _cli(["sweep", str(tmp_path / "cam.png"), "--task", "denoise", "--vary", "nope=1",
                 "--out", str(out)]) == 2
    # every restoration task of the registry, deconvolution included (its PSF through --set)
    blurred = tmp_path / "blurred"
    assert _cli(["sweep", str(tmp_path / "cam.png"), "--task", "deconvolve", "--set", "psf_sigma=1.5",
                 "--vary", "lr=0.01,0.02", "--set", "width=8", "--iterations", "3", "--size", "32",
                 "--out", str(blurred)]) == 0
    assert len(list(csv.reader((blurred / "results.csv").open()))) == 3


# --- widgets (a real napari viewer: run under xvfb-run) -----------------------------------------

@pytest.fixture
def experiments(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Experiments")
    return widget, viewer


def grid_of(viewer):
    from napari_dip.widgets._grid import grid_of

    return grid_of(viewer)


def _wait(qtbot, widget, timeout=60_000):
    qtbot.waitUntil(lambda: widget.worker is None, timeout=timeout)


@pytest.mark.gui
def test_widget_sweep_offers_every_restore_option(experiments):
    """The "vary" lists: the suggested options first, then every option of core.settings (none dropped)."""
    from napari_dip.core.settings import option_help, option_names
    from napari_dip.widgets.experiments_widget import SUGGESTED, sweep_options

    widget, _ = experiments
    offered = list(widget.vary1.choices)
    assert offered[: len(SUGGESTED)] == list(SUGGESTED)
    assert set(option_names()) <= set(offered) and set(option_help()) <= set(offered)
    assert offered == sweep_options() and len(offered) == len(set(offered))
    assert list(widget.vary2.choices)[1:] == offered


def test_widget_sweep_lays_out_a_grid_and_fills_the_table(experiments, qtbot, image48, tmp_path):
    widget, viewer = experiments
    src = viewer.add_image(add_gaussian_noise(image48, 25), name="cam", contrast_limits=(10, 240))
    widget.image.value = src
    widget.reference.value = viewer.add_image(image48, name="clean")
    assert widget.native.minimumSizeHint().width() <= 300
    widget.mode.value = "sweep"
    assert not widget.vary1.native.isHidden() and widget.noise_sigma.native.isHidden()
    assert widget.mask.native.isHidden()  # denoise: no mask
    widget.vary1.value, widget.values1.value = "depth", "2, 3"
    widget.vary2.value, widget.values2.value = "lr", "0.01,0.001"
    widget.iterations.value, widget.width_choice.value = 8, 8
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    names = [f"cam [depth={d}, lr={lr}]" for d in (2, 3) for lr in (0.01, 0.001)]
    assert [ly.name for ly in viewer.layers][-4:] == names
    assert grid_of(viewer).enabled and not viewer.layers["cam"].visible
    assert all(tuple(viewer.layers[n].contrast_limits) == (10, 240) for n in names)
    assert viewer.layers[names[0]].metadata["napari_dip"]["settings"] == {"depth": 2, "lr": 0.01}
    table = widget.results.table
    assert table.rowCount() == 4 and table.isSortingEnabled()
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert header[:5] == ["#", "depth", "lr", "psnr", "ssim"]
    assert all(float(table.item(r, 3).text()) > 10 for r in range(4))
    assert widget.results.text().count("\n") == 4
    rows = list(csv.reader(widget.results.save_csv(tmp_path / "w.csv").open()))
    assert len(rows) == 5
    assert widget.run_button.enabled and "done" in widget.status.value
    assert widget.native.minimumSizeHint().width() <= 300, "the dock stays narrow with long layer names"


@pytest.mark.gui
def test_widget_stop_ends_a_sweep_between_fits_and_keeps_results(experiments, qtbot, image48):
    widget, viewer = experiments
    widget.image.value = viewer.add_image(image48, name="cam")
    widget.mode.value = "sweep"
    widget.vary1.value, widget.values1.value = "iterations", "5, 5000, 5000"
    widget.vary2.value = "(none)"
    widget.width_choice.value = 8
    widget.run_button.clicked.emit()
    qtbot.waitUntil(lambda: len(widget.results.records) == 1, timeout=30_000)
    widget.stop_button.clicked.emit()
    _wait(qtbot, widget, timeout=10_000)
    assert len(widget.results.records) == 1 and widget.results.table.rowCount() == 1
    assert "cam [iterations=5]" in viewer.layers and len(widget.result_layers) == 1
    assert "stopped by user: 1" in widget.status.value and widget.run_button.enabled


@pytest.mark.gui
def test_widget_probe_shows_four_curves_and_fits(experiments, qtbot, image48):
    widget, viewer = experiments
    stack = np.stack([image48, image48[::-1]])  # the probe fits the plane shown
    widget.image.value = viewer.add_image(stack, name="cam", scale=(3.0, 0.5, 0.5))
    widget.iterations.value, widget.width_choice.value = 20, 8
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    assert list(widget.curves.curves) == ["clean", "noisy", "shuffled", "noise"]
    assert all(its[-1] == 20 for its, _ in widget.curves.curves.values())
    fits = [viewer.layers[f"cam [probe: {t}]"] for t in ("clean", "noisy", "shuffled", "noise")]
    assert all(ly.data.shape == (48, 48) and tuple(ly.scale) == (0.5, 0.5) for ly in fits)
    assert grid_of(viewer).enabled and fits[0].metadata["napari_dip"]["summary"]["threshold"] > 0
    assert widget.probe_result.curves["noise"].shape == (20,)


@pytest.mark.gui
def test_mask_maker_adds_a_labels_layer_matching_the_image(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Mask maker")
    rgb = viewer.add_image(np.zeros((40, 56, 3), np.uint8), name="photo", scale=(0.5, 2.0), rgb=True)
    widget.image.value = rgb
    for kind in ("text", "strokes", "blobs", "pixels"):
        widget.kind.value = kind
        assert widget.fraction.native.isHidden() == (kind != "pixels")
        layer = widget.add_mask()
        assert layer.name == f"photo mask ({kind})" and layer.data.shape == (40, 56)
        assert tuple(layer.scale) == (0.5, 2.0) and layer.data.any()
