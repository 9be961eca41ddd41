"""Restarts (``restarts=k``) against one fit: what an iteration costs and what the average gains.

* ``--steps``: F16 with Gaussian noise at ``--size`` (as ``step_cost.py``), the defaults as one fit
  and as ``k`` restarts, the restarts run in turn (the CPU's way) and batched (stacked weights through
  ``torch.func.vmap``: the way on a GPU), every way stepped in turns of ``--block`` iterations so that
  a load from elsewhere falls on all alike; the median seconds per iteration after the first round.
* ``--quality``: the paper cases of ``paper.py`` at ``--size``, ``restarts=k`` with the defaults'
  automatic stop, PSNR every 10 iterations, beside the one-fit traces that ``quality_per_second.py``
  kept for the same cases and seeds (run that first): time to within 0.5 dB of the notebook's best
  and the PSNR at the stop. Seconds per iteration of one fit and of the restarts are measured per
  case, side by side, after the traces. ``--fit input``: the same with ``fit="input"`` for both.

    python benchmarks/restarts.py --steps --size 128 --restarts 2 4
    python benchmarks/restarts.py --quality --size 96 --seeds 1 --restarts 2
    python benchmarks/restarts.py --quality --size 96 --seeds 1 --restarts 4 --fit input
    python benchmarks/restarts.py --report --size 96
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from _lib import TRACES
from _lib.cases import paper_cases
from _lib.report import command, in_turns, machine
from _lib.speed_tables import restarts_tables
from napari_dip import iter_restore
from napari_dip.core.engine import restarts
from quality_per_second import record
from step_cost import f16


@contextmanager
def batched(on: bool):
    """Restarts batched (vmap) on every device while on, else the engine's own choice."""
    original = restarts.batched_for
    if on:
        restarts.batched_for = lambda device: True
    try:
        yield
    finally:
        restarts.batched_for = original


def steps(image: np.ndarray, task: str, kw: dict, options: dict, *, vmap: bool = False) -> Iterator[None]:
    gen = iter_restore(image, task, iterations=10**6, early_stop=False, seed=0, preview_every=10, **kw,
                       **options)
    with batched(vmap):
        next(gen)  # the network is built at the first step
    yield
    for _ in gen:
        yield


def step_ways(ks: list[int]) -> dict[str, tuple[dict, bool]]:
    ways = {"one fit (defaults)": ({}, False)}
    for k in ks:
        ways[f"restarts={k}, in turn"] = (dict(restarts=k), False)
        ways[f"restarts={k}, batched (vmap)"] = (dict(restarts=k), True)
    return ways


def measure_steps(size: int, ks: list[int], rounds: int, block: int) -> dict:
    _, noisy = f16(size)
    gens = {name: steps(noisy, "denoise", dict(channel_axis=-1), opts, vmap=vm)
            for name, (opts, vm) in step_ways(ks).items()}
    times = in_turns(gens, rounds, block)
    return {name: statistics.median(ts[1:]) for name, ts in times.items()}


def measure_quality(size: int, seeds: list[int], k: int, kept: dict, fit: str) -> dict:
    base = {} if fit == "weights" else dict(fit=fit)
    out = {}
    for seed in seeds:
        for name, task, degraded, clean, kw, _ in paper_cases(size, seed):
            key = f"{name}, s{seed}"
            if key not in kept:
                print(f"{key}: no one-fit traces kept by quality_per_second.py; skipped", flush=True)
                continue
            trace = record(degraded, clean, task, kw, dict(restarts=k, **base), None, seed)
            image = degraded.astype(np.float32) / 255
            gens = {way: steps(image, task, kw, opts) for way, opts in
                    (("one fit", base), (f"restarts={k}", dict(restarts=k, **base)))}
            seconds = {w: statistics.median(ts[1:]) for w, ts in in_turns(gens, 4, 5).items()}
            out[key] = {"trace": trace, "seconds_per_iteration": seconds}
            print(key, f"restarts={k}: final {trace['final_psnr']:.2f} after {trace['iterations_run']} its;",
                  seconds, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--restarts", type=int, nargs="+", default=[2])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--fit", default="weights", choices=["weights", "input"],
                    help="the way of fitting of both the one fit and the restarts (--quality)")
    ap.add_argument("--steps", action="store_true")
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--block", type=int, default=5)
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    path = TRACES / "restarts.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.steps:
        results["steps"] = {"size": args.size, "command": command(), "machine": machine(),
                            "seconds_per_iteration": measure_steps(args.size, args.restarts, args.rounds,
                                                                   args.block)}
    if args.quality:
        kept = json.loads((TRACES / f"quality-per-second-{args.size}.json").read_text())
        results[f"quality-{args.fit}"] = {
            "size": args.size, "restarts": args.restarts[0], "fit": args.fit, "command": command(),
            "machine": machine(),
            "cases": measure_quality(args.size, args.seeds, args.restarts[0], kept, args.fit)}
    if args.steps or args.quality:
        path.write_text(json.dumps(results))
    kept = json.loads((TRACES / f"quality-per-second-{args.size}.json").read_text())
    print(restarts_tables(results, kept))


if __name__ == "__main__":
    main()
