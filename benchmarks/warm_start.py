"""Warm start on a time-lapse: does starting each plane from the previous plane's weights pay?

A synthetic time-lapse: scikit-image's ``cell`` (a microscopy image,
bundled, no download), the cell and its background scaled to 48 x 48, drifting by
(0.7, 1.0) px per frame (sub-pixel shifts), 4 frames, uint8, plus Gaussian
noise (sigma 20 grey levels). Plane mode, every plane restored:

- **cold**: each plane its own fit from fresh weights, ``--iterations`` each;
- **cold (short)**: the same with ``--warm-iterations`` (a control: is it just fewer iterations?);
- **warm**: the first plane ``--iterations``, each later plane starts from the previous
  plane's fitted weights (``warm_start=True``) and runs ``--warm-iterations``.

Prints a markdown table: PSNR per plane against the clean frames, their mean,
total iterations and wall time (1 torch thread).

    python benchmarks/warm_start.py [--iterations 600] [--warm-iterations 200] [--width 64]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch


def time_lapse(n: int = 4, size: int = 48, drift=(0.7, 1.0), sigma: float = 20.0, seed: int = 0):
    """(clean, noisy) uint8 stacks of ``n`` frames."""
    from scipy.ndimage import shift
    from skimage import data
    from skimage.transform import resize

    cell = data.cell().astype(np.float64)
    margin = 8
    big = cell[240:504, 296:550]  # the cell and its background, 264 x 254 px
    big = resize(big, (size + 2 * margin, size + 2 * margin), anti_aliasing=True)
    frames = [shift(big, (t * drift[0], t * drift[1]), order=3, mode="reflect")[margin:margin + size,
                                                                                margin:margin + size]
              for t in range(n)]
    clean = np.clip(np.stack(frames), 0, 255).round().astype(np.uint8)
    rng = np.random.default_rng(seed)
    noisy = np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 255).round().astype(np.uint8)
    return clean, noisy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=600)
    ap.add_argument("--warm-iterations", type=int, default=None, help="default: iterations // 3")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument(
        "--early-stop",
        action="store_true",
        help="also run the denoise preset's default: early stopping, at most 3000 (warm: 1000) iterations",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    from napari_dip import restore
    from napari_dip.metrics import psnr

    its = args.iterations
    warm_its = args.warm_iterations or its // 3
    clean, noisy = time_lapse(args.frames)
    runs = [("cold", dict(iterations=its)),
            ("cold (short)", dict(iterations=warm_its)),
            ("warm", dict(iterations=its, warm_start=True, warm_iterations=warm_its))]
    if args.early_stop:
        runs += [("cold, early stop", dict(iterations=3000, early_stop=True)),
                 ("warm, early stop", dict(iterations=3000, early_stop=True, warm_start=True,
                                           warm_iterations=1000))]
    print(f"Time-lapse: {args.frames} x 48 x 48 uint8 (skimage cell, drift 0.7/1.0 px per frame, "
          f"Gaussian noise sigma 20); denoise, width {args.width}, seed 0; "
          f"torch {torch.__version__}, 1 thread, {platform.machine()}.\n")
    head = " | ".join(f"plane {t}" for t in range(args.frames))
    print(f"| run | iterations per plane | {head} | mean PSNR | total iterations | seconds |")
    print("|---|---|" + "---:|" * args.frames + "---:|---:|---:|")
    noisy_psnr = [psnr(clean[t], noisy[t]) for t in range(args.frames)]
    print("| noisy input | - | " + " | ".join(f"{v:.2f}" for v in noisy_psnr)
          + f" | {np.mean(noisy_psnr):.2f} | - | - |")
    for name, kw in runs:
        kw.setdefault("early_stop", False)
        t0 = time.perf_counter()
        res = restore(noisy, "denoise", width=args.width, seed=0, **kw)
        secs = time.perf_counter() - t0
        scores = [psnr(clean[t], res.image[t]) for t in range(args.frames)]
        per = "/".join(str(p["iterations_run"]) for p in res.config["planes"])
        print(f"| {name} | {per} | " + " | ".join(f"{v:.2f}" for v in scores)
              + f" | {np.mean(scores):.2f} | {res.config['iterations_run']} | {secs:.1f} |", flush=True)
    print("\nPSNR in dB against the clean frames (data range 255); seconds: wall time of the whole stack.")


if __name__ == "__main__":
    main()
