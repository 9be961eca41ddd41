"""Time to quality against the original notebooks' settings: the paper cases, three ways of fitting.

For each paper case of ``benchmarks/paper.py`` at ``--size`` and each seed:

* **notebook**: the notebook's settings re-created in napari-dip (the paper's width 128, the raw last
  output, no automatic stop, the notebook's iteration count capped at ``--cap``); its *quality* is the
  best PSNR anywhere on its trace (an oracle stop, generous to it);
* **defaults**: ``restore`` as a user calls it (automatic stop on);
* **input**: ``fit="input"`` (the Deep Random Projector; automatic stop on).

Every run records its PSNR every 10 iterations. A way's *time to quality* is the iteration at which
it first comes within 0.5 dB of the notebook's quality, times its seconds per iteration; the
seconds per iteration of the three are measured per case side by side in one process (in turns of
5 iterations, as ``step_cost.py``), so that a load from elsewhere falls on all alike and the times
do not depend on what else ran while the traces were recorded. The notebook's own time is that of
the iteration where it first comes within 0.5 dB of its best. *At the stop*: the PSNR and seconds of
what the automatic stop returns. ``step_cost.py`` gives how the original code's step compares with the
notebook settings' step here.

    python benchmarks/quality_per_second.py --size 96 --seeds 0 --cap 1000
    python benchmarks/quality_per_second.py --size 96 --seconds-only   # the s/iteration again, alone
    python benchmarks/quality_per_second.py --size 96 --report
"""

from __future__ import annotations

import argparse
import json
import statistics

import numpy as np

from _lib import TRACES
from _lib.cases import paper_cases
from _lib.report import command, in_turns, machine
from _lib.speed_tables import quality_table
from napari_dip import iter_restore
from napari_dip.metrics import psnr

WAYS = {"notebook": dict(width=128, output="last", early_stop=False), "defaults": {},
        "input": dict(fit="input")}


def record(degraded, clean, task, kw, options, iterations, seed) -> dict:
    """PSNR every 10 iterations of one run, and what it returns."""
    ref = clean.astype(np.float32) / 255
    its, scores, last = [], [], None
    for snap in iter_restore(degraded.astype(np.float32) / 255, task, iterations=iterations, seed=seed,
                             preview_every=10, **kw, **options):
        if snap.preview is not None:
            its.append(snap.iteration)
            scores.append(psnr(ref, snap.preview, data_range=1.0))
            last = snap
    return {"iteration": its, "psnr": scores, "final_psnr": scores[-1],
            "iterations_run": last.result.config["iterations_run"]}


def step_seconds(degraded, task, kw, iterations: dict, rounds: int = 5, block: int = 5) -> dict:
    """Seconds per iteration of each way on this case, stepped in turns (the first round is warm-up)."""
    gens = {name: iter(iter_restore(degraded.astype(np.float32) / 255, task, iterations=10**6, seed=0,
                                    preview_every=10, **kw, **{**WAYS[name], "early_stop": False}))
            for name in iterations}
    times = in_turns(gens, rounds, block)
    for gen in gens.values():
        gen.close()
    return {name: statistics.median(ts[1:]) for name, ts in times.items()}


def run_case(name, task, degraded, clean, kw, notebook_its, seed, cap) -> dict:
    traces = {}
    for way, options in WAYS.items():
        its = min(notebook_its, cap) if way == "notebook" else None
        traces[way] = record(degraded, clean, task, kw, options, its, seed)
        print(f"{name} s{seed} {way}: final {traces[way]['final_psnr']:.2f} after "
              f"{traces[way]['iterations_run']} its, best {max(traces[way]['psnr']):.2f}", flush=True)
    seconds = step_seconds(degraded, task, kw, WAYS)
    print(f"{name} s{seed} s/it: {seconds}", flush=True)
    return {"traces": traces, "seconds_per_iteration": seconds, "machine": machine()}


def remeasure(results: dict, size: int, seeds: list[int]) -> None:
    """Measure the seconds per iteration of the kept cases again (on a quiet machine)."""
    for seed in seeds:
        for name, task, degraded, _, kw, _ in paper_cases(size, seed):
            key = f"{name}, s{seed}"
            if key in results:
                results[key]["seconds_per_iteration"] = step_seconds(degraded, task, kw, WAYS)
                print(key, results[key]["seconds_per_iteration"], flush=True)
    by_machine: dict[str, list[str]] = {}
    for key, r in results.items():
        if not key.startswith("_"):
            where = r.get("machine", results["_meta"]["machine"])
            by_machine.setdefault(where, []).append(key.rsplit(", ", 1)[1])
    traces = "; ".join(f"{m}: {', '.join(sorted(set(seeds)))}" for m, seeds in by_machine.items())
    results["_meta"]["machine"] = machine()
    results["_meta"]["note"] = (f"seconds per iteration of every row measured again, alone, by "
                                f"`{command()}`; the traces (in iterations) recorded on {traces}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--cap", type=int, default=1500, help="cap on the notebook's iterations")
    ap.add_argument("--only", nargs="*", default=None, help="case name prefixes")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--seconds-only", action="store_true",
                    help="keep the traces; measure the seconds per iteration again (on a quiet machine)")
    args = ap.parse_args()
    path = TRACES / f"quality-per-second-{args.size}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.seconds_only:
        remeasure(results, args.size, args.seeds)
        path.write_text(json.dumps(results))
    elif not args.report:
        for seed in args.seeds:
            for name, task, degraded, clean, kw, notebook_its in paper_cases(args.size, seed):
                if args.only and not any(name.startswith(o) for o in args.only):
                    continue
                results[f"{name}, s{seed}"] = run_case(name, task, degraded, clean, kw, notebook_its, seed,
                                                       args.cap)
                results["_meta"] = {"command": command(), "machine": machine(), "cap": args.cap}
                path.write_text(json.dumps(results))
    meta = results.pop("_meta")
    print(f"Command: `{meta['command']}`  \nMachine: {meta['machine']}; notebook capped at {meta['cap']} "
          "iterations\n\n" + quality_table(results))


if __name__ == "__main__":
    main()
