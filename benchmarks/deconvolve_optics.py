"""Deconvolution given the optics: DIP against Richardson-Lucy(-TV), all with the same optics PSF.

The clean image (scikit-image's cell, the fluorescence-like image of ``benchmarks/deconvolve.py``, or
camera) is blurred by the PSF of an objective (``optics_psf``: by default NA 1.4 oil, ni 1.515, a watery
sample ns 1.33, emission 0.52 µm, 0.065 µm pixels: a 100x/1.4 objective on a 6.5 µm camera) and
degraded by photon noise (peak ``--photons``) or Gaussian noise (sigma 5 of 255). DIP runs
``restore(image, "deconvolve", na=..., wavelength=..., pixel_size=...)`` (the task computes the same
PSF) with its defaults and the cap ``--iterations``; Richardson-Lucy and Richardson-Lucy-TV get that
PSF as an array. PSNR in dB against the clean image (on the photon scale for photon noise), seconds.

    python benchmarks/deconvolve_optics.py --size 256 --iterations 3000 --seeds 0 1 2
    python benchmarks/deconvolve_optics.py --size 32 --iterations 3 --seeds 0 --no-doc   # runs at all
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _lib.report import command, machine, markdown_table, write_section
from _lib.scoring import score


def degrade(clean: np.ndarray, psf: np.ndarray, noise: str, photons: float,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(reference, observation)``: the clean image on the observation's scale, and it blurred plus noise."""
    from scipy.ndimage import convolve

    if noise == "poisson":
        ref = clean.astype(float) / 255 * photons + 0.5
        return ref, rng.poisson(np.clip(convolve(ref, psf, mode="mirror"), 0, None)).astype(np.uint16)
    blurred = convolve(clean.astype(float), psf, mode="mirror")
    obs = np.clip(blurred + rng.normal(0, 5, clean.shape), 0, 255).round().astype(np.uint8)
    return clean.astype(float), obs


def run(args) -> tuple[list, dict]:
    from napari_dip import restore, sample_data
    from napari_dip.baselines import classical_methods
    from napari_dip.core.physics.optics import fwhm, optics_psf

    optics = dict(na=args.na, wavelength=args.wavelength, ni=args.ni, ns=args.ns, microscope=args.microscope)
    psf = optics_psf(**optics, pixel_size=args.pixel_size)
    clean = getattr(sample_data, args.image)(args.size)
    ref, obs = degrade(clean, psf, args.noise, args.photons, np.random.default_rng(0))
    rows = [["blurred", f"{score(ref, obs, data_range='span').psnr:.2f}", "", ""]]
    for name in ("Richardson-Lucy", "Richardson-Lucy-TV"):
        t = time.perf_counter()
        out = classical_methods(obs, "deconvolve", psf=psf, methods=(name,))[name]
        quality = score(ref, out, data_range="span").psnr
        rows.append([name, f"{quality:.2f}", f"{time.perf_counter() - t:.1f}", ""])
    for seed in args.seeds:
        t = time.perf_counter()
        result = restore(obs, "deconvolve", **optics, pixel_size=args.pixel_size, noise=args.noise,
                         iterations=args.iterations, seed=seed)
        seconds = time.perf_counter() - t
        rows.append([f"DIP (seed {seed})", f"{score(ref, result.image, data_range='span').psnr:.2f}",
                     f"{seconds:.1f}",
                     str(result.config["iterations_run"])])
        print(rows[-1], flush=True)
    info = {**optics, "pixel_size": args.pixel_size, "shape": psf.shape, "fwhm": fwhm(psf, args.pixel_size)}
    return rows, info


def main() -> None:
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--image", choices=("cell", "camera"), default="cell")
    p.add_argument("--iterations", type=int, default=3000, help="cap per DIP fit (the automatic stop is on)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--na", type=float, default=1.4)
    p.add_argument("--wavelength", type=float, default=0.52, help="emission wavelength, µm")
    p.add_argument("--ni", type=float, default=1.515)
    p.add_argument("--ns", type=float, default=1.33)
    p.add_argument("--microscope", choices=("widefield", "confocal"), default="widefield")
    p.add_argument("--pixel-size", type=float, default=0.065, help="µm")
    p.add_argument("--noise", choices=("poisson", "gaussian"), default="poisson")
    p.add_argument("--photons", type=float, default=50.0, help="peak photon count (noise poisson)")
    p.add_argument("--no-doc", action="store_true",
                   help="print the table, do not write docs/notes/benchmarks.md")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rows, info = run(args)
    case = f"{args.noise}, peak {args.photons:g}" if args.noise == "poisson" else args.noise
    body = (
        f"## Deconvolution given the optics ({case})\n\nCommand: `{command()}`  \nMachine: {machine()}, "
        f"{args.threads} torch threads.\n\n"
        f"{args.size} px {args.image} blurred by the {info['microscope']} PSF of NA {info['na']} "
        f"(ni {info['ni']}, ns {info['ns']}), {info['wavelength']} µm emission, {info['pixel_size']} µm "
        f"pixels ({info['shape'][0]} px PSF, FWHM {info['fwhm']:.3f} µm), "
        + (f"photon noise (peak {args.photons:g})" if args.noise == "poisson"
           else "Gaussian noise (5 of 255)")
        + f". DIP capped at {args.iterations} iterations (automatic stop on). PSNR in dB against the clean "
        "image.\n\n" + markdown_table(["method", "PSNR", "seconds", "DIP iterations"], rows)
    )
    print(body)
    if not args.no_doc:
        key = f"deconvolve_optics-{args.noise}" + (f"-{args.photons:g}" if args.noise == "poisson" else "")
        write_section(key, body)  # one section per noise case


if __name__ == "__main__":
    main()
