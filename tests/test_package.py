"""The package and its command line: cheap import, a valid manifest, a working CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest


def test_import_is_cheap_and_gui_free():
    code = ("import napari_dip, sys; "
            "bad = [m for m in ('qtpy', 'napari', 'torch', 'PyQt6') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_manifest_validates():
    from npe2 import PluginManifest

    manifest = PluginManifest.from_distribution("napari-dip")
    assert {w.display_name for w in manifest.contributions.widgets} >= {"Restore", "Blend"}
    result = subprocess.run(["npe2", "validate", "napari-dip"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_help_lists_subcommands():
    out = subprocess.run(["napari-dip", "--help"], capture_output=True, text=True, check=True).stdout
    for sub in ("demo", "restore", "devices"):
        assert sub in out


def test_cli_demo_writes_outputs(tmp_path):
    """The main job, reduced: restored TIFFs, side-by-side PNGs and a metrics JSON."""
    import tifffile

    out = tmp_path / "demo"
    subprocess.run(["napari-dip", "demo", "--out", str(out), "--size", "64", "--iterations", "40"],
                   check=True, capture_output=True)
    report = json.loads((out / "metrics.json").read_text())
    for task in ("denoise", "inpaint"):
        restored = tifffile.imread(out / f"{task}_restored.tif")
        assert restored.shape == (64, 64) and restored.dtype == np.uint8
        assert (out / f"{task}_side_by_side.png").stat().st_size > 0
        scores = report["cases"][task]["scores"]
        assert {"degraded", "dip"} <= set(scores)
    # inpainting keeps the observed pixels and fills text: better than the damaged input
    s = report["cases"]["inpaint"]["scores"]
    assert s["dip"]["psnr"] > s["degraded"]["psnr"] + 3


def test_cli_restore_reports_bad_input(tmp_path):
    import tifffile

    path = tmp_path / "img.tif"
    tifffile.imwrite(path, np.zeros((40, 40), np.uint8))
    result = subprocess.run(["napari-dip", "restore", str(path), "--task", "inpaint"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "needs a mask" in result.stderr


@pytest.mark.gui
def test_viewer_opens_and_shows_an_image(make_napari_viewer):
    """The GUI path works in this environment (Xvfb + Mesa): a real viewer, a real layer."""
    viewer = make_napari_viewer()
    layer = viewer.add_image(np.random.default_rng(0).random((32, 32)), name="x")
    assert viewer.layers["x"] is layer
    shot = viewer.screenshot(canvas_only=True)
    assert shot.ndim == 3 and shot.shape[-1] == 4


def test_public_modules_expose_the_documented_names():
    import numpy as np

    from napari_dip import baselines, metrics

    for name in ("psnr", "ssim", "masked_psnr", "coarse_psnr", "gff", "gfp", "bsi", "masked_ssim",
                 "transition_region"):
        assert callable(getattr(metrics, name))
    for name in ("alpha_blend", "laplacian_blend", "poisson_blend", "denoise_nl_means", "inpaint_biharmonic",
                 "upscale", "classical_restore"):
        assert callable(getattr(baselines, name))
    fg, bg = np.full((32, 32), 0.8), np.full((32, 32), 0.2)
    mask = np.zeros((32, 32), bool)
    mask[8:24, 8:24] = True
    out = baselines.alpha_blend(fg, bg, mask)
    assert out[16, 16] > 0.7 and out[0, 0] < 0.25
    assert metrics.masked_ssim(bg, bg, metrics.transition_region(mask)) == pytest.approx(1.0)


@pytest.mark.gui
def test_the_plugins_menu_lists_the_user_tools_first(make_napari_viewer):
    """Plugins > napari-dip: Restore and Mask maker, then the research docks (napari.yaml's order)."""
    from napari._app_model import get_app_model

    make_napari_viewer()
    items = get_app_model().menus.get_menu("napari/plugins/napari-dip")
    titles = [item.command.title for item in items if hasattr(item, "command")]
    assert titles[:4] == ["Restore", "Mask maker", "Blend", "Experiments"], titles
