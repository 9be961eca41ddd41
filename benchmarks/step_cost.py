"""What one iteration costs: the original DIP code and napari-dip's ways of fitting, side by side.

F16 with Gaussian noise (sigma 25) cropped to ``--sizes``; every way of fitting is a generator
of iterations, and the script steps them in turns, ``--block`` iterations each, for ``--rounds``
rounds, so that a load from elsewhere on the machine falls on all of them alike. Reported: the
median seconds per iteration over the rounds after the first two (warm-up; compilation), and for
``compile`` the one-time cost (its first two blocks less two median blocks).

* **original code**: a checkout of DmitryUlyanov/deep-image-prior given by ``--original PATH``
  (fetched into a temporary folder, never part of this project): its ``skip`` network at the
  paper's width (128) in fp32, and the denoising notebook's step: input noise, moving average, MSE,
  Adam, and the notebook's per-iteration bookkeeping (three PSNRs read to the host, the weights
  copied to the host for its backtracking). *original net + Adam only* leaves the bookkeeping out.
* **napari-dip** through ``iter_restore`` (previews every 10 iterations, automatic stop off): at
  the paper's width in fp32 and in the automatic precision, the defaults (width 64 on a CPU),
  the defaults with the per-parameter Adam of before (``foreach``/loop instead of the fused
  kernel), with channels-first tensors instead of channels-last, with ``compile=True``, and with
  ``fit="input"`` (the Deep Random Projector).

    python benchmarks/step_cost.py --original /tmp/dip-orig --sizes 128 256 --threads 2
    python benchmarks/step_cost.py --report      # the table again from the kept results
    python benchmarks/step_cost.py --original /tmp/dip-orig --sizes 128 256 --skip compile \
        --out step-cost-epyc.json              # another machine, without the compile's minutes
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from skimage.io import imread
from skimage.metrics import peak_signal_noise_ratio

from _lib import PAPER_DATA, TRACES
from _lib.report import command, in_turns, machine
from _lib.speed_tables import step_cost_table
from napari_dip import iter_restore
from napari_dip.core.engine import loop
from napari_dip.sample_data import add_gaussian_noise

NAPARI_DIP = {
    "napari-dip, width 128, fp32": dict(width=128, precision="fp32"),
    "napari-dip, width 128, auto precision": dict(width=128),
    "napari-dip defaults": {},
    "defaults, per-parameter Adam (before)": dict(unfused=True),
    "defaults, channels-first tensors": dict(channels_first=True),
    "defaults, compile=True": dict(compile=True),
    'defaults, fit="input"': dict(fit="input"),
}


def f16(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy) F16 crops, float32 in [0, 1], ``(H, W, 3)``."""
    img = imread(PAPER_DATA / "denoising" / "F16_GT.png")[..., :3]
    top, left = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
    clean = img[top:top + size, left:left + size]
    return clean.astype(np.float32) / 255, add_gaussian_noise(clean, 25, seed=0).astype(np.float32) / 255


@contextmanager
def unfused_adam():
    """The engine's Adam as it was before the fused kernel (torch's default implementation)."""
    original = loop._adam
    loop._adam = lambda params, lr, state: torch.optim.Adam(params, lr=lr)
    try:
        yield
    finally:
        loop._adam = original


def napari_dip_steps(noisy: np.ndarray, options: dict) -> Iterator[None]:
    options = dict(options)
    unfused, first = options.pop("unfused", False), options.pop("channels_first", False)
    gen = iter_restore(noisy, "denoise", channel_axis=-1, iterations=10**6, early_stop=False, seed=0,
                       **options)
    with unfused_adam() if unfused else channels_first() if first else _nothing():
        next(gen)  # the optimiser and the layout are made at the first step
    yield
    for _ in gen:
        yield


@contextmanager
def _nothing():
    yield


@contextmanager
def channels_first():
    """The loop's tensors in the default (channels-first) layout instead of channels-last."""
    original = loop._layout
    loop._layout = lambda net, z: (net, z, torch.contiguous_format)
    try:
        yield
    finally:
        loop._layout = original


def original_steps(path: Path, clean: np.ndarray, noisy: np.ndarray, bookkeeping: bool) -> Iterator[None]:
    """The original code's network and the denoising notebook's step, on the CPU in fp32."""
    sys.path.insert(0, str(path))
    from models import get_net  # noqa: PLC0415 -- the original code, from the checkout given

    torch.manual_seed(0)
    net = get_net(32, "skip", "reflection", skip_n33d=128, skip_n33u=128, skip_n11=4, num_scales=5,
                  upsample_mode="bilinear")
    h, w = noisy.shape[:2]
    saved = torch.rand(1, 32, h, w) * 0.1
    noise = saved.clone()
    target = torch.from_numpy(noisy.transpose(2, 0, 1).copy())[None]
    clean_chw, noisy_chw = clean.transpose(2, 0, 1), noisy.transpose(2, 0, 1)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    average, last_psnr, last_net = None, 0.0, None
    for i in range(10**6):
        optimizer.zero_grad()
        out = net(saved + noise.normal_() * (1 / 30))
        average = out.detach() if average is None else average * 0.99 + out.detach() * 0.01
        loss = torch.nn.functional.mse_loss(out, target)
        loss.backward()
        if bookkeeping:
            o = out.detach().cpu().numpy()[0]
            p_noisy = peak_signal_noise_ratio(noisy_chw, o, data_range=1.0)
            peak_signal_noise_ratio(clean_chw, o, data_range=1.0)
            peak_signal_noise_ratio(clean_chw, average.cpu().numpy()[0], data_range=1.0)
            if i % 100 and p_noisy - last_psnr >= -5:
                last_net, last_psnr = [p.detach().cpu().clone() for p in net.parameters()], p_noisy
        optimizer.step()
        yield
    del last_net


def measure(size: int, original: Path | None, rounds: int, block: int, skip: list[str]) -> dict:
    clean, noisy = f16(size)
    ways = {name: napari_dip_steps(noisy, opts) for name, opts in NAPARI_DIP.items()
            if not any(word in name for word in skip)}
    if original is not None:
        ways = {"original code (notebook step)": original_steps(original, clean, noisy, True),
                "original net + Adam only": original_steps(original, clean, noisy, False), **ways}
    times = in_turns(ways, rounds, block)
    out = {}
    for name, ts in times.items():
        median = statistics.median(ts[2:])
        out[name] = {"seconds_per_iteration": median,
                     "first_blocks_extra_s": max(0.0, (ts[0] + ts[1] - 2 * median) * block)}
        print(size, name, out[name], flush=True)
    return out


def table(results: dict) -> str:
    return (f"Command: `{results['command']}`  \nMachine: {results['machine']}; {results['threads']} torch "
            f"threads; {results['note']}\n\n" + step_cost_table(results) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--original", type=Path, default=None,
                    help="a checkout of DmitryUlyanov/deep-image-prior")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--block", type=int, default=10)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    ap.add_argument("--skip", nargs="*", default=[], help="leave out the ways whose name has these words")
    ap.add_argument("--out", default="step-cost.json", help="the results' file in benchmarks/traces/")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    path = TRACES / args.out
    if args.report:
        print(table(json.loads(path.read_text())))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    results = {
        "command": command(),
        "machine": machine(),
        "threads": torch.get_num_threads(),
        "note": args.note or "nothing else running",
        "sizes": {str(s): measure(s, args.original, args.rounds, args.block, args.skip)
                  for s in args.sizes},
    }
    path.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
