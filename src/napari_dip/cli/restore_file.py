"""``napari-dip restore FILE --task TASK``: restore an image file, keeping its axes, pixel size and units."""

from __future__ import annotations

import argparse
import functools
import sys
import time

from napari_dip.core import tasks
from napari_dip.core.tasks.catalog import restore_inputs
from napari_dip.restore_file import FileRun, summary
from napari_dip.restore_file import restore_file as restore_one

from .compare_file import compare_file
from .inputs import add_task_inputs, task_inputs_from
from .options import add_settings, settings_from
from .progress import run_with_progress


def register(sub) -> None:
    p = sub.add_parser("restore", help="restore an image file (TIFF, OME-TIFF, PNG, JPEG; with "
                                       "napari-dip[formats]: OME-Zarr, CZI, ND2, LIF)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("input", help="image file (an OME-Zarr: its folder)")
    add_selection(p)
    p.add_argument("--task", choices=tasks.names(), required=True)
    add_task_inputs(p, mask_flags=_mask_flags)
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


def _mask_flags(p: argparse.ArgumentParser, spec) -> None:
    """The mask input's flags: its file, and the file's convention."""
    p.add_argument(spec.flag, help=spec.help)
    p.add_argument(spec.flag + "-known-white", action="store_true",
                   help="the mask uses the original DIP convention (white = known)")


def restore_file(args: argparse.Namespace) -> int:
    try:
        options = settings_from(args)
        done = restore_one(
            args.input, args.task, args.output, scene=args.scene, channel=args.channel,
            mask=args.mask or None, mask_known_white=args.mask_known_white, channel_axis=args.channel_axis,
            record={"input": str(args.input), **_selection(args)}, verbose=True,
            run=functools.partial(run_with_progress, desc=args.task),
            iterations=args.iterations, seed=args.seed, device=args.device, reference=args.reference,
            **task_inputs_from(args), **options,
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
    inputs = {k: v for k, v in done.kwargs.items() if k in restore_inputs()}
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
