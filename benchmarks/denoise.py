"""Denoising: DIP's defaults and variants against TV and non-local means tuned without the clean image.

Images (grey, ``--size`` px, the whole picture down-scaled): the DIP paper's
F16, scikit-image's camera (textured photograph) and cell (smooth, microscopy),
with Gaussian noise of sigma 25 (of 255), and cell as photon counts (Poisson,
peak 30). Per image and seed (the seed draws the noise and the network):

* ``TV``, ``NLM``: :func:`napari_dip.baselines.denoise_tv` (weight 1.5 x the
  ``estimate_sigma`` of the noisy image) and :func:`~napari_dip.baselines.denoise_nl_means`
  (h = 0.8 sigma, sigma from ``estimate_sigma``): scikit-image's own rules, no clean image;
* ``DIP, no TV``: ``restore(noisy, "denoise", tv_weight=0)`` (automatic stop), capped at
  ``--iterations``: the defaults before the TV term;
* ``DIP + TV (default)``: ``restore(noisy, "denoise")``, whose total-variation term weighs ``0.5 x``
  the ``estimate_sigma`` of the image scaled to [0, 1] (this table is why it is the default);
* ``DIP x2, no TV``: the mean of two no-TV runs with different seeds (the paper's averaging of restarts);
* Poisson rows only: ``DIP poisson, no TV``: ``noise="poisson"`` (the Anscombe path).

All in one run, side by side; the table gives the mean and the min-max over seeds.

    python benchmarks/denoise.py --size 128 --iterations 1500 --seeds 0 1 2 --threads 1

or split over two processes (their rows are kept in ``benchmarks/traces/``), then the table:

    python benchmarks/denoise.py --only F16 camera & python benchmarks/denoise.py --only cell cell-poisson
    python benchmarks/denoise.py --report
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from skimage.io import imread

from _lib import PAPER_DATA, TRACES
from _lib.report import command, machine, markdown_table, write_section


def images(size: int) -> dict[str, np.ndarray]:
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.transform import resize

    def square(img):
        img = rgb2gray(img[..., :3]) if img.ndim == 3 else img / 255.0
        s = min(img.shape)
        top, left = (img.shape[0] - s) // 2, (img.shape[1] - s) // 2
        return np.round(resize(img[top:top + s, left:left + s], (size, size), anti_aliasing=True) * 255)

    return {"F16": square(imread(PAPER_DATA / "denoising" / "F16_GT.png")), "camera": square(data.camera()),
            "cell": square(data.cell())}


def degrade(clean: np.ndarray, noise: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(reference, observation) on one scale: uint8 + N(0, 25), or photon counts with peak 30."""
    rng = np.random.default_rng(seed)
    if noise == "poisson":
        ref = clean / 255 * 30 + 0.5
        return ref, rng.poisson(ref).astype(np.uint16)
    return clean, np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255).round().astype(np.uint8)


def methods(
    obs: np.ndarray, noise: str, seed: int, iterations: int
) -> dict[str, tuple[np.ndarray, float, int]]:
    from napari_dip import restore
    from napari_dip.baselines import denoise_nl_means, denoise_tv

    out = {}
    for name, f in (("TV", denoise_tv), ("NLM", denoise_nl_means)):
        t = time.perf_counter()
        out[name] = (f(obs), time.perf_counter() - t, 0)
    runs = {"DIP, no TV": dict(seed=seed, tv_weight=0), "DIP + TV (default)": dict(seed=seed)}
    if noise == "poisson":
        runs["DIP poisson, no TV"] = dict(seed=seed, noise="poisson", tv_weight=0)
    for name, kw in runs.items():
        t = time.perf_counter()
        res = restore(obs, "denoise", iterations=iterations, **kw)
        out[name] = (res.image.astype(float), time.perf_counter() - t, res.config["iterations_run"])
    t = time.perf_counter()
    second = restore(obs, "denoise", iterations=iterations, seed=seed + 1000, tv_weight=0)
    image, secs, its = out["DIP, no TV"]
    out["DIP x2, no TV"] = ((image + second.image.astype(float)) / 2, secs + time.perf_counter() - t,
                     its + second.config["iterations_run"])
    return out


def case_rows(name: str, noise: str, clean: np.ndarray, seeds: list[int], iterations: int) -> list[list[str]]:
    """The table's rows for one image and noise: every method, mean and spread over ``seeds``."""
    from napari_dip.metrics import psnr

    scores: dict[str, list] = {}
    for seed in seeds:
        ref, obs = degrade(clean, noise, seed)
        obs = obs.astype(np.float32) if noise == "poisson" else obs  # counts: no rounding of the results
        rng = float(ref.max() - ref.min())
        scores.setdefault("noisy", []).append((psnr(ref, obs.astype(float), data_range=rng), 0.0, 0))
        for method, (image, secs, its) in methods(obs, noise, seed, iterations).items():
            scores.setdefault(method, []).append((psnr(ref, image, data_range=rng), secs, its))
    classical = max(np.mean([s[0] for s in scores[m]]) for m in ("TV", "NLM"))
    rows = []
    for method, vals in scores.items():
        p = np.array([v[0] for v in vals])
        rows.append([f"{name} ({noise})", method, ",".join(map(str, seeds)),
                     f"{p.mean():.2f} ({p.min():.2f}-{p.max():.2f})",
                     "" if method in ("noisy", "TV", "NLM") else f"{p.mean() - classical:+.2f}",
                     "/".join(str(v[2]) for v in vals) if vals[0][2] else "",
                     f"{np.mean([v[1] for v in vals]):.1f}"])
        print(" | ".join(rows[-1]), flush=True)
    return rows


def report(args, rows: list[list[str]]) -> None:
    header = ["image (noise)", "method", "seeds", "PSNR mean (min-max over the seeds)",
              "- best classical (dB)", "iterations (per seed)", "seconds (mean)"]
    body = (
        "## Denoising against TV and non-local means\n\n"
        f"Grey {args.size} px images, Gaussian noise sigma 25 of 255 (Poisson row: photon counts, peak 30). "
        "TV and NLM tuned by scikit-image's `estimate_sigma` of the noisy image (no clean image); DIP "
        f"with the automatic stop, capped at {args.iterations} iterations. `DIP + TV (default)`: a TV term "
        "of weight 0.5 x the estimated sigma (the default since this table); `DIP, no TV`: `tv_weight=0`, "
        "the "
        "defaults before; `DIP x2, no TV`: the mean of two no-TV runs (seeds s and s + 1000); "
        '`DIP poisson, no TV`: `noise="poisson"`. A margin under 0.4 dB is a tie.\n\n'
        f"Command: `{command()}`"
        + (
            ""
            if not args.report
            else f" (after `--only` runs with `--size {args.size} "
            f"--iterations {args.iterations} --threads {args.threads}` and the "
            "seeds of each row, two processes sharing the 2 cores)"
        )
        + f"  \nMachine: {machine()}, {args.threads} torch thread(s)\n\n"
        + markdown_table(header, rows)
        + "\n"
    )
    print(body)
    if not args.no_write:
        write_section("denoise", body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=1500)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="run these cases only (e.g. F16 cell-poisson) and "
        "keep their rows in benchmarks/traces/denoise-<case>.json; --report writes the table",
    )
    ap.add_argument("--report", action="store_true", help="write the table from the kept rows")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    cases = [(name, "gaussian", img) for name, img in images(args.size).items()]
    cases.append(("cell", "poisson", images(args.size)["cell"]))
    keys = [name if noise == "gaussian" else f"{name}-{noise}" for name, noise, _ in cases]
    rows = []
    for key, (name, noise, clean) in zip(keys, cases, strict=False):
        kept = TRACES / f"denoise-{key}.json"
        if args.report:
            saved = json.loads(kept.read_text()) if kept.exists() else {"rows": [], "run": {}}
            rows += saved["rows"]
            vars(args).update(saved["run"])  # the table's header describes the runs, not this call
        elif args.only is None or key in args.only:
            rows += case_rows(name, noise, clean, args.seeds, args.iterations)
            if args.only is not None:
                run = dict(size=args.size, iterations=args.iterations, seeds=args.seeds, threads=args.threads)
                kept.write_text(
                    json.dumps({"run": run, "rows": [r for r in rows if r[0] == f"{name} ({noise})"]})
                )
    if args.only is None or args.report:
        report(args, rows)


if __name__ == "__main__":
    main()
