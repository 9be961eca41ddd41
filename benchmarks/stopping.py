"""Replay the "filled image stopped changing" rule on recorded fixed runs (benchmarks/stop_traces.py).

For every trace in ``benchmarks/traces/`` and every tolerance given, it finds
the iteration where :class:`napari_dip.core.engine.stopping.ChangeStop` (the
class itself, fed the recorded images) would have stopped, and reports the iterations and seconds it
saves and the dB it costs against the whole fixed run. ``--write`` puts the
table for the default tolerance into docs/notes/benchmarks.md.

    python benchmarks/stopping.py --tol 1e-3 2e-3 3e-3 5e-3
"""

from __future__ import annotations

import argparse

import numpy as np

from _lib import TRACES
from _lib.replay import change_stop_at
from _lib.report import command, machine, markdown_table, write_section
from napari_dip import Settings


def rows_for(tol: float, **rule) -> list[list]:
    rows = []
    for path in sorted(p for p in TRACES.glob("*.npz") if "-notebook-" not in p.name):
        tr = dict(np.load(path))
        if (
            str(tr["task"]) == "denoise"
        ):  # its stop is the variance rule, on every output: not replayable here
            continue
        n = change_stop_at(tr, tol=tol, **rule)
        i = int(np.searchsorted(tr["iteration"], n))
        best = int(tr["psnr"].argmax())
        cap = int(tr["iteration"][-1])
        below = np.nonzero(tr["psnr"] < tr["psnr"][-1] - 0.2)[0]  # from `near` on it stays within 0.2 dB
        near = int(tr["iteration"][below[-1] + 1 if len(below) else 0])
        rows.append(
            [
                path.stem,
                cap,
                float(tr["psnr"][-1]),
                near,
                f"{tr['psnr'][best]:.2f} (it {tr['iteration'][best]})",
                n,
                float(tr["psnr"][i]),
                float(tr["psnr"][i] - tr["psnr"][-1]),
                f"{cap / n:.1f}x",
                f"{tr['seconds'][i]:.0f} / {tr['seconds'][-1]:.0f}",
            ]
        )
    return rows


def grid() -> None:
    """Replay a grid of rule settings; print them by their worst loss against the fixed runs."""
    import itertools

    traces = [dict(np.load(p)) for p in sorted(TRACES.glob("*.npz")) if "-notebook-" not in p.name]
    traces = [t for t in traces if str(t["task"]) != "denoise"]
    results = []
    for tol, patience, plateau, window in itertools.product(
        [1e-3, 2e-3, 4e-3], [100, 200, 300], [0.05, 0.1, 0.2], [50, 100]
    ):
        cost, saved = [], []
        for tr in traces:
            n = change_stop_at(tr, tol=tol, patience=patience, plateau=plateau, window=window)
            cost.append(float(tr["psnr"][int(np.searchsorted(tr["iteration"], n))] - tr["psnr"][-1]))
            saved.append(float(tr["iteration"][-1] / n))
        results.append([tol, patience, plateau, window, min(cost), float(np.mean(cost)), min(saved),
                        float(np.mean(saved))])
    results.sort(key=lambda r: -r[4])
    print(markdown_table(["tol", "patience", "plateau", "window", "worst dB", "mean dB", "fewest x fewer its",
                          "mean x fewer its"], [[f"{r[0]:g}", *r[1:4], *(f"{v:+.2f}" for v in r[4:6]),
                                                 *(f"{v:.1f}" for v in r[6:])] for r in results]))


HEADER = [
    "trace",
    "fixed its",
    "PSNR fixed",
    "its until it stays within 0.2 dB of fixed",
    "best (clean-image oracle)",
    "stop it",
    "PSNR stop",
    "stop - fixed (dB)",
    "fewer its",
    "seconds stop / fixed",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, nargs="+", default=[Settings().stop_tol])
    parser.add_argument("--window", type=int, default=Settings().window)
    parser.add_argument("--patience", type=int, default=Settings().patience)
    parser.add_argument("--plateau", type=float, default=0.1)
    parser.add_argument(
        "--write", action="store_true", help="write the default tolerance's table to the docs"
    )
    parser.add_argument(
        "--grid", action="store_true", help="search tol x patience x plateau x window instead"
    )
    args = parser.parse_args()
    if args.grid:
        return grid()
    for tol in args.tol:
        rows = rows_for(tol, window=args.window, patience=args.patience, plateau=args.plateau)
        print(f"\ntol {tol:g}:\n" + markdown_table(HEADER, rows))
        gains = [r[7] for r in rows]
        print(f"mean dB {np.mean(gains):+.2f}, worst {min(gains):+.2f}")
    if args.write:
        rows = rows_for(Settings().stop_tol, window=args.window, patience=args.patience, plateau=args.plateau)
        body = (
            f"## Automatic stop without noise (inpaint, reconstruct, super-resolution)\n\n"
            f"The rule (`ChangeStop`, the defaults): stop when the RMS change of the filled pixels between "
            f"images {args.window} iterations apart has stayed below `stop_tol` = {Settings().stop_tol:g} of "
            f"the range for {args.patience} iterations, or has not fallen {args.plateau:.0%} below its "
            f"lowest "
            f"value for {args.patience} iterations; never before iteration 300. Replayed exactly on fixed "
            f"runs recorded by `benchmarks/stop_traces.py` (a fit's trajectory does not depend on its stop); "
            f"*fixed its* is the recorded run's length. Seconds: fit time of the recorded run, scoring "
            f"excluded.\n\nCommand: `{command()}` (after `python benchmarks/stop_traces.py --size 96 "
            f"--iterations 2000 --threads 1`)  \nMachine: {machine()}\n\n{markdown_table(HEADER, rows)}\n"
        )
        write_section("stop-change", body)


if __name__ == "__main__":
    main()
