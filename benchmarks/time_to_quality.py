"""Time to quality: seconds until a restoration is within 0.2 dB of its final PSNR, per paper task.

Three ways to run each paper case of ``benchmarks/paper.py`` at a CPU size:

* **notebook**: the original notebooks' settings (width 128, raw last output,
  the notebook's iteration count capped at ``--iterations``, no stop), from a
  trace recorded by ``stop_traces.py --notebook``;
* **defaults, fixed count**: napari-dip's defaults with the automatic stop
  off (the behaviour before every task stopped by itself), from a trace
  recorded by ``stop_traces.py``;
* **defaults**: ``restore(...)`` as a user calls it (automatic stop on), run
  here, timed end to end.

For a trace, *time to quality* is the elapsed fit time (scoring excluded) from
which the PSNR stays within 0.2 dB of that run's final PSNR; for the defaults
it is the whole run (the user waits for it to stop). The speed-up columns
divide the notebook's time to its quality by the defaults' time.

    python benchmarks/stop_traces.py --size 96 --iterations 2000
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --notebook
    python benchmarks/time_to_quality.py --size 96 --iterations 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import command, machine, markdown_table, write_section
from paper import cases
from stop_traces import TRACES

from napari_dip import restore
from napari_dip.metrics import psnr


def to_quality(trace: dict, margin: float = 0.2) -> tuple[float, float, int]:
    """(final PSNR, seconds from which it stays within ``margin`` dB of it, that iteration)."""
    p, final = trace["psnr"], float(trace["psnr"][-1])
    below = np.nonzero(p < final - margin)[0]
    i = below[-1] + 1 if len(below) else 0
    return final, float(trace["seconds"][i]), int(trace["iteration"][i])


def load(key: str, size: int, seed: int) -> dict | None:
    path = TRACES / f"{key}-{size}-s{seed}.npz"
    return dict(np.load(path)) if path.exists() else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--iterations", type=int, default=2000, help="cap (as given to stop_traces.py)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    rows = []
    for name, task, degraded, clean, kw, notebook in cases(args.size, args.seed):
        key = name.split()[0] + "-" + task
        nb, fixed = load(key + "-notebook", args.size, args.seed), load(key, args.size, args.seed)
        if nb is None or fixed is None:
            print(f"{name}: no traces (run stop_traces.py with and without --notebook first); skipped")
            continue
        start = time.perf_counter()
        res = restore(degraded.astype(np.float32) / 255.0, task, iterations=min(notebook, args.iterations),
                      seed=args.seed, **kw)
        secs = time.perf_counter() - start
        now = psnr(clean.astype(np.float32) / 255.0, res.image, data_range=1.0)
        nb_q, nb_s, nb_it = to_quality(nb)
        fx_q, fx_s, fx_it = to_quality(fixed)
        rows.append([name, f"{nb_q:.2f}", f"{nb_s:.0f} (it {nb_it})", f"{fx_q:.2f}", f"{fx_s:.0f} (it {fx_it})",
                     f"{now:.2f}", f"{secs:.0f} (it {res.config['iterations_run']})",
                     f"{nb_s / secs:.1f}x", f"{fx_s / secs:.1f}x"])
        print(" | ".join(rows[-1]), flush=True)
    header = ["case", "notebook PSNR", "notebook s to within 0.2 dB", "defaults, fixed: PSNR",
              "fixed: s to within 0.2 dB", "defaults (auto stop): PSNR", "defaults: s to the stop",
              "speed-up vs notebook", "speed-up vs fixed count"]
    body = ("## Time to quality (benchmarks/time_to_quality.py)\n\n"
            f"Paper cases at {args.size} px (as in the paper table), iteration caps at min(notebook, "
            f"{args.iterations}), seed {args.seed}. Seconds of fit time; a trace's time to quality is where its PSNR "
            "stays within 0.2 dB of its own final value; the defaults' is the whole run up to the automatic stop.\n\n"
            f"Command: `{command()}` (after the two `stop_traces.py` runs in its docstring)  \n"
            f"Machine: {machine()}\n\n" + markdown_table(header, rows) + "\n")
    print(body)
    if not args.no_write:
        write_section("time-to-quality", body)


if __name__ == "__main__":
    main()
