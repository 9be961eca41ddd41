"""``napari_dip.batch.run``: restore many files on a Dask cluster, resumably, with a report.

Notes
-----
One fit is one Dask task: a whole image, or one plane of a stack in plane mode (the planes of a stack run
in parallel and are written as one stack in order; with ``warm_start`` the planes form one chain, one task).
Scripts that call :func:`run` with the embedded cluster need the ``if __name__ == "__main__":`` guard
(worker processes are spawned).

Cluster options
---------------
client : distributed.Client, optional
    Run on this client's cluster (left open).
workers, threads_per_worker : int, optional
    The embedded cluster (no ``client``/``scheduler``): worker processes and concurrent fits per worker.
    Default: one fit per worker, one worker per fit up to the number of cores; on NVIDIA GPUs one worker
    per GPU. ``workers x threads_per_worker`` may not exceed the cores.
scheduler : str, optional
    Address of a running Dask scheduler, e.g. ``"tcp://host:8786"``.
torch_threads : int, optional
    torch threads per fit. Default: the embedded cluster splits the cores; on a given client or scheduler
    the worker's own (Dask's nanny sets 1).
resources : dict, optional
    Dask resources each fit holds. Default: ``{"GPU": 1}`` when the workers advertise a ``GPU`` resource
    (``dask worker --resources GPU=1``), else none.
retries : int, default 2
    Dask retries of a fit that raised something other than a bad input (``ValueError``/``OSError``); on
    the embedded cluster also the number of times a fit whose worker died is given to another worker.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from napari_dip.core import tasks
from napari_dip.core.settings import option_help
from napari_dip.core.tasks.catalog import read_file_inputs, restore_inputs
from napari_dip.io import read_image

from . import inputs as _inputs
from . import tiles, work
from .cluster import connect

#: The report written into the output folder.
REPORT = "batch-report.json"
#: ``restore()`` arguments that batch options may set besides the task's inputs and the Settings.
_NAMED = {"iterations": None, "seed": 0, "device": None, "scene": None, "channel": None}


def run(inputs, out, *, task: str, client=None, workers: int | None = None,
        threads_per_worker: int | None = None, scheduler: str | None = None, mask=None,
        mask_suffix: str | None = None, overwrite: bool = False, retries: int = 2, progress: bool = True,
        torch_threads: int | None = None, resources: dict | None = None, **settings) -> list[dict]:
    """Restore every image of ``inputs`` into the folder ``out`` on Dask distributed (one fit: one Dask task).

    Parameters
    ----------
    inputs : str, path or list of them
        Image files (TIFF, OME-TIFF, PNG, JPEG, stacks included; with ``napari-dip[formats]`` OME-Zarr
        folders, CZI, ND2, LIF), folders (their images, not recursive), globs (``"plate/**/*.tif"``).
    out : str or path
        Output folder (created). Each input ``NAME.ext`` gives ``NAME_dip_TASK.ext`` with the input's axes,
        pixel sizes and units, and its JSON sidecar; ``batch-report.json`` lists every input's outcome.
    task : str
        A restoration task of ``napari_dip.core.tasks.names()``.
    client, scheduler, workers, threads_per_worker, torch_threads, resources, retries
        Where and how the fits run: see *Cluster options* in this module's docstring.
    mask : str, path or ndarray, optional
        One mask for every input (inpaint, reconstruct): non-zero = missing.
    mask_suffix : str, optional
        Each input's own mask: ``a.tif`` -> ``a{mask_suffix}.tif`` (or ``.png``, ...) next to it. Such files
        are not restored themselves.
    overwrite : bool, default False
        Redo inputs whose output exists. Without it an input is skipped when its output and sidecar exist
        and the sidecar records the same task, options, input file (name, size, modification time) and mask.
    progress : bool, default True
        A progress bar over fits and the dashboard address, on stderr.
    **settings
        ``iterations``, ``seed``, ``device``, ``scene`` and ``channel`` (which image and channel
        of each file, by index or name), the task's inputs
        (:mod:`napari_dip.core.tasks.schema`; ``factor``; ``psf``: an array or an image file;
        ``psf_sigma``; the optics: ``na``, ``wavelength``, ``ni``, ``ns``, ``microscope``, ``pixel_size``,
        which defaults to each file's metadata) and any option of :class:`napari_dip.Settings` (``width``,
        ``mode``, ``warm_start``, ...).

    Returns
    -------
    list of dict
        The report, one record per input in input order: ``input``, ``status`` ("done", "skipped" or
        "failed"), ``output``, ``error``, ``seconds``.

    Raises
    ------
    ValueError
        For an unknown task or option, a mask the task does not take (or a missing one), no input files, or
        two inputs writing the same output. A bad *input* is not raised: it is a "failed" record.
    """
    out = Path(out)
    options, units = _prepare(inputs, out, task, settings, mask, mask_suffix, overwrite)
    records: list[Any] = [_before(u) for u in units]  # None: still to run
    started = time.perf_counter()
    cluster = dict(client=client, scheduler=scheduler, workers=workers, threads_per_worker=threads_per_worker,
                   torch_threads=torch_threads, resources=resources)
    _fit_all(units, records, out / REPORT, task=task, options=options, retries=retries, progress=progress,
             cluster=cluster)
    if progress:
        _summary(records, out / REPORT, time.perf_counter() - started)
    return records


def _prepare(inputs, out: Path, task: str, settings: dict, mask, mask_suffix, overwrite: bool) -> tuple:
    """``(options, units)``: the options checked, the input files found, the folder ``out`` made, and the
    units planned (what is done already)."""
    options = _options(task, settings)
    mask = _mask_argument(task, mask, mask_suffix)
    exclude = [out, *([mask] if isinstance(mask, Path) else [])]
    files = _inputs.collect(inputs, exclude=tuple(exclude), mask_suffix=mask_suffix)
    out.mkdir(parents=True, exist_ok=True)
    units = _inputs.plan(files, out, task=task, options=options, mask=mask, mask_suffix=mask_suffix,
                         overwrite=overwrite)
    return options, units


def _fit_all(units: list, records: list, report: Path, *, task: str, options: dict, retries: int,
             progress: bool, cluster: dict) -> None:
    """Fit the units whose record is still None on one Dask session (``cluster``: :func:`.cluster.connect`'s
    arguments) and fill in their records; whatever happens, write the report (a unit left unfinished by
    an interruption is "failed")."""
    todo = [i for i, r in enumerate(records) if r is None]
    try:
        if todo:
            with connect(**cluster, device=options.get("device"),
                         n_fits=max(1, sum(units[i].n_fits for i in todo)), retries=retries,
                         verbose=progress) as session:
                _compute(session, units, todo, records, task, options, retries, progress)
    finally:
        for i in todo:
            if records[i] is None:
                records[i] = _record(units[i], "failed", "not finished: the batch was interrupted")
        write_report(report, records)


def _options(task: str, settings: dict) -> dict:
    """The options shared by every fit, checked now (not once per file on the cluster) by the one mapping
    of user options (:func:`napari_dip.core.tasks.split_options`, as :func:`napari_dip.restore`)."""
    t = tasks.get(task)
    if t.form.kind != "restore":
        raise ValueError(f"task {task!r} is not a restoration; choose one of {tasks.names()}.")
    schema = restore_inputs()  # the tasks' inputs (core/tasks/schema.py)
    # other tasks' inputs, unknown names: a ValueError
    tasks.split_options(t, settings, named=(*_NAMED, *schema))
    opts = read_file_inputs(settings, lambda path: read_image(path).data)  # a PSF file: its image
    defaults = {**_NAMED, **{k: v[0] for k, v in option_help().items()}}
    return {k: v for k, v in opts.items()
            if v is not None and not (k in defaults and not isinstance(v, np.ndarray) and v == defaults[k])}


def _mask_argument(task: str, mask, mask_suffix):
    if mask is not None and mask_suffix:
        raise ValueError("give either mask (one for every input) or mask_suffix (one per input), not both.")
    needs = tasks.get(task).form.needs_mask
    if needs and mask is None and not mask_suffix:
        raise ValueError(f"task {task!r} needs a mask: pass mask (a file or array for every input) or "
                         "mask_suffix (each input's own file, e.g. '_mask' for a_mask.tif).")
    if not needs and (mask is not None or mask_suffix):
        raise ValueError(f"task {task!r} takes no mask; use task='inpaint' to fill masked pixels.")
    if mask is None or isinstance(mask, np.ndarray):
        return mask
    path = Path(mask)
    if not path.is_file():
        raise ValueError(f"mask file not found: {path}")
    return path


def _record(unit, status: str, error: str | None = None) -> dict:
    return work.record({"input": str(unit.input), "output": str(unit.output)}, status, 0.0, error)


def _before(unit) -> dict | None:
    """The record of an input settled before any fit (failed or skipped), else None."""
    if unit.error:
        return _record(unit, "failed", unit.error)
    return _record(unit, "skipped") if unit.done else None


def _spec(unit, task: str, options: dict, session) -> dict:
    kwargs = dict(options)
    if session.device is not None:
        kwargs["device"] = session.device
    mask = unit.mask if unit.mask is None or isinstance(unit.mask, np.ndarray) else str(unit.mask)
    spec = {
        "input": str(unit.input),
        "output": str(unit.output),
        "mask": mask,
        "task": task,
        "kwargs": kwargs,
        "fingerprint": unit.fingerprint,
        "torch_threads": session.torch_threads,
    }
    if unit.tiles:
        spec["tiles"] = {"dir": str(unit.tile_dir), "count": unit.tiles, "values": unit.tile_values,
                         "noise": unit.tile_noise}
    return spec


def _submit(session, units, todo, task, options, retries) -> tuple[dict, dict]:
    """Submit every fit; return ``{key: future}`` of the fits and ``{key: (index, future)}`` of the
    outputs."""
    client = session.client
    fits: dict = {}
    finals: dict = {}
    opts = dict(pure=False, retries=int(retries))
    for i in todo:
        spec = _spec(units[i], task, options, session)
        if units[i].tiles:
            parts = [client.submit(tiles.fit_tile, spec, k, resources=session.resources, **opts)
                     for k in units[i].tile_todo]
            final = client.submit(tiles.write_tiles, spec, parts, **opts)
        elif units[i].planes:
            parts = [client.submit(work.fit_plane, spec, idx, n == 0, resources=session.resources, **opts)
                     for n, idx in enumerate(units[i].planes)]
            final = client.submit(work.write_planes, spec, parts, **opts)
        else:
            parts = [client.submit(work.fit_file, spec, resources=session.resources, **opts)]
            final = parts[0]
        fits.update((f.key, f) for f in parts)
        finals[final.key] = (i, final)
    return fits, finals


def _compute(session, units, todo, records, task, options, retries, progress) -> None:
    from distributed import as_completed
    from tqdm import tqdm

    fits, finals = _submit(session, units, todo, task, options, retries)
    every = {**fits, **{k: f for k, (_, f) in finals.items()}}
    failed = 0
    with tqdm(total=len(fits), unit="fit", desc="batch", disable=not progress, file=sys.stderr,
              dynamic_ncols=True) as bar:
        for fut in as_completed(list(every.values())):
            if fut.key in fits:
                bar.update(1)
            if fut.key in finals:
                i = finals[fut.key][0]
                records[i] = _outcome(fut, units[i])
                failed += records[i]["status"] == "failed"
                bar.set_postfix(failed=failed, refresh=False)
            every.pop(fut.key, None)


def _outcome(fut, unit) -> dict:
    try:
        return fut.result()
    except Exception as err:  # noqa: BLE001 - retries spent, KilledWorker, cancelled: the input failed
        return _record(unit, "failed", work.message(err))


def write_report(path: Path, records: list[dict]) -> None:
    """Write the report atomically (a temporary file renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _summary(records: list[dict], report: Path, seconds: float) -> None:
    counts = {s: sum(r["status"] == s for r in records) for s in ("done", "skipped", "failed")}
    print(f"napari-dip batch: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed "
          f"in {seconds:.1f} s; report: {report}", file=sys.stderr)
    for r in records:
        if r["status"] == "failed":
            print(f"  failed: {r['input']}: {r['error']}", file=sys.stderr)
