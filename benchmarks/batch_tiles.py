"""One large image over Dask tiles: tiles per minute for 1 and 2 workers (``napari-dip batch --tile``).

One noisy camera image of ``--size`` px (Gaussian noise sigma 25), denoised with
``napari_dip.batch.run(..., tile=--tile, tile_overlap=--overlap)``: each overlapping tile one Dask
task, the blend and write one more. Warm ``LocalCluster`` of 1, then 2 worker processes laid out as
the embedded cluster is (1 fit per worker, the cores split into torch threads); start-up measured
apart (see benchmarks/batch.py). Automatic stop off: every tile runs ``--iterations`` iterations.
Prints a markdown table (docs/batch.md keeps a copy); writes nothing.

``--memory``: the peak resident memory (VmHWM) of one tile task and of the write task for
images of ``--sizes`` px at the same tile size, each in a fresh process, on the streamed path (a
tile task reads its tile, the write goes block by block) and on the whole-image path (what masked
tasks and ``noise="poisson"`` still take); also the client's planning (the streamed value mapping).
A float32 image; every tile fitted first (``--iterations``, tiny: memory is the question).

    python benchmarks/batch_tiles.py --size 256 --tile 96 --overlap 32 --iterations 80 --width 32
    python benchmarks/batch_tiles.py --tiny                 # a check that it runs
    python benchmarks/batch_tiles.py --memory --sizes 512 2048 --tile 256 --iterations 1 --width 8
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _lib.batching import cluster, timed_batch
from _lib.report import command, machine, markdown_table
from _lib.tile_memory import measure, memory_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--tile", type=int, default=96)
    ap.add_argument("--overlap", type=int, default=32)
    ap.add_argument("--iterations", type=int, default=80)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument(
        "--torch-threads",
        type=int,
        help="torch threads per fit (default: the embedded cluster's split of the cores)",
    )
    ap.add_argument("--tiny", action="store_true", help="128 px, tiles of 64, 3 iterations, width 8")
    ap.add_argument("--memory", action="store_true", help="peak RSS of a tile task and the write (--sizes)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 2048])
    ap.add_argument("--measure", nargs=3, metavar=("STAGE", "SPEC", "TILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    if args.memory:
        memory_table(args)
        return
    if args.tiny:
        args.size, args.tile, args.overlap, args.iterations, args.width = 128, 64, 16, 3, 8
    import tifffile

    from napari_dip.sample_data import add_gaussian_noise, camera

    opts = dict(iterations=args.iterations, width=args.width, early_stop=False, tile=args.tile,
                tile_overlap=args.overlap)
    rows, walls = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.tif"
        tifffile.imwrite(src, add_gaussian_noise(camera(args.size), 25.0, seed=0))
        for workers in (1, 2):
            lc, client, threads, start = cluster(workers)
            threads = args.torch_threads or threads
            try:
                wall, report = timed_batch(src, Path(tmp) / "out", client, threads, opts)
            finally:
                client.close()
                lc.close()
            n = report[0]["tiles"]["count"]
            walls[workers] = wall
            rows.append([workers, threads, n, round(start, 1), round(wall, 1), round(n / wall * 60, 1),
                         round(report[0]["seconds"] / n, 2), round(walls[1] / wall, 2)])
            print(rows[-1], flush=True)
    table = markdown_table(["workers", "torch threads per fit", "tiles", "start-up (s, apart)", "wall (s)",
                            "tiles per minute", "mean s per tile", "speed-up"], rows)
    print(
        f"{args.size}x{args.size} px, tiles of {args.tile} px overlapping by >= {args.overlap} px, denoise, "
        f"{args.iterations} iterations, width {args.width}, automatic stop off.\n\nCommand: `{command()}`  \n"
        f"Machine: {machine()}\n\n{table}"
    )


if __name__ == "__main__":
    main()
