"""Batch restoration on Dask distributed (issue 11): real clusters of 2 worker processes, tiny fits.

A folder of 6 TIFF/PNG inputs for inpainting, each with its own mask (``_mask``):
4 good (uint8, uint16, a 5-plane ImageJ ZYX stack with pixel sizes, a PNG),
one corrupt file and one whose mask has the wrong shape.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

import napari_dip
from napari_dip.batch import inputs as batch_inputs
from napari_dip.batch.cluster import cpu_layout, gpu_specs
from napari_dip.cli import main
from napari_dip.io import read_image, read_settings, sidecar_path

TINY = ["--iterations", "3", "--width", "8", "--no-progress"]
GOOD = {"a.tif": "a_dip_inpaint.tif", "b.tif": "b_dip_inpaint.tif", "c.tif": "c_dip_inpaint.tif",
        "d.png": "d_dip_inpaint.png"}
BAD = {"e.tif": "cannot read", "f.tif": "mask has shape (20, 20)"}


def _image(rng, shape=(32, 32), dtype=np.uint8):
    hi = 255 if dtype == np.uint8 else 4000
    y, x = np.mgrid[: shape[-2], : shape[-1]]
    base = (np.sin(x / 5) + np.cos(y / 7) + 2) / 4 * hi
    return np.clip(base + rng.normal(0, hi * 0.05, shape), 0, hi).astype(dtype)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    mask = np.zeros((32, 32), np.uint8)
    mask[12:18, 10:16] = 1
    tifffile.imwrite(d / "a.tif", _image(rng))
    tifffile.imwrite(d / "a_mask.tif", mask)
    tifffile.imwrite(d / "b.tif", _image(rng, dtype=np.uint16))
    iio.imwrite(d / "b_mask.png", mask * 255)
    tifffile.imwrite(d / "c.tif", _image(rng, (5, 32, 32)), imagej=True, resolution=(2.0, 2.0),
                     metadata={"axes": "ZYX", "spacing": 3.0, "unit": "um"})
    tifffile.imwrite(d / "c_mask.tif", mask)
    iio.imwrite(d / "d.png", _image(rng))
    iio.imwrite(d / "d_mask.png", mask)
    (d / "e.tif").write_bytes(b"II*\x00" + rng.bytes(300))  # corrupt
    tifffile.imwrite(d / "e_mask.tif", mask)
    tifffile.imwrite(d / "f.tif", _image(rng))
    tifffile.imwrite(d / "f_mask.tif", np.ones((20, 20), np.uint8))  # wrong shape
    return d


def _report(out):
    return {Path(r["input"]).name: r for r in json.loads((out / "batch-report.json").read_text())}


def _check_first_run(folder, out):
    report = _report(out)
    assert set(report) == set(GOOD) | set(BAD)
    for name, output in GOOD.items():
        r = report[name]
        assert r["status"] == "done" and r["error"] is None and Path(r["output"]) == out / output
        assert (out / output).is_file() and sidecar_path(out / output).is_file()
        assert read_settings(sidecar_path(out / output))["batch"]["task"] == "inpaint"
    for name, error in BAD.items():
        assert report[name]["status"] == "failed" and error in report[name]["error"]
        assert report[name]["output"] is None
    stack = read_image(out / "c_dip_inpaint.tif")
    assert stack.axes == "ZYX" and stack.data.shape == (5, 32, 32) and stack.data.dtype == np.uint8
    assert stack.scale == pytest.approx((3.0, 0.5, 0.5)) and stack.units == ("µm",) * 3
    planes = read_settings(out / "c_dip_inpaint.tif")["planes"]
    assert [p["plane"] for p in planes] == [[i] for i in range(5)]
    assert read_image(out / "b_dip_inpaint.tif").data.dtype == np.uint16
    assert not list(out.glob("*.part*")) and not list(out.glob(".*"))


def test_cli_embedded_cluster_reports_bad_inputs_and_resumes(folder, tmp_path, one_thread, monkeypatch):
    out = tmp_path / "out"
    argv = ["batch", str(folder), "--out", str(out), "--task", "inpaint", "--mask-suffix", "_mask", *TINY]
    assert main([*argv, "--workers", "2", "--threads-per-worker", "1"]) == 1  # 2 inputs failed
    _check_first_run(folder, out)
    # the planes fitted in parallel are the sequential plane mode's result, bit for bit
    from napari_dip import restore

    stack = read_image(folder / "c.tif").data
    expected = restore(
        stack, "inpaint", mask=tifffile.imread(folder / "c_mask.tif") != 0, iterations=3, width=8
    )
    assert np.array_equal(read_image(out / "c_dip_inpaint.tif").data, expected.image)

    stamps = {n: (out / o).stat().st_mtime_ns for n, o in GOOD.items()}
    from napari_dip.batch import api as batch_api

    def no_cluster(*args, **kwargs):
        raise AssertionError("a re-run with nothing to fit started a cluster")

    monkeypatch.setattr(batch_api, "connect", no_cluster)
    assert main(argv) == 1  # a re-run: nothing to fit, so no cluster is started (connect is never called)
    report = _report(out)
    assert all(report[n]["status"] == "skipped" for n in GOOD) and all(
        report[n]["status"] == "failed" for n in BAD
    )
    assert stamps == {n: (out / o).stat().st_mtime_ns for n, o in GOOD.items()}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_external_scheduler_same_results_and_overwrite(folder, tmp_path):
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    src = str(Path(napari_dip.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    py = [sys.executable, "-m"]  # `dask scheduler` and `dask worker`, from this Python
    procs = [subprocess.Popen([*py, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], env=env, stderr=subprocess.DEVNULL)]
    try:
        procs += [
            subprocess.Popen(
                [
                    *py,
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                ],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "out"
        argv = [
            "batch",
            str(folder / "*.*"),
            "--out",
            str(out),
            "--task",
            "inpaint",
            "--mask-suffix",
            "_mask",
            "--scheduler",
            address,
            *TINY,
        ]
        assert main(argv) == 1
        _check_first_run(folder, out)
        first = {n: read_image(out / o).data for n, o in GOOD.items()}
        stamps = {n: (out / o).stat().st_mtime_ns for n, o in GOOD.items()}
        assert main([*argv, "--overwrite"]) == 1
        report = _report(out)
        assert all(report[n]["status"] == "done" for n in GOOD)
        for name, output in GOOD.items():  # redone, and the same (1 torch thread per worker, same seed)
            assert (out / output).stat().st_mtime_ns > stamps[name]
            assert np.array_equal(read_image(out / output).data, first[name])
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_killed_worker_fit_is_redone_and_nothing_partial_is_left(tmp_path):
    from distributed import Client, LocalCluster, WorkerPlugin

    from napari_dip.batch import run

    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        tifffile.imwrite(src / f"im{i}.tif", _image(rng))
    tifffile.imwrite(src / "tiny.tif", _image(rng, (1, 32)))  # passes the header check, refused by restore()
    out, box = tmp_path / "out", {}
    marker = tmp_path / "killed"  # holds the key of the fit whose worker was killed

    class KillAtFirstFit(WorkerPlugin):
        """SIGKILL the worker the moment it starts executing a fit: the first fit of the whole cluster
        only (the marker, created atomically, says it happened). No polling, so no race with a fast fit."""

        def transition(self, key, start, finish, **kwargs):
            if finish != "executing" or not str(key).startswith("fit_"):
                return
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.write(fd, str(key).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.register_plugin(KillAtFirstFit())
        worker = threading.Thread(target=lambda: box.update(report=run(
            src, out, task="denoise", client=client, torch_threads=1, progress=False, iterations=3, width=8)))
        worker.start()
        worker.join(timeout=300)  # a ceiling against a hang, not a measurement
        assert not worker.is_alive()
        assert marker.exists(), "no worker was killed at a fit"
        key = marker.read_text()
        story = [t for t in cluster.scheduler.story(key) if t[0] == key]
        assert sum(t[2] == "processing" for t in story) >= 2  # the killed worker's fit was given out again
    report = {Path(r["input"]).name: r for r in box["report"]}
    assert all(report[f"im{i}.tif"]["status"] == "done" for i in range(3))
    assert report["tiny.tif"]["status"] == "failed" and "too small" in report["tiny.tif"]["error"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"im{i}_dip_denoise.{e}" for i in range(3) for e in ("tif", "json")] + ["batch-report.json"])


# ---- no cluster: planning, options and the cluster's layout -------------------------------------


def test_inputs_from_folders_globs_and_files_without_masks_or_outputs(folder, tmp_path):
    files = batch_inputs.collect([folder, str(folder / "a*.tif"), folder / "d.png"], mask_suffix="_mask")
    assert [f.name for f in files] == ["a.tif", "b.tif", "c.tif", "d.png", "e.tif", "f.tif"]
    assert batch_inputs.find_mask(folder / "b.tif", "_mask").name == "b_mask.png"
    assert [f.name for f in batch_inputs.collect(folder, exclude=(folder / "a.tif",))][:2] == [
        "a_mask.tif",
        "b.tif",
    ]
    with pytest.raises(ValueError, match="no such file"):
        batch_inputs.collect(tmp_path / "missing")
    with pytest.raises(ValueError, match="no image files"):
        batch_inputs.collect(tmp_path)


def test_plan_splits_stacks_into_planes_unless_warm_start(folder, tmp_path):
    files = [folder / "c.tif", folder / "a.tif"]
    units = batch_inputs.plan(files, tmp_path, task="inpaint", options={}, mask_suffix="_mask")
    assert units[0].planes == [(i,) for i in range(5)] and units[1].planes is None
    warm = batch_inputs.plan(
        files, tmp_path, task="inpaint", options={"warm_start": True}, mask_suffix="_mask"
    )
    assert warm[0].planes is None and warm[0].n_fits == 1
    some = batch_inputs.plan(
        files[:1], tmp_path, task="inpaint", options={"planes": [0, 3]}, mask_suffix="_mask"
    )
    assert some[0].planes == [(0,), (3,)]
    shared = batch_inputs.plan([folder / "c.tif", folder / "f.tif"], tmp_path, task="inpaint", options={},
                               mask=folder / "f_mask.tif")  # one mask for every input: 20x20 fits neither
    assert all("mask has shape (20, 20)" in u.error for u in shared)
    with pytest.raises(ValueError, match="both be written"):
        batch_inputs.plan([folder / "a.tif", tmp_path / "x" / "a.tif"], tmp_path, task="denoise", options={})


def test_fingerprint_follows_options_and_input_but_not_device(folder, tmp_path):
    shutil.copy(folder / "a.tif", tmp_path / "a.tif")
    fp = batch_inputs.fingerprint(tmp_path / "a.tif", "denoise", {"width": 8}, None)["hash"]
    assert (
        fp
        == batch_inputs.fingerprint(tmp_path / "a.tif", "denoise", {"width": 8, "device": "cuda"}, None)[
            "hash"
        ]
    )
    assert fp != batch_inputs.fingerprint(tmp_path / "a.tif", "denoise", {"width": 16}, None)["hash"]
    os.utime(tmp_path / "a.tif", ns=(0, 0))
    assert fp != batch_inputs.fingerprint(tmp_path / "a.tif", "denoise", {"width": 8}, None)["hash"]


@pytest.mark.parametrize("kwargs, match", [
    ({"task": "inpaint"}, "needs a mask"),
    ({"task": "denoise", "mask_suffix": "_mask"}, "takes no mask"),
    ({"task": "inpaint", "mask_suffix": "_mask", "mask": "m.tif"}, "not both"),
    ({"task": "denoise", "widht": 8}, "did you mean 'width'"),
    ({"task": "denoise", "psf_sigma": 2.0}, "takes no psf_sigma"),
    ({"task": "blend"}, "not a restoration"),
    ({"task": "denoise", "network": "vgg"}, "network must be one of"),
])
def test_bad_calls_raise_before_any_work(folder, tmp_path, kwargs, match):
    from napari_dip.batch import run

    with pytest.raises(ValueError, match=match):
        run(folder, tmp_path / "out", progress=False, **kwargs)
    assert not (tmp_path / "out").exists()


def test_cpu_workers_split_the_cores_and_gpu_workers_are_pinned(monkeypatch):
    monkeypatch.setattr("napari_dip.batch.cluster.cores", lambda: 8)
    assert cpu_layout(None, None, n_fits=100) == (8, 1, 1)
    assert cpu_layout(None, None, n_fits=2) == (2, 1, 4)
    assert cpu_layout(2, 2, n_fits=100) == (2, 2, 2)
    with pytest.raises(ValueError, match="16 concurrent fits, but this machine has 8 cores"):
        cpu_layout(8, 2, n_fits=100)
    specs = gpu_specs([0, 3])  # the GPU path's worker specs (no GPU on the test machines)
    assert [s["options"]["env"]["CUDA_VISIBLE_DEVICES"] for s in specs.values()] == ["0", "3"]
    assert all(
        s["options"]["resources"] == {"GPU": 1} and s["options"]["nthreads"] == 1 for s in specs.values()
    )


def test_batch_code_imports_no_torch_napari_or_qt():
    code = ("import sys, napari_dip.batch, napari_dip.cli.batch; "
            "bad = [m for m in ('torch', 'napari', 'qtpy') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
