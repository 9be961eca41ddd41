"""Record long fixed runs of the tasks without noise to overfit, for choosing and checking their stopping
rule.

For each paper case (inpainting text and a hole, reconstruction from 50 %
of the pixels, 4x super-resolution, and denoising for time_to_quality.py) it runs the default settings with
the
automatic stop *off* for ``--iterations`` and stores, every 10 iterations,
the elapsed seconds, the PSNR against the clean image and the image itself
(float, so the change between previews is not rounded to 8 bits) in
``benchmarks/traces/<case>-s<seed>.npz``. ``benchmarks/stopping.py`` replays
the stopping rules on these traces: the trajectory of a fit does not depend
on its stop, so where a rule would have stopped, and the PSNR there, are
exact. ``--notebook`` records the original notebooks' settings instead
(width 128, the raw last output, no averaging) as ``<case>-notebook-...``
traces, for ``benchmarks/time_to_quality.py``. ``--lr`` records the defaults at
another learning rate as ``<case>-lr<lr>-...`` traces (the learning-rate table
of ``time_to_quality.py``); with ``--halve-every N`` that rate is halved every N
iterations down to ``--lr-floor`` (a step decay, patched into the engine's Adam
here, not an option of ``restore``), as ``<case>-lr<lr>-halve<N>-...`` traces.
``--width W`` records the defaults with the network's channels capped at W
(the CPU default is 64) as ``<case>-width<W>-...`` traces (the network-width
table of ``time_to_quality.py``).

    python benchmarks/stop_traces.py --size 96 --iterations 3000 --seeds 0 1
    python benchmarks/stop_traces.py --size 96 --iterations 3000 --notebook
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --lr 0.02
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --lr 0.02 --halve-every 300
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --width 32
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --holdout 0.02

``--holdout F`` records the defaults with a share F of the observed pixels held out of the fit, and
their PSNR (the holdout stop's estimate of quality) beside the true one, as ``<case>-holdout<F>-...``
(``--holdout-like pixels``: scattered pixels, ``<case>-holdout<F>px-...``).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np

from _lib import TRACES
from _lib.cases import paper_cases
from napari_dip import iter_restore
from napari_dip.metrics import psnr


def record(name, task, degraded, clean, kw, iterations, seed):
    deg = degraded.astype(np.float32) / 255.0
    ref = clean.astype(np.float32) / 255.0
    its, secs, scores, images, held = [], [], [], [], []
    start, scoring = time.perf_counter(), 0.0
    # with holdout: the stop watches the held-out pixels but never fires (its estimate is recorded)
    stop = dict(early_stop=True, patience=10**9) if kw.get("holdout") else dict(early_stop=False)
    for snap in iter_restore(deg, task, iterations=iterations, seed=seed, preview_every=10, **stop, **kw):
        if snap.preview is None:
            continue
        t = time.perf_counter()
        held.append(snap.metrics.get("holdout_psnr", np.nan))
        its.append(snap.iteration)
        secs.append(t - start - scoring)  # the fit's own time: the scoring below is not counted
        scores.append(psnr(ref, snap.preview, data_range=1.0))
        images.append(snap.preview.astype(np.float16))
        scoring += time.perf_counter() - t
    missing = kw.get("mask")
    region = np.ones(ref.shape[:2], bool) if missing is None else np.asarray(missing, bool)
    return dict(iteration=np.array(its), seconds=np.array(secs), psnr=np.array(scores),
                images=np.stack(images), region=region, holdout_psnr=np.array(held))


@contextlib.contextmanager
def step_decay(every: int, floor: float):
    """The engine's Adam with its learning rate halved every ``every`` steps, never below ``floor``."""
    from napari_dip.core.engine import loop

    original = loop._adam

    def decaying(params, lr, state):
        optimizer = original(params, lr, state)
        step, count = optimizer.step, [0]

        def stepped(*a, **k):
            count[0] += 1
            for group in optimizer.param_groups:
                group["lr"] = max(floor, lr * 0.5 ** (count[0] // every))
            return step(*a, **k)

        optimizer.step = stepped
        return optimizer

    loop._adam = decaying
    try:
        yield
    finally:
        loop._adam = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="*", default=None, help="case name prefixes to run")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument(
        "--notebook", action="store_true", help="the notebooks' settings (width 128, last output)"
    )
    parser.add_argument("--lr", type=float, default=None, help="the defaults at this learning rate")
    parser.add_argument(
        "--halve-every", type=int, default=None, help="with --lr: halve it every N iterations"
    )
    parser.add_argument("--width", type=int, default=None, help="the defaults with this channel cap")
    parser.add_argument(
        "--holdout",
        type=float,
        default=None,
        help="hold out this share of the observed pixels and record their PSNR (the holdout stop's "
        "estimate; the stop never fires)",
    )
    parser.add_argument(
        "--holdout-like",
        default="damage",
        choices=("damage", "pixels"),
        help="with --holdout: pixels shaped like the damage (the default) or scattered ('px' in the name)",
    )
    parser.add_argument(
        "--lr-floor", type=float, default=0.0025, help="the decayed rate's floor (default 0.0025)"
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    TRACES.mkdir(exist_ok=True)
    for seed in args.seeds:
        for name, task, degraded, clean, kw, notebook in paper_cases(args.size, seed):
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            extra = dict(width=128, output="last") if args.notebook else {}
            extra.update({} if args.lr is None else {"lr": args.lr})
            extra.update({} if args.width is None else {"width": args.width})
            extra.update(
                {} if args.holdout is None else {"holdout": args.holdout, "holdout_like": args.holdout_like}
            )
            with (
                step_decay(args.halve_every, args.lr_floor) if args.halve_every else contextlib.nullcontext()
            ):
                trace = record(
                    name, task, degraded, clean, {**kw, **extra}, min(notebook, args.iterations), seed
                )
            key = name.split()[0] + "-" + task + ("-notebook" if args.notebook else "")
            key += "" if args.lr is None else f"-lr{args.lr:g}"
            key += f"-halve{args.halve_every}" if args.halve_every else ""
            key += "" if args.width is None else f"-width{args.width}"
            key += (
                ""
                if args.holdout is None
                else f"-holdout{args.holdout:g}{'px' if args.holdout_like == 'pixels' else ''}"
            )
            np.savez_compressed(TRACES / f"{key}-{args.size}-s{seed}.npz", task=task, **trace)
            print(f"{key} seed {seed}: {trace['iteration'][-1]} its in {trace['seconds'][-1]:.0f} s, "
                  f"final {trace['psnr'][-1]:.2f} dB, best {trace['psnr'].max():.2f} at "
                  f"{trace['iteration'][trace['psnr'].argmax()]}", flush=True)


if __name__ == "__main__":
    main()
