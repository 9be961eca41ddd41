"""The driver: runs a :class:`~.job.Job`'s fits (planes x tiles) through the one loop, for every task.

Stacks, tiles (their geometry and stitching: :mod:`..tiling`) and warm start (a plane from the plane
before; a tile from the tile before, :mod:`.chain`) are run here once.
Each fit's snapshots are mapped back to the user's dtype and layout into one output array (the
whole stack, filled plane by plane; tiles stitched with cosine weights) and re-yielded with the
run's progress; the run's last snapshot carries the result.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Generator

import numpy as np

from ..metrics import psnr, ssim
from ..tiling.boxes import tile_boxes
from ..tiling.stitching import Canvas, initial_output, tile_weights
from .chain import TileChain, chained
from .loop import FitHistory, Snapshot, fit
from .plan import Plan, plan_fit
from .results import FitResult, StopInfo, history_rows

SKIPPED = "nothing missing: copied from the input"


def parts_of(job, idx: tuple = ()) -> list:
    """The ``(y0, y1, x0, x1)`` boxes plane ``idx`` is fitted in: its windows, its tiles, or [None] (one
    fit of the whole plane)."""
    if job.windows is not None:
        return list(job.windows.get(idx, []))
    if job.tile:
        return tile_boxes(job.codec.plane_shape[-2:], job.tile, job.overlap)
    return [None]


def tiles_of(job, data, idx: tuple = ()):
    """``(data of the part, output slice, weight)`` per tile or window (windows: weight 1, they never
    overlap); one fit of the whole plane when the job has neither."""
    plane = data.x.shape[-2:]
    s = job.scale
    for box in parts_of(job, idx):
        if box is None:
            yield data, None, None
            continue
        y0, y1, x0, x1 = box
        sl = (Ellipsis, slice(y0, y1), slice(x0, x1))
        extras = {k: v[sl] for k, v in data.extras.items()}
        part = dataclasses.replace(data, x=data.x[sl], missing=data.missing[sl], extras=extras)
        osl = (Ellipsis, slice(y0 * s, y1 * s), slice(x0 * s, x1 * s))
        weight = (np.ones(((y1 - y0) * s, (x1 - x0) * s)) if job.windows is not None
                  else tile_weights(box, plane, job.tile, job.overlap, s))
        yield part, osl, weight


def start_fit(job, part, iterations: int, warm: tuple | None = None, *, input_crop=None):
    """One fit of ``part`` (the data of a plane, a tile or a window) compiled and started: ``(plan, history,
    snapshots)``, the history filled by the loop as the generator runs. ``warm``: ``(plan, optimizer state)``
    of the fit before, whose network, input and Adam state this fit continues; ``input_crop``: the fit's
    input instead (:func:`.plan.plan_fit`). The driver starts every fit so, and :mod:`..tiling.runner` one
    tile of a run split across processes."""
    plan = plan_fit(job, part, iterations=iterations, warm=warm[0] if warm is not None else None,
                    input_crop=input_crop)
    if warm is not None:
        plan.fit_kwargs["optimizer_state"] = warm[1]
    history = FitHistory()
    gen = fit(plan.net, plan.z, plan.loss_fn, finalize=plan.finalize, history=history, **plan.fit_kwargs)
    return plan, history, gen


def run(job, reference: np.ndarray | None = None, result_type=FitResult,
        resume: FitResult | None = None) -> Generator[Snapshot, None, None]:
    """Run every fit of ``job``; yield a snapshot per iteration, the last with ``done`` and ``result``.

    ``resume``: the result of an earlier run of the same one-fit job, whose fit this run continues (its
    network, input and optimiser state; ``job.fit.iterations`` more iterations)."""
    state = _RunState(job, reference, result_type)
    if resume is not None:
        if resume.resume is None or len(job.planes) != 1 or state.n_tiles > 1:
            raise ValueError("resume: only a run of one untiled fit (one plane or volume) can be continued.")
        state.prev, state.prev_state = resume.resume
        state.resuming = True
    pending = None  # held back one step, so that the run's last snapshot is the one marked done
    for pn, idx in enumerate(job.planes, start=1):
        if idx in job.run:
            for snap in state.fit_plane(pn, idx):
                if pending is not None:
                    yield pending
                pending = snap
    yield state.finish(pending)


class _RunState:
    """The bookkeeping of one run across its fits."""

    def __init__(self, job, reference, result_type):
        self.job, self.reference, self.result_type = job, reference, result_type
        self.canvas = Canvas(job, initial_output(job))
        self.n_tiles = max((len(parts_of(job, idx)) for idx in job.run), default=1)
        self.multi = len(job.planes) > 1 or self.n_tiles > 1 or bool(job.codec.lead_shape)
        self.rows: list[dict] = []
        self.records: dict[tuple, dict] = {}
        self.config: dict | None = None
        self.last: tuple = (0, "iterations")
        self.total_run = 0
        self.started = time.perf_counter()
        self.prev: Plan | None = None
        self.prev_state: dict | None = None
        self.resuming = False

    def fit_plane(self, pn: int, idx: tuple) -> Generator[Snapshot, None, None]:
        job, canvas = self.job, self.canvas
        t0 = time.perf_counter()
        data = job.data(idx)
        canvas.start_plane(idx, data.x, data.missing, tiled=job.split)
        boxes = parts_of(job, idx)
        warm = (self.resuming or bool(job.settings.warm_start)) and self.prev is not None
        its = job.warm_iterations if warm and not self.resuming else job.fit.iterations
        self.resuming = False
        chain = TileChain(job, boxes) if chained(job) else None
        ref = self.reference[canvas.ui] if self.reference is not None else None
        runs = []
        for tn, (part, osl, w) in enumerate(tiles_of(job, data, idx), start=1):
            if chain is not None:  # tile_start="warm": from the tile before, its crop of the plane's input
                before, cap, input_crop = chain.start(tn - 1)
            else:
                before = (self.prev, self.prev_state) if warm and osl is None else None
                cap, input_crop = its, None
            plan, history, gen = start_fit(job, part, cap, before, input_crop=input_crop)
            self.config = self.config or plan.config
            scores: dict = {}
            where = {"plane": idx, "plane_number": pn, "n_planes": len(job.planes), "tile_number": tn,
                     "n_tiles": len(boxes)}
            yield from self._snapshots(gen, osl, w, ref, scores, where)
            self.total_run += len(history.loss)
            self.last = (history.stopped_at, history.stop_reason)
            runs.append((history.stopped_at, history.stop_reason, len(history.loss)))
            self.rows += history_rows(history, scores, {"plane": list(idx), "tile": tn} if self.multi else {})
            if chain is not None:
                chain.done(tn - 1, plan, history, cap)
            if osl is None:
                self.prev, self.prev_state = plan, history.optimizer_state
        self._record(idx, warm, its, runs, time.perf_counter() - t0, boxes, chain)

    def _snapshots(self, gen, osl, w, ref, scores: dict, where: dict) -> Generator[Snapshot, None, None]:
        """One fit's snapshots, its preview stitched into the run's output (scored against ``ref``; the
        scores of preview iterations into ``scores``), re-yielded with the run's progress ``where``."""
        canvas = self.canvas
        try:
            for snap in gen:
                if snap.preview is not None:
                    canvas.show(snap.preview, osl, w, snap.done)
                    snap.preview = canvas.out.copy()
                    if ref is not None:
                        snap.metrics = {**snap.metrics, **_score(ref, canvas.out[canvas.ui], canvas.pca)}
                    scores[snap.iteration] = snap.metrics
                yield dataclasses.replace(snap, done=False, **where)
        finally:
            gen.close()

    def _record(self, idx: tuple, warm: bool, its: int, runs: list, seconds: float, boxes: list,
                chain: TileChain | None) -> None:
        """The plane's record: warm start, iterations, where it stopped; its windows' or chained tiles'."""
        last = runs[-1] if runs else (0, "iterations", 0)
        self.records[idx] = {"plane": list(idx), "warm_start": warm, "iterations": its,
                             "iterations_run": sum(r[2] for r in runs), "stopped_at": last[0],
                             "reason": last[1], "seconds": round(seconds, 3)}
        if self.job.windows is not None:
            self.records[idx]["windows"] = [{"box": list(map(int, b)), "iterations_run": r[2],
                                             "stopped_at": r[0], "reason": r[1]}
                                            for b, r in zip(boxes, runs, strict=False)]
        if chain is not None:
            self.records[idx]["tiles"] = chain.records

    def finish(self, last: Snapshot | None) -> Snapshot:
        job = self.job
        config = dict(self.config or {"task": job.task.name})
        config.update(
            run_config(job, self.n_tiles),
            seconds=round(time.perf_counter() - self.started, 3),
            iterations_run=self.total_run,
            planes=[self.records.get(p, {"plane": list(p), "skipped": SKIPPED}) for p in job.planes],
        )
        out = self.canvas.out
        result = self.result_type(
            image=out, history=self.rows, stopped_at=StopInfo(*self.last), config=config
        )
        if len(job.planes) == 1 and self.n_tiles == 1 and self.prev is not None:
            result.resume = (self.prev, self.prev_state)
        if last is None:  # nothing needed a fit
            return Snapshot(0, 0, preview=out, done=True, stop_reason="iterations", result=result)
        return dataclasses.replace(last, preview=out, done=True, stop_reason=self.last[1], result=result)


def run_config(job, n_tiles: int) -> dict:
    codec, s = job.codec, job.settings
    return {
        "mode": job.mode, "stack_shape": list(codec.lead_shape), "n_planes": len(job.planes),
        "normalize": s.normalize, **_noise_record(job),
        "camera": _model_record(getattr(job, "camera", None)),
        "data_range": [codec.vmin if codec.vmin is not None else codec.lo,
                       codec.vmax if codec.vmax is not None else codec.hi],
        "warm_start": bool(s.warm_start), "warm_iterations": job.warm_iterations,
        "memory_estimate": job.memory, "max_memory": job.max_memory,
        "tiles": ({"tile": job.tile, "overlap": job.overlap, "count": n_tiles,
                   **({"start": "warm"} if chained(job) else {})} if job.tile else None),
        "extent": "windows" if job.windows is not None else "whole",
    }


def _noise_record(job) -> dict:
    """The noise model the run used (``noise="auto"`` resolved) and, under ``noise_choice``, what was asked
    for, why, the fitted camera and the status line (``summary``)."""
    choice = getattr(job, "noise", None)
    if choice is None:
        return {"noise": job.settings.noise}
    return {"noise": choice.name, "noise_choice": {**choice.to_dict(), "summary": choice.summary()}}


def _model_record(model) -> dict | None:
    """The noise model of the run for its config: its own record, or its class name."""
    if model is None:
        return None
    return model.to_dict() if hasattr(model, "to_dict") else {"model": type(model).__name__}


def _score(reference: np.ndarray, image: np.ndarray, channel_axis: int | None) -> dict[str, float]:
    return {"psnr": psnr(reference, image), "ssim": ssim(reference, image, channel_axis=channel_axis)}
