"""A second-order fit of the input mode: L-BFGS on the Deep Random Projector's few parameters.

``fit="input"`` fits only the network's input and its BatchNorms' scales and shifts, a parameter set
small enough for a quasi-Newton method. This script fits the same plan (network, input, the task's
loss with the projector's square root and TV) with ``torch.optim.LBFGS`` (strong Wolfe line search,
``--inner`` evaluations per step) instead of Adam, on the paper cases of ``paper.py``, and records the
PSNR of the raw output after every step against the number of network evaluations (forward and
backward) spent. The table sets its best PSNR beside the Adam fit's trace that
``quality_per_second.py`` kept for the same case and seed (``input``: one evaluation per iteration).
Not an option of the engine: it did not win (docs/benchmarks.md).

    python benchmarks/second_order.py --size 96 --seed 1 --steps 30
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from _lib import TRACES
from _lib.cases import paper_cases
from _lib.report import command, machine
from _lib.speed_tables import second_order_table
from napari_dip.core.engine.plan import plan_fit
from napari_dip.core.restore import prepare_job
from napari_dip.metrics import psnr


def lbfgs_trace(degraded, clean, task, kw, seed: int, steps: int, inner: int) -> dict:
    ref = clean.astype(np.float32) / 255
    job = prepare_job(degraded.astype(np.float32) / 255, task, fit="input", early_stop=False, seed=seed, **kw)
    plan = plan_fit(job, job.data(job.run[0]), iterations=steps)
    net, z, loss_fn, finalize = plan.net, plan.z, plan.loss_fn, plan.finalize
    net.train()
    params = [p for p in net.parameters() if p.requires_grad] + [z]
    optimizer = torch.optim.LBFGS(params, lr=1, max_iter=inner, history_size=20,
                                  line_search_fn="strong_wolfe")
    evaluations, trace = [0], {"evaluations": [], "psnr": []}

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(net(z).float(), 0)
        loss.backward()
        evaluations[0] += 1
        return loss

    for _ in range(steps):
        optimizer.step(closure)
        with torch.no_grad():
            image = finalize(net(z).float())[0].cpu().numpy()
        image = np.clip(np.moveaxis(image, 0, -1) if ref.ndim == 3 else image[0], 0, 1)
        trace["evaluations"].append(evaluations[0])
        trace["psnr"].append(psnr(ref, image, data_range=1.0))
    return trace


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--inner", type=int, default=10, help="evaluations per L-BFGS step at most")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    path = TRACES / f"second-order-{args.size}.json"
    if not args.report:
        out = {}
        for name, task, degraded, clean, kw, _ in paper_cases(args.size, args.seed):
            out[f"{name}, s{args.seed}"] = lbfgs_trace(degraded, clean, task, kw, args.seed, args.steps,
                                                       args.inner)
            print(name, f"best {max(out[f'{name}, s{args.seed}']['psnr']):.2f}", flush=True)
        path.write_text(json.dumps({"command": command(), "machine": machine(), "cases": out}))
    kept = json.loads((TRACES / f"quality-per-second-{args.size}.json").read_text())
    print(second_order_table(json.loads(path.read_text()), kept))


if __name__ == "__main__":
    main()
