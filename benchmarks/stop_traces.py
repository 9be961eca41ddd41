"""Record long fixed runs of the tasks without noise to overfit, for choosing and checking their stopping rule.

For each paper case (inpainting text and a hole, reconstruction from 50 %
of the pixels, 4x super-resolution) it runs the default settings with the
automatic stop *off* for ``--iterations`` and stores, every 10 iterations,
the elapsed seconds, the PSNR against the clean image and the image itself
(float, so the change between previews is not rounded to 8 bits) in
``benchmarks/traces/<case>-s<seed>.npz``. ``benchmarks/stopping.py`` replays
the stopping rules on these traces: the trajectory of a fit does not depend
on its stop, so where a rule would have stopped, and the PSNR there, are
exact.

    python benchmarks/stop_traces.py --size 96 --iterations 3000 --seeds 0 1
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import ROOT
from paper import cases

from napari_dip import iter_restore
from napari_dip.metrics import psnr

TRACES = ROOT / "benchmarks" / "traces"


def record(name, task, degraded, clean, kw, iterations, seed):
    deg = degraded.astype(np.float32) / 255.0
    ref = clean.astype(np.float32) / 255.0
    its, secs, scores, images = [], [], [], []
    start = time.perf_counter()
    for snap in iter_restore(deg, task, iterations=iterations, seed=seed, early_stop=False,
                             preview_every=10, **kw):
        if snap.preview is None:
            continue
        its.append(snap.iteration)
        secs.append(time.perf_counter() - start)
        scores.append(psnr(ref, snap.preview, data_range=1.0))
        images.append(snap.preview.astype(np.float16))
    missing = kw.get("mask")
    region = np.ones(ref.shape[:2], bool) if missing is None else np.asarray(missing, bool)
    return dict(iteration=np.array(its), seconds=np.array(secs), psnr=np.array(scores),
                images=np.stack(images), region=region)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="*", default=None, help="case name prefixes to run")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    TRACES.mkdir(exist_ok=True)
    for seed in args.seeds:
        for name, task, degraded, clean, kw, notebook in cases(args.size, seed):
            if task == "denoise" or (args.only and not any(name.startswith(o) for o in args.only)):
                continue
            trace = record(name, task, degraded, clean, kw, min(notebook, args.iterations), seed)
            key = name.split()[0] + "-" + task
            np.savez_compressed(TRACES / f"{key}-{args.size}-s{seed}.npz", task=task, **trace)
            print(f"{key} seed {seed}: {trace['iteration'][-1]} its in {trace['seconds'][-1]:.0f} s, "
                  f"final {trace['psnr'][-1]:.2f} dB, best {trace['psnr'].max():.2f} at "
                  f"{trace['iteration'][trace['psnr'].argmax()]}", flush=True)


if __name__ == "__main__":
    main()
