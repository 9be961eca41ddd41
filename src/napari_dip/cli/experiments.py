"""Command line for the experiments: ``napari-dip probe`` and ``napari-dip sweep``.

:func:`register` adds both subcommands to the ``napari-dip`` parser (``cli.py``
calls it). They drive :func:`napari_dip.experiments.iter_prior_probe` and
:func:`napari_dip.experiments.iter_sweep`, the same generators as the
Experiments widget.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from napari_dip.core import tasks
from napari_dip.experiments import iter_prior_probe, iter_sweep, label, parse_vary, plot, write_csv
from napari_dip.io import read_image as read


def read_image(path) -> np.ndarray:
    """An image file (:func:`napari_dip.io.read_image`); RGBA loses its alpha."""
    image = read(path).data
    if image.ndim == 3 and image.shape[-1] == 4:
        image = image[..., :3]
    return image


def square(image: np.ndarray, size: int | None, *, order: int = 1) -> np.ndarray:
    """Centre-crop the two first axes to a square and resize to ``size`` (None: unchanged), same dtype."""
    if size is None:
        return image
    from skimage.transform import resize

    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    out = resize(image[top:top + s, left:left + s], (size, size) + image.shape[2:], order=order,
                 preserve_range=True, anti_aliasing=order > 0)
    return np.round(out).astype(image.dtype) if image.dtype.kind in "uib" else out.astype(image.dtype)


def _channel_axis(image: np.ndarray) -> int | None:
    return -1 if image.ndim == 3 and image.shape[-1] == 3 else None


def _save(path: Path, image: np.ndarray) -> None:
    """``path.tif`` exactly and ``path.png`` for viewing (floats in [0, 1] or integer images)."""
    import tifffile
    from skimage.io import imsave

    tifffile.imwrite(path.with_suffix(".tif"), image)
    view = image
    if image.dtype.kind == "f":
        view = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    elif image.dtype != np.uint8:
        view = (image.astype(float) * 255 / max(1, image.max())).round().astype(np.uint8)
    imsave(path.with_suffix(".png"), view, check_contrast=False)


def probe(args: argparse.Namespace) -> int:
    out = Path(args.out)
    image = square(read_image(args.image), args.size)
    result: Any = None
    try:
        for step in iter_prior_probe(image, iterations=args.iterations, channel_axis=_channel_axis(image),
                                     width=args.width, depth=args.depth, seed=args.seed, device=args.device):
            if step.loss is not None and step.iteration == step.total:
                print(f"{step.target}: final loss {step.loss:.3g}", file=sys.stderr)
            if step.done:
                result = step.result
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    names = list(result.curves)
    with (out / "curves.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["iteration", *names])
        for i in range(len(result.curves[names[0]])):
            writer.writerow([i + 1, *(f"{result.curves[n][i]:.6g}" for n in names)])
    for name in names:
        _save(out / f"fit_{name}", result.images[name])
        _save(out / f"target_{name}", result.targets[name])
    (out / "summary.json").write_text(
        json.dumps({"summary": result.summary, "config": result.config}, indent=2)
    )
    try:
        plot(result, out / "probe.png")
    except ImportError as err:
        print(f"warning: {err}; probe.png not written", file=sys.stderr)
    for name, s in result.summary.items():
        print(f"{name:>8}: loss below {s['threshold']:.3g} at iteration {s['reached_at']}, "
              f"final {s['final_loss']:.3g}")
    print(f"wrote {out}/curves.csv, probe.png, summary.json and the fitted images")
    return 0


def _sweep_inputs(args):
    image = read_image(args.image)
    mask = read_image(args.mask) if args.mask else None
    if mask is not None:
        mask = mask.reshape(mask.shape[:2] + (-1,))[..., 0]
        mask = (mask == 0) if args.mask_known_white else (mask != 0)
        mask = square(mask.astype(np.uint8), args.size, order=0)
    reference = read_image(args.reference) if args.reference else None
    if reference is not None and args.size:
        reference = square(reference, args.size * (args.factor or 1))
    return square(image, args.size), mask, reference


def sweep(args: argparse.Namespace) -> int:
    out, records, status = Path(args.out), [], 0
    try:
        grid = dict(parse_vary(v) for v in args.vary)
        fixed = dict((k, v[0]) for k, v in (parse_vary(s) for s in args.set))
        image, mask, reference = _sweep_inputs(args)
        for step in iter_sweep(image, args.task, grid, reference=reference, mask=mask, factor=args.factor,
                               iterations=args.iterations, seed=args.seed, channel_axis=_channel_axis(image),
                               device=args.device, **fixed):
            if step.record is None:
                continue
            rec = step.record
            records.append(rec)
            out.mkdir(parents=True, exist_ok=True)
            _save(out / f"{step.index:02d}_{_filename(rec['settings'])}", rec["image"])
            score = f"PSNR {rec['psnr']:.2f} dB, " if rec["psnr"] is not None else ""
            print(f"[{step.index}/{step.n}] {label(rec['settings'])}: {score}{rec['seconds']:.1f} s, "
                  f"image from iteration {rec['stopped_at']}", file=sys.stderr)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        status = 2
    if records:  # the finished combinations are kept, even after an error in a later one
        write_csv(records, out / "results.csv")
        print(f"wrote {out}/results.csv and {len(records)} images")
    return status


def _filename(settings: dict) -> str:
    text = "_".join(f"{k}-{v}" for k, v in settings.items())
    return "".join(c if c.isalnum() or c in "-_." else "" for c in text.replace(" ", ""))[:120]


def register(subparsers) -> None:
    """Add ``probe`` and ``sweep`` to the ``napari-dip`` command's subparsers."""
    p = subparsers.add_parser("probe", help="prior probe: fit the image, noisy, shuffled and noise targets; "
                                             "write curves.csv, probe.png and the fitted images")
    p.add_argument("image", help="image file (TIFF, PNG, ...); RGB is fitted in colour")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--iterations", type=int, default=2000, help="iterations per target (default: 2000)")
    p.add_argument("--size", type=int, default=None, help="centre-crop to a square and resize to PX first")
    p.add_argument("--width", type=int, default=None, help="channels per level (default: 128 GPU, 64 CPU)")
    p.add_argument("--depth", type=int, default=5, help="levels of the network (default: 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    p.set_defaults(func=probe)

    p = subparsers.add_parser("sweep", help="restore once per combination of settings; write results.csv "
                                             "and one image per combination")
    p.add_argument("image", help="image file (TIFF, PNG, ...)")
    p.add_argument("--task", required=True, choices=tasks.names("restore"),
                   help="a restoration task of the registry (deconvolve: its PSF with --set psf_sigma=S)")
    p.add_argument("--vary", action="append", required=True, metavar="NAME=V1,V2",
                   help="an option of napari_dip.restore and its values, e.g. depth=2,4,6 (repeatable)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=V",
                   help="an option fixed for every combination, e.g. width=32 (repeatable)")
    p.add_argument("--mask", help="mask file: non-zero = missing (napari convention)")
    p.add_argument(
        "--mask-known-white", action="store_true", help="the mask uses DIP's convention (white = known)"
    )
    p.add_argument("--reference", help="clean image: PSNR and SSIM per combination")
    p.add_argument("--factor", type=int, default=None, help="super-resolution factor (2, 4, 8)")
    p.add_argument(
        "--iterations", type=int, default=None, help="iterations per restoration (default: preset's)"
    )
    p.add_argument("--size", type=int, default=None, help="centre-crop to a square and resize to PX first "
                                                          "(image, mask and reference)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=sweep)
