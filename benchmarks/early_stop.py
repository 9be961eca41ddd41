"""How well the automatic stop picks the iteration, without a clean image.

One long denoising fit per image records the exponential moving variance of
the outputs for several windows (one run, several trackers) and the PSNR of
the averaged output every 10 iterations. The stopping rule is then replayed
offline for each (window, patience): where it fires, which iteration has the
lowest variance, and the PSNR of the averaged image kept at that iteration
(what napari-dip returns) against the best PSNR of the run.

    python benchmarks/early_stop.py --size 128 --iterations 900
"""

from __future__ import annotations

import argparse

import numpy as np

from _lib.report import command, machine, markdown_table, write_section
from napari_dip import iter_restore, sample_data
from napari_dip.core.engine import stopping


def record(clean: np.ndarray, iterations: int, windows: list[int], seed: int) -> tuple[dict, dict]:
    noisy = sample_data.add_gaussian_noise(clean, 25, seed=seed)
    trackers = {w: stopping.VarianceStop(window=w, patience=10**9, warmup=0) for w in windows}
    curves: dict[int, list[float]] = {w: [] for w in windows}
    original = stopping.VarianceStop.update

    def spy(self, x, t, keep=None):  # record every tracker's variance (a host sync: fine for a study)
        original(self, x, t, keep)
        for w, tracker in trackers.items():
            original(tracker, x, t)
            curves[w].append(float(tracker.var))

    stopping.VarianceStop.update = spy
    try:
        psnr = {}
        for snap in iter_restore(noisy, "denoise", iterations=iterations, reference=clean, early_stop=True,
                                 patience=10**9, preview_every=10, seed=seed):
            if snap.preview is not None:
                psnr[snap.iteration] = snap.metrics["psnr"]
    finally:
        stopping.VarianceStop.update = original
    return psnr, curves


def replay(curve: list[float], window: int, patience: int) -> tuple[int | None, int]:
    best, best_t = np.inf, 0
    for t, v in enumerate(curve):
        if t >= window and v < best:
            best, best_t = v, t
        if t >= window + patience and t - best_t >= patience:
            return t, best_t
    return None, best_t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=900)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    windows, patiences = [25, 50, 100], [50, 100, 300]
    rows = []
    for name in ("cell", "camera"):
        clean = getattr(sample_data, name)(args.size)
        psnr, curves = record(clean, args.iterations, windows, args.seed)
        best_it = max(psnr, key=psnr.get)
        final = psnr[max(psnr)]
        for w in windows:
            for p in patiences:
                fired, min_t = replay(curves[w], w, p)
                kept = psnr.get(max(10, (min_t + 1) // 10 * 10), float("nan"))
                at_fire = (
                    psnr.get((fired + 1) // 10 * 10, float("nan")) if fired is not None else float("nan")
                )
                rows.append([name, w, p, fired + 1 if fired is not None else "no stop", min_t + 1,
                             kept, at_fire, psnr[best_it], best_it, final])
        print(f"{name}: best {psnr[best_it]:.2f} dB at {best_it}, final {final:.2f}", flush=True)
    table = markdown_table(["image", "window", "patience", "fires at", "lowest variance at",
                            "PSNR kept (returned)", "PSNR at fire time", "best PSNR", "best at",
                            f"PSNR at {args.iterations}"], rows)
    body = (
        f"## Automatic stopping\n\nDenoising (sigma 25) of {args.size}x{args.size} crops, PSNR (dB) of "
        f"the averaged output. The rule returns the averaged image kept at the lowest-variance iteration "
        f"(`PSNR kept`), not the one when it fires: that wins where the fit overfits (cell) and "
        f"costs a little where it was still improving (camera). Defaults: window 50, patience 100: "
        f"within about 0.8 dB of the best on both images; the paper's window 100 finds its minimum far "
        f"too late on the smooth cell image, which overfits after ~200 iterations, while a fixed "
        f"iteration count loses several dB there.\n\nCommand: `{command()}`  \nMachine: "
        f"{machine()}\n\n{table}\n"
    )
    print(body)
    if not args.no_write:
        write_section("early-stop", body)


if __name__ == "__main__":
    main()
