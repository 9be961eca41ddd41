"""Today's defaults against what a user would pick instead: BM3D, Richardson-Lucy-TV, Noise2Void (where
installed).

Denoising and deconvolution cases at a CPU size, over seeds (the seed draws the noise and the
network): camera and cell with Gaussian noise sigma 25; photon counts (peak 30) of cell stored as
floats in [0, 1] (counts / peak) and of camera as a camera's ADU (gain 2.5, offset 100, read noise
3, uint16); camera blurred by a Gaussian PSF of sigma 2.5 px with noise sigma 5; camera as photon
counts (peak about 50) under a PSF of sigma 1.5 px. DIP runs as a user calls it,
``restore(image, task, seed=s, ...)`` with every default (the photon cases with
``noise="poisson"``, its gain and offset estimated; deconvolution fed Wiener-Hunt under a PSF narrower
than 2 px, else Richardson-Lucy), and as variants: on the photon cases with ``noise="gaussian"``, on
denoising with BM3D's estimate as input channels (``fill_input=True``) and, with ``--red``, with the
explicit-denoiser prior (``denoiser_weight=0.2``). The peers and classical methods are tuned without the
clean image
(``napari_dip.baselines.classical_methods``: BM3D with sigma from ``estimate_sigma``, on photon
counts with the generalised Anscombe transform and the estimated camera model; RL-TV weight
0.002). "DIP + BM3D, averaged" is the mean of the two results (measured, not an option).
PSNR over the whole image against the clean one; seconds of each method on this machine.

    python benchmarks/peers.py --size 96 --seeds 0 1 2 --threads 1
    python benchmarks/peers.py --report     # the table again, from benchmarks/traces/peers-*.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _common import ROOT, command, machine, markdown_table
from deconvolve import degrade
from napari_dip import restore
from napari_dip.baselines import classical_methods, unavailable_methods
from napari_dip.core.tasks import get as get_task
from napari_dip.metrics import psnr
from napari_dip.sample_data import add_gaussian_noise, camera, cell

RESULTS = ROOT / "benchmarks" / "traces"
TABLE = ROOT / "docs" / "tables" / "peers.md"
DIP = "DIP (defaults)"


def cases(size: int, seed: int):
    """``(name, task, degraded, clean, kwargs)``."""
    rng = np.random.default_rng(seed)
    out = []
    for f in (camera, cell):
        out.append(
            (
                f"{f.__name__}, Gaussian noise sigma 25",
                "denoise",
                add_gaussian_noise(f(size), 25, seed),
                f(size),
                {},
            )
        )
    clean = cell(size).astype(float) / 255 * 30
    out.append(("cell, photon counts (peak 30) as floats in [0, 1]", "denoise", rng.poisson(clean) / 30.0,
                clean / 30.0, dict(noise="poisson")))
    clean = camera(size).astype(float) / 255 * 30
    adu = 2.5 * rng.poisson(clean) + 100 + rng.normal(0, 3, clean.shape)
    out.append(("camera, photon counts (peak 30) as ADU (gain 2.5, offset 100, read noise 3)", "denoise",
                np.clip(adu, 0, None).round().astype(np.uint16), 2.5 * clean + 100, dict(noise="poisson")))
    ref, obs = degrade(camera(size), 2.5, "gaussian", rng)
    out.append(("camera deconvolution (PSF 2.5 px, noise 5)", "deconvolve", obs, ref, dict(psf_sigma=2.5)))
    ref, obs = degrade(camera(size), 1.5, "poisson", rng)
    out.append(("camera deconvolution, photon counts (PSF 1.5 px)", "deconvolve", obs, ref,
                dict(psf_sigma=1.5, noise="poisson")))
    return out


def score(clean: np.ndarray, image: np.ndarray) -> float:
    return psnr(clean.astype(float), image.astype(float), data_range=float(clean.max() - clean.min()))


def variants(task: str, kw: dict, red: bool) -> list[tuple[str, dict]]:
    """The DIP variants measured beside the defaults: ``(label, options)``."""
    out = []
    if kw.get("noise") == "poisson":
        out.append(("DIP, Gaussian model", {"noise": "gaussian"}))
    if task == "denoise":
        out.append(("DIP, BM3D input", {"fill_input": True}))
        if red:
            out.append(("DIP + RED (BM3D, weight 0.2)", {"denoiser_weight": 0.2, "denoiser_every": 20}))
    return out


def run(size: int, seed: int, red: bool = False) -> dict:
    """``{case: {method: [psnr, seconds]}}`` for one seed."""
    out = {}
    for name, task, degraded, clean, kw in cases(size, seed):
        t0 = time.perf_counter()
        result = restore(degraded, task, seed=seed, **kw)
        row = {DIP: [score(clean, result.image), time.perf_counter() - t0]}
        for label, change in variants(task, kw, red):
            t0 = time.perf_counter()
            other = restore(degraded, task, seed=seed, **{**kw, **change})
            row[label] = [score(clean, other.image), time.perf_counter() - t0]
        images = {}
        for method in _methods(task):
            t0 = time.perf_counter()
            images[method] = classical_methods(degraded, task, methods=(method,), **kw)[method]
            row[method] = [score(clean, images[method]), time.perf_counter() - t0]
        if "BM3D" in images:
            mean = (result.image.astype(float) + images["BM3D"].astype(float)) / 2
            row["DIP + BM3D, averaged"] = [score(clean, mean), row[DIP][1] + row["BM3D"][1]]
        out[name] = row
        print(seed, name, {m: round(v[0], 2) for m, v in row.items()}, flush=True)
    return out


def _methods(task: str) -> list[str]:
    return [m for m in get_task(task).baselines() if m not in unavailable_methods(task)]


def table(results: dict[int, dict]) -> tuple[str, list[str]]:
    """One row per case: DIP, the best other method, the gap over seeds, every method's mean and seconds."""
    rows, notes = [], []
    seeds = sorted(results)
    for name in dict.fromkeys(n for s in seeds for n in results[s]):
        runs = [results[s][name] for s in seeds if name in results[s]]
        methods = [m for m in runs[0] if all(m in r for r in runs)]
        mean = {m: float(np.mean([r[m][0] for r in runs])) for m in methods}
        secs = {m: float(np.mean([r[m][1] for r in runs])) for m in methods}
        best = max((m for m in methods if not m.startswith("DIP")), key=mean.get)
        gaps = [r[DIP][0] - r[best][0] for r in runs]
        gap = float(np.mean(gaps))
        verdict = "tie" if abs(gap) < 0.4 else ("DIP" if gap > 0 else best)
        each = "; ".join(f"{m} {mean[m]:.2f} dB, {secs[m]:.1f} s" for m in methods)
        rows.append([name, len(runs), f"{mean[DIP]:.2f}", f"{best} {mean[best]:.2f}",
                     f"{gap:+.2f} ({min(gaps):+.2f} to {max(gaps):+.2f})", verdict,
                     f"{secs[DIP] / max(secs[best], 1e-3):.0f}x", each])
        if gap <= -0.4:
            notes.append(f"{name}: {gap:+.2f} dB against {best}")
    header = ["case", "seeds", "DIP defaults (dB)", "best other method (dB)", "DIP - best (mean, range)",
              "winner (0.4 dB: tie)", "DIP time / its time", "every method: mean PSNR, mean seconds"]
    return markdown_table(header, rows), notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--report", action="store_true", help="rebuild the table from the kept results")
    parser.add_argument(
        "--red", action="store_true", help="also the explicit-denoiser prior (RED) on denoising"
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    results = {}
    for seed in args.seeds:
        path = RESULTS / f"peers-{args.size}-s{seed}.json"
        if not args.report:
            path.write_text(
                json.dumps({"machine": machine(), "results": run(args.size, seed, args.red)}, indent=1)
            )
        if path.exists():
            results[seed] = json.loads(path.read_text())["results"]
    text, losses = table(results)
    kept = json.loads((RESULTS / f"peers-{args.size}-s{min(results)}.json").read_text())
    unavailable = {m: i for t in ("denoise", "deconvolve") for m, i in unavailable_methods(t).items()}
    body = (
        f"Command: `python benchmarks/peers.py --size {args.size} --seeds "
        f"{' '.join(map(str, sorted(results)))} "
        f"--threads 1`  \nMachine: {kept['machine']}\n\n{text}\n\n"
        + (f"Where DIP loses by more than 0.4 dB: {'; '.join(losses)}.\n" if losses else "")
        + (
            f"Not installed on this machine, so not in the table: {', '.join(unavailable)}.\n"
            if unavailable
            else ""
        )
    )
    print(body)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(body)
    print("wrote", TABLE.relative_to(ROOT), command())


if __name__ == "__main__":
    main()
