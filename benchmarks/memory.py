"""Check the memory model of ``napari_dip.estimate_memory`` against measured peaks.

Each case runs in a fresh subprocess (1 torch thread): the resident set size
before the call is subtracted from the peak resident set size
(``ru_maxrss``) after a 2-iteration ``restore`` of a random image, untiled.
Prints a markdown table: estimate, measured, ratio.

    python benchmarks/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys
import numpy as np, torch
torch.set_num_threads(1)
from napari_dip import estimate_memory, restore
from napari_dip.core import tasks

side, width, precision, task, mode, z = json.loads(sys.argv[1])
shape = (z, side, side) if mode == "volume" else (side, side)
img = (np.random.default_rng(0).random(shape) * 60000).astype(np.uint16)
kw = dict(width=width, precision=precision, mode=mode, tile=False, max_memory=1 << 40)
est = estimate_memory(shape, task, **kw)
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
mask = None
if tasks.get(task).form.needs_mask:
    mask = np.zeros(shape[-2:], bool); mask[::7, ::5] = True
base = rss()
restore(img, task, mask=mask, iterations=2, preview_every=1, early_stop=False, **kw)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"estimate": est, "measured": peak - base}))
"""

CASES = [
    # side, width, precision, task, mode, z
    (256, 64, "auto", "denoise", "plane", 1),
    (512, 64, "auto", "denoise", "plane", 1),
    (512, 64, "fp32", "denoise", "plane", 1),
    (1024, 16, "auto", "denoise", "plane", 1),
    (1024, 16, "fp32", "denoise", "plane", 1),
    (512, 32, "auto", "inpaint", "plane", 1),
    (128, 16, "auto", "denoise", "volume", 16),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the two smallest cases")
    args = ap.parse_args()
    cases = CASES[:1] + CASES[-1:] if args.quick else CASES
    print("| image | task | width | precision | estimate (MiB) | measured peak (MiB) | estimate / measured |")
    print("|---|---|---:|---|---:|---:|---:|")
    for side, width, precision, task, mode, z in cases:
        res = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps([side, width, precision, task, mode, z])],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        shape = f"{z}x{side}x{side}" if mode == "volume" else f"{side}x{side}"
        prec = "bf16" if precision == "auto" else precision
        print(f"| {shape} | {task} | {width} | {prec} | {r['estimate'] / 2**20:.0f} | "
              f"{r['measured'] / 2**20:.0f} | {r['estimate'] / r['measured']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
