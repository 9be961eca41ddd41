"""Batch throughput on Dask distributed: fits per minute for 1 and 2 workers, and plane-parallel stacks.

A folder of ``--images`` noisy copies of scikit-image's camera (``--size`` px, Gaussian noise
sigma 25, a different seed each), denoised with ``napari_dip.batch.run`` on an embedded-style
``LocalCluster`` of 1, then 2 worker processes (1 fit per worker, the cores split into torch
threads). Workers are started and warmed (torch and napari-dip imported) before the clock starts;
the start-up is reported apart. Then a ``--planes``-plane stack: its planes fitted in parallel
as separate Dask tasks (2 workers) against the sequential plane mode in this process (all cores
as torch threads). Automatic stop off, so every fit runs ``--iterations`` iterations.

Ends with a projection (not a measurement) of a GPU cluster's throughput from the per-fit time
measured here and the 1 -> 2 worker efficiency.

    python benchmarks/batch.py --size 128 --iterations 300 --width 32       # writes docs/notes/benchmarks.md
    python benchmarks/batch.py --tiny                                        # a check that it runs (no write)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from _lib.batching import cluster, timed_batch
from _lib.report import command, machine, markdown_table, write_section


def make_folder(folder: Path, n: int, size: int) -> None:
    import tifffile

    from napari_dip.sample_data import add_gaussian_noise, camera

    clean = camera(size)
    for i in range(n):
        tifffile.imwrite(folder / f"img{i:02d}.tif", add_gaussian_noise(clean, 25.0, seed=i))


def make_stack(path: Path, planes: int, size: int) -> np.ndarray:
    import tifffile

    from napari_dip.sample_data import add_gaussian_noise, camera

    stack = np.stack([add_gaussian_noise(camera(size), 25.0, seed=100 + i) for i in range(planes)])
    tifffile.imwrite(path, stack, imagej=True, metadata={"axes": "ZYX"})
    return stack


def sequential_planes(stack: np.ndarray, opts: dict, threads: int) -> float:
    """Seconds of the sequential plane mode in this process, with ``threads`` torch threads."""
    import torch

    from napari_dip import restore

    torch.set_num_threads(threads)
    restore(stack[:1, :16, :16], "denoise", iterations=2, width=8)  # warm-up
    t0 = time.perf_counter()
    restore(stack, "denoise", **opts)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--planes", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--tiny", action="store_true", help="32 px, 3 iterations, width 8, 4 planes; no write")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.tiny:
        args.size, args.iterations, args.width, args.planes = 32, 3, 8, 4
    opts = dict(iterations=args.iterations, width=args.width, early_stop=False)
    rows, per_fit, results = [], None, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        make_folder(tmp / "in", args.images, args.size)
        stack = make_stack(tmp / "stack.tif", args.planes, args.size)
        for workers in (1, 2):
            lc, client, threads, start = cluster(workers)
            try:
                wall, report = timed_batch(tmp / "in", tmp / "out", client, threads, opts)
                if workers == 2:
                    results["plane_parallel"], _ = timed_batch(
                        tmp / "stack.tif", tmp / "out", client, threads, opts
                    )
            finally:
                client.close()
                lc.close()
            mean_fit = float(np.mean([r["seconds"] for r in report]))
            per_fit = per_fit or mean_fit
            results[workers] = wall
            rows.append([workers, threads, args.images, round(start, 1), round(wall, 1),
                         round(args.images / wall * 60, 1), round(mean_fit, 2), round(results[1] / wall, 2)])
            print(rows[-1], flush=True)
        from napari_dip.batch.cluster import cores

        results["sequential"] = {n: sequential_planes(stack, opts, n) for n in sorted({1, cores()})}
    body = section(args, rows, results, per_fit)
    print(body)
    if not (args.tiny or args.no_write):
        write_section("batch", body)


def section(args, rows, results, per_fit) -> str:
    table = markdown_table(["workers", "torch threads per fit", "fits", "start-up (s, apart)", "wall (s)",
                            "fits per minute", "mean s per fit", "speed-up"], rows)
    seq, par = results["sequential"], results["plane_parallel"]
    best = min(seq.values())
    planes = markdown_table(["stack of planes", "wall (s)", "speed-up over the faster sequential"], [
        *[[f"sequential plane mode, 1 process, {n} torch thread(s) ({args.planes} planes)", round(t, 1),
           round(best / t, 2)] for n, t in seq.items()],
        [f"plane-parallel, 2 workers x 1 torch thread ({args.planes} Dask tasks + 1 write)", round(par, 1),
         round(best / par, 2)]])
    eff = min(1.0, results[1] / results[2] / 2)  # a super-linear 1 -> 2 is not extrapolated
    proj = markdown_table(["workers (GPUs)", "projected fits per hour"],
                          [[n, round(n * (eff if n > 1 else 1.0) * 3600 / per_fit)] for n in (1, 4, 8, 32)])
    return (
        f"## Batch throughput on Dask distributed\n\n{args.images} images of {args.size}x{args.size} px, "
        f"denoise, {args.iterations} iterations, width {args.width}, automatic stop off; warm workers "
        f"(start-up measured apart), 1 fit per worker.\n\nCommand: `{command()}`  \nMachine: {machine()}\n\n"
        f"{table}\n\n{planes}\n\n**Projection, not a measurement**: N workers, each fit taking the "
        f"{per_fit:.2f} s per fit measured above with 1 worker, at the measured 1 -> 2 worker efficiency "
        f"({eff:.0%}, capped at 100%). Fits are independent, so a cluster of N GPUs (one worker each) is "
        f"projected the same way from the per-fit time of one GPU: run this script on a GPU node for it "
        f"(on a CPU machine the rows below are N CPU workers like this one).\n\n"
        f"{proj}\n"
    )


if __name__ == "__main__":
    main()
