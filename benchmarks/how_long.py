"""How long will it take: seconds per iteration and the time of a default run, by task and image size.

Each row times a few iterations of the task's default fit (``napari_dip.estimate_run``, the
same estimate the Restore widget shows before Run) and multiplies by the preset's iteration cap.
Tasks with the automatic stop on usually end well before the cap.

    python benchmarks/how_long.py --sizes 128 256 512
"""

from __future__ import annotations

import argparse

import numpy as np

from _lib.report import command, machine, markdown_table, write_section


def inputs_for(task: str, size: int) -> dict:
    """Each task's test inputs (which mask is the benchmark's choice, so by task name)."""
    from napari_dip.sample_data import random_pixel_mask, text_mask

    if task == "inpaint":
        return {"mask": text_mask((size, size))}
    if task == "reconstruct":
        return {"mask": random_pixel_mask((size, size))}
    if task == "super_resolution":
        return {"factor": 4}
    if task == "deconvolve":
        return {"psf_sigma": 1.5}
    return {}


def fmt(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else (f"{seconds / 60:.0f} min" if seconds < 5400
                                                     else f"{seconds / 3600:.1f} h")


def main() -> None:
    import torch

    from napari_dip import estimate_run
    from napari_dip.core import tasks

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default=None)
    p.add_argument("--no-doc", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    rows = []
    for task in tasks.names():
        for size in args.sizes:
            scaled = "factor" in tasks.get(task).form.inputs  # the registry: super-resolution's factor 4
            side = size // 4 if scaled else size
            image = (rng.random((side, side)) * 255).astype(np.uint8)
            est = estimate_run(image, task, device=args.device, **inputs_for(task, side))
            rows.append([task, f"{size}x{size}" + (" (from 1/4)" if scaled else ""),
                         f"{est.memory / 2**20:.0f} MiB", f"{est.seconds_per_iteration:.3f}", est.iterations,
                         fmt(est.seconds), "yes" if est.early_stop else "no"])
            print(rows[-1], flush=True)
    header = ["task", "output size", "memory (one fit)", "s / iteration", "iteration cap", "time at the cap",
              "auto stop"]
    body = (
        f"## How long will it take\n\nCommand: `{command()}`  \nMachine: {machine()}, {args.threads} torch "
        "threads.\n\nGrey images, each task's default settings (network width: 128 on a GPU; on a CPU the "
        "task's, "
        "32 for super-resolution, reconstruction and thin masks, else 64), "
        "timed over 3 iterations after one warm-up by `napari_dip.estimate_run`, the estimate the Restore "
        "widget shows before Run. *Time at the cap* is the whole run if the fit never stops by itself; with "
        "the automatic stop it usually ends sooner. Colour images cost about the same; a stack costs this "
        "per plane.\n\n" + markdown_table(header, rows)
    )
    print(body)
    if not args.no_doc:
        write_section("how-long", body)


if __name__ == "__main__":
    main()
