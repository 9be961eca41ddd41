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
    python benchmarks/peers.py --size 96 --seeds 0 --threads 1 --red --only camera, cell,   # + RED
    python docs/scripts/tables.py   # the table, docs/tables/peers.md, from benchmarks/traces/peers-*.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _lib import ROOT, TRACES
from _lib.cases import degrade
from _lib.report import machine
from _lib.scoring import score
from napari_dip import restore
from napari_dip.baselines import classical_methods, unavailable_methods
from napari_dip.core.tasks import get as get_task
from napari_dip.sample_data import add_gaussian_noise, camera, cell

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
    out.append(
        (
            "cell, photon counts (peak 30) as floats in [0, 1]",
            "denoise",
            rng.poisson(clean) / 30.0,
            clean / 30.0,
            dict(noise="poisson"),
        )
    )
    clean = camera(size).astype(float) / 255 * 30
    adu = 2.5 * rng.poisson(clean) + 100 + rng.normal(0, 3, clean.shape)
    out.append(
        (
            "camera, photon counts (peak 30) as ADU (gain 2.5, offset 100, read noise 3)",
            "denoise",
            np.clip(adu, 0, None).round().astype(np.uint16),
            2.5 * clean + 100,
            dict(noise="poisson"),
        )
    )
    ref, obs = degrade(camera(size), 2.5, "gaussian", rng)
    out.append(("camera deconvolution (PSF 2.5 px, noise 5)", "deconvolve", obs, ref, dict(psf_sigma=2.5)))
    ref, obs = degrade(camera(size), 1.5, "poisson", rng)
    out.append(
        (
            "camera deconvolution, photon counts (PSF 1.5 px)",
            "deconvolve",
            obs,
            ref,
            dict(psf_sigma=1.5, noise="poisson"),
        )
    )
    return out


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


def run(size: int, seed: int, red: bool = False, only: list[str] | None = None) -> dict:
    """``{case: {method: [psnr, seconds]}}`` for one seed (``only``: the cases whose names start so)."""
    out = {}
    for name, task, degraded, clean, kw in cases(size, seed):
        if only and not any(name.startswith(o) for o in only):
            continue
        t0 = time.perf_counter()
        result = restore(degraded, task, seed=seed, **kw)
        row = {DIP: [score(clean, result.image, data_range="span").psnr, time.perf_counter() - t0]}
        for label, change in variants(task, kw, red):
            t0 = time.perf_counter()
            other = restore(degraded, task, seed=seed, **{**kw, **change})
            row[label] = [score(clean, other.image, data_range="span").psnr, time.perf_counter() - t0]
        images = {}
        for method in _methods(task):
            t0 = time.perf_counter()
            images[method] = classical_methods(degraded, task, methods=(method,), **kw)[method]
            row[method] = [score(clean, images[method], data_range="span").psnr, time.perf_counter() - t0]
        if "BM3D" in images:
            mean = (result.image.astype(float) + images["BM3D"].astype(float)) / 2
            row["DIP + BM3D, averaged"] = [score(clean, mean, data_range="span").psnr,
                                           row[DIP][1] + row["BM3D"][1]]
        out[name] = row
        print(seed, name, {m: round(v[0], 2) for m, v in row.items()}, flush=True)
    return out


def _methods(task: str) -> list[str]:
    return [m for m in get_task(task).baselines if m not in unavailable_methods(task)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--red",
        action="store_true",
        help="also the explicit-denoiser prior (RED) on denoising (results in peers-red-SIZE-sSEED.json)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="case name prefixes to run")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    for seed in args.seeds:
        path = TRACES / f"peers{'-red' if args.red else ''}-{args.size}-s{seed}.json"
        path.write_text(
            json.dumps(
                {
                    "machine": f"{machine()}, {args.threads or 'default'} torch thread(s)",
                    "results": run(args.size, seed, args.red, args.only),
                },
                indent=1,
            )
        )
        print("wrote", path.relative_to(ROOT))
    print("the table: python docs/scripts/tables.py (docs/tables/peers.md)")


if __name__ == "__main__":
    main()
