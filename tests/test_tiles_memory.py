"""Issue 29: memory per tile task bounded by the tile, not the image (``napari-dip batch --tile``).

A tile task reads its tile's pixels only (instrumented reads, the whole-image readers made to fail),
the client's streamed value mapping equals the whole image's, and the streamed write gives the
in-memory blend exactly with a traced peak far below the image's size. Tiny fits (1-3 iterations).
"""

import tracemalloc
import types
import warnings

import numpy as np
import pytest
import tifffile

import napari_dip.batch.work as work
import napari_dip.io.region as region_io
from napari_dip import restore
from napari_dip.batch import inputs as batch_inputs
from napari_dip.batch import run, tiles
from napari_dip.batch.api import _spec
from napari_dip.core.data import ImageCodec
from napari_dip.core.tiling import streamed
from napari_dip.core.tiling.boxes import tile_boxes
from napari_dip.core.tiling.streamed import value_mapping
from napari_dip.io import read_image, write_image
from napari_dip.io.region import open_region

TILE, OVERLAP = 64, 16
OPTIONS = {"iterations": 1, "width": 8, "tile": TILE, "tile_overlap": OVERLAP}


def _image(shape, seed=0):
    y, x = np.mgrid[: shape[-2], : shape[-1]]
    base = (np.sin(x / 9) + np.cos(y / 13) + 2) * 1000 + 200
    return np.clip(base + np.random.default_rng(seed).normal(0, 50, shape), 0, None).astype(np.uint16)


def _tiff(path, data, **kwargs):
    tifffile.imwrite(path, data, **kwargs)
    return path


def _zarr(path, data, monkeypatch):
    pytest.importorskip("ome_zarr")
    import napari_dip.io.zarr as zarr_io

    with monkeypatch.context() as m:  # small chunks, so that a tile touches few of them
        m.setattr(zarr_io, "CHUNK", {**zarr_io.CHUNK, "Y": 32, "X": 32})
        write_image(path, data, axes="CYX")
    return path


def _plan(path, out, options, task="denoise"):
    (unit,) = batch_inputs.plan([path], out, task=task, options=dict(options))
    assert unit.error is None, unit.error
    return unit, _spec(unit, task, dict(options), types.SimpleNamespace(device=None, torch_threads=1))


@pytest.mark.parametrize("layout", ["tiff", "tiff-chunks", "ome-zarr"])
def test_a_tile_task_reads_only_its_tile(layout, tmp_path, monkeypatch, one_thread):
    data = _image((2, 256, 320))  # 2 channels
    if layout == "tiff":
        path = _tiff(tmp_path / "big.tif", data, imagej=True, metadata={"axes": "CYX"})
    elif layout == "tiff-chunks":
        pytest.importorskip("zarr")
        path = _tiff(tmp_path / "big.tif", data, compression="zlib", tile=(32, 32), metadata={"axes": "CYX"})
    else:
        path = _zarr(tmp_path / "big.zarr", data, monkeypatch)
    assert open_region(path).how == layout
    unit, spec = _plan(path, tmp_path / "out", OPTIONS)
    assert spec["tiles"]["values"] is not None and unit.tiles == 35

    reads = []
    real = region_io.fetch

    def counted(reader, key):
        out = real(reader, key)
        reads.append(out.size)
        return out

    def no_whole_read(*args, **kwargs):
        raise AssertionError("a tile task read the whole image")

    monkeypatch.setattr(region_io, "fetch", counted)
    for module in (region_io, work):
        monkeypatch.setattr(module, "read_image", no_whole_read)
    monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", no_whole_read)
    for k in (0, 17, 34):
        reads.clear()
        assert "error" not in tiles.fit_tile(spec, k)
        assert reads, "the tile was not read through the region reader"
        assert max(reads) <= (TILE + 2 * OVERLAP) ** 2 * 2  # (tile + 2 overlap)^2 x channels
        assert sum(reads) == TILE * TILE * 2  # exactly the tile's box, every channel, once
    assert max(reads) * 10 < data.size


def test_an_ome_zarr_tile_task_touches_only_the_chunks_of_its_tile(tmp_path, monkeypatch, one_thread):
    """The store under the reader: level 0's chunks that a tile task fetches (32 x 32 px, per channel)."""
    zarr = pytest.importorskip("zarr")
    path = _zarr(tmp_path / "big.zarr", _image((2, 256, 320)), monkeypatch)
    _, spec = _plan(path, tmp_path / "out", OPTIONS)
    fetched = []
    store = zarr.storage.FsspecStore  # what bioio opens an OME-Zarr with
    real = store.get

    async def get(self, key, *args, **kwargs):
        if "/c/" in key and key.split("/")[0] in ("0", "s0"):  # a chunk of the first resolution level
            fetched.append(key)
        return await real(self, key, *args, **kwargs)

    monkeypatch.setattr(store, "get", get)
    assert "error" not in tiles.fit_tile(spec, 17)
    # a 64 px box spans at most 3 chunks of 32 px along Y and X: 9 chunks per channel
    assert 0 < len(set(fetched)) <= 9 * 2
    assert len(set(fetched)) * 32 * 32 <= (TILE + 2 * OVERLAP) ** 2 * 2


def test_a_region_read_equals_the_whole_read(tmp_path, monkeypatch):
    rgb = (np.random.default_rng(1).random((90, 110, 3)) * 255).astype(np.uint8)
    cases = [
        (_tiff(tmp_path / "c.tif", _image((3, 90, 110)), imagej=True, metadata={"axes": "CYX"}), None),
        (tmp_path / "c.tif", 2),  # one channel picked
        (_tiff(tmp_path / "rgb.tif", rgb, photometric="rgb"), None),
        (_tiff(tmp_path / "be.tif", _image((90, 110)).astype(">f4"), byteorder=">"), None),
        (_tiff(tmp_path / "ome.ome.tif", _image((2, 90, 110)), ome=True, metadata={"axes": "CYX"}), "1"),
    ]
    if _has("zarr"):  # a compressed TIFF of several strips: tifffile's zarr store
        z = _tiff(tmp_path / "z.tif", _image((90, 110)), compression="zlib", rowsperstrip=16)
        cases.append((z, None))
    for path, channel in cases:
        reader = open_region(path, channel=channel)
        whole = read_image(path, channel=channel)
        assert (reader.shape, reader.axes, reader.dtype) == (whole.data.shape, whole.axes, whole.data.dtype)
        assert reader.channel_axis == whole.channel_axis
        y, x = whole.axes.index("Y"), whole.axes.index("X")
        box = [slice(None)] * whole.data.ndim
        box[y], box[x] = slice(13, 77), slice(40, 104)
        np.testing.assert_array_equal(reader.read(slice(13, 77), slice(40, 104)), whole.data[tuple(box)])
        bands = list(reader.blocks(1000))  # bands of 9 rows
        assert len(bands) == -(-whole.data.shape[y] // 9)
        np.testing.assert_array_equal(np.concatenate(bands, axis=y), whole.data)


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("normalize", ["minmax", "percentile"])
def test_the_streamed_value_mapping_is_the_whole_images(normalize, monkeypatch):
    rng = np.random.default_rng(3)
    grey = rng.normal(size=(200, 300)).astype(np.float32)
    grey[3, 4], grey[5, 6] = np.nan, np.inf
    images = [(grey, None), ((rng.random((120, 90, 4)) * 255).astype(np.uint8), -1),  # RGBA: alpha left out
              (_image((3, 100, 100)), 0), (rng.lognormal(size=(150, 170)), None)]
    for narrow in (False, True):
        if narrow:  # tiny histograms and gathers: several passes narrow each order statistic down
            monkeypatch.setattr(streamed, "BINS", 8)
            monkeypatch.setattr(streamed, "GATHER", 50)
        for image, axis in images:
            y = image.ndim - 2 if axis != image.ndim - 1 else image.ndim - 3

            def blocks(image=image, y=y):
                return (image[(slice(None),) * y + (slice(r, r + 37),)] for r in range(0, image.shape[y], 37))

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the RGBA warning
                codec = ImageCodec.fit(image, axis, normalize=normalize)
            got = value_mapping(blocks, image.shape, channel_axis=axis, normalize=normalize)
            assert (got["lo"], got["hi"], tuple(got["window"])) == (codec.lo, codec.hi, codec.window)
            assert (got["vmin"], got["vmax"]) == (codec.vmin, codec.vmax)
    with pytest.raises(ValueError, match="no finite values"):
        value_mapping(lambda: iter([np.full((4, 4), np.nan)]), (4, 4))


def _fake_tiles(spec, shape, seed=0):
    """Tiles kept on disk as a fit leaves them, with made-up images: the write does not care."""
    rng = np.random.default_rng(seed)
    folder = tiles.tile_path(spec["tiles"]["dir"], 0).parent
    folder.mkdir(parents=True)
    for k, (y0, y1, x0, x1) in enumerate(tile_boxes(shape, spec["kwargs"]["tile"], OVERLAP)):
        record = {"tile": k, "iterations_run": 1, "stopped_at": 1, "reason": "iterations", "seconds": 0}
        meta = {"config": {"task": "denoise", "shape": [y1 - y0, x1 - x0]}, "record": record}
        image = rng.random((1, y1 - y0, x1 - x0), dtype=np.float32)
        np.savez(tiles.tile_path(folder, k), image=image, meta=np.array(tiles.json.dumps(meta)))


def _traced_write(spec):
    tracemalloc.start()
    try:
        record = tiles.write_tiles(spec, [])
        return record, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _write(path, out, shape, values=True):
    unit, spec = _plan(path, out, {**OPTIONS, "tile": 128})
    if not values:
        spec["tiles"]["values"] = None  # the path of masks and noise="poisson": everything in memory
    _fake_tiles(spec, shape)
    record, peak = _traced_write(spec)
    assert record["status"] == "done", record
    assert not list(out.glob(".*"))  # the kept tiles are gone once the image is written
    return read_image(record["output"]).data, peak


def test_the_streamed_write_is_the_in_memory_blend_and_flat_in_memory(tmp_path):
    """The same pixels as the in-memory blend; the streamed write's traced peak does not grow with the
    image (512^2 -> 1024^2: 4x the pixels) and stays below the image's own size."""
    small = _tiff(tmp_path / "small.tif", _image((512, 512)).astype(np.float32))
    data = _image((1024, 1024)).astype(np.float32)  # 4 MiB
    big = _tiff(tmp_path / "big.tif", data)
    _write(small, tmp_path / "warm-up", (512, 512))  # the first write imports dask's and tifffile's modules
    _, peak_small = _write(small, tmp_path / "small", (512, 512))
    streamed_image, peak_big = _write(big, tmp_path / "streamed", data.shape)
    whole_image, peak_whole = _write(big, tmp_path / "whole", data.shape, values=False)
    np.testing.assert_array_equal(streamed_image, whole_image)  # the same sums in the same order
    assert peak_whole > 4 * data.nbytes  # the in-memory blend holds the image several times over
    assert peak_big < data.nbytes and peak_big < 1.5 * peak_small, (peak_small, peak_big)


def test_masked_tasks_keep_the_whole_image_path(tmp_path, one_thread):
    """inpaint chooses its preset from the whole image's holes: its tile tasks read the whole image, and
    the result still equals the tiled restore()."""
    from distributed import Client, LocalCluster

    image = _image((100, 120)).astype(np.float32)
    mask = np.zeros(image.shape, bool)
    mask[40:50, 30:90] = True
    path = _tiff(tmp_path / "big.tif", image)
    opts = {**OPTIONS, "iterations": 2}
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        (record,) = run(path, tmp_path / "out", task="inpaint", mask=mask, client=client, torch_threads=1,
                        progress=False, **opts)
    assert record["status"] == "done" and record["tiles"]["count"] == 6
    expected = restore(image, "inpaint", mask=mask, **opts)
    np.testing.assert_allclose(read_image(record["output"]).data, expected.image, atol=1e-6)
