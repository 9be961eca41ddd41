"""Command line: ``napari-dip demo``, ``napari-dip restore``, ``napari-dip devices``.

Every subcommand drives the same :func:`napari_dip.iter_restore` as the
napari widgets, with a terminal progress bar.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

TASKS = ("denoise", "inpaint", "reconstruct", "super_resolution")


def _run(image, task, *, desc, **kwargs):
    """Run iter_restore with a tqdm progress bar; return the RestoreResult."""
    from tqdm import tqdm

    from napari_dip import iter_restore

    result = None
    with tqdm(desc=desc, unit="it", dynamic_ncols=True, file=sys.stderr, mininterval=1.0) as bar:
        for snap in iter_restore(image, task, **kwargs):
            if bar.total is None:
                bar.total = snap.total
            bar.update(snap.iteration - bar.n)
            if snap.loss is not None:
                post = {"loss": f"{snap.loss:.2e}"}
                post.update({k: f"{v:.2f}" for k, v in snap.metrics.items()})
                bar.set_postfix(post, refresh=False)
            if snap.done:
                result = snap.result
    return result


def _side_by_side(images: list[np.ndarray], gap: int = 4) -> np.ndarray:
    h = max(im.shape[0] for im in images)
    rgb = [np.repeat(im[..., None], 3, axis=2) if im.ndim == 2 else im[..., :3] for im in images]
    cols = []
    for im in rgb:
        cols += [np.pad(im, ((0, h - im.shape[0]), (0, 0), (0, 0))), np.full((h, gap, 3), 255, np.uint8)]
    return np.concatenate(cols[:-1], axis=1)


def _save_case(out: Path, name: str, degraded, restored, reference, classical, scores) -> None:
    import tifffile
    from skimage.io import imsave

    tifffile.imwrite(out / f"{name}_restored.tif", restored)
    tifffile.imwrite(out / f"{name}_degraded.tif", degraded)
    panel = _side_by_side([degraded, restored, reference])
    imsave(out / f"{name}_side_by_side.png", panel, check_contrast=False)
    if classical is not None:
        tifffile.imwrite(out / f"{name}_classical.tif", classical)


def demo(args: argparse.Namespace) -> int:
    from napari_dip import sample_data as samples
    from napari_dip.baselines import classical_restore
    from napari_dip.metrics import psnr, ssim

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    size = args.size
    clean_cell = samples.cell(size)
    noisy = samples.add_gaussian_noise(clean_cell, 25, seed=args.seed)
    clean_cam = samples.camera(size)
    mask = samples.text_mask(clean_cam.shape)
    damaged = np.where(mask.astype(bool), 255, clean_cam).astype(np.uint8)
    cases = [
        ("denoise", noisy, clean_cell, dict(), args.iterations or 500),
        ("inpaint", damaged, clean_cam, dict(mask=mask), args.iterations or 400),
    ]
    report = {"size": size, "seed": args.seed, "cases": {}}
    started = time.perf_counter()
    for task, degraded, reference, extra, iters in cases:
        result = _run(degraded, task, desc=f"{task:8s}", iterations=iters, seed=args.seed,
                      device=args.device, reference=reference, **extra)
        method, classical = classical_restore(degraded, task, mask=extra.get("mask"))
        scores = {
            "degraded": {"psnr": psnr(reference, degraded), "ssim": ssim(reference, degraded)},
            "dip": {"psnr": psnr(reference, result.image), "ssim": ssim(reference, result.image)},
            method: {"psnr": psnr(reference, classical), "ssim": ssim(reference, classical)},
        }
        _save_case(out, task, degraded, result.image, reference, classical, scores)
        report["cases"][task] = {"scores": scores, "stopped_at": result.stopped_at.__dict__,
                                 "seconds": result.config["seconds"], "config": result.config}
        line = ", ".join(f"{k} {v['psnr']:.2f} dB" for k, v in scores.items())
        print(f"{task}: PSNR {line}")
    report["seconds"] = round(time.perf_counter() - started, 1)
    (out / "metrics.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {out}/ (TIFFs, side-by-side PNGs, metrics.json) in {report['seconds']} s")
    return 0


def restore_file(args: argparse.Namespace) -> int:
    import tifffile
    from skimage.io import imread

    def read(path):
        return tifffile.imread(path) if str(path).lower().endswith((".tif", ".tiff")) else imread(path)

    image = read(args.input)
    mask = read(args.mask) if args.mask else None
    if mask is not None and args.mask_known_white:
        mask = (mask.reshape(mask.shape[:2] + (-1,))[..., 0] == 0)
    reference = read(args.reference) if args.reference else None
    try:
        result = _run(image, args.task, desc=args.task, mask=mask, factor=args.factor,
                      channel_axis=args.channel_axis, iterations=args.iterations, seed=args.seed,
                      device=args.device, reference=reference)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    output = Path(args.output or Path(args.input).with_suffix("").as_posix() + f"_dip_{args.task}.tif")
    tifffile.imwrite(output, result.image, metadata=None)
    output.with_suffix(".json").write_text(json.dumps(result.to_dict()["config"] | {
        "stopped_at": result.stopped_at.__dict__}, indent=2, default=str))
    print(f"wrote {output} (stopped at iteration {result.stopped_at.iteration}: {result.stopped_at.reason})")
    return 0


def devices(args: argparse.Namespace) -> int:
    from napari_dip import available_devices

    for name in available_devices():
        print(name)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="napari-dip", description="Deep Image Prior restoration.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="restore bundled samples (denoise, text inpainting); write TIFF, PNG, JSON")
    p.add_argument("--out", default="dip-demo", help="output folder (default: dip-demo)")
    p.add_argument("--size", type=int, default=128, help="sample size in pixels (default: 128)")
    p.add_argument("--iterations", type=int, default=None,
                   help="iterations per task (default: 500 denoise, 400 inpaint)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    p.set_defaults(func=demo)

    p = sub.add_parser("restore", help="restore an image file")
    p.add_argument("input", help="image file (TIFF, PNG, ...)")
    p.add_argument("--task", choices=TASKS, required=True)
    p.add_argument("--mask", help="mask file: non-zero = missing (napari convention)")
    p.add_argument("--mask-known-white", action="store_true",
                   help="the mask uses the original DIP convention (white = known)")
    p.add_argument("--factor", type=int, help="super-resolution factor (2, 4, 8)")
    p.add_argument("--channel-axis", type=int, default=None)
    p.add_argument("--reference", help="clean image for PSNR/SSIM")
    p.add_argument("--iterations", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("-o", "--output", help="output TIFF (default: INPUT_dip_TASK.tif)")
    p.set_defaults(func=restore_file)

    p = sub.add_parser("devices", help="list the devices a fit can run on")
    p.set_defaults(func=devices)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
