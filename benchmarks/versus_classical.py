"""Today's defaults against every classical method of each task, over seeds: where DIP wins and where it
loses.

Each case is a paper case of ``benchmarks/paper.py`` at a CPU size (kate's text, the library hole,
F16 with Gaussian noise sigma 25, zebra 4x super-resolution, barbara with half of its pixels
dropped) plus camera blurred by a Gaussian PSF of sigma 2.5 px with noise of sigma 5 (as in
``benchmarks/deconvolve.py``), and three cases where earlier tables saw DIP tie or lose: camera
with Gaussian noise sigma 25, the smooth ``cell`` with half of its pixels dropped, and camera as
photon counts (peak about 50) under a PSF of sigma 1.5 px (``noise="poisson"``). DIP runs as a user calls it:
``restore(image, task, seed=s, ...)``
with every default (the automatic stop on, the preset's iteration cap). The classical methods are
every baseline the task lists (the Compare grid's), tuned without the clean image: non-local
means and total variation by scikit-image's ``estimate_sigma``, biharmonic inpainting, bicubic
up-scaling, Richardson-Lucy (30 iterations) and Wiener. The seed draws the noise, the dropped
pixels and the network. PSNR over the whole image against the clean one.

    python benchmarks/versus_classical.py --size 96 --seeds 0 1 2 --threads 1 [--only kate F16]
    python benchmarks/versus_classical.py --size 96 --seeds 0 1 2 --threads 1 --only cell --fixed 1500
    (a result JSON per seed in benchmarks/traces/; a rerun with --only adds or replaces those cases;
    --fixed N adds a DIP run of N iterations without the stop, shown among the other methods)
    python benchmarks/versus_classical.py --report     # the table again, from the kept results
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _lib import TRACES
from _lib.cases import degrade, paper_cases
from _lib.report import command, machine, markdown_table, write_section
from _lib.scoring import score
from napari_dip import restore
from napari_dip.baselines import classical_methods
from napari_dip.core.tasks import get as get_task
from napari_dip.sample_data import add_gaussian_noise, camera, cell, random_pixel_mask


def cases(size: int, seed: int):
    """``(name, task, degraded, clean, kwargs)``: the paper cases, then cases where DIP was seen to tie or
    lose."""
    out = [(name, task, deg, clean, kw) for name, task, deg, clean, kw, _ in paper_cases(size, seed)]
    ref, obs = degrade(camera(size), 2.5, "gaussian", np.random.default_rng(seed))
    out.append(("camera deconvolution (PSF 2.5 px, noise 5)", "deconvolve", obs, ref, dict(psf_sigma=2.5)))
    # seen to tie or lose in earlier tables: camera denoising (NLM), a smooth image with half its
    # pixels dropped (biharmonic), Poisson counts under a small PSF (Wiener)
    out.append(
        (
            "camera denoising (sigma 25)",
            "denoise",
            add_gaussian_noise(camera(size), 25, seed),
            camera(size),
            {},
        )
    )
    drop = random_pixel_mask((size, size), 0.5, seed)
    out.append(("cell 50% pixels", "reconstruct", np.where(drop.astype(bool), 0, cell(size)).astype(np.uint8),
                cell(size), dict(mask=drop)))
    ref, obs = degrade(camera(size), 1.5, "poisson", np.random.default_rng(seed))
    out.append(("camera deconvolution, photon counts (PSF 1.5 px)", "deconvolve", obs, ref,
                dict(psf_sigma=1.5, noise="poisson")))
    return out


def run(size: int, seed: int, only: list[str] | None, fixed: int | None = None) -> dict:
    """``{case: {method: [psnr, seconds, iterations]}}`` for one seed (``fixed``: also N its, no stop)."""
    out = {}
    for name, task, degraded, clean, kw in cases(size, seed):
        if only and not any(name.startswith(o) for o in only):
            continue
        t0 = time.perf_counter()
        result = restore(degraded, task, seed=seed, **kw)
        row = {
            "DIP (defaults)": [
                score(clean, result.image).psnr,
                time.perf_counter() - t0,
                result.stopped_at.iteration,
            ]
        }
        if fixed:
            t0 = time.perf_counter()
            long = restore(degraded, task, seed=seed, early_stop=False, iterations=fixed, **kw)
            seconds = time.perf_counter() - t0
            row[f"DIP, no stop, {fixed} its"] = [score(clean, long.image).psnr, seconds, fixed]
        inputs = {k: v for k, v in kw.items() if k in get_task(task).form.inputs and k != "mask"}
        for method, image in classical_methods(degraded, task, mask=kw.get("mask"),
                                               channel_axis=kw.get("channel_axis"), **inputs).items():
            row[method] = [score(clean, image).psnr, 0.0, 0]
        out[name] = row
        print(seed, name, {m: round(v[0], 2) for m, v in row.items()}, flush=True)
    return out


def table(results: dict[int, dict]) -> tuple[str, list[str]]:
    """The markdown table over seeds and the cases where the defaults lose."""
    rows, losses = [], []
    seeds = sorted(results)
    names = list(dict.fromkeys(n for s in seeds for n in results[s]))
    for name in names:
        runs = [results[s][name] for s in seeds if name in results[s]]
        methods = [m for m in runs[0] if all(m in r for r in runs)]
        mean = {m: float(np.mean([r[m][0] for r in runs])) for m in methods}
        best = max((m for m in methods if not m.startswith("DIP")), key=mean.get)
        gaps = [r["DIP (defaults)"][0] - r[best][0] for r in runs]
        cells = [f"{mean[m]:.2f} ({min(r[m][0] for r in runs):.2f}-{max(r[m][0] for r in runs):.2f})"
                 for m in ("DIP (defaults)", best)]
        others = ", ".join(f"{m} {mean[m]:.2f}" for m in methods if m not in ("DIP (defaults)", best)) or "-"
        its = "/".join(str(r["DIP (defaults)"][2]) for r in runs)
        secs = np.mean([r["DIP (defaults)"][1] for r in runs])
        gap = float(np.mean(gaps))
        verdict = "tie" if abs(gap) < 0.4 else ("DIP" if gap > 0 else best)
        rows.append([name, len(runs), cells[0], f"{best}: {cells[1]}", others,
                     f"{gap:+.2f} ({min(gaps):+.2f} to {max(gaps):+.2f})", verdict, its, f"{secs:.0f}"])
        if gap <= -0.4:
            losses.append(f"{name}: {gap:+.2f} dB against {best}")
    header = ["case", "seeds", "DIP defaults: PSNR mean (min-max)", "best classical: PSNR mean (min-max)",
              "other classical (mean)", "DIP - best classical (dB, mean and range)", "winner (0.4 dB: tie)",
              "DIP iterations (per seed)", "DIP seconds (mean)"]
    return markdown_table(header, rows), losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="*", default=None, help="case name prefixes to run")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--fixed", type=int, default=None, help="also run N iterations without the stop")
    parser.add_argument("--report", action="store_true", help="rebuild the table from the kept results")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    results = {}
    for seed in args.seeds:
        path = TRACES / f"versus-classical-{args.size}-s{seed}.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        if not args.report:
            kept.update(run(args.size, seed, args.only, args.fixed))
            path.write_text(json.dumps(kept, indent=1))
        if kept:
            results[seed] = kept
    text, losses = table(results)
    body = (f"Command: `{command()}` (after the per-seed runs in its docstring)  \nMachine: {machine()}, "
            f"{args.threads or 'default'} torch thread(s)\n\n{text}\n")
    print(
        body
        + ("\nWhere the defaults lose: " + "; ".join(losses) if losses else "\nThe defaults lose nowhere.")
    )
    if args.report:
        write_section("versus-classical", body)


if __name__ == "__main__":
    main()
