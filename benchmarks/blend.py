"""Image blending benchmark: alpha, Laplacian, Poisson and multi-scale DIP blending.

Report 001, section 5.3 (Tables 5-6): two foreground/background/mask triples
made from images bundled with scikit-image (no download;
:func:`napari_dip.sample_data.blend_pair`) are blended by the three classical
methods and by :func:`napari_dip.blend`, and scored with the appendix A4
metrics over the transition region ``Omega_T`` of the mask
(:func:`~napari_dip.baselines.transition_region`, default width):

* GFF (gradient-based fusion factor, over ``Omega_T``, at most 1, higher is better),
* GFP (gradient fusion performance, over the whole image as in A4's formula;
  about 1 when the stronger source gradient is reproduced, above 1 where
  gradient is added, below 1 where it is smoothed),
* BSI (boundary smoothness index, over ``Omega_T``, higher is smoother),
* SSIM_T (SSIM with the background averaged over ``Omega_T``, higher is better).

It prints a markdown table, writes it between ``<!-- blend:start -->`` and
``<!-- blend:end -->`` in docs/notes/benchmarks.md (the rest of that file is left
as it is) and saves docs/images/blend_comparison.png (inputs and the five
results side by side).

    python benchmarks/blend.py                          # 128 px, 500 DIP iterations
    python benchmarks/blend.py --size 64 --iterations 150   # quick check on a CPU
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from _lib import DOC, ROOT
from _lib.report import machine, write_section
from _lib.scoring import blend_scores

METHODS = ("Alpha", "Laplacian", "Poisson", "DIP from noise (report)", "DIP, Poisson input (default)")
PAIRS = ("cat_rocket", "cup_brick", "cat_grass", "face_tissue")


def as_float(image: np.ndarray) -> np.ndarray:
    """uint8 or float image -> float64 in [0, 1]."""
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    return np.clip(image.astype(np.float64), 0.0, 1.0)


def run_methods(fg: np.ndarray, bg: np.ndarray, mask: np.ndarray, *, iterations: int, seed: int,
                device: str | None) -> dict[str, tuple[np.ndarray, float, dict]]:
    """Each method's fused image (float in [0, 1]), its wall time in seconds and settings."""
    from napari_dip import blend
    from napari_dip.baselines import alpha_blend, laplacian_blend, poisson_blend

    classical: dict[str, Callable] = {
        "Alpha": alpha_blend,
        "Laplacian": laplacian_blend,
        "Poisson": poisson_blend,
    }
    out: dict[str, tuple[np.ndarray, float, dict]] = {}
    for name, fn in classical.items():
        t0 = time.perf_counter()
        fused = fn(fg, bg, mask)
        out[name] = (as_float(fused), time.perf_counter() - t0, {})
    t0 = time.perf_counter()
    result = blend(fg, bg, mask, channel_axis=-1 if bg.ndim == 3 else None, iterations=iterations,
                   seed=seed, device=device, fill_input=False)
    out["DIP from noise (report)"] = (as_float(result.image), time.perf_counter() - t0, result.config)
    t0 = time.perf_counter()
    result = blend(fg, bg, mask, channel_axis=-1 if bg.ndim == 3 else None, iterations=iterations,
                   seed=seed, device=device)
    out["DIP, Poisson input (default)"] = (as_float(result.image), time.perf_counter() - t0, {})
    return out


def table(rows: dict[str, dict[str, float]]) -> str:
    """The pair's markdown table, with the Blend widget's rank column (mean rank over the four metrics, 1 =
    best)."""
    from napari_dip.core.blending.compare import rank_methods

    ranks = rank_methods({name: {"GFF": r["GFF"], "GFP": r["GFP"], "BSI": r["BSI"], "SSIM": r["SSIM"]}
                          for name, r in rows.items()})
    lines = [
        "| Method | GFF | GFP | BSI | SSIM_T | mean rank | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['GFF']:.4f} | {r['GFP']:.4f} | {r['BSI']:.2f} | {r['SSIM']:.4f} "
                     f"| {ranks[name]:.2f} | {r['seconds']:.2f} |")
    return "\n".join(lines)


def comparison_image(panels: list[list[tuple[str, np.ndarray]]], path: Path, scale: int) -> None:
    """Rows of labelled panels (float images in [0, 1]) into one PNG."""
    from PIL import Image, ImageDraw

    def rgb8(x: np.ndarray) -> np.ndarray:
        x = np.stack([x] * 3, axis=-1) if x.ndim == 2 else x
        x = (np.clip(x, 0, 1) * 255).round().astype(np.uint8)
        return np.repeat(np.repeat(x, scale, axis=0), scale, axis=1)

    label_h, gap = 14, 4
    h, w = rgb8(panels[0][0][1]).shape[:2]
    ncol, nrow = len(panels[0]), len(panels)
    canvas = Image.new("RGB", (ncol * (w + gap) - gap, nrow * (h + label_h)), "white")
    draw = ImageDraw.Draw(canvas)
    for r, row in enumerate(panels):
        for c, (label, img) in enumerate(row):
            x0, y0 = c * (w + gap), r * (h + label_h)
            draw.text((x0 + 2, y0 + 1), label, fill="black")
            canvas.paste(Image.fromarray(rgb8(img)), (x0, y0 + label_h))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)


def outline(bg: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The background with the mask boundary drawn in red."""
    from scipy import ndimage as ndi

    m = mask != 0
    edge = m & ~ndi.binary_erosion(m)
    img = np.stack([bg] * 3, axis=-1) if bg.ndim == 2 else bg.copy()
    img[edge] = (1.0, 0.0, 0.0)
    return img


def intro(command: str, device: str, dip_config: dict, iterations: int, seed: int) -> list[str]:
    """The section's heading, command, machine and what was compared (the lines above the tables)."""
    net = dip_config.get("network", {})
    return [
        "## Image blending (report 001, Tables 5-6)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine(threads=True)}, DIP device `{device}`; {datetime.date.today().isoformat()}.",
        "",
        "Alpha, Laplacian-pyramid and Poisson blending "
        "(`napari_dip.baselines`, default settings) against multi-scale DIP blending "
        f"(`napari_dip.blend`: skip net {net.get('channels_down')}/{net.get('channels_up')}/"
        f"{net.get('channels_skip')}, depth {net.get('depth')}, {iterations} iterations, "
        f"lr {dip_config.get('lr')}, reg_noise_std {dip_config.get('reg_noise_std', 0):.4f}, EMA "
        f"{dip_config.get('ema')}, report weights {tuple(dip_config.get('weights', {}).values())}, seed "
        f"{seed}). "
        "Images from scikit-image (`napari_dip.sample_data.blend_pair`). Metrics of appendix A4 "
        "(`napari_dip.metrics`) on float images in [0, 1]: GFF, BSI and SSIM_T over the "
        "transition region Omega_T (default `transition_region(mask)`), GFP over the whole image. "
        "GFF: at most 1, higher is better. GFP: about 1 when the stronger source gradient is kept, "
        "> 1 where gradient is added, < 1 where it is smoothed. BSI: higher is a smoother transition. "
        "SSIM_T: agreement with the background in the band, higher is better. "
        "Mean rank: the method's mean rank over GFF, GFP, BSI and SSIM_T (1 = best on all four; the "
        "Blend widget's rank column). Seconds: wall time of each method (DIP: the whole fit).",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=128, help="side of the square images (default 128)")
    parser.add_argument("--iterations", type=int, default=500, help="DIP iterations (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="torch device for DIP (default: cuda, mps, cpu)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: the benchmark machine is shared)")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--image", type=Path, default=ROOT / "docs" / "images" / "blend_comparison.png")
    parser.add_argument("--no-write", action="store_true", help="only print the table")
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=PAIRS)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from napari_dip.core.engine import pick_device
    from napari_dip.metrics import transition_region
    from napari_dip.sample_data import blend_pair

    device = str(pick_device(args.device))
    command = "python benchmarks/blend.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    sections, panels, dip_config = [], [], {}
    for pair in args.pairs:
        fg_u8, bg_u8, mask = blend_pair(pair, args.size)
        fg, bg = as_float(fg_u8), as_float(bg_u8)
        region = transition_region(mask)
        results = run_methods(fg_u8, bg_u8, mask, iterations=args.iterations, seed=args.seed, device=device)
        rows = {}
        for name in METHODS:
            fused, seconds, cfg = results[name]
            rows[name] = {**blend_scores(fused, fg, bg, region), "seconds": seconds}
            dip_config = cfg or dip_config
        kind = "RGB" if bg_u8.ndim == 3 else "grey"
        sections.append(
            f"**{pair}** ({args.size} x {args.size} {kind}, |Omega_T| = {int(region.sum())} px)\n\n"
            + table(rows)
        )
        panels.append([("foreground", fg), ("background + mask", outline(bg, mask))]
                      + [(name, results[name][0]) for name in METHODS])
        print(sections[-1] + "\n", flush=True)

    section = "\n".join([
        *intro(command, device, dip_config, args.iterations, args.seed),
        *[s + "\n" for s in sections],
        f"![inputs and the five results]({Path(os.path.relpath(args.image, args.doc.parent)).as_posix()})",
    ])
    if not args.no_write:
        comparison_image(panels, args.image, scale=max(1, 256 // args.size))
        write_section("blend", section, args.doc)
        print(f"wrote {args.doc} and {args.image}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
