"""Seconds per iteration: fp32 vs bf16 autocast (+ channels-last), by size and width, side by side.

Plus one 3D row (a 16 x 64 x 64 volume). ``precision="auto"`` picks bf16 only where it wins:
CUDA, and 2D fits on CPUs with native bf16 (``napari_dip.core.devices.uses_bf16``).

    python benchmarks/speed.py --sizes 64 128 256 --widths 64 128 --iterations 12

``--previews`` instead measures what the host reads cost (issue 14's "fewer host reads"): the
seconds per iteration of the defaults with a preview (the one place the host waits for the device,
copies the image and composites it) every 1, 10 (the default) and 100 iterations, and never.

    python benchmarks/speed.py --previews --sizes 96 256 --iterations 60
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _lib.report import command, machine, markdown_table, write_section
from napari_dip import iter_restore


def seconds_per_iteration(image, iterations: int, task: str = "denoise", preview_every: int | None = None,
                          **kw) -> float:
    """Wall time per iteration of a fit (denoising by default), after 3 warm-up iterations.

    ``preview_every``: a preview (a host read) every that many iterations; None: none during the timing.
    """
    gen = iter_restore(image, task, iterations=iterations + 3, early_stop=False,
                       preview_every=preview_every or iterations + 3, **kw)
    next(gen), next(gen), next(gen)  # warm-up (allocation, first autocast)
    t0 = time.perf_counter()
    for _ in gen:
        pass
    return (time.perf_counter() - t0) / iterations


def preview_cost(sizes: list[int], iterations: int) -> None:
    """The table of ``--previews``: per-iteration seconds by preview interval, side by side per case."""
    from napari_dip.sample_data import camera, text_mask

    rows = []
    for size in sizes:
        clean = camera(size)
        mask = text_mask(clean.shape)
        cases = {"denoise": ("denoise", clean, {}), "inpaint (text)": ("inpaint", clean, {"mask": mask})}
        for name, (task, image, kw) in cases.items():
            t = {}
            for e in (None, 100, 10, 1, 1, 10, 100, None):  # twice, in both orders; the faster of the two
                t[e] = min(t.get(e, np.inf), seconds_per_iteration(image, iterations, task, e, **kw))
            rows.append([f"{size}x{size}", name, *(f"{1000 * t[e]:.1f}" for e in (None, 100, 10, 1)),
                         f"{100 * (t[10] / t[None] - 1):+.1f} %"])
            print(rows[-1], flush=True)
    table = markdown_table(["image (grey)", "task", "no preview ms/it", "every 100", "every 10 (default)",
                            "every 1", "cost of the default"], rows)
    body = (
        f"Defaults (automatic stop off), milliseconds per iteration over {iterations} iterations after 3 "
        f"warm-up ones (the faster of two runs, the intervals run in both orders, one process).\n\nCommand: "
        f"`{command()}`  \n"
        f"Machine: {machine()}\n\n{table}\n"
    )
    print(body)
    write_section("preview-cost", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previews", action="store_true", help="the cost of previews (host reads) instead")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.previews:
        return preview_cost(args.sizes, args.iterations)
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
    rows.append(
        [
            "16x64x64 volume (grey)",
            16,
            f"{t['fp32']:.3f}",
            f"{t['bf16']:.3f}",
            f"{t['fp32'] / t['bf16']:.2f}x",
        ]
    )
    table = markdown_table(["image (RGB)", "width", "fp32 s/it", "bf16 s/it", "bf16 speed-up"], rows)
    body = (f"## Speed\n\nDenoising preset (skip net, depth 5), seconds per iteration after 3 warm-up "
            f"iterations, fp32 and bf16 autocast measured side by side in one run (channels-last memory in "
            f"both).\n\nCommand: `{command()}`  \nMachine: {machine()}\n\n{table}\n")
    print(body)
    if not args.no_write:
        write_section(
            f"speed-{'gpu' if 'cuda' in machine().lower() or 'NVIDIA' in machine() else 'cpu'}", body
        )


if __name__ == "__main__":
    main()
