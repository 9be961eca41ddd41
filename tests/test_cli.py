"""The command line's file round trips: axes, pixel sizes, units and formats kept; settings in a sidecar."""

import json

import numpy as np
import pytest

from napari_dip.cli import main
from napari_dip.io import read_image, read_settings, sidecar_path, write_image

FAST = ["--iterations", "2", "--width", "8", "--preview-every", "1"]


@pytest.fixture
def stack16():
    return np.random.default_rng(0).integers(100, 4000, (3, 24, 20)).astype(np.uint16)


@pytest.mark.parametrize("suffix, axes, scale, units", [
    (".tif", "ZYX", (0.5, 0.1, 0.1), ("µm", "µm", "µm")),
    (".tif", "TYX", (2.0, 0.1, 0.1), ("s", "µm", "µm")),
    (".ome.tif", "ZYX", (0.5, 0.1, 0.1), ("µm", "µm", "µm")),
    (".ome.tif", "TYX", (2.0, 0.5, 0.5), ("s", "µm", "µm")),
])
def test_tiff_in_tiff_out_keeps_axes_pixel_sizes_and_units(tmp_path, stack16, suffix, axes, scale, units):
    src = write_image(tmp_path / f"cells{suffix}", stack16, axes=axes, scale=scale, units=units)
    assert main(["restore", str(src), "--task", "denoise", "--noise", "poisson", "--normalize", "percentile",
                 *FAST]) == 0
    out = tmp_path / f"cells_dip_denoise{suffix}"
    img = read_image(out)
    assert img.axes == axes and img.scale == pytest.approx(scale) and img.units == units
    assert img.data.shape == stack16.shape and img.data.dtype == np.uint16
    assert img.format == ("ome-tiff" if suffix == ".ome.tif" else "imagej-tiff")
    settings = read_settings(out)
    assert (
        settings["task"] == "denoise"
        and settings["noise"] == "poisson"
        and settings["normalize"] == "percentile"
    )
    assert settings["stopped_at"]["iteration"] == 2 and sidecar_path(out).exists()


def test_rgb_png_in_png_out_without_channel_axis(tmp_path):
    from skimage import data
    from skimage.transform import resize

    rgb = (resize(data.astronaut(), (32, 32), anti_aliasing=True) * 255).astype(np.uint8)
    src = write_image(tmp_path / "photo.png", rgb, axes="YXS")
    assert main(["restore", str(src), "--task", "denoise", *FAST, "-o", str(tmp_path / "out.png")]) == 0
    img = read_image(tmp_path / "out.png")
    assert img.format == "png" and img.data.shape == rgb.shape and img.data.dtype == np.uint8
    sidecar = json.loads(sidecar_path(tmp_path / "out.png").read_text())
    assert sidecar["napari_dip"]["channel_axis"] == 2  # RGB detected, no --channel-axis needed
    assert sidecar["napari_dip"]["network"]["channels_down"] == 8  # --width reached the network


def test_a_planar_rgb_tiff_is_written_back_planar(tmp_path):
    """A TIFF whose samples are stored plane by plane (read as S, Y, X) is restored and written with its
    layout; it used to fail at the write ("shape does not match stored shape")."""
    import tifffile

    planar = (np.random.default_rng(0).random((3, 32, 32)) * 255).astype(np.uint8)
    tifffile.imwrite(tmp_path / "planar.tif", planar)  # tifffile's default: planar RGB
    assert read_image(tmp_path / "planar.tif").axes == "SYX"
    assert main(["restore", str(tmp_path / "planar.tif"), "--task", "denoise", *FAST]) == 0
    out = read_image(tmp_path / "planar_dip_denoise.tif")
    assert out.axes == "SYX" and out.data.shape == planar.shape and out.data.dtype == np.uint8
    assert not np.array_equal(out.data, planar)  # restored, not copied


def test_super_resolution_divides_the_pixel_size(tmp_path):
    low = np.random.default_rng(1).integers(0, 255, (16, 16)).astype(np.uint8)
    src = write_image(tmp_path / "low.tif", low, axes="YX", scale=(0.4, 0.4), units=("µm", "µm"))
    assert main(["restore", str(src), "--task", "super_resolution", "--factor", "2", *FAST]) == 0
    img = read_image(tmp_path / "low_dip_super_resolution.tif")
    assert img.data.shape == (32, 32) and img.scale == pytest.approx((0.2, 0.2))


@pytest.mark.parametrize("axes, shape, scale", [("YX", (16, 12), (0.4, 0.3)),
                                                ("ZYX", (2, 12, 10), (2.0, 0.4, 0.4))])
def test_a_saved_super_resolved_result_and_its_napari_layer_share_scale_and_translate(tmp_path, axes, shape,
                                                                                     scale):
    """One geometry rule (``geometry.super_resolved``): the file the CLI writes (read back) and the layer the
    widgets add (``output_kwargs``) for the same input have the same shape, pixel size and origin: the
    finer pixels sit inside the input's (origin moved by -1/2 input pixel + 1/2 output pixel along Y, X)."""
    napari = pytest.importorskip("napari")
    from napari_dip.widgets._layers import output_kwargs

    factor = 2
    low = np.random.default_rng(1).integers(0, 255, shape).astype(np.uint8)
    src = write_image(tmp_path / "low.tif", low, axes=axes, scale=scale, units=("µm",) * len(axes))
    assert main(["restore", str(src), "--task", "super_resolution", "--factor", str(factor), *FAST]) == 0
    saved = read_image(tmp_path / "low_dip_super_resolution.tif")
    layer_in = napari.layers.Image(read_image(src).data, scale=read_image(src).scale)
    kw = output_kwargs(layer_in, "low [DIP super_resolution]", scale_factor=factor)
    expected = [s / factor if a in "YX" else s for a, s in zip(axes, scale, strict=True)]
    shift = [(s / factor - s) / 2 if a in "YX" else 0.0 for a, s in zip(axes, scale, strict=True)]
    assert saved.scale == pytest.approx(kw["scale"]) and saved.scale == pytest.approx(expected)
    assert saved.translate == pytest.approx(kw["translate"]) and saved.translate == pytest.approx(shift)
    assert saved.data.shape == tuple(n * factor if a in "YX" else n for a, n in zip(axes, shape, strict=True))

    def edges(n, scale, translate):  # outer edges of the first and last pixels (pixel i centred at t + i s)
        n, s, t = (np.asarray(v, dtype=float) for v in (n, scale, translate))
        return t - s / 2, t + (n - 0.5) * s

    # the two grids cover the same extent
    np.testing.assert_allclose(edges(saved.data.shape, saved.scale, saved.translate),
                               edges(shape, layer_in.scale, layer_in.translate))


def test_deconvolve_from_the_command_line(tmp_path):
    img = np.random.default_rng(2).integers(0, 255, (24, 24)).astype(np.uint8)
    src = write_image(tmp_path / "blurred.tif", img, axes="YX")
    assert main(["restore", str(src), "--task", "deconvolve", "--psf-sigma", "1.5", *FAST]) == 0
    settings = read_settings(tmp_path / "blurred_dip_deconvolve.tif")
    assert settings["psf_sigma"] == [1.5] and settings["psf_shape"] == [13, 13]


def test_a_bad_option_is_a_clear_error(tmp_path, capsys):
    src = write_image(tmp_path / "img.tif", np.zeros((24, 24), np.uint8), axes="YX")
    assert main(["restore", str(src), "--task", "deconvolve", *FAST]) == 2
    assert "needs the point-spread function" in capsys.readouterr().err


def test_volume_mode_takes_a_plain_tiff_stack_whose_axis_is_unknown(tmp_path):
    import tifffile

    stack = np.random.default_rng(3).integers(0, 255, (5, 16, 16)).astype(np.uint8)
    tifffile.imwrite(tmp_path / "plain.tif", stack)  # no ImageJ/OME metadata: axes 'QYX'
    assert read_image(tmp_path / "plain.tif").axes == "QYX"
    assert main(["restore", str(tmp_path / "plain.tif"), "--task", "denoise", "--mode", "volume", *FAST]) == 0
    assert read_settings(tmp_path / "plain_dip_denoise.tif")["mode"] == "volume"


def test_compare_writes_every_method_its_residual_and_scores(tmp_path, clean64):
    from napari_dip.baselines import unavailable_methods
    from napari_dip.core.tasks import get
    from napari_dip.sample_data import add_gaussian_noise

    src = write_image(tmp_path / "cells.tif", add_gaussian_noise(clean64, 25, seed=0), axes="YX",
                      scale=(0.2, 0.2), units=("µm", "µm"))
    ref = write_image(tmp_path / "clean.tif", clean64, axes="YX")
    assert main(["restore", str(src), "--task", "denoise", "--reference", str(ref), "--compare", *FAST]) == 0
    summary = json.loads((tmp_path / "cells_dip_denoise_compare.json").read_text())
    methods = [m for m in get("denoise").baselines if m not in unavailable_methods("denoise")]
    assert list(summary["methods"]) == ["DIP", *methods] and "BM3D" in methods
    bm3d = read_image(tmp_path / "cells_dip_denoise_bm3d.tif")
    assert bm3d.scale == pytest.approx((0.2, 0.2)) and bm3d.units == ("µm", "µm")
    residual = read_image(tmp_path / "cells_dip_denoise_residual_bm3d.tif").data
    assert residual.shape == clean64.shape and 15 < residual.std() < 30  # about the noise removed (sigma 25)
    # two DIP iterations are far from done: BM3D scores higher, and the table says so
    assert summary["methods"]["BM3D"]["psnr"] > summary["methods"]["DIP"]["psnr"]
