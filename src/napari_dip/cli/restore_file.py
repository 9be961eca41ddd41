"""``napari-dip restore FILE --task TASK``: restore an image file, keeping its axes, pixel size and units."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from napari_dip.core import tasks
from napari_dip.io import read_image, write_image

from .._choose import check_fit
from .._outputs import default_output, output_geometry, with_pixel_size
from .._outputs import read_mask as _mask
from .compare_file import compare_file
from .inputs import add_task_inputs, read_images, task_inputs_from
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
        img = read_image(args.input, scene=args.scene, channel=args.channel)
        options = settings_from(args)
        check_fit(
            img.axes,
            img.data.shape,
            mode=options.get("mode"),
            planes=options.get("planes"),
            source=Path(args.input).name,
        )
        inputs = read_images(with_pixel_size(img, task_inputs_from(args), options.get("mode")), read_image)
        mask = _mask(args.mask, args.mask_known_white) if args.mask else None
        reference = read_image(args.reference).data if args.reference else None
        channel_axis = args.channel_axis if args.channel_axis is not None else img.channel_axis
        t0 = time.perf_counter()
        result = run_with_progress(
            img.data,
            args.task,
            desc=args.task,
            mask=mask,
            channel_axis=channel_axis,
            iterations=args.iterations,
            seed=args.seed,
            device=args.device,
            reference=reference,
            **inputs,
            **options,
        )
        if "noise_choice" in result.config:  # noise="auto" resolved: which model, why
            print(result.config["noise_choice"]["summary"])
        output = Path(args.output) if args.output else default_output(Path(args.input), args.task)
        scale, units, translate = output_geometry(img, result.image.shape, args.factor or 1)
        settings = {
            **result.config,
            "stopped_at": result.stopped_at.__dict__,
            "input": str(args.input),
            **_selection(args),
        }
        write_image(
            output,
            result.image,
            axes=img.axes,
            scale=scale,
            units=units,
            translate=translate,
            like=img,
            settings=settings,
        )
        if args.compare:
            noise = {
                k: options[k] for k in ("noise", "gain", "offset", "read_noise") if options.get(k) is not None
            }
            summary = compare_file(
                output,
                img.data,
                result.image,
                args.task,
                mask=mask,
                channel_axis=channel_axis,
                reference=reference,
                seconds=time.perf_counter() - t0,
                geometry=dict(
                    axes=img.axes,
                    scale=scale,
                    units=units,
                    translate=translate,
                    like=img,
                    input_scale=img.scale,
                    input_translate=img.translate,
                ),
                **inputs,
                **noise,
            )
            print(f"wrote the comparison: {summary}")
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {output} (stopped at iteration {result.stopped_at.iteration}: {result.stopped_at.reason})")
    return 0


def _selection(args: argparse.Namespace) -> dict:
    """The scene and channel given, for the output's settings."""
    return {k: getattr(args, k) for k in ("scene", "channel") if getattr(args, k, None) is not None}
