"""Variants of DIP blending tried against Poisson blending at a small size (what was tried, what it gave).

At ``--size`` px and ``--iterations`` iterations, on two pairs (a smooth sky and a
textured brick wall behind the mask), side by side in one run:

* ``noise``: the report's set-up (fixed noise input, ``fill_input=False``);
* ``Poisson input``: the default (the Poisson composite as input channels);
* ``Poisson input, skip 32``: the same with 32 skip channels per level instead of
  the report's 4 (more of the input's detail can pass straight through);
* ``... + mixed band target``: the blend-gradient term's target in the band is the
  stronger of the two source gradients per pixel (as GFF scores it) instead of
  report 001's ``alpha grad A + (1 - alpha) grad B`` (not an option of ``blend``:
  patched here for the experiment);
* ``Poisson input, first phase on the composite``: the first quarter of the
  iterations fits the network to the Poisson composite (mean squared error), the
  rest to the blend loss, whose annealing clock is not reset (patched here);
* ``Poisson input, DIP in the band only``: the default's output inside the
  transition band, Poisson blending elsewhere, with a linear fade over half a band
  width outside it (post-processing of the default run: no extra fit).

Prints a table and writes it between ``<!-- blend-variants:start/end -->`` in docs/notes/blending.md.
``--group optimisation`` runs instead the default beside its learning rate (``lr``
0.005 and 0.02 for 0.01) and input-noise level (``reg_noise_std`` 0 and 0.1 for
1/30), into ``<!-- blend-optimisation:start/end -->``; ``--group input-noise`` the
default beside ``reg_noise_std=0`` on ``--pairs`` (e.g. all four bundled pairs at the
default size and budget), into ``<!-- blend-input-noise:start/end -->``; ``--group output``
the default (the moving average of outputs, weight 0.99) beside the raw last output and a
shorter average (weight 0.9), into ``<!-- blend-output:start/end -->``; ``--group schedule``
the default beside a fit that ends at two thirds of the annealing schedule (``anneal_end=2/3``: the
schedule spread over 1.5 times the iterations, where the convergence curves have both band metrics above
Poisson),
into ``<!-- blend-schedule:start/end -->``; ``--group width`` the default (64 channels on a CPU)
beside 32 channels, into ``<!-- blend-width:start/end -->``.

    python benchmarks/blend_variants.py --size 64 --iterations 400 --threads 1
    python benchmarks/blend_variants.py --size 64 --iterations 400 --threads 1 --group optimisation
    python benchmarks/blend_variants.py --size 128 --iterations 1000 --group input-noise \
        --pairs cat_rocket cup_brick cat_grass face_tissue
    python benchmarks/blend_variants.py --size 64 --iterations 400 --threads 1 --group output
    python benchmarks/blend_variants.py --size 128 --iterations 1000 --group schedule --pairs cat_rocket \\
        face_tissue
    python benchmarks/blend_variants.py --size 128 --iterations 1000 --threads 1 --group width \
        --pairs cat_rocket cup_brick cat_grass face_tissue
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np

from _lib import ROOT
from _lib.report import command, machine, markdown_table, write_section

PAIRS = ("cat_rocket", "cup_brick")


def mixed_target(output, foreground, background, alpha_t, *, foreground_grad=None, background_grad=None):
    """Blend-gradient term with the per-pixel stronger source gradient as the target."""
    import torch

    from napari_dip.core.blending.filters import image_gradients, l1_grad, transition_weight

    fx, fy = image_gradients(output)
    ax, ay = image_gradients(foreground) if foreground_grad is None else foreground_grad
    bx, by = image_gradients(background) if background_grad is None else background_grad
    pick = (ax.abs() + ay.abs()) >= (bx.abs() + by.abs())
    tx, ty = torch.where(pick, ax, bx), torch.where(pick, ay, by)
    return (transition_weight(alpha_t) * l1_grad(fx - tx, fy - ty)).mean()


def composite_phase(build, phase: int):
    """Wrap the blend task's ``objective``: mean squared error to the Poisson composite before ``phase``."""

    def phased_build(ctx):
        import torch

        loss_fn = build(ctx)
        start = torch.from_numpy(ctx.inputs["start"])[None].to(ctx.device)
        index = (slice(None), slice(None), *ctx.crop)

        def loss(out, t):
            return torch.mean((out[index] - start) ** 2) if t < phase else loss_fn(out, t)

        return loss

    return phased_build


@contextlib.contextmanager
def variant(skip: int | None = None, mixed: bool = False, phase: int = 0):
    """Temporarily change the blend preset's skip channels, the band target and the first phase."""
    from napari_dip.core import tasks
    from napari_dip.core.blending import loss

    task = tasks.load("blend")
    net = task.policy.presets["blend"]["network"]
    old_skip, old_term, old_objective = net["channels_skip"], loss.blend_grad_loss, task.objective
    net["channels_skip"] = skip or old_skip
    loss.blend_grad_loss = mixed_target if mixed else old_term
    if phase:
        task.objective = composite_phase(old_objective, phase)
    try:
        yield
    finally:
        net["channels_skip"], loss.blend_grad_loss, task.objective = old_skip, old_term, old_objective


def band_only(dip: np.ndarray, classical: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``dip`` in the transition band (full weight), ``classical`` elsewhere, a linear fade of half a band."""
    from scipy import ndimage as ndi

    from napari_dip.core.blending.regions import default_band_width as default_width

    m = mask.astype(bool)
    dist = np.where(m, ndi.distance_transform_edt(m), ndi.distance_transform_edt(~m))
    width = default_width(m.shape)
    w = np.clip(1 - (dist - width) / (width / 2), 0, 1)
    w = w[..., None] if dip.ndim == 3 else w
    return w * dip + (1 - w) * classical


def score(x, fg, bg, region) -> list[float]:
    from napari_dip.metrics import bsi, gff, gfp, masked_ssim

    return [gff(x, fg, bg, region=region), gfp(x, fg, bg), bsi(x, region=region), masked_ssim(x, bg, region)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--group",
        choices=("structure", "optimisation", "input-noise", "output", "schedule", "width"),
        default="structure",
    )
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument(
        "--skip-first",
        action="store_true",
        help="do not rerun the group's first run (the default; single-thread CPU runs repeat exactly)",
    )
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from napari_dip import blend
    from napari_dip.baselines import poisson_blend
    from napari_dip.metrics import transition_region
    from napari_dip.sample_data import blend_pair

    runs = {"noise": (dict(fill_input=False), {}), "Poisson input": ({}, {}),
            "Poisson input, skip 32": ({}, dict(skip=32)),
            "Poisson input, skip 32 + mixed band target": ({}, dict(skip=32, mixed=True)),
            "Poisson input, first phase on the composite": ({}, dict(phase=args.iterations // 4))}
    if args.group == "optimisation":
        runs = {"Poisson input": ({}, {}), "Poisson input, lr 0.005": (dict(lr=0.005), {}),
                "Poisson input, lr 0.02": (dict(lr=0.02), {}),
                "Poisson input, no input noise": (dict(reg_noise_std=0.0), {}),
                "Poisson input, input noise 0.1": (dict(reg_noise_std=0.1), {})}
    elif args.group == "input-noise":
        runs = {"Poisson input": ({}, {}), "Poisson input, no input noise": (dict(reg_noise_std=0.0), {})}
    elif args.group == "output":
        runs = {"default (moving average 0.99)": ({}, {}), "last output": (dict(output="last"), {}),
                "moving average 0.9": (dict(ema=0.9), {})}
    elif args.group == "schedule":
        runs = {
            "default (the whole schedule)": ({}, {}),
            "ends at 2/3 of the schedule": (dict(anneal_end=2 / 3), {}),
        }
    elif args.group == "width":
        runs = {"default (64 channels on a CPU)": ({}, {}), "32 channels": (dict(width=32), {})}
    rows = []
    for pair in args.pairs:
        fg8, bg8, mask = blend_pair(pair, args.size)
        fg, bg, region = fg8 / 255.0, bg8 / 255.0, transition_region(mask)
        classical = poisson_blend(fg, bg, mask)
        rows.append([pair, "Poisson blending", *score(classical, fg, bg, region), "0"])
        for name, (opts, patch) in list(runs.items())[1 if args.skip_first else 0:]:
            with variant(**patch):
                start = time.perf_counter()
                out = blend(fg8, bg8, mask, channel_axis=-1 if bg8.ndim == 3 else None,
                            iterations=args.iterations, seed=args.seed, **opts).image / 255.0
                seconds = f"{time.perf_counter() - start:.0f}"
            rows.append([pair, name, *score(out, fg, bg, region), seconds])
            print(rows[-1], flush=True)
            if name == "Poisson input" and args.group == "structure":
                mixed = band_only(out, classical, mask)
                rows.append(
                    [pair, "Poisson input, DIP in the band only", *score(mixed, fg, bg, region), seconds]
                )
    rows = [
        [r[0], r[1], *(f"{v:.4f}" if i != 2 else f"{v:.1f}" for i, v in enumerate(r[2:6])), r[6]]
        for r in rows
    ]
    body = (f"Command: `{command()}`  \nMachine: {machine()}, {args.threads} torch thread(s)\n\n"
            + markdown_table(["pair", "method", "GFF", "GFP", "BSI", "SSIM_T", "seconds"], rows) + "\n")
    print(body)
    if not args.no_write:
        key = "blend-variants" if args.group == "structure" else f"blend-{args.group}"
        write_section(key, body, ROOT / "docs" / "notes" / "blending.md")


if __name__ == "__main__":
    main()
