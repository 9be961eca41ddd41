"""Batch runs on Dask distributed for the batch benchmarks (``batch.py``, ``batch_tiles.py``): a warm
``LocalCluster`` laid out as ``napari-dip batch`` lays out its own, and one timed batch on it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np


def _warm(threads: int) -> bool:
    """On a worker: import torch and the engine and run one tiny fit (first-call costs off the clock)."""
    import torch

    from napari_dip import restore

    torch.set_num_threads(threads)
    restore(np.zeros((16, 16), np.uint8) + np.arange(16, dtype=np.uint8), "denoise", iterations=2, width=8)
    return True


def cluster(workers: int):
    """A warm LocalCluster laid out as ``napari-dip batch`` lays out the embedded one."""
    from distributed import Client, LocalCluster

    from napari_dip.batch.cluster import cpu_layout

    t0 = time.perf_counter()
    w, tpw, threads = cpu_layout(workers, 1, n_fits=workers)
    lc = LocalCluster(n_workers=w, threads_per_worker=tpw, processes=True, dashboard_address=None)
    client = Client(lc)
    client.run(_warm, threads)
    return lc, client, threads, time.perf_counter() - t0


def timed_batch(inputs, out: Path, client, threads: int, opts: dict) -> tuple[float, list[dict]]:
    from napari_dip.batch import run

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    report = run(inputs, out, task="denoise", client=client, torch_threads=threads, progress=False, **opts)
    wall = time.perf_counter() - t0
    bad = [r for r in report if r["status"] != "done"]
    if bad:
        raise RuntimeError(f"benchmark inputs failed: {bad}")
    return wall, report
