"""Side-by-side settings sweeps: one :func:`napari_dip.restore` per combination of a grid.

Report 000 compared inpainting quality across architectures (skip depth 2 vs
6, U-Net, ResNet) and learning rates (0.01 vs 1e-4). :func:`sweep` runs that
kind of comparison on any image: ``grid`` maps option names of
:func:`napari_dip.restore` to the values to try, and every combination is
one restoration with the same seed, scored against ``reference`` if given.
Option names are passed through unchecked: :func:`napari_dip.restore`
validates them (an unknown name raises its ``ValueError``).
"""

from __future__ import annotations

import ast
import csv
import itertools
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.metrics import psnr, ssim  # numpy only at import (scikit-image loads inside ssim)

__all__ = ["SweepProgress", "sweep", "iter_sweep", "write_csv", "label", "parse_values", "parse_vary",
           "COLUMNS"]

#: The score columns of a record (after its settings) in :func:`write_csv` and the widget's table.
COLUMNS = ("psnr", "ssim", "seconds", "stopped_at", "stop_reason")


@dataclass
class SweepProgress:
    """One step of :func:`iter_sweep`: iteration ``iteration`` of combination ``index`` (1-based) of ``n``.

    ``loss``, ``preview`` (the current image, the input's layout and dtype)
    and ``metrics`` come every ``preview_every`` iterations, as in
    :func:`napari_dip.iter_restore`. ``record`` is set on the step that
    finishes a combination; ``done`` on the last one, with ``records``.
    """

    index: int
    n: int
    settings: dict
    iteration: int
    total: int
    loss: float | None = None
    preview: np.ndarray | None = None
    metrics: dict = field(default_factory=dict)
    elapsed: float = 0.0
    record: dict | None = None
    done: bool = False
    records: list = field(default_factory=list)

    @property
    def progress(self) -> float:
        """Fraction of the sweep done (every combination counted equal)."""
        return min(1.0, (self.index - 1 + self.iteration / max(1, self.total)) / max(1, self.n))


def label(settings: dict) -> str:
    """``{"depth": 2, "lr": 0.01}`` -> ``"depth=2, lr=0.01"`` (layer names, table rows, file names)."""
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def combinations(grid: dict) -> list[dict]:
    """Every combination of ``grid`` (first option slowest), after checking its shape."""
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict of option name -> list of values, got {grid!r}")
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ValueError(f"grid[{name!r}] must be a list of values, got {values!r}; "
                             f"e.g. grid={{{name!r}: [{values!r}]}}")
        if len(list(values)) == 0:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
    keys = list(grid)
    return [
        dict(zip(keys, combo, strict=False)) for combo in itertools.product(*(list(grid[k]) for k in keys))
    ]


def sweep(image: np.ndarray, task: str, grid: dict, **kwargs) -> list[dict]:
    """Restore ``image`` once per combination of ``grid``; return one record per combination.

    Takes the arguments of :func:`iter_sweep`.

    Returns
    -------
    list of dict
        In grid order, each with ``settings`` (the combination), ``psnr`` and
        ``ssim`` against ``reference`` (None without one), ``seconds`` (wall
        time of the restoration), ``stopped_at`` (iteration the image comes
        from), ``stop_reason``, ``image`` (the restored image) and ``config``
        (every setting :func:`napari_dip.restore` used).

    Examples
    --------
    >>> from napari_dip.experiments import sweep, write_csv                       # doctest: +SKIP
    >>> recs = sweep(damaged, "inpaint", {"depth": [2, 4], "lr": [0.01, 1e-4]},   # doctest: +SKIP
    ...              mask=mask, reference=clean, iterations=500)
    >>> write_csv(recs, "sweep.csv")                                              # doctest: +SKIP
    """
    records: list[dict] = []
    for step in iter_sweep(image, task, grid, **kwargs):
        if step.record is not None:
            records.append(step.record)
    return records


def iter_sweep(image: np.ndarray, task: str, grid: dict, *, reference: np.ndarray | None = None,
               mask: np.ndarray | None = None, factor: int | None = None, iterations: int | None = None,
               seed: int = 0, channel_axis: int | None = None, device: str | None = None,
               **fixed) -> Generator[SweepProgress, None, None]:
    """The sweep as a generator of :class:`SweepProgress` (one per iteration of every fit).

    Closing it stops at once: the records finished so far (the ``record``
    of the steps already yielded) stand, the fit in progress is dropped.

    Parameters
    ----------
    image, task, mask, factor, channel_axis, device
        As for :func:`napari_dip.restore`, shared by every combination.
    grid : dict of str -> list
        Option name -> values to try, e.g. ``{"network": ["skip", "unet"],
        "lr": [0.01, 1e-4]}``. Names are :func:`napari_dip.restore`'s
        keyword arguments (``iterations`` and ``seed`` included).
    reference : ndarray, optional
        Clean image with the output's shape: each record gets PSNR and SSIM.
    iterations : int, optional
        Iterations per restoration (None: the task preset's).
    seed : int
        The same seed for every combination, so they differ only by the grid.
    **fixed
        Further :func:`napari_dip.restore` options shared by every combination.
    """
    combos = combinations(grid)
    clash = sorted(
        set(grid) & (set(fixed) | {"image", "task", "mask", "reference", "channel_axis", "device"})
    )
    if clash:
        raise ValueError(
            f"{clash} given both in the grid and as fixed arguments; vary it or fix it, not both"
        )
    shared = dict(mask=mask, factor=factor, iterations=iterations, seed=seed, channel_axis=channel_axis,
                  device=device, **fixed)
    records: list[dict] = []
    for index, settings in enumerate(combos, start=1):
        record = None
        for step in _one(image, task, {**shared, **settings}, reference, index, len(combos), settings):
            if step.record is not None:
                record = step.record
                records.append(record)
                step.done, step.records = index == len(combos), list(records)
            yield step


def _one(image, task, kwargs, reference, index, n, settings) -> Generator[SweepProgress, None, None]:
    """One restoration of the sweep, as progress steps; the last carries its record."""
    from napari_dip import iter_restore  # torch: the experiments package loads without it

    start = time.perf_counter()
    gen = iter_restore(image, task, reference=reference, **kwargs)
    try:
        for snap in gen:
            step = SweepProgress(
                index,
                n,
                dict(settings),
                snap.iteration,
                snap.total,
                snap.loss,
                snap.preview,
                dict(snap.metrics),
                time.perf_counter() - start,
            )
            if snap.done:
                step.record = _record(snap.result, settings, reference, kwargs.get("channel_axis"),
                                      time.perf_counter() - start)
                step.preview = step.record["image"]
            yield step
    finally:
        gen.close()


def _record(result, settings: dict, reference, channel_axis, seconds: float) -> dict:
    image = result.image
    scores: dict[str, float | None] = {"psnr": None, "ssim": None}
    if reference is not None:
        scores = {"psnr": float(psnr(reference, image)),
                  "ssim": float(ssim(reference, image, channel_axis=channel_axis))}
    return {"settings": dict(settings), **scores, "seconds": round(seconds, 3),
            "stopped_at": int(result.stopped_at.iteration), "stop_reason": result.stopped_at.reason,
            "image": image, "config": result.config}


def table(records: list[dict]) -> tuple[list[str], list[list]]:
    """``(header, rows)``: one column per setting (union, in order of appearance), then :data:`COLUMNS`."""
    keys: list[str] = []
    for rec in records:
        keys += [k for k in rec["settings"] if k not in keys]
    rows = [[rec["settings"].get(k, "") for k in keys] + [rec.get(c) for c in COLUMNS] for rec in records]
    return keys + list(COLUMNS), rows


def write_csv(records: list[dict], path) -> Path:
    """Write the records' settings and scores (not the images) to ``path`` as CSV; return the path."""
    header, rows = table(records)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def _split(text: str) -> list[str]:
    """Split on commas outside brackets: ``"2,[0,4],6"`` -> ``["2", "[0,4]", "6"]``."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "[(") - (ch in "])")
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p.strip() for p in [*parts, cur] if p.strip()]


def parse_values(text: str) -> list:
    """``"2,4,6"`` -> ``[2, 4, 6]``; numbers, ``true``/``false``/``none``, ``[lists]``, else strings."""
    words = {"true": True, "false": False, "none": None}
    values: list[Any] = []
    for part in _split(text):
        if part.lower() in words:
            values.append(words[part.lower()])
            continue
        try:
            values.append(ast.literal_eval(part))
        except (ValueError, SyntaxError):
            values.append(part)
    if not values:
        raise ValueError(f"no values in {text!r}; give comma-separated values, e.g. 2,4,6")
    return values


def parse_vary(text: str) -> tuple[str, list]:
    """``"depth=2,4,6"`` -> ``("depth", [2, 4, 6])`` (the command line's ``--vary``)."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--vary takes NAME=V1,V2,..., got {text!r}")
    return name.strip(), parse_values(values)
