"""Reproduce the original DIP notebooks' settings on the paper's images, reduced for a CPU.

For each task it runs DIP three ways (raw last output, moving-average output,
automatic stop) plus scikit-image's classical method, and writes a PSNR table
into docs/notes/benchmarks.md. ``--size`` crops a window of that many pixels from
each image (around the mask for inpainting), so masks keep their geometry;
``--size 0`` uses the whole image (a GPU job). ``--iterations`` caps every
task (default: the notebook's count).

    python benchmarks/paper.py --size 96 --iterations 800          # CPU, minutes
    python benchmarks/paper.py --size 0                              # full, on a GPU
"""

from __future__ import annotations

import argparse

from _lib.cases import paper_cases
from _lib.report import command, machine, markdown_table, write_section
from napari_dip import restore
from napari_dip.baselines import classical_restore, upscale
from napari_dip.core import tasks
from napari_dip.metrics import psnr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96, help="crop size in pixels (0: whole image)")
    parser.add_argument(
        "--iterations", type=int, default=None, help="cap on iterations (default: notebook's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    rows = []
    for name, task, degraded, clean, kw, notebook_iters in paper_cases(args.size, args.seed):
        iters = min(notebook_iters, args.iterations) if args.iterations else notebook_iters
        common = dict(iterations=iters, seed=args.seed, device=args.device, reference=clean, **kw)
        last = restore(degraded, task, output="last", early_stop=False, **common)
        ema = restore(degraded, task, output="ema", early_stop=False, **common)
        auto = restore(degraded, task, output="ema", early_stop=True, **common)
        method, classical = classical_restore(degraded, task, mask=kw.get("mask"), factor=kw.get("factor"),
                                              channel_axis=kw.get("channel_axis"))
        ema_curve = [h["psnr"] for h in ema.history if "psnr" in h]
        if "factor" in tasks.get(task).form.inputs:  # the degraded image at the output size (nearest)
            degraded = upscale(degraded, kw["factor"], channel_axis=kw.get("channel_axis"), order=0)
        row = [name, f"{clean.shape[1]}x{clean.shape[0]}", iters, psnr(clean, degraded),
               psnr(clean, last.image), psnr(clean, ema.image), max(ema_curve),
               f"{psnr(clean, auto.image):.2f} (it {auto.stopped_at.iteration})",
               f"{psnr(clean, classical):.2f} ({method})"]
        rows.append(row)
        print(" | ".join(str(v) for v in row), flush=True)

    table = markdown_table(["task", "size", "iterations", "degraded", "DIP (last)", "DIP (EMA)",
                            "EMA best", "auto stop", "classical"], rows)
    body = (
        f"## Paper tasks (benchmarks/paper.py)\n\nPSNR in dB against the clean image. `DIP (last)`: raw "
        f"output after the last iteration; `DIP (EMA)`: the moving average of outputs (the default output); "
        f"`EMA best`: its best value during the run (needs the clean image, shown for reference); `auto "
        f"stop`: "
        f"the default output with the automatic stopping rule on (and the iteration its image comes from); "
        f"`classical`: scikit-image's method. Defaults otherwise (network width 64 on CPU, 128 on GPU).\n\n"
        f"Command: `{command()}`  \nMachine: {machine()}\n\n{table}\n"
    )
    print(body)
    if not args.no_write:
        write_section("paper", body)


if __name__ == "__main__":
    main()
