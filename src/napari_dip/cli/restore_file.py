"""``napari-dip restore FILE --task TASK``: restore an image file, keeping its axes, pixel size and units."""

from __future__ import annotations

import argparse
import functools
import sys
import time

from napari_dip.core import tasks
from napari_dip.restore_file import FileRun, summary
from napari_dip.restore_file import restore_file as restore_one

from .compare_file import compare_file
from .options import add_settings, settings_from
from .progress import run_with_progress


def register(sub) -> None:
    p = sub.add_parser("restore", help="restore an image file (TIFF, OME-TIFF, PNG, JPEG; with "
                                       "napari-dip[formats]: OME-Zarr, CZI, ND2, LIF)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("input", help="image file (an OME-Zarr: its folder)")
    add_selection(p)
    p.add_argument("--task", choices=tasks.names(), required=True)
    p.add_argument("--mask", help="mask file for inpaint/reconstruct: non-zero = missing (napari convention)")
    p.add_argument("--mask-known-white", action="store_true",
                   help="the mask uses the original DIP convention (white = known)")
    p.add_argument("--factor", type=int, help="super-resolution factor (2, 4, 8)")
    add_psf(p)
    p.add_argument("--channel-axis", type=int, default=None,
                   help="axis of colour channels (default: from the file; RGB is detected)")
    p.add_argument("--reference", help="clean image for PSNR/SSIM")
    p.add_argument("--iterations", type=int, help="maximum iterations per fit (default: the preset's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    p.add_argument(
        "-o",
        "--output",
        help="output file; its suffix picks the format: .tif, .ome.tif, .ome.zarr, "
        ".png, .jpg (default: INPUT_dip_TASK with the input's format; .ome.tif for formats napari-dip "
        "does not write)",
    )
    p.add_argument(
        "--compare",
        action="store_true",
        help="also run every other method of the task (classical and peers such as BM3D) and write "
        "each result, each residual and OUT_compare.json (with --reference: PSNR/SSIM)",
    )
    add_settings(p)
    p.set_defaults(func=restore_file)


def add_selection(p: argparse.ArgumentParser) -> None:
    """``--scene`` and ``--channel``: which image of a file, and which of its channels (restore, batch)."""
    p.add_argument(
        "--scene",
        help="the image (scene, series) of a multi-image file, by index or name (default: the first)",
    )
    p.add_argument(
        "--channel",
        help="restore only this channel (index or name) of the file's C axis; the "
        "output has that channel alone (default: every channel)",
    )


def add_psf(p: argparse.ArgumentParser) -> None:
    """Deconvolution's PSF, one of three ways: a file, a Gaussian sigma, or the optics (restore, batch)."""
    g = p.add_argument_group("deconvolve: the PSF, one of --psf, --psf-sigma or the optics (--na and "
                             "--wavelength; --pixel-size from the file's metadata when not given)")
    g.add_argument("--psf", help="a PSF image file (2D, or 3D with --mode volume)")
    g.add_argument("--psf-sigma", type=float, nargs="+",
                   help="Gaussian PSF sigma in pixels (one value, or one per spatial axis)")
    g.add_argument("--na", type=float, help="the objective's numerical aperture (needs napari-dip[optics])")
    g.add_argument("--wavelength", type=float, help="emission wavelength in µm (0.52 for 520 nm)")
    g.add_argument("--ni", type=float, help="immersion medium's refractive index (default 1.515, oil)")
    g.add_argument("--ns", type=float, help="sample's refractive index (default 1.33, water)")
    g.add_argument("--microscope", choices=("widefield", "confocal"), help="default widefield; confocal: "
                   "the widefield PSF squared (an approximation)")
    g.add_argument("--pixel-size", type=float, nargs="+", metavar="UM",
                   help="pixel size in µm: one lateral value, Y X, or Z Y X (default: the file's metadata)")


#: The PSF's inputs (:func:`psf_inputs`, and the pixel size taken from the file).
_PSF = ("psf", "na", "wavelength", "ni", "ns", "microscope", "psf_sigma", "pixel_size")


def psf_inputs(args: argparse.Namespace) -> dict:
    """The PSF options given on the command line (``psf``: the file's path)."""
    out = {k: getattr(args, k) for k in ("psf", "na", "wavelength", "ni", "ns", "microscope")
           if getattr(args, k, None) is not None}
    for name in ("psf_sigma", "pixel_size"):
        values = getattr(args, name, None)
        if values:
            out[name] = values[0] if len(values) == 1 else values
    return out


def restore_file(args: argparse.Namespace) -> int:
    try:
        options = settings_from(args)
        done = restore_one(
            args.input, args.task, args.output, scene=args.scene, channel=args.channel,
            mask=args.mask or None, mask_known_white=args.mask_known_white, channel_axis=args.channel_axis,
            record={"input": str(args.input), **_selection(args)}, verbose=True,
            run=functools.partial(run_with_progress, desc=args.task), factor=args.factor,
            iterations=args.iterations, seed=args.seed, device=args.device, reference=args.reference,
            **psf_inputs(args), **options,
        )
        if args.compare:
            _compare(args, done, options)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary(done))
    return 0


def _compare(args: argparse.Namespace, done: FileRun, options: dict) -> None:
    """``--compare``: every other method of the task on the same input, written beside the output."""
    noise = {k: options[k] for k in ("noise", "gain", "offset", "read_noise") if options.get(k) is not None}
    inputs = {k: v for k, v in done.kwargs.items() if k in _PSF}
    geometry = {**done.geometry, "input_scale": done.img.scale, "input_translate": done.img.translate}
    channel_axis = args.channel_axis if args.channel_axis is not None else done.img.channel_axis
    written = compare_file(done.output, done.img.data, done.result.image, args.task, mask=done.mask,
                           channel_axis=channel_axis, reference=done.kwargs.get("reference"),
                           seconds=time.perf_counter() - done.started, geometry=geometry, factor=args.factor,
                           **inputs, **noise)
    print(f"wrote the comparison: {written}")


def _selection(args: argparse.Namespace) -> dict:
    """The scene and channel given, for the output's settings."""
    return {k: getattr(args, k) for k in ("scene", "channel") if getattr(args, k, None) is not None}
