"""An image file restored and written: read (scene, channel), restore, write with the input's axes, pixel
sizes, units and the settings (sidecar). ``napari-dip restore`` and batch's workers both call it.

torch loads when a restoration runs (``napari_dip.restore``, the package's lazy name), not on import: the
command line's ``--help`` and the batch client import this module without it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import napari_dip
from napari_dip.core.tasks.catalog import read_file_inputs
from napari_dip.io import ImageFile, read_image, write_image
from napari_dip.io.geometry import output_geometry, with_pixel_size
from napari_dip.io.masks import read_mask
from napari_dip.io.names import default_output
from napari_dip.io.selection import check_fit


@dataclass
class FileRun:
    """What :func:`restore_file` read, ran and wrote: the input, the mask as bools, the restoration's result,
    the output file, the keyword arguments of the run (file inputs read), its start (``perf_counter``)
    and the output's ``geometry`` (``axes``, ``scale``, ``units``, ``translate``, ``like``)."""

    img: ImageFile
    mask: Any
    result: Any
    output: Path
    kwargs: dict
    started: float
    geometry: dict


def load_mask(mask, known_white: bool = False):
    """``mask`` as given (an array, or None), or the mask file ``mask`` read as bools (True = missing)."""
    if mask is None or isinstance(mask, np.ndarray):
        return mask
    return read_mask(mask, known_white)


def write_result(output, img: ImageFile, image: np.ndarray, settings: dict, factor=None) -> dict:
    """Write ``image``, the result of ``img``, with ``img``'s axes and units, its pixel size and origin
    (super-resolved by ``factor``) and ``settings``; returns the output's ``geometry``."""
    scale, units, translate = output_geometry(img, image.shape, factor or 1)
    geometry: dict[str, Any] = dict(axes=img.axes, scale=scale, units=units, translate=translate, like=img)
    write_image(output, image, **geometry, settings=settings)
    return geometry


def restore_file(path, task: str, output=None, *, scene=None, channel=None, mask=None,
                 mask_known_white: bool = False, channel_axis=None, record: dict | None = None,
                 run=None, verbose: bool = False, **kwargs) -> FileRun:
    """Restore the image file ``path`` with ``task`` and write ``output`` (default ``INPUT_dip_TASK``).

    ``scene`` and ``channel`` pick what is read; ``mask``, ``psf`` and ``reference`` may be files (read
    here) or arrays; ``channel_axis`` defaults to the file's; ``record``: entries added to the written
    settings (``input``, ...); ``run``: ``restore``'s signature (default :func:`napari_dip.restore`);
    ``verbose``: print how ``noise="auto"`` was resolved. ``kwargs`` go to ``run``; a missing
    ``pixel_size`` of the optics PSF comes from the file's metadata. Bad input: ``ValueError``/``OSError``.
    """
    img = read_image(path, scene=scene, channel=channel)
    check_fit(img.axes, img.data.shape, mode=kwargs.get("mode"), planes=kwargs.get("planes"),
              source=Path(path).name)
    kwargs = with_pixel_size(img, kwargs, kwargs.get("mode"))
    kwargs = read_file_inputs(kwargs, lambda file: read_image(file).data)  # a PSF file: its image
    mask = load_mask(mask, mask_known_white)
    if isinstance(kwargs.get("reference"), (str, os.PathLike)):
        kwargs["reference"] = read_image(kwargs["reference"]).data
    channel_axis = img.channel_axis if channel_axis is None else channel_axis
    started = time.perf_counter()
    result = (run or napari_dip.restore)(img.data, task, mask=mask, channel_axis=channel_axis, **kwargs)
    if verbose and "noise_choice" in result.config:  # noise="auto" resolved: which model, why
        print(result.config["noise_choice"]["summary"])
    output = Path(output) if output else default_output(Path(path), task)
    settings = {**result.config, "stopped_at": dict(result.stopped_at.__dict__), **(record or {})}
    geometry = write_result(output, img, result.image, settings, kwargs.get("factor"))
    return FileRun(img, mask, result, output, kwargs, started, geometry)


def summary(done: FileRun) -> str:
    """The line that says what was written and why the fit stopped."""
    stop = done.result.stopped_at
    return f"wrote {done.output} (stopped at iteration {stop.iteration}: {stop.reason})"
