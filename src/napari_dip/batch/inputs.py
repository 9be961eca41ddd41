"""What a batch has to do: its input files, their masks and outputs, and which are done already.

Runs on the client, before anything is sent to a cluster: it reads file headers
only (never pixels of TIFFs), so a folder of thousands of stacks is planned in
seconds. No torch, no napari.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from napari_dip.core.mask import mask_fits
from napari_dip.io import describe, sidecar_path
from napari_dip.io.names import default_output
from napari_dip.io.selection import check_fit, select_shape

from .tiles import plan_tiles

#: Extensions read as images (``.ome.tif`` is a ``.tif``; an OME-Zarr is a ``.zarr`` folder; ``.zarr``,
#: ``.czi``, ``.nd2``, ``.lif`` need ``napari-dip[formats]``, else they fail with the install line).
SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".zarr", ".czi", ".nd2", ".lif")
#: Bumped when the meaning of a fingerprint changes (older outputs are then redone).
FINGERPRINT_VERSION = 1


@dataclass
class Unit:
    """One input file and what to do with it.

    ``planes`` is None for one fit of the whole file (an image, a volume, or a
    warm-started chain of planes), else the plane indices fitted as separate
    Dask tasks. ``tiles`` is the number of tiles of a single 2D image fitted as
    separate Dask tasks (``tile=N``), ``tile_todo`` those not yet kept in
    ``tile_dir`` by an earlier run, ``tile_values`` the image's value mapping when
    each tile task reads its tile alone (None: each reads the whole image).
    ``error`` is set when the file failed before any fit (unreadable, no mask,
    a mask of the wrong shape).
    """

    input: Path
    output: Path
    mask: Path | np.ndarray | None = None
    planes: list[tuple[int, ...]] | None = None
    fingerprint: dict = field(default_factory=dict)
    error: str | None = None
    done: bool = False
    tiles: int | None = None
    tile_todo: list[int] = field(default_factory=list)
    tile_dir: Path | None = None
    tile_values: dict | None = None
    tile_noise: dict | None = None  # noise="auto" decided on the client (NoiseChoice.to_dict)

    @property
    def n_fits(self) -> int:
        if self.tiles:
            return len(self.tile_todo)
        return len(self.planes) if self.planes else 1


def collect(inputs, *, exclude: tuple = (), mask_suffix: str | None = None) -> list[Path]:
    """Image files from files, folders (their images, not recursive) and glob patterns.

    Hidden files, files under an ``exclude`` folder or equal to an ``exclude``
    file, and (from folders and globs) mask files ending in ``mask_suffix``
    are left out; a file named explicitly is always kept. Duplicates are
    dropped, order is kept (a folder's files sorted by name).
    """
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if not items:
        raise ValueError("no inputs: give image files, folders or glob patterns.")
    skip = [Path(e).resolve() for e in exclude]
    found: dict[Path, Path] = {}
    for item in items:
        path = Path(item)
        if path.is_file() or _is_zarr(path):
            found.setdefault(path.resolve(), path)
            continue
        if path.is_dir():
            matches = sorted(path.iterdir())
        elif glob.has_magic(str(item)):
            matches = sorted(Path(p) for p in glob.glob(str(item), recursive=True))
        else:
            raise ValueError(f"{item}: no such file or folder, and not a glob pattern.")
        for p in matches:
            if _is_input(p, skip, mask_suffix):
                found.setdefault(p.resolve(), p)
    if not found:
        raise ValueError(f"no image files ({', '.join(SUFFIXES)}) in {', '.join(map(str, items))}.")
    return list(found.values())


def _is_input(p: Path, skip: list[Path], mask_suffix: str | None) -> bool:
    if not (p.is_file() or _is_zarr(p)) or p.name.startswith(".") or p.suffix.lower() not in SUFFIXES:
        return False
    real = p.resolve()
    if any(real == s or s in real.parents for s in skip):
        return False
    return not (mask_suffix and _base(p).endswith(mask_suffix))


def _is_zarr(p: Path) -> bool:
    """An OME-Zarr image: a folder named ``*.zarr`` (an input, not a folder of inputs)."""
    return p.is_dir() and p.suffix.lower() == ".zarr"


def _base(path: Path) -> str:
    """The name without its image extension (``a.ome.tif`` -> ``a``)."""
    name = path.name
    for ext in (".ome.tiff", ".ome.tif", ".ome.zarr", *SUFFIXES):
        if name.lower().endswith(ext):
            return name[: len(name) - len(ext)]
    return path.stem


def find_mask(path: Path, suffix: str) -> Path | None:
    """The mask of ``path`` by the suffix rule: ``a.tif`` -> ``a{suffix}.tif`` (or .tiff, .png, ...)."""
    base = _base(path) + suffix
    exts = [path.name[len(_base(path)):], *SUFFIXES, ".ome.tif"]
    for ext in dict.fromkeys(exts):
        candidate = path.with_name(base + ext)
        if candidate.is_file():
            return candidate
    return None


def header(path, scene=None, channel=None) -> tuple[tuple[int, ...], str]:
    """``(shape, axes)`` of an image file (its ``scene``, only ``channel`` when given), from the header
    alone for TIFFs and bioio's formats."""
    shape, axes, names = describe(path, scene=scene)
    if channel is None:
        return shape, axes
    return select_shape(shape, axes, names, channel, Path(path).name)[:2]


def channel_axis(axes: str) -> int | None:
    """Index of the colour (S) or channel (C) axis, as :func:`napari_dip.io.read_image` picks it."""
    return next((axes.index(a) for a in "SC" if a in axes), None)


def stack_shape(shape: tuple, axes: str, mode: str | None) -> tuple[int, ...]:
    """The leading (plane) axes of a fit: every non-channel axis before the 2 (volume: 3) fitted ones."""
    c = channel_axis(axes)
    space = [s for i, s in enumerate(shape) if i != c]
    nd = 3 if mode == "volume" else 2
    return tuple(space[:-nd]) if len(space) > nd else ()


def plane_list(selection, lead: tuple[int, ...]) -> list[tuple[int, ...]]:
    """``planes=`` (None, an int, a tuple or a list of them) as index tuples over ``lead``."""
    if selection is None:
        return [tuple(int(i) for i in idx) for idx in np.ndindex(*lead)]
    if isinstance(selection, (int, np.integer)) or (
            isinstance(selection, tuple) and all(isinstance(i, (int, np.integer)) for i in selection)):
        selection = [selection]
    out = []
    for item in selection:
        idx = (item,) if isinstance(item, (int, np.integer)) else tuple(item)
        if len(idx) != len(lead) or not all(-n <= int(i) < n for i, n in zip(idx, lead, strict=False)):
            raise ValueError(f"planes: {item!r} is not an index into the stack axes of shape {lead}.")
        norm = tuple(int(i) % n for i, n in zip(idx, lead, strict=False))
        if norm not in out:
            out.append(norm)
    return out


def check_mask_shape(image_shape: tuple, image_axes: str, mask_shape: tuple) -> str | None:
    """Why a mask of ``mask_shape`` cannot go with this image, or None when it fits.

    The rule of :func:`napari_dip.restore`: the mask covers the trailing
    non-channel axes of the image (at least Y and X); a 2D mask applies to
    every plane.
    """
    c = channel_axis(image_axes)
    space = tuple(s for i, s in enumerate(image_shape) if i != c)
    if not mask_fits(mask_shape, space):
        stack = f" (or the stack's shape {space})" if len(space) > 2 else ""
        return (f"the mask has shape {mask_shape} but the image's planes have shape {space[-2:]}: give a "
                f"mask of shape {space[-2:]}{stack}, non-zero where pixels are missing.")
    return None


def file_id(path: Path) -> dict:
    """What identifies a file's version: its name, size and modification time."""
    st = Path(path).stat()
    return {"name": Path(path).name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def jsonable(value):
    """Options as JSON: arrays become their shape, dtype and SHA-256."""
    if isinstance(value, np.ndarray):
        return {"array": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
                "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def fingerprint(path: Path, task: str, options: dict, mask) -> dict:
    """What an output was made from (task, options, input file, mask) and its hash.

    ``device`` is left out: resuming on another machine keeps what is done.
    """
    mask_id = None if mask is None else jsonable(mask) if isinstance(mask, np.ndarray) else file_id(mask)
    doc = {"version": FINGERPRINT_VERSION, "task": task,
           "options": jsonable({k: v for k, v in sorted(options.items()) if k != "device"}),
           "input": file_id(path), "mask": mask_id}
    doc["hash"] = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return doc


def is_done(output: Path, fp: dict) -> bool:
    """Whether ``output`` and its sidecar exist and the sidecar records the same fingerprint."""
    side = sidecar_path(output)
    if not (output.exists() and side.is_file()):
        return False
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
        return doc["napari_dip"]["batch"]["hash"] == fp["hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def plan(files: list[Path], out: Path, *, task: str, options: dict, mask=None, mask_suffix: str | None = None,
         overwrite: bool = False) -> list[Unit]:
    """One :class:`Unit` per input: its output in ``out``, its mask, its fits, and whether it is done.

    Two inputs with the same name (from different folders) would write the
    same output: that is a ``ValueError``.
    """
    seen: dict[Path, Path] = {}
    units = []
    for path in files:
        output = Path(out) / default_output(Path(path.name), task).name
        if output in seen:
            raise ValueError(f"{path} and {seen[output]} would both be written to {output}: rename one, or "
                             "restore them into separate output folders.")
        seen[output] = path
        units.append(_unit(path, output, task, options, mask, mask_suffix, overwrite))
    return units


def _unit(path, output, task, options, mask, mask_suffix, overwrite) -> Unit:
    unit = Unit(Path(path), output, mask)
    if mask_suffix:
        unit.mask = find_mask(unit.input, mask_suffix)
        if unit.mask is None:
            unit.error = f"no mask file {_base(unit.input)}{mask_suffix}.tif (or .png, ...) next to it"
            return unit
    try:
        shape, axes = header(unit.input, options.get("scene"), options.get("channel"))
    except ValueError as err:  # a scene or channel the file lacks, a format without its reader
        unit.error = str(err)
        return unit
    except Exception as err:  # noqa: BLE001 - any failure to read a header is a bad input
        unit.error = f"cannot read {unit.input.name}: {type(err).__name__}: {err}"
        return unit
    try:
        check_fit(axes, shape, mode=options.get("mode"), planes=options.get("planes"), source=unit.input.name)
        unit.error = _check_mask(unit.mask, shape, axes)
        if unit.error:
            return unit
        unit.fingerprint = fingerprint(unit.input, task, options, unit.mask)
        unit.done = not overwrite and is_done(output, unit.fingerprint)
        lead = stack_shape(shape, axes, options.get("mode"))
        if lead and not options.get("warm_start"):
            planes = plane_list(options.get("planes"), lead)
            unit.planes = planes if len(planes) > 1 else None
        if not lead and options.get("mode") != "volume" and not unit.done:
            plan_tiles(unit, shape, axes, options, task)
    except (ValueError, OSError) as err:
        unit.error = str(err)
    return unit


def _check_mask(mask, shape: tuple, axes: str) -> str | None:
    if mask is None:
        return None
    if isinstance(mask, np.ndarray):
        mshape = mask.shape
    else:
        try:
            mshape, maxes = header(mask)
        except Exception as err:  # noqa: BLE001
            return f"cannot read the mask {Path(mask).name}: {type(err).__name__}: {err}"
        c = channel_axis(maxes)
        mshape = tuple(s for i, s in enumerate(mshape) if i != c)
    return check_mask_shape(shape, axes, tuple(mshape))
