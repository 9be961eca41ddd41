"""Coarse-to-fine: does fitting a half-size problem first shorten the time to the result? (issue: time to
result)

For each paper case of ``benchmarks/paper.py`` (``--only`` picks some) at
``--size`` px, two runs of the defaults, automatic stop on, side by side:

* **defaults**: ``restore(...)`` as a user calls it;
* **coarse-to-fine**: the same network is first fitted for ``--coarse``
  iterations to the problem at half size (the observation averaged over 2 x 2
  blocks, over its observed pixels only; a block with fewer than two observed is missing), then
  its input is up-sampled 2x (nearest, so that it keeps noise statistics) and
  the fit continues at full size with the weights and Adam's state, under the
  default stop. A prototype built from the engine's parts (``prepare``,
  ``plan_fit``, ``fit``), not an option of ``restore``.

Writes PSNR, iterations and seconds of both (1 torch thread by default)
between ``<!-- coarse-to-fine:start/end -->`` in docs/notes/benchmarks.md.

    python benchmarks/coarse_to_fine.py --size 96 --coarse 300 --only F16 zebra barbara
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _lib.cases import paper_cases
from _lib.report import command, machine, markdown_table, write_section
from napari_dip import restore
from napari_dip.metrics import psnr


def halve(image: np.ndarray, missing: np.ndarray | None, channel_axis: int | None):
    """2 x 2 block means over observed pixels; ``(image, missing or None)`` at half size (a block with
    fewer than 2 observed pixels is missing)."""
    x = image.astype(np.float64)
    x = x if channel_axis is None else np.moveaxis(x, channel_axis, -1)
    x = x if x.ndim == 3 else x[..., None]
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    known = np.ones((h, w)) if missing is None else (~np.asarray(missing, bool)[:h, :w]).astype(np.float64)
    blocks = lambda a: a.reshape(h // 2, 2, w // 2, 2, *a.shape[2:]).sum(axis=(1, 3))  # noqa: E731
    count = blocks(known)
    small = blocks(x[:h, :w] * known[..., None]) / np.maximum(count, 1)[..., None]
    small = small if image.ndim == 3 else small[..., 0]
    return small.astype(np.float32), (None if missing is None else count < 2)


def coarse_to_fine(degraded, task_name: str, kw: dict, coarse_its: int, iterations: int, seed: int):
    """``(image (H, W[, C]) in [0, 1], total iterations)`` of the two-stage fit."""
    import torch
    import torch.nn.functional as F

    from napari_dip.core.engine.inputs import make_input
    from napari_dip.core.engine.job import prepare
    from napari_dip.core.engine.loop import FitHistory, fit
    from napari_dip.core.engine.plan import Plan, plan_fit
    from napari_dip.core.engine.sizing import padded_grid
    from napari_dip.core.restore import _split, _task

    task, kw = _task(task_name), dict(kw)
    mask, factor, ca = kw.pop("mask", None), kw.pop("factor", None), kw.pop("channel_axis", None)
    x = degraded.astype(np.float32) / 255.0

    def job_for(image, missing):
        settings, inputs = _split(task, dict(kw), factor)
        return prepare(image, task, settings, mask=missing, inputs=inputs, channel_axis=ca,
                       iterations=iterations, seed=seed, device="cpu")

    job_f = job_for(x, mask)
    data_f = job_f.data(job_f.planes[0])
    full = plan_fit(job_f, data_f, iterations=iterations)
    job_c = job_for(*halve(x, mask, ca))
    data_c = job_c.data(job_c.planes[0])
    out_c = tuple(s * job_c.scale for s in data_c.x.shape[1:])
    z_c = make_input(job_f.fit.input_kind, full.z.shape[1], padded_grid(full.net, out_c)[1],
                     generator=torch.Generator().manual_seed(seed))
    coarse = plan_fit(job_c, data_c, iterations=coarse_its,
                      warm=Plan(full.net, z_c, None, None, {}, full.config, full.spec))
    coarse.fit_kwargs.update(early_stop=None, backtrack=None)
    history = FitHistory()
    for _ in fit(coarse.net, coarse.z, coarse.loss_fn, finalize=coarse.finalize, history=history,
                 **coarse.fit_kwargs):
        pass
    z_f = F.interpolate(coarse.z, size=full.z.shape[2:], mode="nearest")
    fine = plan_fit(
        job_f,
        data_f,
        iterations=iterations,
        warm=Plan(coarse.net, z_f, None, None, {}, full.config, full.spec),
    )
    fine.fit_kwargs["optimizer_state"] = history.optimizer_state
    done = None
    for snap in fit(fine.net, fine.z, fine.loss_fn, finalize=fine.finalize, history=FitHistory(),
                    **fine.fit_kwargs):
        done = snap if snap.done else done
    image = job_f.codec.decode(done.preview, scale=job_f.scale, index=job_f.planes[0])
    if job_f.keep:
        keep = ~data_f.missing if image.ndim == 2 else (~data_f.missing)[..., None]
        image = np.where(keep, x, image)
    return image, coarse_its + done.iteration


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--coarse", type=int, default=300, help="iterations of the half-size stage")
    ap.add_argument("--iterations", type=int, default=2000, help="cap of the full-size stage")
    ap.add_argument("--only", nargs="*", default=None, help="case name prefixes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    rows = []
    for name, task, degraded, clean, kw, notebook in paper_cases(args.size, args.seed):
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        ref, its = clean.astype(np.float32) / 255.0, min(notebook, args.iterations)
        start = time.perf_counter()
        res = restore(degraded.astype(np.float32) / 255.0, task, iterations=its, seed=args.seed, **kw)
        plain = [f"{psnr(ref, res.image, data_range=1.0):.2f}", res.config["iterations_run"],
                 f"{time.perf_counter() - start:.0f}"]
        start = time.perf_counter()
        image, n = coarse_to_fine(degraded, task, kw, args.coarse, its, args.seed)
        rows.append(
            [
                name,
                *plain,
                f"{psnr(ref, image, data_range=1.0):.2f}",
                f"{args.coarse} + {n - args.coarse}",
                f"{time.perf_counter() - start:.0f}",
            ]
        )
        print(" | ".join(map(str, rows[-1])), flush=True)
    body = (f"Command: `{command()}`  \nMachine: {machine()}, {args.threads} torch thread(s)\n\n"
            + markdown_table(["case", "defaults: PSNR", "iterations", "s", "coarse-to-fine: PSNR",
                              "iterations (half + full size)", "s"], rows) + "\n")
    print(body)
    if not args.no_write:
        write_section("coarse-to-fine", body)


if __name__ == "__main__":
    main()
