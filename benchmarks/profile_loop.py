"""Where an iteration's time goes: the fit loop under torch's profiler, operator by operator.

The defaults of a denoising fit (automatic stop off) on camera with Gaussian noise at ``--size``,
after 5 warm-up iterations, profiled over ``--iterations`` iterations on the CPU: each operator's
share of the self CPU time (its own time, without the operators it calls), grouped by name, and
the profiler's total. A first step of "find where the extra time per iteration goes".

    python benchmarks/profile_loop.py --size 256 --iterations 30 --threads 1 --precision auto fp32
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch.profiler import ProfilerActivity, profile

from _lib import TRACES
from _lib.report import command, machine, markdown_table, write_section
from napari_dip import iter_restore
from napari_dip.sample_data import add_gaussian_noise, camera

WARM_UP = 5


def profile_fit(size: int, iterations: int, precision: str) -> dict:
    """``{"seconds_per_iteration", "ops": [[name, self_ms_per_iteration, share], ...]}`` of a profiled fit."""
    noisy = add_gaussian_noise(camera(size), 25, seed=0)
    gen = iter_restore(
        noisy,
        "denoise",
        iterations=WARM_UP + iterations,
        early_stop=False,
        preview_every=WARM_UP + iterations,
        precision=precision,
    )
    for _ in range(WARM_UP):
        next(gen)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in gen:
            pass
        seconds = time.perf_counter() - t0
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    ops = sorted(((e.key, e.self_cpu_time_total) for e in events), key=lambda kv: -kv[1])
    return {
        "seconds_per_iteration": seconds / iterations,
        "ops": [[name, us / 1000 / iterations, us / total] for name, us in ops],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--precision", nargs="+", default=["auto", "fp32"])
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sections = []
    for precision in args.precision:
        result = profile_fit(args.size, args.iterations, precision)
        path = TRACES / f"profile-{args.size}-{precision}.json"
        path.write_text(json.dumps({"machine": machine(), **result}, indent=1))
        rows = [[name, f"{ms:.1f}", f"{100 * share:.1f} %"] for name, ms, share in result["ops"][: args.top]]
        sections.append(
            f"**precision={precision}**: {1000 * result['seconds_per_iteration']:.0f} ms per "
            f"iteration under the profiler\n\n"
            + markdown_table(["operator", "self ms per iteration", "share of self CPU time"], rows)
        )
        print(sections[-1], flush=True)
    body = (
        f"Command: `{command()}`  \nMachine: {machine()}, {args.threads or 'default'} torch thread(s)\n\n"
        + "\n\n".join(sections)
        + "\n"
    )
    write_section("profile-loop", body)


if __name__ == "__main__":
    main()
