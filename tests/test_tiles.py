"""Issue 29 (4): one large image in tiles, each tile its own Dask task, blended like the tiled restore().

Tiny fits (5-20 iterations, width 8) on a 100 x 120 image in 6 tiles of 64 px.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from napari_dip import restore
from napari_dip.batch import inputs as batch_inputs
from napari_dip.batch import run
from napari_dip.batch.tiles import tile_total
from napari_dip.cli import main
from napari_dip.core.tiling.boxes import tile_boxes
from napari_dip.core.tiling.runner import fit_one_tile, prepare_tiles, stitch_tiles, tile_count
from napari_dip.io import read_image, read_settings

TILES = {"iterations": 5, "width": 8, "tile": 64, "tile_overlap": 16}


def _smooth(shape=(100, 120), noise=0.05):
    y, x = np.mgrid[: shape[0], : shape[1]]
    base = (np.sin(x / 9) + np.cos(y / 13) + 2) / 4
    return (base + np.random.default_rng(0).normal(0, noise, shape)).astype(np.float32)


@pytest.fixture
def big(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    tifffile.imwrite(src / "big.tif", _smooth())
    return src / "big.tif"


def _report(out):
    return {Path(r["input"]).name: r for r in json.loads((out / "batch-report.json").read_text())}


def test_two_workers_give_the_single_process_tiled_result(big, tmp_path, one_thread):
    out = tmp_path / "out"
    assert (
        main(
            [
                "batch",
                str(big),
                "--out",
                str(out),
                "--task",
                "denoise",
                "--tile",
                "64",
                "--tile-overlap",
                "16",
                "--iterations",
                "5",
                "--width",
                "8",
                "--workers",
                "2",
                "--torch-threads",
                "1",
                "--no-progress",
            ]
        )
        == 0
    )
    record = _report(out)["big.tif"]
    assert record["status"] == "done" and record["tiles"] == {
        "count": 6,
        "fitted": list(range(6)),
        "reused": [],
    }
    expected = restore(tifffile.imread(big), "denoise", **TILES)
    assert expected.config["tiles"]["count"] == 6
    np.testing.assert_allclose(read_image(out / "big_dip_denoise.tif").data, expected.image, atol=1e-6)
    settings = read_settings(out / "big_dip_denoise.tif")
    assert settings["tiles_parallel"] and [r["tile"] for r in settings["tile_records"]] == list(range(6))
    assert sorted(p.name for p in out.iterdir()) == [
        "batch-report.json",
        "big_dip_denoise.json",
        "big_dip_denoise.tif",
    ]


def test_a_rerun_fits_only_the_missing_tiles_and_nothing_partial_is_done(
    big, tmp_path, monkeypatch, one_thread
):
    from distributed import Client, LocalCluster

    import napari_dip.core.tiling.runner as tiled

    real = tiled.fit_region  # a TIFF's tile tasks read their own tiles (fit_region), not the whole image

    def fails_on_tile_3(job, k):
        if k == 3:
            raise ValueError("tile 3 lost")
        return real(job, k)

    out = tmp_path / "out"
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        monkeypatch.setattr(tiled, "fit_region", fails_on_tile_3)
        first = run(big, out, task="denoise", client=client, torch_threads=1, progress=False, **TILES)
        assert first[0]["status"] == "failed" and "tile 3 lost" in first[0]["error"]
        assert not (out / "big_dip_denoise.tif").exists()  # no output until every tile is there
        kept = sorted(p.name for p in out.glob(".big_dip_denoise.tif.tiles/*/tile_*.npz"))
        assert kept == [f"tile_{k:04d}.npz" for k in (0, 1, 2, 4, 5)]
        monkeypatch.setattr(tiled, "fit_region", real)
        second = run(big, out, task="denoise", client=client, torch_threads=1, progress=False, **TILES)
    assert second[0]["status"] == "done" and second[0]["tiles"]["fitted"] == [3]
    assert second[0]["tiles"]["reused"] == [0, 1, 2, 4, 5]
    expected = restore(tifffile.imread(big), "denoise", **TILES)
    np.testing.assert_allclose(read_image(out / "big_dip_denoise.tif").data, expected.image, atol=1e-6)
    assert not list(out.glob(".*"))  # the kept tiles are gone once the image is written


def test_only_a_single_2d_image_is_split_into_tile_tasks(tmp_path):
    tifffile.imwrite(tmp_path / "plane.tif", _smooth())
    tifffile.imwrite(tmp_path / "stack.tif", np.stack([_smooth()] * 3), imagej=True, metadata={"axes": "ZYX"})
    files = [tmp_path / "plane.tif", tmp_path / "stack.tif"]
    plane, stack = batch_inputs.plan(files, tmp_path / "out", task="denoise", options=dict(TILES))
    assert plane.tiles == 6 and plane.tile_todo == list(range(6)) and plane.n_fits == 6
    assert stack.tiles is None and stack.planes == [(0,), (1,), (2,)]  # planes are the tasks, tiled inside
    job = prepare_tiles(_smooth(), "denoise", **TILES)  # the client's count is the worker's
    assert tile_count(job) == tile_total((100, 120), "YX", TILES)
    (small,) = batch_inputs.plan(
        [tmp_path / "plane.tif"], tmp_path / "out", task="denoise", options={"tile": 256}
    )
    assert small.tiles is None  # smaller than a tile: one fit
    with pytest.raises(ValueError, match="stack or volume"):
        prepare_tiles(np.stack([_smooth()] * 3), "denoise", **TILES)


def _seam(image, edges):
    """Largest step of the row-averaged profile at a tile edge, over the profile's median step."""
    step = np.abs(np.diff(image.mean(axis=0)))
    return max(step[e - 1] for e in edges) / np.median(step)


def test_no_seam_on_a_smooth_image(one_thread):
    y, x = np.mgrid[:96, :128]
    smooth = ((np.sin(x / 17) + np.cos(y / 23) + 2) / 4).astype(np.float32)
    job = prepare_tiles(smooth, "denoise", iterations=20, width=8, tile=64, tile_overlap=24)
    tiles = [fit_one_tile(job, k) for k in range(tile_count(job))]
    blended = stitch_tiles(job, tiles).image
    boxes = tile_boxes(smooth.shape, 64, 24)
    stacked = np.full((len(boxes), *smooth.shape), np.nan)
    for t, (y0, y1, x0, x1) in zip(tiles, boxes, strict=False):
        stacked[t["tile"], y0:y1, x0:x1] = t["image"][0]
    flat = np.nanmean(stacked, axis=0)  # overlaps averaged without the cosine ramps: tile borders show
    x_edges = sorted({b[2] for b in boxes if b[2]} | {b[3] for b in boxes if b[3] < smooth.shape[1]})
    y_edges = sorted({b[0] for b in boxes if b[0]} | {b[1] for b in boxes if b[1] < smooth.shape[0]})
    for image, edges in ((blended, x_edges), (blended.T, y_edges)):
        assert _seam(image, edges) < 4
    assert _seam(blended, x_edges) < 0.5 * _seam(flat, x_edges)
    assert _seam(blended.T, y_edges) < 0.5 * _seam(flat.T, y_edges)


def test_a_killed_worker_loses_no_tile(big, tmp_path, one_thread):
    """SIGKILL the worker the moment it starts its first tile fit: the scheduler gives the tile to another
    worker, and the image written equals the single-process tiled restore (1 torch thread each, same seed)."""
    import os
    import signal
    import threading

    from distributed import Client, LocalCluster, WorkerPlugin

    marker = tmp_path / "killed"  # holds the key of the tile whose worker was killed

    class KillAtFirstTile(WorkerPlugin):
        def transition(self, key, start, finish, **kwargs):
            if finish != "executing" or not str(key).startswith("fit_tile"):
                return
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.write(fd, str(key).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)

    out, box = tmp_path / "out", {}
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(KillAtFirstTile())
        worker = threading.Thread(target=lambda: box.update(report=run(
            big, out, task="denoise", client=client, torch_threads=1, progress=False, **TILES)))
        worker.start()
        worker.join(timeout=300)  # a ceiling against a hang, not a measurement
        assert not worker.is_alive()
        assert marker.exists(), "no worker was killed at a tile"
        key = marker.read_text()
        assert sum(t[2] == "processing" for t in cluster.scheduler.story(key) if t[0] == key) >= 2
    assert box["report"][0]["status"] == "done"
    expected = restore(tifffile.imread(big), "denoise", **TILES)
    np.testing.assert_allclose(read_image(out / "big_dip_denoise.tif").data, expected.image, atol=1e-6)
