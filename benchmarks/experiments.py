"""Figures and tables of docs/experiments.md: the prior probe on two images, report 000's sweeps.

1. The prior probe (report 003) on a natural image (scikit-image's ``camera``)
   and a microscopy image (``--micro FILE``, default scikit-image's ``cell``).
2. Report 000's inpainting comparison on the DIP paper's ``kate`` (text mask:
   a native-resolution crop of ``--size`` px around the text) and ``library``
   (large hole: the whole scene shrunk so its short side is ``--size``):
   skip-network depth 2/4/6, U-Net and ResNet, learning rate
   0.01/0.001/0.0001, PSNR/SSIM against the undamaged image.

Writes PNG figures into ``--out`` and the tables between the
``<!-- experiments-...:start/end -->`` markers of ``--doc``.

    python benchmarks/experiments.py                                  # CPU size (about 1-2 h on 2 cores)
    python benchmarks/experiments.py --size 512 --width 128 --probe-iterations 10000 --iterations 3000  # GPU
    python benchmarks/experiments.py --tiny --out /tmp/exp --doc /tmp/exp/experiments.md  # smoke check
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from skimage.io import imread

from _lib import PAPER_DATA, ROOT
from _lib.report import command, machine, markdown_table, write_section
from napari_dip.experiments import label, plot, prior_probe, sweep
from napari_dip.sample_data import camera

# The skip network is the depth rows (the task preset's skip net at that depth). Not network="skip": that
# builds the default 128-channel skip net whatever the width (a restore quirk), so it would not compare.
SWEEPS = {"depth": {"depth": [2, 4, 6]}, "network": {"network": ["unet", "resnet"]},
          "lr": {"lr": [0.01, 0.001, 0.0001]}}
REPORT_000 = {
    ("library", "depth=2"): 28.50,
    ("library", "depth=6"): 32.22,
    ("library", "network=unet"): 27.80,
}


def micro_image(path: str | None, size: int) -> tuple[str, np.ndarray]:
    from skimage import data
    from skimage.transform import resize

    if path:
        img = imread(path)
        name = Path(path).stem
    else:
        img, name = data.cell(), "cell (skimage; quantitative phase, not fluorescence)"
    img = img if img.ndim == 2 else img[..., 0]
    s = min(img.shape)
    top, left = (img.shape[0] - s) // 2, (img.shape[1] - s) // 2
    return name, resize(img[top:top + s, left:left + s].astype(float), (size, size), anti_aliasing=True)


def inpainting_case(name: str, size: int):
    """(damaged, mask (non-zero = missing), clean) at a CPU size, the mask's geometry kept."""
    from skimage.transform import resize

    img = imread(PAPER_DATA / "inpainting" / f"{name}.png")[..., :3]
    known = imread(PAPER_DATA / "inpainting" / f"{name}_mask.png")
    missing = known.reshape(known.shape[:2] + (-1,))[..., 0] < 128
    if name == "library":  # a large hole: the whole scene, shrunk (mask: nearest neighbour)
        f = size / min(img.shape[:2])
        shape = (round(img.shape[0] * f), round(img.shape[1] * f))
        img = np.round(resize(img, shape + (3,), anti_aliasing=True, preserve_range=True)).astype(np.uint8)
        missing = resize(missing, shape, order=0, anti_aliasing=False) > 0.5
    else:  # thin text: native resolution, a window centred on the text
        rows, cols = np.nonzero(missing)
        cy, cx = int(rows.mean()), int(cols.mean())
        top = int(np.clip(cy - size // 2, 0, img.shape[0] - size))
        left = int(np.clip(cx - size // 2, 0, img.shape[1] - size))
        img, missing = img[top:top + size, left:left + size], missing[top:top + size, left:left + size]
    damaged = np.where(missing[..., None], 0, img).astype(np.uint8)
    return damaged, missing.astype(np.uint8), img


def _link(path: Path, doc: Path) -> str:
    return os.path.relpath(path, doc.parent)


def probe_section(args, out: Path, doc: Path) -> str:
    lines = [f"Command: `{command()}`  ", f"Machine: {machine()}", ""]
    micro_name, micro = micro_image(args.micro, args.size)
    images = {"camera": camera(args.size), "microscopy": micro}
    for key, image in images.items():
        start = time.perf_counter()
        res = prior_probe(image, iterations=args.probe_iterations, width=args.width, seed=args.seed,
                          device=args.device)
        plot(res, out / f"experiments_probe_{key}.png")
        n = args.probe_iterations
        marks = [m for m in (10, 100, 1000) if m < n] + [n]
        rows = [[t, s["reached_at"] or "never", *(f"{res.curves[t][m - 1]:.2e}" for m in marks)]
                for t, s in res.summary.items()]
        title = "camera (natural)" if key == "camera" else micro_name
        lines += [
            f"### {title}, {args.size} px, {time.perf_counter() - start:.0f} s",
            "",
            f"![probe on {key}]({_link(out / f'experiments_probe_{key}.png', doc)})",
            "",
            markdown_table(
                ["target", f"loss < {res.config['level']} x var at", *(f"loss @ {m}" for m in marks)], rows
            ),
            "",
        ]
    return "\n".join(lines)


def sweep_figure(results: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    n_cols = max(len(recs) for recs in results.values())
    fig = Figure(figsize=(2.2 * n_cols, 2.5 * len(results)), layout="constrained")
    for row, (_name, recs) in enumerate(results.items()):
        for col, rec in enumerate(recs):
            ax = fig.add_subplot(len(results), n_cols, row * n_cols + col + 1)
            ax.imshow(rec["image"])
            ax.set_title(f"{label(rec['settings'])}\n{rec['psnr']:.2f} dB", fontsize=8)
            ax.set_axis_off()
    fig.savefig(path, dpi=110)


def sweep_section(args, out: Path, doc: Path) -> str:
    lines = [f"Command: `{command()}`  ", f"Machine: {machine()}", ""]
    for name in ("kate", "library"):
        damaged, mask, clean = inpainting_case(name, args.size)
        results, rows = {}, []
        for sweep_name, grid in SWEEPS.items():
            recs = sweep(damaged, "inpaint", grid, mask=mask, reference=clean, channel_axis=-1,
                         iterations=args.iterations, seed=args.seed, device=args.device, width=args.width,
                         early_stop=False)  # the reports compare at a fixed budget
            results[sweep_name] = recs
            for rec in recs:
                ref = REPORT_000.get((name, label(rec["settings"])))
                rows.append([sweep_name, label(rec["settings"]), rec["config"]["network"]["arch"],
                             f"{rec['psnr']:.2f}", f"{rec['ssim']:.3f}", f"{rec['seconds']:.0f}",
                             f"{ref:.2f}" if ref else ""])
        sweep_figure(results, out / f"experiments_sweep_{name}.png")
        lines += [f"### {name}: {damaged.shape[1]}x{damaged.shape[0]} px, {mask.mean():.1%} missing, "
                  f"{args.iterations} iterations", "",
                  f"![sweeps on {name}]({_link(out / f'experiments_sweep_{name}.png', doc)})", "",
                  markdown_table(["sweep", "settings", "network", "PSNR (dB)", "SSIM", "seconds",
                                  "report 000 (dB, 512 px)"], rows), ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128, help="image side in pixels (default 128)")
    ap.add_argument("--probe-iterations", type=int, default=3000)
    ap.add_argument("--iterations", type=int, default=2000, help="iterations per sweep restoration")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--micro", default=None, help="a microscopy image file for the second probe")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--tiny", action="store_true", help="smoke check: 96 px, 10 iterations, width 8")
    ap.add_argument("--only", choices=("probe", "sweep"), default=None)
    ap.add_argument("--out", default=str(ROOT / "docs" / "images"))
    ap.add_argument("--doc", default=str(ROOT / "docs" / "experiments.md"))
    args = ap.parse_args()
    if args.tiny:
        args.size, args.probe_iterations, args.iterations, args.width = 96, 10, 10, 8
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    doc = Path(args.doc)
    if args.only in (None, "probe"):
        write_section("experiments-probe", probe_section(args, out, doc), doc)
    if args.only in (None, "sweep"):
        write_section("experiments-sweep", sweep_section(args, out, doc), doc)
    print(f"wrote {doc} and figures in {out}")


if __name__ == "__main__":
    main()
