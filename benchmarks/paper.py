"""Reproduce the original DIP notebooks' settings on the paper's images, reduced for a CPU.

For each task it runs DIP three ways (raw last output, moving-average output,
automatic stop) plus scikit-image's classical method, and writes a PSNR table
into docs/notes/benchmarks.md. ``--size`` crops a window of that many pixels from
each image (around the mask for inpainting), so masks keep their geometry;
``--size 0`` uses the whole image (a GPU job). ``--iterations`` caps every
task (default: the notebook's count).

    python benchmarks/paper.py --size 96 --iterations 800          # CPU, minutes
    python benchmarks/paper.py --size 0                              # full, on a GPU
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage.io import imread

from _common import PAPER_DATA, command, machine, markdown_table, write_section
from napari_dip import restore
from napari_dip.baselines import classical_restore, upscale
from napari_dip.core import tasks
from napari_dip.metrics import psnr
from napari_dip.sample_data import add_gaussian_noise, downsample, random_pixel_mask


def _crop(img, size, center=None):
    if not size:
        h, w = img.shape[:2]
        return img[: h - h % 32, : w - w % 32]
    h, w = img.shape[:2]
    cy, cx = center if center is not None else (h // 2, w // 2)
    top = int(np.clip(cy - size // 2, 0, h - size))
    left = int(np.clip(cx - size // 2, 0, w - size))
    return img[top:top + size, left:left + size]


def _shrink(img, size, order=1):
    """Down-scale so the short side is ``size`` (multiple of 32 long side)."""
    from skimage.transform import resize

    h, w = img.shape[:2]
    f = size / min(h, w)
    shape = (int(round(h * f / 32)) * 32 or 32, int(round(w * f / 32)) * 32 or 32)
    out = resize(img, shape + img.shape[2:], order=order, anti_aliasing=order > 0, preserve_range=True)
    return np.round(out).astype(img.dtype)


def _rgb(path):
    img = imread(path)
    return img[..., :3] if img.ndim == 3 else img


def cases(size: int, seed: int):
    """(name, task, degraded, clean, kwargs, notebook iterations) per paper task."""
    out = []
    for name, iters in (("kate", 6000), ("library", 3000)):
        img = _rgb(PAPER_DATA / "inpainting" / f"{name}.png")
        known = imread(PAPER_DATA / "inpainting" / f"{name}_mask.png")
        missing = (known.reshape(known.shape[:2] + (-1,))[..., 0] < 128)
        if name == "library" and size:
            # a large hole: keep the whole scene, down-scaled (the mask with nearest neighbour)
            img, missing = _shrink(img, size), _shrink(missing, size, order=0).astype(bool)
        else:  # thin text: keep native resolution, crop
            img, missing = _crop(img, size), _crop(missing, size)
        damaged = np.where(missing[..., None], 0, img).astype(np.uint8)
        out.append((f"{name} inpainting", "inpaint", damaged, img,
                    dict(mask=missing, channel_axis=-1), iters))
    f16 = _crop(_rgb(PAPER_DATA / "denoising" / "F16_GT.png"), size)
    out.append(("F16 denoising (sigma 25)", "denoise", add_gaussian_noise(f16, 25, seed), f16,
                dict(channel_axis=-1), 3000))
    zebra = _crop(_rgb(PAPER_DATA / "sr" / "zebra_GT.png"), size)
    zebra = zebra[: zebra.shape[0] - zebra.shape[0] % 4, : zebra.shape[1] - zebra.shape[1] % 4]
    out.append(("zebra super-resolution 4x", "super_resolution", downsample(zebra, 4, channel_axis=-1), zebra,
                dict(factor=4, channel_axis=-1), 2000))
    barbara = _crop(imread(PAPER_DATA / "restoration" / "barbara.png"), size)
    barbara = barbara if barbara.ndim == 2 else barbara[..., 0]
    drop = random_pixel_mask(barbara.shape, 0.5, seed)
    out.append(("barbara 50% pixels", "reconstruct", np.where(drop.astype(bool), 0, barbara).astype(np.uint8),
                barbara, dict(mask=drop), 11000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96, help="crop size in pixels (0: whole image)")
    parser.add_argument(
        "--iterations", type=int, default=None, help="cap on iterations (default: notebook's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    rows = []
    for name, task, degraded, clean, kw, notebook_iters in cases(args.size, args.seed):
        iters = min(notebook_iters, args.iterations) if args.iterations else notebook_iters
        common = dict(iterations=iters, seed=args.seed, device=args.device, reference=clean, **kw)
        last = restore(degraded, task, output="last", early_stop=False, **common)
        ema = restore(degraded, task, output="ema", early_stop=False, **common)
        auto = restore(degraded, task, output="ema", early_stop=True, **common)
        method, classical = classical_restore(degraded, task, mask=kw.get("mask"), factor=kw.get("factor"),
                                              channel_axis=kw.get("channel_axis"))
        ema_curve = [h["psnr"] for h in ema.history if "psnr" in h]
        if "factor" in tasks.get(task).form.inputs:  # the degraded image at the output size (nearest)
            degraded = upscale(degraded, kw["factor"], channel_axis=kw.get("channel_axis"), order=0)
        row = [name, f"{clean.shape[1]}x{clean.shape[0]}", iters, psnr(clean, degraded),
               psnr(clean, last.image), psnr(clean, ema.image), max(ema_curve),
               f"{psnr(clean, auto.image):.2f} (it {auto.stopped_at.iteration})",
               f"{psnr(clean, classical):.2f} ({method})"]
        rows.append(row)
        print(" | ".join(str(v) for v in row), flush=True)

    table = markdown_table(["task", "size", "iterations", "degraded", "DIP (last)", "DIP (EMA)",
                            "EMA best", "auto stop", "classical"], rows)
    body = (
        f"## Paper tasks (benchmarks/paper.py)\n\nPSNR in dB against the clean image. `DIP (last)`: raw "
        f"output after the last iteration; `DIP (EMA)`: the moving average of outputs (the default output); "
        f"`EMA best`: its best value during the run (needs the clean image, shown for reference); `auto "
        f"stop`: "
        f"the default output with the automatic stopping rule on (and the iteration its image comes from); "
        f"`classical`: scikit-image's method. Defaults otherwise (network width 64 on CPU, 128 on GPU).\n\n"
        f"Command: `{command()}`  \nMachine: {machine()}\n\n{table}\n"
    )
    print(body)
    if not args.no_write:
        write_section("paper", body)


if __name__ == "__main__":
    main()
