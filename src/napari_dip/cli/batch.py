"""``napari-dip batch INPUT... --out DIR --task TASK``: restore many files on Dask distributed.

Exit status: 0 when every input is done or skipped, 1 when any input failed
(see ``DIR/batch-report.json``), 2 when the command itself is wrong.
"""

from __future__ import annotations

import argparse
import sys

from napari_dip.batch import REPORT, run
from napari_dip.core import tasks

from .inputs import add_task_inputs, task_inputs_from
from .options import add_settings, settings_from
from .restore_file import add_selection


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="restore many files (folders, globs, stacks) on a Dask cluster, resumably",
        description="Restore every image of INPUT (files, folders, glob patterns) into --out on "
        "Dask distributed: an embedded local cluster by default, or --scheduler. "
        "Writes NAME_dip_TASK.ext with its JSON sidecar per input and "
        "batch-report.json; a re-run skips what is done.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="image files, folders or glob patterns "
        "(TIFF, OME-TIFF, PNG, JPEG; with "
        "napari-dip[formats]: OME-Zarr, CZI, ND2, LIF)",
    )
    add_selection(p)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--task", choices=tasks.names(), required=True)
    add_task_inputs(p, mask_flags=_mask_flags)
    p.add_argument("--iterations", type=int, help="maximum iterations per fit (default: the preset's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    cluster = p.add_argument_group("cluster")
    cluster.add_argument(
        "--workers",
        type=int,
        help="embedded cluster: worker processes (default: one per fit up to the cores; one per GPU)",
    )
    cluster.add_argument(
        "--threads-per-worker", type=int, help="embedded cluster: concurrent fits per worker (default: 1)"
    )
    cluster.add_argument("--torch-threads", type=int, help="torch threads per fit (default: the cores split "
                                                           "between the embedded cluster's fits)")
    cluster.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    cluster.add_argument(
        "--retries", type=int, default=2, help="retries of a fit that crashed or lost its worker"
    )
    p.add_argument("--overwrite", action="store_true", help="redo inputs whose outputs exist")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or dashboard address")
    add_settings(p)
    p.set_defaults(func=batch)


def _mask_flags(p: argparse.ArgumentParser, spec) -> None:
    """The mask input's flags: one file for every input, or each input's own."""
    masks = p.add_mutually_exclusive_group()
    masks.add_argument(spec.flag, help="one mask file for every input: non-zero = missing")
    masks.add_argument(spec.flag + "-suffix",
                       help="each input's own mask: a.tif -> a{SUFFIX}.tif (e.g. _mask)")


def batch(args: argparse.Namespace) -> int:
    options = settings_from(args)
    for name in ("iterations", "device", "scene", "channel"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    options.update(task_inputs_from(args))
    try:
        report = run(
            args.inputs,
            args.out,
            task=args.task,
            scheduler=args.scheduler,
            workers=args.workers,
            threads_per_worker=args.threads_per_worker,
            torch_threads=args.torch_threads,
            mask=args.mask,
            mask_suffix=args.mask_suffix,
            overwrite=args.overwrite,
            retries=args.retries,
            progress=not args.no_progress,
            seed=args.seed,
            **options,
        )
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = sum(r["status"] == "failed" for r in report)
    if failed:
        print(f"{failed} of {len(report)} input(s) failed: see {args.out}/{REPORT}", file=sys.stderr)
    return 1 if failed else 0
