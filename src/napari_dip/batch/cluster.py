"""Where a batch runs: a Dask ``Client`` given by the caller, an existing scheduler, or an embedded cluster.

The embedded cluster is a ``distributed.LocalCluster`` of worker *processes*
(a fit holds the GIL for Python-side work, and each process owns its torch
state). On CPUs the workers split the cores: ``workers x threads_per_worker``
concurrent fits, each with ``cores // (workers x threads_per_worker)`` torch
threads, so that nothing is oversubscribed. On NVIDIA GPUs it is one worker per
GPU, pinned with ``CUDA_VISIBLE_DEVICES`` and advertising the Dask resource
``GPU=1``.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Session:
    """A connected client and how fits should run on its workers."""

    client: object
    torch_threads: int | None = None   # torch threads per fit (None: leave the worker's own)
    device: str | None = None          # device passed to restore (pinned GPU workers: "cuda")
    resources: dict | None = None      # Dask resources each fit holds, e.g. {"GPU": 1}


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def gpu_count(device: str | None) -> int:
    """NVIDIA/AMD GPUs a fit could use (0 without asking torch on a machine with no GPU driver)."""
    if device is not None and not str(device).startswith("cuda"):
        return 0
    if not (Path("/dev/nvidiactl").exists() or Path("/dev/kfd").exists()):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def cpu_layout(workers: int | None, threads_per_worker: int | None, n_fits: int,
               torch_threads: int | None = None) -> tuple[int, int, int]:
    """``(workers, threads per worker, torch threads per fit)`` that split this machine's cores.

    Defaults: one fit at a time per worker, as many workers as there are fits
    up to the number of cores, and the cores left over shared as torch threads.
    """
    n = cores()
    tpw = int(threads_per_worker or 1)
    w = int(workers) if workers else max(1, min(n_fits, n // tpw))
    if w < 1 or tpw < 1:
        raise ValueError(
            f"workers and threads_per_worker must be at least 1, got {workers} and {threads_per_worker}."
        )
    if w * tpw > n:
        raise ValueError(
            f"{w} workers x {threads_per_worker} threads = {w * tpw} concurrent fits, but this machine "
            f"has {n} cores: lower workers or threads_per_worker (each fit needs a core)."
        )
    return w, tpw, int(torch_threads or max(1, n // (w * tpw)))


def gpu_specs(gpus: list[int]) -> dict:
    """Worker specs of a ``SpecCluster``: one process per GPU, ``CUDA_VISIBLE_DEVICES`` pinned."""
    from distributed import Nanny

    return {f"gpu-{g}": {"cls": Nanny, "options": {
        "nthreads": 1, "resources": {"GPU": 1}, "env": {"CUDA_VISIBLE_DEVICES": str(g)}}} for g in gpus}


def _dashboard() -> str | None:
    try:
        import bokeh  # noqa: F401 - Dask's dashboard needs it
    except ImportError:
        return None
    return ":8787"


def _local(workers, threads_per_worker, device, n_fits, torch_threads, retries) -> tuple[object, Session]:
    """Start the embedded cluster (GPUs when there are any and ``device`` allows them)."""
    import dask
    from distributed import Client, LocalCluster

    n_gpu = gpu_count(device)
    # A worker that dies mid-fit hands its fit to another up to `retries` more times (then KilledWorker).
    with dask.config.set({"distributed.scheduler.allowed-failures": int(retries)}):
        if n_gpu:  # not testable on the project's CPU machines; see docs/batch.md
            from distributed import Scheduler, SpecCluster

            gpus = [int(str(device).split(":")[1])] if device and ":" in str(device) else list(range(n_gpu))
            gpus = gpus[: int(workers)] if workers else gpus
            threads = int(torch_threads or max(1, cores() // len(gpus)))
            scheduler = {
                "cls": Scheduler,
                "options": {"dashboard_address": _dashboard(), "host": "127.0.0.1"},
            }
            cluster = SpecCluster(workers=gpu_specs(gpus), scheduler=scheduler,
                                  silence_logs=logging.ERROR, name="napari-dip-gpu")
            session = Session(None, threads, "cuda", {"GPU": 1})
        else:
            w, tpw, threads = cpu_layout(workers, threads_per_worker, n_fits, torch_threads)
            cluster = LocalCluster(n_workers=w, threads_per_worker=tpw, processes=True, host="127.0.0.1",
                                   dashboard_address=_dashboard(), silence_logs=logging.ERROR)
            session = Session(None, threads, device)
    session.client = Client(cluster)
    return cluster, session


@contextmanager
def connect(client=None, *, scheduler: str | None = None, workers: int | None = None,
            threads_per_worker: int | None = None, device: str | None = None, n_fits: int = 1,
            torch_threads: int | None = None, resources: dict | None = None, retries: int = 2,
            verbose: bool = True):
    """Yield a :class:`Session`: the caller's ``client``, one on ``scheduler``, or an embedded cluster.

    What this opens it closes; a client passed in is left open.
    """
    from distributed import Client

    cluster = own = None
    if client is not None and scheduler is not None:
        raise ValueError("give either client or scheduler, not both.")
    if client is not None:
        session = Session(client, torch_threads, device)
    elif scheduler is not None:
        own = Client(scheduler, timeout="30s")
        session = Session(own, torch_threads, device)
    else:
        cluster, session = _local(workers, threads_per_worker, device, n_fits, torch_threads, retries)
        own = session.client
    try:
        if resources is not None:
            session.resources = dict(resources) or None
        elif session.resources is None and _advertises_gpu(session.client):
            session.resources = {"GPU": 1}
        if verbose:
            _announce(session, cluster)
        yield session
    finally:
        if own is not None:
            own.close()
        if cluster is not None:
            cluster.close()


def _advertises_gpu(client) -> bool:
    workers = client.scheduler_info().get("workers", {})
    return any("GPU" in (w.get("resources") or {}) for w in workers.values())


def _announce(session: Session, cluster) -> None:
    client = session.client
    n = len(client.nthreads())
    where = "embedded cluster" if cluster is not None else f"scheduler {client.scheduler.address}"
    threads = f", {session.torch_threads} torch thread(s) per fit" if session.torch_threads else ""
    print(f"napari-dip batch: {where}, {n} worker(s){threads}", file=sys.stderr)
    if cluster is None:  # someone else's scheduler: its dashboard is there if bokeh is installed there
        print(f"dashboard: {client.dashboard_link} (served when the scheduler has bokeh)", file=sys.stderr)
    elif _dashboard() is None:
        print(
            "dashboard: not running (Dask's dashboard needs bokeh: pip install 'bokeh>=3.1')", file=sys.stderr
        )
    else:
        print(f"dashboard: {client.dashboard_link}", file=sys.stderr)
