"""A narrower or shallower network: the defaults at other channel caps and depths, side by side.

For each paper case of ``benchmarks/paper.py`` at a CPU size and each seed
(the seed draws the noise, the dropped pixels and the network), it runs
``restore(...)`` as a user calls it (automatic stop on, capped at
``--iterations``) once per variant, one after the other in one process:

* ``width=64``: the defaults on a CPU (channels per level capped at 64);
* ``width=48``, ``width=32``: narrower networks (an iteration costs less);
* ``width=64,depth=4``: one level fewer.

Each variant is a ``key=value[,key=value]`` string of ``restore`` options.
``--denoise`` adds the grey camera and cell images of ``benchmarks/denoise.py``
with Gaussian noise (sigma 25 of 255), the denoising cases beyond F16;
``--deconvolve`` camera and cell blurred by a Gaussian PSF (sigma 2.5 px) plus
noise of sigma 5, as in ``benchmarks/deconvolve.py``.
The table gives per case and variant the PSNR (mean and min-max over the
seeds), the iterations to the stop, the seconds (mean) and the ratios to the
first variant. Rows are kept per seed in ``benchmarks/traces/``, so the seeds
can run as separate processes; ``--report`` makes the table from them.

    python benchmarks/network_size.py --size 96 --iterations 2000 --seeds 0 --threads 1 &
    python benchmarks/network_size.py --size 96 --iterations 2000 --seeds 1 --threads 1
    python benchmarks/network_size.py --size 96 --iterations 2000 --seeds 2 --threads 1
    python benchmarks/network_size.py --report
    python benchmarks/network_size.py --per-iteration 96 256 --variants width=64 width=32 --threads 1
    python benchmarks/network_size.py --size 128 --only camera cell --denoise --variants width=64 width=32 \\
        --threads 1
    python benchmarks/network_size.py --size 96 --only camera cell --deconvolve --variants width=64 \\
        width=32 --threads 1
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _lib import TRACES
from _lib.cases import paper_cases
from _lib.report import command, machine, markdown_table, write_section

VARIANTS = ["width=64", "width=48", "width=32", "width=64,depth=4"]


def parse(variant: str) -> dict:
    """``"width=32,depth=4"`` -> ``{"width": 32, "depth": 4}`` (numbers as numbers)."""
    out = {}
    for item in variant.split(","):
        key, value = item.split("=")
        out[key] = float(value) if "." in value else int(value)
    return out


def all_cases(size: int, seed: int, denoise: bool, deconvolve: bool = False) -> list:
    """The paper cases; with ``denoise`` camera and cell with Gaussian noise (as in denoise.py); with
    ``deconvolve`` camera and cell blurred by a Gaussian PSF of sigma 2.5 px plus noise of sigma 5
    (deconvolve.py)."""
    out = list(paper_cases(size, seed))
    if deconvolve:
        import deconvolve as dec
        from napari_dip import sample_data

        for name in ("camera", "cell"):
            ref, obs = dec.degrade(
                getattr(sample_data, name)(size), 2.5, "gaussian", np.random.default_rng(seed)
            )
            out.append(
                (f"{name} deconvolution (PSF 2.5 px)", "deconvolve", obs, ref, dict(psf_sigma=2.5), 3000)
            )
    if denoise:
        from denoise import degrade, images

        for name, clean in images(size).items():
            if name != "F16":
                ref, obs = degrade(clean, "gaussian", seed)
                out.append((f"{name} denoising (sigma 25)", "denoise", obs, ref, {}, 3000))
    return out


def results_path(size: int, seed: int):
    return TRACES / f"network-size-{size}-s{seed}.json"


def run(size: int, iterations: int, seed: int, variants: list[str], only: list[str] | None,
        denoise: bool = False, deconvolve: bool = False) -> dict:
    """{case: {variant: {psnr, seconds, iterations}}} for one seed, each variant run in turn."""
    from napari_dip import restore
    from napari_dip.metrics import psnr

    path = results_path(size, seed)
    results = json.loads(path.read_text()) if path.exists() else {}
    for name, task, degraded, clean, kw, notebook in all_cases(size, seed, denoise, deconvolve):
        if only and not any(name.startswith(o) for o in only):
            continue
        ref = clean.astype(np.float32) / 255.0
        for variant in variants:
            start = time.perf_counter()
            res = restore(degraded.astype(np.float32) / 255.0, task, iterations=min(notebook, iterations),
                          seed=seed, **kw, **parse(variant))
            row = dict(psnr=psnr(ref, res.image, data_range=1.0), seconds=time.perf_counter() - start,
                       iterations=res.config["iterations_run"])
            results.setdefault(name, {})[variant] = row
            print(f"{name} seed {seed} {variant}: {row}", flush=True)
            path.write_text(json.dumps(results, indent=1))  # kept after every run: nothing lost on a stop
    return results


def per_iteration(sizes: list[int], variants: list[str], iterations: int = 20) -> str:
    """Seconds per iteration of each paper case and variant (automatic stop off, after 3 warm-up
    iterations)."""
    from speed import seconds_per_iteration

    rows = []
    for size in sizes:
        for name, task, degraded, _, kw, _ in paper_cases(size, 0):
            image = degraded.astype(np.float32) / 255.0
            cost = {v: seconds_per_iteration(image, iterations, task, **kw, **parse(v)) for v in variants}
            base = cost[variants[0]]
            rows += [[size, name, v, f"{c * 1000:.0f}", f"{c / base:.2f}"] for v, c in cost.items()]
            print(rows[-1], flush=True)
    return markdown_table(["px", "case", "variant", "ms per iteration", f"/ {variants[0]}"], rows)


def table(size: int, seeds: list[int], variants: list[str], denoise: bool = False, deconvolve: bool = False,
          only: list[str] | None = None) -> str:
    per_seed = {
        s: json.loads(results_path(size, s).read_text()) for s in seeds if results_path(size, s).exists()
    }
    rows = []
    for name, *_ in all_cases(size, 0, denoise, deconvolve):
        if only and not any(name.startswith(o) for o in only):
            continue
        runs = {
            v: [per_seed[s][name][v] for s in per_seed if v in per_seed[s].get(name, {})] for v in variants
        }
        base = runs[variants[0]]
        if not base:
            continue
        base_db = np.mean([r["psnr"] for r in base])
        base_s = np.mean([r["seconds"] for r in base])
        for variant, rs in runs.items():
            if not rs:
                continue
            db, secs = np.array([r["psnr"] for r in rs]), np.mean([r["seconds"] for r in rs])
            rows.append([name, variant, len(rs), f"{db.mean():.2f} ({db.min():.2f}-{db.max():.2f})",
                         f"{db.mean() - base_db:+.2f}", "/".join(str(r["iterations"]) for r in rs),
                         f"{secs:.0f}", f"{base_s / secs:.1f}x"])
    header = ["case", "variant", "seeds", "PSNR mean (min-max)", f"- {variants[0]} (dB)",
              "iterations to the stop (per seed)", "seconds (mean)", f"faster than {variants[0]}"]
    return markdown_table(header, rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument(
        "--iterations", type=int, default=2000, help="cap (default 2000; the notebooks' if lower)"
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--variants", nargs="+", default=VARIANTS, help="restore options, key=value[,key=value]")
    ap.add_argument("--only", nargs="*", default=None, help="case name prefixes to run")
    ap.add_argument("--denoise", action="store_true", help="also camera and cell with Gaussian noise")
    ap.add_argument("--deconvolve", action="store_true", help="also camera and cell blurred (PSF sigma 2.5)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--report", action="store_true", help="no runs: the table from the kept rows")
    ap.add_argument("--per-iteration", type=int, nargs="+", default=None, metavar="PX",
                    help="instead: seconds per iteration of every case and variant at these sizes")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.per_iteration:
        body = (f"Command: `{command()}`  \nMachine: {machine()}\n\n"
                + per_iteration(args.per_iteration, args.variants) + "\n")
        print(body)
        if not args.no_write:
            write_section("network-size-speed", body)
        return
    if not args.report:
        for seed in args.seeds:
            run(args.size, args.iterations, seed, args.variants, args.only, args.denoise, args.deconvolve)
    extra = (
        ", and grey camera and cell with Gaussian noise of sigma 25 of 255 (as in `benchmarks/denoise.py`)"
        if args.denoise
        else ""
    ) + (
        ", and camera and cell blurred by a Gaussian PSF of sigma 2.5 px plus noise "
        "of sigma 5 (as in `benchmarks/deconvolve.py`)"
        if args.deconvolve
        else ""
    )
    body = (
        f"Paper cases{extra} at {args.size} px, `restore` with the automatic stop (capped at "
        f"{args.iterations} "
        "iterations or the notebook's count if lower), each variant one after the other in one process per "
        "seed; the seed draws the noise, the dropped pixels and the network. A margin under 0.4 dB is a "
        "tie.\n\n"
        f"Command: `{command()}` (after the per-seed runs in its docstring)  \n"
        f"Machine: {machine()}\n\n"
        + table(args.size, args.seeds, args.variants, args.denoise, args.deconvolve, args.only)
        + "\n"
    )
    print(body)
    if not args.no_write:
        key = f"network-size-{args.size}" + "-denoise" * args.denoise + "-deconvolve" * args.deconvolve
        write_section(key, body)


if __name__ == "__main__":
    main()
