"""How the blending metrics of DIP blending evolve with iterations (issue: does it converge past Poisson?).

One foreground/background pair (:func:`napari_dip.sample_data.blend_pair`) is
blended by :func:`napari_dip.iter_blend` from noise (the report's set-up) and
from the Poisson composite (``fill_input=True``), for ``--iterations``
iterations each; every ``--every`` iterations the shown image is scored with
GFF, GFP, BSI and masked SSIM over the transition band, beside the classical
blends' constant values. The annealing schedule runs over the whole budget
(``T = --iterations``), as it does for a user who asks for that many.

Writes ``docs/images/blend_convergence.png`` and the table of the last and
best values between ``<!-- blend-convergence:start/end -->`` in
docs/notes/blending.md (for another ``--size`` than 128: ``blend_convergence_<size>.png``
and ``blend-convergence-<size>``). ``--variants`` runs some of the two (the
default, the Poisson input, alone: ``--variants poisson``).

    python benchmarks/blend_convergence.py --pair cat_rocket --size 128 --iterations 3000 --threads 1
    python benchmarks/blend_convergence.py --pair cat_rocket --size 256 --iterations 3000 --every 200 \\
        --variants poisson
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _lib import ROOT
from _lib.report import command, machine, markdown_table, write_section
from _lib.scoring import blend_scores

METRICS = ("GFF", "GFP", "BSI", "SSIM")
VARIANTS = {"DIP from noise": {"fill_input": False}, "DIP, Poisson input": {"fill_input": True}}


def curves(fg_u8, bg_u8, mask, region, iterations: int, every: int, seed: int, variants: dict) -> dict:
    from napari_dip import iter_blend

    fg, bg = fg_u8 / 255.0, bg_u8 / 255.0
    out = {}
    for name, opts in variants.items():  # fill_input given explicitly: the curves do not follow the default
        its, rows, start = [], [], time.perf_counter()
        for snap in iter_blend(fg_u8, bg_u8, mask, channel_axis=-1 if bg_u8.ndim == 3 else None,
                               iterations=iterations, seed=seed, preview_every=every, **opts):
            if snap.preview is not None and (snap.iteration % every == 0 or snap.done):
                its.append(snap.iteration)
                rows.append(blend_scores(snap.preview.astype(np.float64) / 255.0, fg, bg, region))
        out[name] = {"iteration": np.array(its), "seconds": time.perf_counter() - start,
                     **{m: np.array([r[m] for r in rows]) for m in METRICS}}
        print(name, {m: round(float(out[name][m][-1]), 4) for m in METRICS}, f"{out[name]['seconds']:.0f} s",
              flush=True)
    return out


def figure(data: dict, classical: dict, path, title: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 2.6), layout="constrained")
    for k, metric in enumerate(METRICS):
        ax = fig.add_subplot(1, 4, k + 1)
        for name, d in data.items():
            ax.plot(d["iteration"], d[metric], label=name)
        for j, (name, values) in enumerate(classical.items()):
            ax.axhline(values[metric], color=f"C{j + 2}", ls="--", lw=1, label=name)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("iteration", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", default="cat_rocket")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=3000)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", nargs="+", choices=("noise", "poisson"), default=["noise", "poisson"])
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from napari_dip.baselines import alpha_blend, poisson_blend
    from napari_dip.metrics import transition_region
    from napari_dip.sample_data import blend_pair

    fg_u8, bg_u8, mask = blend_pair(args.pair, args.size)
    region = transition_region(mask)
    fg, bg = fg_u8 / 255.0, bg_u8 / 255.0
    classical = {name: blend_scores(np.round(np.clip(f(fg, bg, mask), 0, 1) * 255) / 255.0, fg, bg, region)
                 for name, f in (("Alpha", alpha_blend), ("Poisson", poisson_blend))}
    variants = {name: opts for name, opts in VARIANTS.items()
                if ("poisson" if opts["fill_input"] else "noise") in args.variants}
    data = curves(fg_u8, bg_u8, mask, region, args.iterations, args.every, args.seed, variants)
    suffix = "" if args.size == 128 else f"_{args.size}"
    image = ROOT / "docs" / "images" / f"blend_convergence{suffix}.png"
    figure(
        data, classical, image, f"{args.pair}, {args.size} px: metrics against iterations (dashed: classical)"
    )
    rows = [[name, *(f"{v[m]:.4f}" for m in METRICS), "-", "-"] for name, v in classical.items()]
    for name, d in data.items():
        best = {m: int(d["iteration"][int(np.argmax(d[m]))]) for m in METRICS}
        rows.append([f"{name}, at {d['iteration'][-1]}", *(f"{d[m][-1]:.4f}" for m in METRICS),
                     ", ".join(f"{m} {best[m]}" for m in METRICS), f"{d['seconds']:.0f}"])
    body = (f"Command: `{command()}`  \nMachine: {machine()}, {args.threads} torch thread(s)\n\n"
            f"![metrics against iterations](images/{image.name})\n\n"
            + markdown_table(["method", *METRICS, "best value at iteration", "seconds"], rows) + "\n")
    write_section(
        "blend-convergence" + suffix.replace("_", "-"), body, ROOT / "docs" / "notes" / "blending.md"
    )
    print(body)


if __name__ == "__main__":
    main()
