"""napari_dip.io: files in and out with axes, pixel sizes, units and the settings (issue 10, Files)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile

from napari_dip.io import read_image, read_settings, sidecar_path, write_image

SETTINGS = {"task": "denoise", "iterations": 30, "seed": np.int64(0), "psnr": np.float32(31.5),
            "versions": {"napari_dip": "0.1.0"}, "stopped_at": {"iteration": 30, "reason": "max iterations"}}
EXPECTED = json.loads(json.dumps({**SETTINGS, "seed": 0, "psnr": 31.5}))


def test_io_is_napari_and_torch_free():
    code = ("import sys, napari_dip.io, napari_dip.io.napari_writer; "
            "bad = [m for m in ('torch', 'napari', 'qtpy') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def stack():
    return np.random.default_rng(0).integers(0, 4000, (3, 12, 10)).astype(np.uint16)


@pytest.mark.parametrize("axes, scale, units", [
    ("ZYX", (0.5, 0.1, 0.1), ("µm", "µm", "µm")),
    ("TYX", (2.0, 0.1, 0.1), ("s", "µm", "µm")),
])
def test_imagej_tiff_round_trip(tmp_path, stack, axes, scale, units):
    path = write_image(tmp_path / "out.tif", stack, axes=axes, scale=scale, units=units, settings=SETTINGS)
    img = read_image(path)
    assert img.format == "imagej-tiff" and img.axes == axes and img.channel_axis is None
    assert np.array_equal(img.data, stack) and img.data.dtype == np.uint16
    assert img.scale == pytest.approx(scale) and img.units == units
    with tifffile.TiffFile(path) as tif:  # what Fiji reads
        ij = tif.imagej_metadata
        assert ij["unit"] == "micron" and tif.pages[0].resolution == pytest.approx((10.0, 10.0))
        assert ij.get("spacing" if axes == "ZYX" else "finterval") == pytest.approx(scale[0])
        assert ij["Info"].startswith("napari_dip = ")
    assert img.metadata["napari_dip"] == EXPECTED


def test_ome_tiff_round_trip(tmp_path, stack):
    path = write_image(tmp_path / "out.ome.tif", stack, axes="ZYX", scale=(0.5, 0.1, 0.1),
                       units=("micrometer", "um", "µm"), settings=SETTINGS)
    img = read_image(path)
    assert img.format == "ome-tiff" and img.axes == "ZYX"
    assert img.scale == pytest.approx((0.5, 0.1, 0.1)) and img.units == ("µm",) * 3
    assert np.array_equal(img.data, stack)
    with tifffile.TiffFile(path) as tif:
        pixels = tifffile.xml2dict(tif.ome_metadata)["OME"]["Image"]["Pixels"]
    assert pixels["PhysicalSizeZ"] == 0.5 and pixels["PhysicalSizeXUnit"] == "µm"
    assert read_settings(path) == EXPECTED and sidecar_path(path).name == "out.ome.json"


def test_tif_falls_back_to_ome_when_imagej_cannot_hold_it(tmp_path, stack):
    """float64, or axes outside ImageJ's TZCYXS order: OME-TIFF under the .tif name."""
    cases = (("f64.tif", stack.astype(np.float64), "ZYX", (0.5, 0.1, 0.1), ("µm",) * 3),
             ("zt.tif", np.stack([stack, stack]), "ZTYX", (0.5, 2.0, 0.1, 0.1), ("µm", "s", "µm", "µm")))
    for name, data, axes, scale, units in cases:
        img = read_image(write_image(tmp_path / name, data, axes=axes, scale=scale, units=units))
        assert img.format == "ome-tiff" and img.axes == axes and img.data.dtype == data.dtype
        assert img.scale == pytest.approx(scale) and img.units == units
        assert np.array_equal(img.data, data)


def test_like_carries_pixel_size_and_ome_flavour(tmp_path, stack):
    src = read_image(write_image(tmp_path / "in.ome.tif", stack, axes="ZYX", scale=(0.5, 0.1, 0.1),
                                 units=("µm",) * 3))
    out = read_image(write_image(tmp_path / "out.tif", stack[0], axes="YX", like=src))
    assert out.format == "ome-tiff" and out.scale == pytest.approx((0.1, 0.1)) and out.units == ("µm", "µm")


def test_rgb_png_round_trip(tmp_path):
    import imageio.v3 as iio

    rgb = np.random.default_rng(1).integers(0, 256, (12, 10, 3)).astype(np.uint8)
    iio.imwrite(tmp_path / "kate.png", rgb)
    img = read_image(tmp_path / "kate.png")
    assert img.format == "png" and img.axes == "YXS" and img.channel_axis == -1
    out = write_image(tmp_path / "out.png", img.data, axes=img.axes, like=img, settings=SETTINGS)
    again = iio.imread(out)
    assert again.shape == rgb.shape and again.dtype == np.uint8 and np.array_equal(again, rgb)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert read_settings(out) == EXPECTED


def test_grey_uint16_png(tmp_path):
    grey = np.random.default_rng(2).integers(0, 65536, (9, 11)).astype(np.uint16)
    out = write_image(tmp_path / "grey.png", grey, axes="YX", scale=(0.2, 0.2), units=("µm", "µm"))
    img = read_image(out)
    assert img.axes == "YX" and img.channel_axis is None and img.data.dtype == np.uint16
    assert np.array_equal(img.data, grey)
    assert img.scale == (0.2, 0.2) and img.units == ("µm", "µm")  # from the sidecar: PNG has no µm


def test_sidecar_holds_settings_and_calibration(tmp_path, stack):
    out = write_image(tmp_path / "out.tif", stack, axes="ZYX", scale=(0.5, 0.1, 0.1), units=("µm",) * 3,
                      settings=SETTINGS)
    side = sidecar_path(out)
    assert side == tmp_path / "out.json"
    doc = json.loads(side.read_text(encoding="utf-8"))
    assert doc["napari_dip"] == EXPECTED
    assert doc["image"] == {"file": "out.tif", "format": "imagej-tiff", "axes": "ZYX", "shape": [3, 12, 10],
                            "dtype": "uint16", "scale": [0.5, 0.1, 0.1], "units": ["µm"] * 3,
                            "channel_names": []}
    assert doc["written_by"]["napari_dip"]
    side.unlink()
    assert read_settings(out) == EXPECTED  # embedded in the TIFF too


@pytest.mark.parametrize("name, data, axes, match", [
    ("stack.png", np.zeros((3, 8, 8), np.uint8), "ZYX", r"one 2D image.*'ZYX'.*\.tif"),
    ("f.png", np.zeros((8, 8), np.float32), "YX", "cannot store float32.*img_as_ubyte"),
    ("rgba.jpg", np.zeros((8, 8, 4), np.uint8), "YXS", "grey or RGB"),
    ("a.tif", np.zeros((8, 8), np.uint8), "ZYX", "one letter per dimension"),
    ("a.tif", np.zeros((8, 8), np.uint8), "XY", "ending in 'YX'"),
    ("a.czi", np.zeros((8, 8), np.uint8), "YX", r"writes .*\.ome\.zarr.* not '\.czi'"),
])
def test_clear_errors(tmp_path, name, data, axes, match):
    with pytest.raises(ValueError, match=match):
        write_image(tmp_path / name, data, axes=axes)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_no_file(tmp_path, stack, monkeypatch):
    def broken(path, data, **kwargs):  # writes half a file, then fails
        with open(path, "wb") as f:
            f.write(b"II*\x00" + bytes(100))
        raise OSError("disk full")

    monkeypatch.setattr(tifffile, "imwrite", broken)
    with pytest.raises(OSError, match="disk full"):
        write_image(tmp_path / "out.tif", stack, axes="ZYX", settings=SETTINGS)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old.tif").write_bytes(b"previous")
    with pytest.raises(OSError):
        write_image(tmp_path / "old.tif", stack, axes="ZYX")
    assert (tmp_path / "old.tif").read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.tif"]


def test_plain_tiff_resolution_in_centimetres(tmp_path):
    """A TIFF from other software: pixel size from X/YResolution and ResolutionUnit."""
    tifffile.imwrite(tmp_path / "cm.tif", np.zeros((8, 8), np.uint8), resolution=(1e5, 1e5),
                     resolutionunit="CENTIMETER")
    img = read_image(tmp_path / "cm.tif")
    assert img.format == "tiff" and img.axes == "YX"
    assert img.scale == pytest.approx((0.1, 0.1)) and img.units == ("µm", "µm")


def test_writer_contribution_saves_layer_metadata(tmp_path):
    """The npe2 writer called as napari calls it: (path, data, layer attributes)."""
    from napari_dip.io.napari_writer import write_tiff

    data = np.random.default_rng(3).random((4, 16, 16)).astype(np.float32)
    attributes = {"scale": [0.5, 0.1, 0.1], "units": ("micrometer",) * 3, "axis_labels": ("-3", "-2", "-1"),
                  "rgb": False, "metadata": {"napari_dip": SETTINGS}, "name": "cells [DIP denoise]"}
    written = write_tiff(str(tmp_path / "layer.tif"), data, attributes)
    assert written == [str(tmp_path / "layer.tif"), str(tmp_path / "layer.json")]
    with tifffile.TiffFile(written[0]) as tif:
        ij = tif.imagej_metadata
        assert tif.series[0].axes == "ZYX" and ij["spacing"] == 0.5 and ij["unit"] == "micron"
        assert tif.pages[0].resolution == pytest.approx((10.0, 10.0))
        assert json.loads(ij["Info"].removeprefix("napari_dip = ")) == EXPECTED
    assert read_settings(written[0]) == EXPECTED
    assert read_image(written[0]).axes == "ZYX"


@pytest.mark.gui
def test_viewer_saves_with_the_plugin(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    data = np.random.default_rng(4).integers(0, 255, (32, 32)).astype(np.uint8)
    viewer.add_image(data, name="restored", scale=(0.1, 0.1), units=("µm", "µm"),
                     metadata={"napari_dip": SETTINGS})
    viewer.layers.save(str(tmp_path / "saved.tif"), plugin="napari-dip")
    img = read_image(tmp_path / "saved.tif")
    assert img.axes == "YX" and np.array_equal(img.data, data)
    assert img.scale == pytest.approx((0.1, 0.1)) and img.units == ("µm", "µm")
    assert img.metadata["napari_dip"] == EXPECTED and read_settings(tmp_path / "saved.json") == EXPECTED


def test_ome_tiff_channel_names_scene_and_channel_without_bioio(tmp_path):
    from napari_dip.io import describe

    data = np.random.default_rng(4).integers(0, 4000, (2, 3, 12, 10)).astype(np.uint16)
    path = write_image(tmp_path / "c.ome.tif", data, axes="CZYX", scale=(1, 0.5, 0.1, 0.1),
                       units=("", "µm", "µm", "µm"), channel_names=["DAPI", "GFP"])
    img = read_image(path)
    assert img.channel_names == ("DAPI", "GFP") and img.channel_axis == -4
    assert describe(path) == ((2, 3, 12, 10), "CZYX", ("DAPI", "GFP"))
    gfp = read_image(path, channel="GFP")
    assert gfp.axes == "ZYX" and np.array_equal(gfp.data, data[1]) and gfp.channel_names == ("GFP",)
    assert gfp.scale == pytest.approx((0.5, 0.1, 0.1))
    out = write_image(tmp_path / "gfp.ome.tif", gfp.data, axes=gfp.axes, like=gfp)
    assert read_image(out).channel_names == ("GFP",)  # the one channel keeps its name
    with pytest.raises(ValueError, match=r"--scene 1: c.ome.tif has 1 scene"):
        read_image(path, scene=1)
    with pytest.raises(ValueError, match=r"channel_names has 3 names but axes 'CZYX' have 2"):
        write_image(tmp_path / "bad.ome.tif", data, axes="CZYX", channel_names=["a", "b", "c"])
