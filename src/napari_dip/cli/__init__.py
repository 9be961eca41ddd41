"""Command line: ``napari-dip demo | restore | batch | probe | sweep | devices``.

Every subcommand drives the same generators as the napari widgets
(:func:`napari_dip.iter_restore`), with a terminal progress bar. Task choices
and task inputs come from the task registry, options from
:class:`napari_dip.core.settings.Settings`.
"""

from __future__ import annotations

import argparse
import sys

from napari_dip import available_devices

from .. import __version__
from . import batch, demo, experiments, restore_file


def devices(args: argparse.Namespace) -> int:
    for name in available_devices():
        print(name)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="napari-dip", description="Deep Image Prior restoration.")
    parser.add_argument("--version", action="version", version=f"napari-dip {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo.register(sub)
    restore_file.register(sub)
    experiments.register(sub)
    batch.register(sub)
    p = sub.add_parser("devices", help="list the devices a fit can run on")
    p.set_defaults(func=devices)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
