"""Time to quality: seconds until a restoration is within 0.2 dB of its final PSNR, per paper task.

Three ways to run each paper case of ``benchmarks/paper.py`` at a CPU size:

* **notebook**: the original notebooks' settings (width 128, raw last output,
  the notebook's iteration count capped at ``--iterations``, no stop), from a
  trace recorded by ``stop_traces.py --notebook``;
* **width 64, fixed count**: napari-dip's defaults as they were before the
  narrower CPU network (64 channels) with the automatic stop off (the behaviour
  before every task stopped by itself), from a trace recorded by
  ``stop_traces.py --width 64``;
* **defaults**: ``restore(...)`` as a user calls it (automatic stop on), run
  here, timed end to end.

For a trace, *time to quality* is the elapsed fit time (scoring excluded) from
which the PSNR stays within 0.2 dB of that run's final PSNR; for the defaults
it is the whole run (the user waits for it to stop). The speed-up columns
divide the notebook's time to its quality by the defaults' time. A case
without a notebook trace gets "-" in those columns.

``--lr-table TAG ...`` instead compares, from fixed-count traces alone (no run),
the width-64 defaults at their learning rate with the traces recorded by
``stop_traces.py --width 64 --lr LR [--halve-every N]`` (tags ``LR`` or ``LR-halveN``): final
and best PSNR and the time to within 0.2 dB of the final, per case, and how soon
each first comes within 0.2 dB of the default learning rate's final PSNR.

    python benchmarks/stop_traces.py --size 96 --iterations 2000 --width 64
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --notebook
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --width 64 --lr 0.02 [--halve-every 300]
    python benchmarks/time_to_quality.py --size 96 --iterations 2000
    python benchmarks/time_to_quality.py --size 96 --lr-table 0.02 0.02-halve300
    python benchmarks/time_to_quality.py --size 96 --report   # the table again, from the kept results
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _lib import TRACES
from _lib.cases import paper_cases
from _lib.report import command, first_within, machine, markdown_table, write_section
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


def quality_cells(trace: dict | None) -> list[str]:
    if trace is None:
        return ["-", "-"]
    q, secs, it = to_quality(trace)
    return [f"{q:.2f}", f"{secs:.0f} (it {it})"]


def reached_at(trace: dict, target: float, margin: float = 0.2) -> str:
    """Seconds (and iteration) at which ``trace`` first comes within ``margin`` dB of ``target``."""
    k = first_within(trace["psnr"], target, margin)
    return "never" if k is None else f"{trace['seconds'][k]:.0f} (it {trace['iteration'][k]})"


def lr_table(size: int, seed: int, tags: list[str]) -> str:
    """The width-64 defaults (lr 0.01) against the traces ``<case>-lr<tag>-width64``, from fixed-count
    traces: final and
    best PSNR, the time to within 0.2 dB of the own final, and how soon each first comes within 0.2 dB
    of the default rate's final PSNR (the same quality). The ratio is of iterations: an iteration costs
    the same at every rate, and traces recorded at different times shared the cores with other loads."""
    rows = []
    for name, task, *_ in paper_cases(size, seed):
        key = name.split()[0] + "-" + task
        base = load(key + "-width64", size, seed)
        others = {tag: load(f"{key}-lr{tag}-width64", size, seed) for tag in tags}
        if base is None or not any(t is not None for t in others.values()):
            continue
        target, base_it = float(base["psnr"][-1]), to_quality(base)[2]
        for tag, trace in {"0.01": base, **others}.items():
            if trace is not None:
                rows.append([name, tag.replace("-halve", ", halved every "), *quality_cells(trace),
                             f"{trace['psnr'].max():.2f}", f"{base_it / max(to_quality(trace)[2], 1):.1f}x",
                             reached_at(trace, target)])
    header = ["case", "learning rate", "final PSNR", "s to within 0.2 dB of own final", "best PSNR",
              "x fewer its to own final than 0.01", "s to first within 0.2 dB of 0.01's final"]
    return markdown_table(header, rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--iterations", type=int, default=2000, help="cap (as given to stop_traces.py)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--lr-table", nargs="+", default=None, metavar="TAG",
                    help="compare the width-64 fixed-count traces at the default rate with "
                         "<case>-lr<TAG>-width64 traces "
                         "(e.g. 0.02, 0.02-halve300; no run)")
    ap.add_argument(
        "--report",
        action="store_true",
        help="no runs: the table from the kept results (benchmarks/traces/time-to-quality-*.json)",
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.lr_table is not None:
        body = (f"Command: `{command()}` (after the `stop_traces.py --lr` runs in its docstring)\n\n"
                + lr_table(args.size, args.seed, args.lr_table) + "\n")
        print(body)
        if not args.no_write:
            write_section("learning-rate", body)
        return
    results = load_results(args) if args.report else run_defaults(args)
    body = (
        "## Time to quality (benchmarks/time_to_quality.py)\n\n"
        f"Paper cases at {args.size} px (as in the paper table), iteration caps at min(notebook, "
        f"{args.iterations}), seed {args.seed}. Seconds of fit time; a trace's time to quality is where its "
        f"PSNR "
        "stays within 0.2 dB of its own final value; the defaults' is the whole run up to the automatic "
        "stop. "
        "*Width 64, fixed*: the defaults before the narrower CPU network, automatic stop off (2000 "
        "iterations). "
        "*To the same quality*: the seconds a trace takes to first come within 0.2 dB of the defaults' PSNR "
        "(never: it does not), over the defaults' seconds.\n\n"
        f"Command: `{command()}` (after the two `stop_traces.py` runs in its docstring)  \n"
        f"Machine: {machine()}\n\n" + markdown_table(HEADER, table_rows(args, results)) + "\n"
    )
    print(body)
    if not args.no_write:
        write_section("time-to-quality", body)


HEADER = ["case", "notebook PSNR", "notebook s to within 0.2 dB", "width 64, fixed: PSNR",
          "fixed: s to within 0.2 dB", "defaults (auto stop): PSNR", "defaults: s to the stop",
          "speed-up vs notebook", "speed-up vs fixed count", "to the same quality: vs notebook, vs fixed"]


def results_path(args):
    return TRACES / f"time-to-quality-{args.size}-s{args.seed}.json"


def run_defaults(args) -> dict:
    """Run ``restore`` with the defaults on every case with a fixed-count trace; keep PSNR, seconds,
    iterations."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    results = {}
    for name, task, degraded, clean, kw, notebook in paper_cases(args.size, args.seed):
        if load(name.split()[0] + "-" + task + "-width64", args.size, args.seed) is None:
            print(f"{name}: no fixed-count trace (run stop_traces.py first); skipped")
            continue
        start = time.perf_counter()
        res = restore(degraded.astype(np.float32) / 255.0, task, iterations=min(notebook, args.iterations),
                      seed=args.seed, **kw)
        results[name] = dict(psnr=psnr(clean.astype(np.float32) / 255.0, res.image, data_range=1.0),
                             seconds=time.perf_counter() - start, iterations=res.config["iterations_run"])
        print(name, results[name], flush=True)
    results_path(args).write_text(json.dumps(results, indent=1))
    return results


def load_results(args) -> dict:
    return json.loads(results_path(args).read_text())


def same_quality(trace: dict | None, target: float, secs: float) -> str:
    if trace is None:
        return "-"
    reached = np.nonzero(trace["psnr"] >= target - 0.2)[0]
    return f"{trace['seconds'][reached[0]] / secs:.1f}x" if len(reached) else "never"


def table_rows(args, results: dict) -> list[list[str]]:
    rows = []
    for name, task, *_ in paper_cases(args.size, args.seed):
        if name not in results:
            continue
        key = name.split()[0] + "-" + task
        nb, fixed = (
            load(key + "-notebook", args.size, args.seed),
            load(key + "-width64", args.size, args.seed),
        )
        r = results[name]
        secs = r["seconds"]
        rows.append(
            [
                name,
                *quality_cells(nb),
                *quality_cells(fixed),
                f"{r['psnr']:.2f}",
                f"{secs:.0f} (it {r['iterations']})",
                "-" if nb is None else f"{to_quality(nb)[1] / secs:.1f}x",
                f"{to_quality(fixed)[1] / secs:.1f}x",
                f"{same_quality(nb, r['psnr'], secs)}, {same_quality(fixed, r['psnr'], secs)}",
            ]
        )
    return rows


if __name__ == "__main__":
    main()
