"""Does feeding the classical estimate to the network as input channels help? (``fill_input``)

For each case, DIP with a plain noise input against DIP with the classical
estimate (biharmonic fill; bicubic up-scaling for super-resolution) as its
first input channels, at the same iteration budget, beside the classical
method alone. This is the evidence behind ``fill_input="auto"``.

    python benchmarks/classical_init.py --size 96 --iterations 500
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage import data

from _lib.report import command, machine, markdown_table, write_section
from napari_dip import restore, sample_data
from napari_dip.baselines import classical_restore, upscale
from napari_dip.core import tasks
from napari_dip.metrics import psnr


def _library(size: int):
    """The DIP paper's library scene and hole, down-scaled so the short side is ``size`` (as in paper.py)."""
    from _lib.cases import paper_cases

    _, _, damaged, clean, kw, _ = paper_cases(size, 0)[1]
    return damaged, clean, dict(mask=kw["mask"], channel_axis=-1, preset="inpaint")


def cases(size: int):
    cam, cell = sample_data.camera(size), sample_data.cell(size)
    text = sample_data.text_mask(cam.shape)
    drop = sample_data.random_pixel_mask(cell.shape, 0.5, seed=1)
    brick = sample_data._crop_resize(data.brick() / 255.0, size)
    hole = np.zeros(brick.shape, np.uint8)
    c, r = size // 2, size // 8
    hole[c - r:c + r, c - r:c + r] = 1
    return [
        (
            "thin text (camera)",
            "inpaint",
            np.where(text.astype(bool), 255, cam).astype(np.uint8),
            cam,
            dict(mask=text),
        ),
        (
            "50% pixels (cell)",
            "reconstruct",
            np.where(drop.astype(bool), 0, cell).astype(np.uint8),
            cell,
            dict(mask=drop),
        ),
        (
            f"{2 * r}x{2 * r} hole in texture (brick)",
            "inpaint",
            np.where(hole.astype(bool), 0, brick).astype(np.uint8),
            brick,
            dict(mask=hole, preset="inpaint"),
        ),
        ("library scene, down-scaled hole", "inpaint", *_library(size)),
        (
            "super-resolution 4x (camera)",
            "super_resolution",
            sample_data.downsample(cam, 4),
            cam,
            dict(factor=4),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    for name, task, degraded, clean, kw in cases(args.size):
        scores = {}
        for fill in (False, True):
            r = restore(degraded, task, iterations=args.iterations, fill_input=fill, **kw)
            scores[fill] = psnr(clean, r.image)
        auto_kw = {k: v for k, v in kw.items() if k != "preset"}
        auto = restore(degraded, task, iterations=args.iterations, **auto_kw)
        chosen = f"{psnr(clean, auto.image):.2f} ({auto.config['preset']}, {auto.config['input']}" + (
            " + fill" if auto.config["fill_input"] else "") + ")"
        extra = {k: v for k, v in kw.items() if k in ("mask", "factor", "channel_axis")}
        method, classical = classical_restore(degraded, task, **extra)
        if "factor" in tasks.get(task).form.inputs:  # the degraded image at the output size (nearest)
            degraded = upscale(degraded, kw["factor"], order=0)
        rows.append([name, psnr(clean, degraded), scores[False], scores[True], chosen,
                     f"{psnr(clean, classical):.2f} ({method})"])
        print(rows[-1], flush=True)
    table = markdown_table(["case", "degraded", "DIP, noise input", "DIP, classical estimate as input",
                            "DIP, defaults (what auto picks)", "classical alone"], rows)
    body = (f"## Classical estimate as network input\n\nPSNR (dB), {args.size}x{args.size} images, "
            f"{args.iterations} iterations each, defaults otherwise.\n\nCommand: `{command()}`  \n"
            f"Machine: {machine()}\n\n{table}\n")
    print(body)
    if not args.no_write:
        write_section("classical-init", body)


if __name__ == "__main__":
    main()
