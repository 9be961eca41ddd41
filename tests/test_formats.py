"""Issue 29: OME-Zarr and OME-TIFF through the CLI and batch, read by bioio, written with their metadata.

Files are written in the test with known axes, pixel sizes and channel names; the restored files
must come back with the same. Tiny images, 3 iterations: a few seconds each.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from napari_dip.cli import main
from napari_dip.io import read_image, read_settings, sidecar_path, write_image

bioio = pytest.importorskip("bioio")
zarr = pytest.importorskip("zarr")
pytest.importorskip("ome_zarr")
pytest.importorskip("bioio_ome_zarr")

FAST = ["--iterations", "3", "--width", "8", "--preview-every", "1"]
CZYX = dict(
    axes="CZYX", scale=(1.0, 0.5, 0.1, 0.1), units=("", "µm", "µm", "µm"), channel_names=("DAPI", "GFP")
)


def _stack(shape=(2, 3, 64, 72), seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[-2], : shape[-1]]
    base = (np.sin(x / 6) + np.cos(y / 9) + 2) * 800
    return np.clip(base + rng.normal(0, 60, shape), 0, 4000).astype(np.uint16)


def _same_metadata(img, axes, scale, units, names):
    assert img.axes == axes and img.scale == pytest.approx(scale) and img.units == units
    assert img.channel_names == names


@pytest.mark.parametrize(
    "src_name, out_name",
    [("in.ome.zarr", "out.ome.zarr"), ("in.ome.tif", "out.ome.zarr"), ("in.ome.zarr", "out.ome.tif")],
)
def test_cli_keeps_axes_pixel_sizes_units_channel_names_and_settings(tmp_path, src_name, out_name):
    data = _stack()
    src = write_image(tmp_path / src_name, data, **CZYX)
    out = tmp_path / out_name
    assert main(["restore", str(src), "--task", "denoise", *FAST, "-o", str(out)]) == 0
    img = read_image(out)
    _same_metadata(img, "CZYX", CZYX["scale"], CZYX["units"], ("DAPI", "GFP"))
    assert img.data.shape == data.shape and img.data.dtype == np.uint16 and img.channel_axis == -4
    assert img.format == ("ome-zarr" if out_name.endswith(".zarr") else "ome-tiff")
    settings = read_settings(out)
    assert settings["task"] == "denoise" and settings["stopped_at"]["iteration"] == 3
    assert settings["input"] == str(src) and sidecar_path(out).is_file()
    # an independent reader (bioio) sees the same pixel sizes and channel names
    other = bioio.BioImage(out)
    assert tuple(map(str, other.channel_names)) == ("DAPI", "GFP")
    assert tuple(other.physical_pixel_sizes) == pytest.approx((0.5, 0.1, 0.1))


def test_ome_zarr_output_is_a_chunked_multiscale_pyramid_replaced_whole(tmp_path):
    src = write_image(tmp_path / "in.ome.tif", _stack(), **CZYX)
    out = tmp_path / "out.ome.zarr"
    for _ in range(2):  # the second run replaces the first output, leaving nothing else behind
        assert main(["restore", str(src), "--task", "denoise", *FAST, "-o", str(out)]) == 0
    attrs = zarr.open_group(str(out), mode="r").attrs.asdict()
    ms = attrs["ome"]["multiscales"][0]
    assert [a["name"] for a in ms["axes"]] == ["c", "z", "y", "x"]
    assert [a.get("unit") for a in ms["axes"]] == [None, "micrometer", "micrometer", "micrometer"]
    scales = [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]]
    assert len(scales) == 2 and scales[1] == pytest.approx([1.0, 0.5, 0.2, 0.2])  # 64 px -> 32 px level
    assert [c["label"] for c in attrs["ome"]["omero"]["channels"]] == ["DAPI", "GFP"]
    level0 = zarr.open_array(str(out / ms["datasets"][0]["path"]), mode="r")
    assert level0.shape == (2, 3, 64, 72) and level0.chunks == (1, 3, 64, 72)
    assert attrs["napari_dip"]["task"] == "denoise"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.ome.json",
        "in.ome.tif",
        "out.ome.json",
        "out.ome.zarr",
    ]


def test_channel_option_by_name_keeps_that_channel_and_its_name(tmp_path):
    data = _stack()
    src = write_image(tmp_path / "in.ome.zarr", data, **CZYX)
    assert (
        main(["restore", str(src), "--task", "denoise", *FAST, "--channel", "GFP", "--mode", "volume"]) == 0
    )
    out = tmp_path / "in_dip_denoise.ome.zarr"
    img = read_image(out)
    _same_metadata(img, "ZYX", (0.5, 0.1, 0.1), ("µm",) * 3, ("GFP",))
    assert img.data.shape == data.shape[1:]
    settings = read_settings(out)
    assert settings["channel"] == "GFP" and settings["mode"] == "volume"


def test_time_axis_and_its_unit_survive_ome_zarr(tmp_path):
    src = write_image(
        tmp_path / "t.ome.zarr",
        _stack((4, 40, 40))[:, :, :],
        axes="TYX",
        scale=(2.0, 0.25, 0.25),
        units=("s", "µm", "µm"),
    )
    assert main(["restore", str(src), "--task", "denoise", *FAST, "--planes", "0,3", "-o",
                 str(tmp_path / "t.ome.tif")]) == 0
    _same_metadata(read_image(tmp_path / "t.ome.tif"), "TYX", (2.0, 0.25, 0.25), ("s", "µm", "µm"), ())


def test_scene_picks_the_image_of_a_multi_image_ome_tiff(tmp_path):
    first, second = _stack((32, 32), 1), _stack((24, 40), 2)
    with tifffile.TiffWriter(tmp_path / "two.ome.tif", ome=True) as tif:
        tif.write(first, metadata={"axes": "YX", "Name": "left"})
        tif.write(
            second, metadata={"axes": "YX", "Name": "right", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.2}
        )
    img = read_image(tmp_path / "two.ome.tif", scene="right")
    assert np.array_equal(img.data, second) and img.scale == pytest.approx((0.2, 0.2))
    assert main(["restore", str(tmp_path / "two.ome.tif"), "--task", "denoise", *FAST, "--scene", "1"]) == 0
    out = read_image(tmp_path / "two_dip_denoise.ome.tif")
    assert out.data.shape == (24, 40) and out.scale == pytest.approx((0.2, 0.2))


@pytest.mark.parametrize(
    "options, match",
    [
        (["--channel", "RFP"], r"--channel RFP: in.ome.zarr has axes 'CZYX' .*names: 'DAPI', 'GFP'"),
        (["--channel", "2"], r"2 channels on axis C \(indices 0-1"),
        (["--scene", "3"], r"--scene 3: in.ome.zarr has 1 scene"),
        (
            ["--channel", "0", "--planes", "5"],
            r"--planes 5: in.ome.zarr has axes 'ZYX' .*first stack axis Z \(0-2\)",
        ),
    ],
)
def test_a_choice_that_does_not_fit_the_file_names_its_axes(tmp_path, capsys, options, match):
    src = write_image(tmp_path / "in.ome.zarr", _stack((2, 3, 16, 16)), **CZYX)
    assert main(["restore", str(src), "--task", "denoise", *FAST, *options]) == 2
    assert __import__("re").search(match, capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ome.json", "in.ome.zarr"]  # nothing written


def test_volume_mode_on_a_time_series_is_refused_naming_the_axes(tmp_path, capsys):
    src = write_image(tmp_path / "t.ome.tif", _stack((5, 16, 16)), axes="TYX", scale=(1.0, 0.1, 0.1),
                      units=("s", "µm", "µm"))
    assert main(["restore", str(src), "--task", "denoise", *FAST, "--mode", "volume"]) == 2
    err = capsys.readouterr().err
    assert "--mode volume" in err and "t.ome.tif has axes 'TYX'" in err and "no Z axis" in err


def test_without_the_extra_other_formats_say_what_to_install(tmp_path, monkeypatch, capsys):
    src = write_image(tmp_path / "in.ome.zarr", _stack((2, 16, 16)), axes="CYX", channel_names=("a", "b"))
    (tmp_path / "scan.czi").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "bioio", None)  # as if napari-dip[formats] were not installed
    for path in (src, tmp_path / "scan.czi"):
        with pytest.raises(ValueError, match=r'pip install "napari-dip\[formats\]"'):
            read_image(path)
    assert main(["restore", str(tmp_path / "scan.czi"), "--task", "denoise", *FAST]) == 2
    assert 'pip install "napari-dip[formats]"' in capsys.readouterr().err


def test_batch_reads_ome_zarr_and_ome_tiff_keeps_metadata_and_resumes(tmp_path, one_thread):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    write_image(src / "a.ome.zarr", _stack((2, 3, 32, 32), 1), **CZYX)
    write_image(src / "b.ome.tif", _stack((2, 2, 32, 32), 2), **CZYX)
    write_image(src / "c.ome.tif", _stack((2, 32, 32), 3), axes="CYX", channel_names=("DAPI", "RFP"))
    argv = [
        "batch",
        str(src),
        "--out",
        str(out),
        "--task",
        "denoise",
        "--channel",
        "GFP",
        "--iterations",
        "3",
        "--width",
        "8",
        "--no-progress",
        "--workers",
        "1",
        "--torch-threads",
        "1",
    ]
    assert main(argv) == 1  # c has no GFP channel
    report = {Path(r["input"]).name: r for r in json.loads((out / "batch-report.json").read_text())}
    assert report["c.ome.tif"]["status"] == "failed"
    assert (
        "c.ome.tif has axes 'CYX'" in report["c.ome.tif"]["error"] and "'RFP'" in report["c.ome.tif"]["error"]
    )
    for name, output, shape in (("a.ome.zarr", "a_dip_denoise.ome.zarr", (3, 32, 32)),
                                ("b.ome.tif", "b_dip_denoise.ome.tif", (2, 32, 32))):
        assert report[name]["status"] == "done"
        img = read_image(out / output)
        _same_metadata(img, "ZYX", (0.5, 0.1, 0.1), ("µm",) * 3, ("GFP",))
        assert img.data.shape == shape and read_settings(out / output)["batch"]["options"]["channel"] == "GFP"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert main(argv) == 1  # a re-run skips what is done
    report = {Path(r["input"]).name: r for r in json.loads((out / "batch-report.json").read_text())}
    assert report["a.ome.zarr"]["status"] == report["b.ome.tif"]["status"] == "skipped"
