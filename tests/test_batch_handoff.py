"""The Restore dock's "Run as batch job": the command built from the dock's options, the job folder, and the
hand-off in a real viewer against a local Dask cluster (the GUI tests need a display: run under xvfb-run)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from napari_dip.batch import handoff
from napari_dip.cli import build_parser
from napari_dip.cli.batch_argv import batch_argv
from napari_dip.cli.inputs import task_inputs_from
from napari_dip.cli.options import settings_from
from napari_dip.io import read_image, write_image
from napari_dip.sample_data import add_gaussian_noise


def _parsed(argv):
    """What ``napari-dip batch`` hands to ``run`` for ``argv`` (as cli/batch.py's ``batch`` builds it)."""
    args = build_parser().parse_args(["batch", *argv])
    options = settings_from(args)
    for name in ("iterations", "device", "scene", "channel"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    options.update(task_inputs_from(args), seed=args.seed)
    return args, options


def test_the_options_become_the_batch_flags_that_parse_back_to_them(tmp_path):
    options = dict(iterations=7, seed=3, device="cpu", early_stop=False, lr=0.0123, fit="input", restarts=2,
                   output="last", noise="poisson", normalize="percentile", tile=128, width=16, network="unet",
                   loss="mse", max_memory=2**30, mode="plane", warm_start=True, planes=[0, 2, 3],
                   fill_input=False, factor=2, psf_sigma=(1.5, 2.0), psf=str(tmp_path / "psf.tif"))
    argv = batch_argv(["in.tif"], tmp_path / "out", task="inpaint", options=options, mask=tmp_path / "m.tif",
                      cluster=dict(workers=1, scheduler=None))
    args, back = _parsed(argv)
    assert back == {**options, "psf_sigma": [1.5, 2.0]}
    assert args.task == "inpaint" and args.inputs == ["in.tif"] and args.out == str(tmp_path / "out")
    assert args.mask == str(tmp_path / "m.tif") and args.workers == 1 and args.scheduler is None
    args, back = _parsed(batch_argv(["a.tif"], "o", task="denoise", options=dict(early_stop=True, tile=False),
                                    cluster=dict(scheduler="tcp://h:8786")))
    assert back == dict(early_stop=True, tile=False, seed=0) and args.scheduler == "tcp://h:8786"
    with pytest.raises(ValueError, match="as a file"):
        batch_argv(["a.tif"], "o", task="inpaint", options=dict(mask=np.zeros((4, 4))))
    with pytest.raises(ValueError, match="no flag"):
        batch_argv(["a.tif"], "o", task="denoise", options=dict(reference=np.zeros((4, 4))))


def test_the_job_folder_is_keyed_by_input_and_options_and_written_once(tmp_path):
    img = np.arange(48 * 48, dtype=np.uint16).reshape(48, 48)
    src = pixels = handoff.pixels_id(img, (0.5, 0.5), ("µm", "µm"))
    key = handoff.job_key(src, "denoise", dict(iterations=5, device="cpu"), {})
    assert key == handoff.job_key(pixels, "denoise", dict(iterations=5, device="cuda"), {})  # device: resumes
    assert key != handoff.job_key(pixels, "denoise", dict(iterations=6), {})
    assert key != handoff.job_key(pixels, "inpaint", dict(iterations=5), {"mask": img > 9})
    folder = handoff.job_folder(tmp_path, "my image.tif", "denoise", key)
    assert folder.name == f"my_image.tif-denoise-{key[:12]}"
    folder.mkdir()
    path = handoff.write_once(folder / "input.tif", img, axes="YX", scale=(0.5, 0.5), units=("µm", "µm"))
    before = path.stat().st_mtime_ns
    handoff.write_once(path, img + 1, axes="YX")  # a resumed job keeps its input (and its fingerprint)
    assert path.stat().st_mtime_ns == before
    back = read_image(path)
    assert np.array_equal(back.data, img) and back.scale == (0.5, 0.5)
    assert handoff.same_pixels(path, img) and not handoff.same_pixels(path, img[::-1])
    assert handoff.total_fits((48, 48), "YX", dict(tile=False)) == (1, False)
    assert handoff.total_fits((300, 300), "YX", dict(tile=128))[1] is True
    assert handoff.total_fits((5, 48, 48), "ZYX", dict(mode="plane", planes=[0, 1])) == (2, False)


def test_progress_is_read_from_the_kept_tiles_the_log_and_the_report(tmp_path):
    out = tmp_path / "out"
    tiles = out / ".a_dip_denoise.tif.tiles" / "0123456789abcdef"
    tiles.mkdir(parents=True)
    job = handoff.Job(tmp_path, ["x"], out / "a_dip_denoise.tif", total=4, tiled=True)
    for k in range(3):
        (tiles / f"tile_{k:04d}.npz").write_bytes(b"")
    assert job.done_before() == 3
    p = handoff.progress(job)  # no process, no report: it failed, and says where to look
    assert p.state == "failed" and p.done == 3 and "job.log" in p.text
    job.stopped = True
    assert handoff.progress(job).state == "stopped"
    job.output.write_bytes(b"")
    (out / "batch-report.json").write_text(json.dumps([{"status": "skipped", "seconds": 0.0}]))
    assert handoff.progress(job).state == "done" and job.done_before() == 4


def test_a_job_whose_process_still_runs_is_followed_not_started_again(tmp_path):
    """napari closed and opened again while the job ran: the same hand-off follows that process."""
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; 'napari_dip batch'; time.sleep(120)"],
                             start_new_session=True)
    try:
        (tmp_path / handoff.MANIFEST).write_text(json.dumps({"pid": other.pid, "started": 1.0}))
        job = handoff.start(handoff.Job(tmp_path, ["never-run"], tmp_path / "out" / "a_dip_denoise.tif"))
        assert job.proc is None and job.pid == other.pid and handoff.running(job)
        assert handoff.progress(job).state == "running" and not (tmp_path / handoff.LOG).exists()
        handoff.stop(job)  # its process group
        assert other.wait(timeout=60) != 0
    finally:
        other.kill()
        other.wait()
    assert not handoff.pid_alive(other.pid) and handoff.progress(job).state == "stopped"


def test_the_estimate_line_suggests_the_hand_off_for_a_long_run():
    from types import SimpleNamespace

    from napari_dip.widgets._batch_job import LONG_RUN_S, long_run_hint

    assert "Run as batch job" in long_run_hint(SimpleNamespace(expected_seconds=LONG_RUN_S + 1))
    assert "region" in long_run_hint(SimpleNamespace(expected_seconds=3600))
    assert long_run_hint(SimpleNamespace(expected_seconds=LONG_RUN_S - 1)) == ""


# --- in a real viewer -------------------------------------------------------------------------------------


@pytest.fixture
def dock(make_napari_viewer, tmp_path, monkeypatch):
    monkeypatch.setenv(handoff.JOBS_ENV, str(tmp_path / "jobs"))
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.show_advanced.value = True
    widget.iterations.value = 4
    widget.net_width.value = 8
    widget.device.value = "cpu"
    widget.batch_job.workers.value = 1  # one worker process, one fit at a time
    return widget, viewer


def _wait_job(qtbot, job, timeout=240_000):  # a ceiling (a shared machine), not a measurement
    qtbot.waitUntil(lambda: job.state not in ("running", "reading"), timeout=timeout)


@pytest.mark.gui
def test_hand_off_shows_progress_opens_the_result_and_resumes(dock, qtbot, clean64):
    widget, viewer = dock
    noisy = add_gaussian_noise(clean64[:40, :40], 25)
    layer = viewer.add_image(noisy, name="cells", scale=(0.2, 0.3), translate=(5.0, 7.0), units="µm")
    widget.image.value = layer
    job = widget.batch_job
    job.button.clicked.emit()
    assert job.state == "running" and job.job.folder.parent == Path(os.environ[handoff.JOBS_ENV])
    assert (job.job.folder / "input.tif").is_file()  # a layer without a file: its pixels written once
    assert read_image(job.job.folder / "input.tif").scale == pytest.approx((0.2, 0.3))
    # the progress read from the job's files while it runs (it runs for seconds: Dask and torch start)
    qtbot.waitUntil(lambda: "of 1 fits done" in job.line.value, timeout=60_000)
    assert not job.bar.isHidden() and not job.stop_button.native.isHidden()
    _wait_job(qtbot, job)
    assert job.state == "done", job.line.value
    assert job.bar.value() == job.bar.maximum() == 1
    result = job.result_layer
    assert result.name == "cells [DIP denoise batch]" and viewer.layers[-1].name == result.name  # (a proxy)
    assert result.data.shape == noisy.shape
    assert tuple(result.scale) == pytest.approx((0.2, 0.3)) and tuple(result.translate) == (5.0, 7.0)
    assert [str(u) for u in result.units] == [str(u) for u in layer.units]
    meta = result.metadata["napari_dip"]
    assert meta["task"] == "denoise" and meta["iterations"] == 4 and meta["source"] == "cells"
    assert meta["config"]["iterations_run"] == 4 and meta["batch"]["record"]["status"] == "done"
    assert np.array_equal(layer.data, noisy)  # the input untouched

    output, first = job.job.output, job.job.output.stat().st_mtime_ns
    job.button.clicked.emit()  # the same image and options again: the same folder, nothing refitted
    assert job.line.value.startswith("resuming: 1 of 1 done")
    _wait_job(qtbot, job)
    assert job.state == "done" and job.job.output == output
    assert job.job.record()["status"] == "skipped" and output.stat().st_mtime_ns == first
    assert len(list(Path(os.environ[handoff.JOBS_ENV]).iterdir())) == 1
    assert viewer.layers[-1].name == job.result_layer.name == "cells [DIP denoise batch] [1]"


@pytest.mark.gui
def test_a_file_layer_is_handed_off_as_its_file_and_a_mask_layer_as_a_file(dock, tmp_path, clean64):
    widget, viewer = dock
    path = write_image(tmp_path / "cells.tif", clean64[:40, :40], axes="YX", scale=(0.5, 0.5),
                       units=("µm", "µm"))
    stamp, raw = path.stat().st_mtime_ns, path.read_bytes()
    (layer,) = viewer.open(str(path), plugin="napari")
    assert Path(layer.source.path) == path
    mask = np.zeros((40, 40), np.int32)
    mask[10:20, 5:30] = 3
    labels = viewer.add_labels(mask, name="holes")
    widget.task.value = "inpaint"
    widget.image.value, widget.mask.value = layer, labels
    job, params = _prepare(widget)
    args, options = _parsed(job.argv[4:])
    assert args.inputs == [str(path)] and not (job.folder / "input.tif").exists()  # the file itself
    mask_file = Path(args.mask)
    assert mask_file.parent == job.folder and np.array_equal(read_image(mask_file).data, (mask != 0))
    assert args.task == "inpaint" and options["iterations"] == 4 and options["width"] == 8
    assert options["device"] == "cpu" and args.workers == 1
    assert params["mask_layer"] == "holes" and params["source"] == "cells"
    assert path.stat().st_mtime_ns == stamp and path.read_bytes() == raw
    assert np.array_equal(labels.data, mask)
    layer.data = layer.data[::-1].copy()  # changed in napari: its pixels are written instead of the file
    job2, _ = _prepare(widget)
    args2, _ = _parsed(job2.argv[4:])
    assert job2.folder != job.folder and args2.inputs == [str(job2.folder / "input.tif")]
    assert path.read_bytes() == raw


@pytest.mark.gui
def test_a_job_stopped_mid_run_resumes_from_its_kept_tiles(dock, qtbot, rng):
    """Stopped after its first tile: handed off again, it fits only the missing tiles (the report says how
    many were reused) and says so."""
    widget, viewer = dock
    widget.image.value = viewer.add_image(rng.integers(0, 255, (160, 160)).astype(np.uint8), name="big")
    widget.tile.value = "128 px"  # 4 tiles, each its own fit
    widget.iterations.value = 40
    job = widget.batch_job
    job.button.clicked.emit()
    assert job.job.tiled and job.job.total == 4
    qtbot.waitUntil(lambda: job.job.done_before() >= 1 or job.state != "running", timeout=240_000)
    job.stop_button.clicked.emit()
    _wait_job(qtbot, job)
    kept = job.job.done_before()
    assert job.state in ("stopped", "done") and kept >= 1
    job.button.clicked.emit()
    assert job.line.value.startswith(f"resuming: {kept} of 4 done")
    _wait_job(qtbot, job)
    assert job.state == "done", job.line.value
    if kept < 4:
        tiles = job.job.record()["tiles"]
        assert tiles["count"] == 4 and len(tiles["reused"]) == kept and len(tiles["fitted"]) == 4 - kept


@pytest.mark.gui
def test_an_rgb_image_and_a_stack_plane_are_written_with_their_axes(dock, clean64):
    widget, viewer = dock
    rgb = np.stack([clean64[:40, :40]] * 3, axis=-1)
    widget.image.value = viewer.add_image(rgb, name="colour", rgb=True, scale=(0.5, 0.5))
    job, _ = _prepare(widget)
    img = read_image(job.folder / "input.tif")
    assert img.axes == "YXS" and np.array_equal(img.data, rgb) and job.total == 1
    stack = np.stack([clean64[:40, :40] + i for i in range(3)]).astype(np.uint8)
    widget.image.value = viewer.add_image(stack, name="zstack", scale=(2.0, 0.5, 0.5))
    viewer.dims.set_current_step(0, 1)
    job, params = _prepare(widget)  # the plane shown, as Run restores it
    img = read_image(job.folder / "input.tif")
    assert img.axes == "YX" and np.array_equal(img.data, stack[1]) and img.scale == (0.5, 0.5)
    assert params["plane"] == [1]


def _prepare(widget):
    from napari_dip.widgets._batch_job import prepare

    return prepare(widget, Path(os.environ[handoff.JOBS_ENV]), cluster=widget.batch_job.cluster())


@pytest.mark.gui
def test_closing_the_viewer_leaves_the_job_running(make_napari_viewer, tmp_path, monkeypatch, clean64):
    monkeypatch.setenv(handoff.JOBS_ENV, str(tmp_path / "jobs"))
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.add_image(clean64[:40, :40], name="cells")
    widget.show_advanced.value = True
    widget.iterations.value = 100_000  # runs until stopped
    widget.device.value = "cpu"
    widget.batch_job.workers.value = 1
    widget.batch_job.button.clicked.emit()
    job = widget.batch_job.job
    try:
        viewer.close()
        assert handoff.running(job) and job.proc.poll() is None
    finally:
        handoff.stop(job)
        job.proc.wait(timeout=60)
    assert job.proc.returncode is not None and not handoff.running(job)
