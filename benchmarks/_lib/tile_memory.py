"""``benchmarks/batch_tiles.py --memory``: peak resident memory of a tile task and of the write task.

Each stage runs in a fresh process (this file's :func:`measure`, through ``batch_tiles.py
--measure``), which imports what the stage needs and warms up (one 1-iteration fit of a 64 x 64
image, one dask compute: what any worker has done before), notes its peak resident memory
(VmHWM), runs the stage and notes it again: the difference is what the stage added above that
peak. Stages: the client's planning (the streamed value mapping, no torch; warmed up by planning a
small image), one tile task (the middle tile) and the write task, on the streamed path and on the
whole-image path (``spec["tiles"]["values"] = None``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

from . import ROOT
from .report import command, machine, markdown_table

HERE = ROOT / "benchmarks"  # where batch_tiles.py is


def _rss_mib() -> float:
    """This process's peak resident memory: VmHWM (reset by exec; ru_maxrss keeps the peak of the
    process that started it, here the parent holding a whole image)."""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB (macOS: bytes)


def measure(stage: str, spec_file: str, tile: str) -> None:
    """Run one stage in this (fresh) process; print ``{"imports", "peak"}`` in MiB."""
    spec = json.loads(Path(spec_file).read_text())
    if stage == "plan":
        import tifffile

        from napari_dip.batch import inputs

        tiny = Path(spec_file).with_name("tiny.tif")  # warm-up: the same planning of a small image
        side = spec["kwargs"]["tile"] + 2 * spec["kwargs"]["tile_overlap"]  # 2 x 2 tiles
        tifffile.imwrite(tiny, np.zeros((side, side), np.float32))
        inputs.plan([tiny], tiny.parent / "tiny-out", task=spec["task"], options=spec["kwargs"])
        before = _rss_mib()
        inputs.plan([Path(spec["input"])], Path(spec["output"]).parent, task=spec["task"],
                    options=spec["kwargs"])
    else:
        import dask.array as da
        import torch

        from napari_dip import restore
        from napari_dip.batch import tiles

        torch.set_num_threads(1)
        # a warm worker: torch's kernels and allocator, dask's scheduler, once on a tiny image
        restore(np.zeros((64, 64), np.float32), "denoise", iterations=1, width=8)
        da.zeros(4).compute(scheduler="synchronous")
        before = _rss_mib()
        if stage == "fit-all":
            for k in range(spec["tiles"]["count"]):
                assert "error" not in tiles.fit_tile(spec, k)
        elif stage == "tile":
            assert "error" not in tiles.fit_tile(spec, int(tile))
        else:
            assert tiles.write_tiles(spec, [])["status"] == "done"
    print(json.dumps({"imports": round(before, 1), "peak": round(_rss_mib(), 1)}))


def _run(stage: str, spec: dict, folder: Path, tile: int = 0) -> dict:
    path = folder / "spec.json"
    path.write_text(json.dumps(spec))
    cmd = [sys.executable, str(HERE / "batch_tiles.py"), "--measure", stage, str(path), str(tile)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spec(src: Path, out: Path, opts: dict) -> dict:
    from napari_dip.batch import inputs
    from napari_dip.batch.api import _spec as make_spec

    (unit,) = inputs.plan([src], out, task="denoise", options=dict(opts))
    return make_spec(unit, "denoise", dict(opts), types.SimpleNamespace(device="cpu", torch_threads=1))


def _one_size(size: int, args, tmp: Path) -> list[list]:
    import tifffile

    from napari_dip.sample_data import camera

    rng = np.random.default_rng(0)
    src = tmp / f"big{size}.tif"
    tifffile.imwrite(src, (camera(size) + rng.normal(0, 0.1, (size, size))).astype(np.float32))
    opts = dict(iterations=args.iterations, width=args.width, early_stop=False, tile=args.tile,
                tile_overlap=args.overlap)
    spec = _spec(src, tmp / f"out{size}", opts)
    n = spec["tiles"]["count"]
    rows = [[size, n, "streamed", "client: plan + value mapping", *_mib(_run("plan", spec, tmp))]]
    _run("fit-all", spec, tmp)
    kept = Path(spec["tiles"]["dir"])
    shutil.copytree(kept, tmp / "kept")
    whole = {**spec, "tiles": {**spec["tiles"], "values": None}}
    for path, s in (("streamed", spec), ("whole image", whole)):
        rows.append([size, n, path, "one tile task", *_mib(_run("tile", s, tmp, n // 2))])
    for path, s in (("streamed", spec), ("whole image", whole)):
        if not kept.exists():
            shutil.copytree(tmp / "kept", kept)
        rows.append([size, n, path, "write task", *_mib(_run("write", s, tmp))])
    shutil.rmtree(tmp / "kept")
    return rows


def _mib(r: dict) -> list:
    return [r["imports"], r["peak"], round(r["peak"] - r["imports"], 1)]


def memory_table(args) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            rows += _one_size(size, args, Path(tmp))
            print(rows[-1], flush=True)
    header = ["image (px)", "tiles", "path", "stage", "RSS warmed up (MiB)", "peak RSS (MiB)",
              "added by the stage (MiB)"]
    print(f"float32 images, tiles of {args.tile} px overlapping by >= {args.overlap} px, denoise, "
          f"{args.iterations} iteration(s), width {args.width}, 1 torch thread, each stage a fresh "
          f"process, warmed up.\n\nCommand: `{command()}`  \nMachine: {machine()}\n\n"
          f"{markdown_table(header, rows)}")
