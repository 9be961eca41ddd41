"""Seconds per iteration: fp32 vs bf16 autocast (+ channels-last), by size and width, side by side.

Plus one 3D row (a 16 x 64 x 64 volume). ``precision="auto"`` picks bf16 only where it wins:
CUDA, and 2D fits on CPUs with native bf16 (``napari_dip.core.devices.uses_bf16``).

    python benchmarks/speed.py --sizes 64 128 256 --widths 64 128 --iterations 12
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import command, machine, markdown_table, write_section

from napari_dip import iter_restore


def seconds_per_iteration(image, iterations: int, task: str = "denoise", **kw) -> float:
    """Wall time per iteration of a fit (denoising by default), after 3 warm-up iterations."""
    gen = iter_restore(image, task, iterations=iterations + 3, early_stop=False,
                       preview_every=iterations + 3, **kw)
    next(gen), next(gen), next(gen)  # warm-up (allocation, first autocast)
    t0 = time.perf_counter()
    for _ in gen:
        pass
    return (time.perf_counter() - t0) / iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        image = (rng.random((size, size, 3)) * 255).astype(np.uint8)
        for width in args.widths:
            t = {p: seconds_per_iteration(image, args.iterations, channel_axis=-1, width=width,
                                          precision=p, device=args.device) for p in ("fp32", "bf16")}
            rows.append([f"{size}x{size}", width, f"{t['fp32']:.3f}", f"{t['bf16']:.3f}",
                         f"{t['fp32'] / t['bf16']:.2f}x"])
            print(rows[-1], flush=True)
    volume = (rng.random((16, 64, 64)) * 255).astype(np.uint8)
    t = {p: seconds_per_iteration(volume, args.iterations, mode="volume", width=16, precision=p,
                                  device=args.device) for p in ("fp32", "bf16")}
    rows.append(["16x64x64 volume (grey)", 16, f"{t['fp32']:.3f}", f"{t['bf16']:.3f}", f"{t['fp32'] / t['bf16']:.2f}x"])
    table = markdown_table(["image (RGB)", "width", "fp32 s/it", "bf16 s/it", "bf16 speed-up"], rows)
    body = (f"## Speed\n\nDenoising preset (skip net, depth 5), seconds per iteration after 3 warm-up "
            f"iterations, fp32 and bf16 autocast measured side by side in one run (channels-last memory in "
            f"both).\n\nCommand: `{command()}`  \nMachine: {machine()}\n\n{table}\n")
    print(body)
    if not args.no_write:
        write_section(f"speed-{'gpu' if 'cuda' in machine().lower() or 'NVIDIA' in machine() else 'cpu'}", body)


if __name__ == "__main__":
    main()
