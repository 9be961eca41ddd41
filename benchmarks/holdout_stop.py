"""Replay the holdout stop on recorded fixed runs, beside the change stop, against the long fixed run.

The holdout stop (:class:`napari_dip.core.engine.holdout.HoldoutStop`) leaves a
share of the observed pixels out of the fit and stops when their PSNR stops
rising; it returns the image of the best held-out PSNR. Its traces are
recorded by ``stop_traces.py --holdout F`` with the stop watching but never
firing, so the rule (:func:`~napari_dip.core.engine.holdout.plateaued`, the
function the stop itself calls) can be replayed exactly at any setting. Each
holdout trace is set beside the plain defaults' trace of the same case and seed
(``stop_traces.py`` without ``--holdout``), which gives the long fixed run
(the reference), the cost of holding pixels out, and the change stop
(:class:`~napari_dip.core.engine.stopping.ChangeStop`, replayed by
``stopping.py``) for comparison. *Preset* is the task's own iteration count
(6000 inpainting, 3000 reconstruction, 2000 super-resolution); the issue's
target is at least 3x fewer iterations than that at no more than 0.2 dB below
the long run.

    python benchmarks/stop_traces.py --size 96 --iterations 2000 --seeds 0 1 --threads 1
    python benchmarks/stop_traces.py --size 96 --iterations 2000 --seeds 0 1 --threads 1 --holdout 0.02
    python benchmarks/holdout_stop.py --grid            # rule settings by their worst loss
    python benchmarks/holdout_stop.py --write           # the defaults' table into docs/notes/benchmarks.md
"""

from __future__ import annotations

import argparse
import itertools
import re

import numpy as np

from _lib import TRACES
from _lib.replay import change_stop_at
from _lib.report import command, machine, markdown_table, write_section
from napari_dip import Settings
from napari_dip.core.engine.holdout import plateaued
from napari_dip.core.tasks import get as get_task


def pairs(share: str):
    """``(case, seed, holdout trace, plain trace)`` for every holdout trace with a plain twin."""
    for path in sorted(TRACES.glob(f"*-holdout{share}-*.npz")):
        plain = TRACES / path.name.replace(f"-holdout{share}", "")
        if plain.exists():
            m = re.match(rf"(.+)-holdout{share}-(\d+)-s(\d+)\.npz", path.name)
            yield m.group(1), int(m.group(3)), dict(np.load(path)), dict(np.load(plain))


def replay(trace, *, patience: int, min_gain: float, warmup: int, every: int = 10) -> tuple[int, int]:
    """``(iteration it stops at, index of the image it returns)`` for the holdout rule on ``trace``."""
    curve = []
    for _k, (n, p) in enumerate(zip(trace["iteration"], trace["holdout_psnr"], strict=False)):
        curve.append((int(n), float(p)))
        if int(n) % every == 0 and plateaued(
            curve, int(n), patience=patience, min_gain=min_gain, warmup=warmup
        ):
            break
    best = int(np.argmax([p for _, p in curve]))
    return curve[-1][0], best


def rows_for(share: str, **rule) -> list[list]:
    s = Settings()
    rows = []
    for case, seed, held, plain in pairs(share):
        preset = get_task(str(plain["task"])).policy.preset()["iterations"]
        fixed, own = float(plain["psnr"][-1]), float(held["psnr"][-1])
        c = change_stop_at(plain, tol=s.stop_tol, window=s.window, patience=s.patience)
        change = float(plain["psnr"][np.searchsorted(plain["iteration"], c)])
        n, k = replay(held, **rule)
        stop = float(held["psnr"][k])
        rows.append(
            [
                case,
                seed,
                preset,
                f"{fixed:.2f}",
                f"{c} ({preset / c:.1f}x)",
                f"{change - fixed:+.2f}",
                f"{own - fixed:+.2f}",
                f"{n} ({preset / n:.1f}x)",
                f"{stop - own:+.2f}",
                f"{stop - fixed:+.2f}",
            ]
        )
    return rows


HEADER = [
    "case",
    "seed",
    "preset its",
    "fixed 2000: PSNR",
    "change stop: it (fewer than preset)",
    "change stop - fixed (dB)",
    "holding out: fixed 2000 - fixed (dB)",
    "holdout stop: it (fewer than preset)",
    "holdout stop - its own fixed 2000 (dB)",
    "holdout stop - fixed (dB)",
]


def grid(share: str) -> None:
    """Rule settings (patience x min gain x warm-up) by their worst loss against the fixed runs."""
    traces = list(pairs(share))
    results = []
    for patience, gain, warmup in itertools.product(
        [100, 200, 300, 400], [0.02, 0.05, 0.1, 0.2], [100, 200, 300]
    ):
        cost, saved = [], []
        for _, _, held, plain in traces:
            n, k = replay(held, patience=patience, min_gain=gain, warmup=warmup)
            cost.append(float(held["psnr"][k] - plain["psnr"][-1]))
            saved.append(get_task(str(plain["task"])).policy.preset()["iterations"] / n)
        results.append(
            [patience, gain, warmup, min(cost), float(np.mean(cost)), min(saved), float(np.mean(saved))]
        )
    results.sort(key=lambda r: -r[3])
    print(
        markdown_table(
            [
                "patience",
                "min gain dB",
                "warm-up",
                "worst dB",
                "mean dB",
                "fewest x fewer its than preset",
                "mean x",
            ],
            [[*r[:3], *(f"{v:+.2f}" for v in r[3:5]), *(f"{v:.1f}" for v in r[5:])] for r in results],
        )
    )


def main() -> None:
    s = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", default="0.02", help="the holdout share of the traces (as in their names)")
    parser.add_argument("--patience", type=int, default=s.patience)
    parser.add_argument("--gain", type=float, default=s.stop_gain)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--write", action="store_true", help="write the table to docs/notes/benchmarks.md")
    args = parser.parse_args()
    if args.grid:
        return grid(args.share)
    rows = rows_for(args.share, patience=args.patience, min_gain=args.gain, warmup=args.warmup)
    table = markdown_table(HEADER, rows)
    print(table)
    if args.write:
        body = (f"Command: `{command()}` (after the two `stop_traces.py` runs in its docstring)  \n"
                f"Machine: {machine()}\n\n{table}\n")
        write_section(f"holdout-stop-{args.share}", body)


if __name__ == "__main__":
    main()
