"""Real camera noise: DIP and its peers on the W2S widefield pairs (one capture against the mean of 400).

Each pair of ``../shared/data/w2s`` (512 x 512 uint8, each file min-max normalised on its own) is cropped
at its centre to ``--crop`` pixels (0: the whole image) and restored by:

- DIP as a user calls it, ``restore(noisy, "denoise", seed=s, noise=...)``, with the Gaussian model, with
  the camera model (``noise="poisson"``: gain and offset estimated), and ``fit="input"`` with the camera
  model; ``noise="auto"`` is scored as the model it picks (recorded per pair: same seed, same run);
- BM3D with sigma from ``skimage.restoration.estimate_sigma`` (what a user types), BM3D through the
  generalised Anscombe transform with the estimated camera (what a careful user runs, and what Compare
  runs with the camera model), and BM3D at the sigma that scores best against the reference (an upper
  bound for BM3D, not something a user can run);
- Noise2Void trained on the crop itself (careamics), when ``--n2v-python`` names the Python of an
  environment that has careamics: careamics needs torchvision, whose wheels need another torch than the
  project's, so it runs in its own virtual environment in a subprocess.

Every result is scored as the data's README says: a least-squares affine fit ``a * result + b`` to the
reference first (the same for every method), then PSNR and SSIM with a data range of 255. Results go to
``benchmarks/traces/real-noise-<crop>.json`` after each run (a rerun skips what is there), with the
machine line and the load average around each DIP run (the machine may be shared: seconds are then
upper bounds). ``docs/scripts/tables.py`` renders docs/tables/real-noise-<crop>.md from it.

    python benchmarks/real_noise.py --crop 128 --seeds 0 --threads 2
    python benchmarks/real_noise.py --crop 128 --seeds 0 --n2v-python /tmp/n2v-venv/bin/python --only n2v
    python docs/scripts/tables.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

from _lib import ROOT, TRACES, W2S
from _lib.cases import w2s_names, w2s_pair
from _lib.report import command, machine
from _lib.scoring import W2S_RULE, score
from napari_dip import restore
from napari_dip.core.noise import estimate_camera_noise
from napari_dip.core.peers import denoise_bm3d

#: The DIP runs: label -> restore()'s keyword arguments.
DIP_RUNS = {
    "DIP, Gaussian model": dict(noise="gaussian"),
    "DIP, camera model": dict(noise="poisson"),
    "DIP fit=input, camera model": dict(noise="poisson", fit="input"),
    # levers aimed at where DIP loses: BM3D's estimate as input channels, the explicit-denoiser prior
    "DIP, camera model, BM3D input": dict(noise="poisson", fill_input=True),
    "DIP, camera model, RED": dict(noise="poisson", denoiser_weight=0.2),
}
BM3D_SIGMAS = np.geomspace(2.0, 60.0, 14)  # in grey levels of the 0-255 data


def best_sigma_bm3d(noisy: np.ndarray, clean: np.ndarray) -> tuple[np.ndarray, float]:
    """BM3D at the sigma (a grid, then its neighbours' midpoints) that scores best against the reference."""
    tried = {}
    for sigma in BM3D_SIGMAS:
        tried[float(sigma)] = denoise_bm3d(noisy.astype(np.float64), sigma=float(sigma))
    best = max(tried, key=lambda s: score(clean, tried[s], **W2S_RULE).psnr)
    for sigma in (best / 1.15, best * 1.15):
        tried[sigma] = denoise_bm3d(noisy.astype(np.float64), sigma=sigma)
    best = max(tried, key=lambda s: score(clean, tried[s], **W2S_RULE).psnr)
    return tried[best], best


def run_bm3d(name: str, noisy: np.ndarray, clean: np.ndarray) -> dict:
    t = time.perf_counter()
    extra: dict = {}
    if name == "BM3D, sigma estimate":
        out = denoise_bm3d(noisy)
    elif name == "BM3D, camera model (GAT)":
        camera = estimate_camera_noise(noisy)
        extra = {"gain": camera.gain, "offset": camera.offset, "read_noise": camera.read_noise}
        out = denoise_bm3d(noisy, camera=camera)
    else:
        out, sigma = best_sigma_bm3d(noisy, clean)
        extra = {"sigma": sigma, "note": "seconds: the whole sigma search"}
    seconds = time.perf_counter() - t
    p, s = score(clean, out, **W2S_RULE, with_ssim=True)
    return {"psnr": p, "ssim": s, "seconds": seconds, **extra}


def run_dip(kwargs: dict, noisy: np.ndarray, clean: np.ndarray, seed: int) -> dict:
    """One DIP run, scored alone and averaged with the fair BM3D (a lever measured, not an option)."""
    load = os.getloadavg()[0]
    t = time.perf_counter()
    result = restore(noisy, "denoise", seed=seed, **kwargs)
    seconds = time.perf_counter() - t
    p, s = score(clean, result.image, **W2S_RULE, with_ssim=True)
    fair = denoise_bm3d(noisy, camera=estimate_camera_noise(noisy)).astype(np.float64)
    averaged = score(clean, (result.image.astype(np.float64) + fair) / 2, **W2S_RULE, with_ssim=True)
    return {"psnr": p, "ssim": s, "seconds": seconds, "iterations": result.stopped_at.iteration,
            "stop": result.stopped_at.reason, "load_before": load, "load_after": os.getloadavg()[0],
            "with_fair_bm3d": {"psnr": averaged[0], "ssim": averaged[1]}}


N2V_SCRIPT = """
import sys, time, numpy as np, tifffile
from napari_dip.core.peers import denoise_noise2void
x = tifffile.imread(sys.argv[1])
t = time.perf_counter()
out = denoise_noise2void(x, epochs=int(sys.argv[3]), patch=int(sys.argv[4]))
print(time.perf_counter() - t)
tifffile.imwrite(sys.argv[2], out)
"""


def run_n2v(python: str, noisy: np.ndarray, clean: np.ndarray, epochs: int) -> dict:
    """Noise2Void in its own environment (careamics), napari-dip's peer function from this checkout."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.tif"), Path(tmp, "out.tif")
        tifffile.imwrite(src, noisy)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        patch = 64 if min(noisy.shape) >= 256 else 32  # careamics needs patches to spare for validation
        argv = [python, "-c", N2V_SCRIPT, str(src), str(dst), str(epochs), str(patch)]
        done = subprocess.run(argv, env=env, cwd=tmp, capture_output=True, text=True, check=True)
        seconds = float(done.stdout.strip().splitlines()[-1])
        p, s = score(clean, tifffile.imread(dst), **W2S_RULE, with_ssim=True)
    return {"psnr": p, "ssim": s, "seconds": seconds, "epochs": epochs, "patch": patch,
            "note": "careamics in its own venv"}


def auto_decision(noisy: np.ndarray) -> dict | None:
    """What ``noise="auto"`` picks on this image (None where this checkout has no automatic choice)."""
    try:
        from napari_dip.core.noise import choose_noise_model  # the automatic choice, where it exists
    except ImportError:
        return None
    choice = choose_noise_model(noisy)
    return {"noise": choice.name, "reason": choice.reason}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=W2S)
    parser.add_argument("--crop", type=int, default=128, help="centre crop (0: the whole 512 x 512)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--pairs", nargs="*", help="e.g. 001_0 100_1 (default: all)")
    parser.add_argument("--only", nargs="*", default=["raw", "bm3d", "dip", "auto"],
                        help="any of raw bm3d dip n2v auto")
    parser.add_argument("--dip", nargs="*", default=list(DIP_RUNS)[:3],
                        help="which DIP runs (the levers: by name)")
    parser.add_argument("--n2v-python", help="the Python of an environment with careamics")
    parser.add_argument("--n2v-epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch  # the project's torch, for the thread count only

    torch.set_num_threads(args.threads)
    out_path = TRACES / f"real-noise-{args.crop or 512}.json"
    data = json.loads(out_path.read_text()) if out_path.exists() else {"results": {}}
    ran = data.get("_meta", {}).get("commands", [])
    ran = [*ran, command()] if command() not in ran else ran  # every invocation that added results
    data["_meta"] = {"commands": ran, "command": " ; ".join(ran), "machine": machine(),
                     "crop": args.crop or 512}

    def save() -> None:
        out_path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")

    for pair in args.pairs or w2s_names(args.data):
        noisy, clean = w2s_pair(args.data, pair, args.crop)
        rows = data["results"].setdefault(pair, {})
        todo: list[tuple[str, object]] = []
        if "raw" in args.only:
            todo.append(("raw", lambda x=noisy, y=clean: score(y, x, **W2S_RULE, with_ssim=True)._asdict()))
        if "bm3d" in args.only:
            todo += [(m, lambda m=m, x=noisy, y=clean: run_bm3d(m, x, y))
                     for m in ("BM3D, sigma estimate", "BM3D, camera model (GAT)", "BM3D, best sigma")]
        if "n2v" in args.only and args.n2v_python:
            todo.append(("Noise2Void",
                         lambda x=noisy, y=clean: run_n2v(args.n2v_python, x, y, args.n2v_epochs)))
        for name, fn in todo:
            if name not in rows:
                rows[name] = fn()
                print(pair, name, rows[name], flush=True)
                save()
        if "dip" in args.only:
            for label in args.dip:
                for seed in args.seeds:
                    runs = rows.setdefault(label, {})
                    if str(seed) not in runs:
                        runs[str(seed)] = run_dip(DIP_RUNS[label], noisy, clean, seed)
                        print(pair, label, seed, runs[str(seed)], flush=True)
                        save()
        if "auto" in args.only and (decision := auto_decision(noisy)) is not None:
            rows["auto"] = decision
            save()
    print(f"wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
