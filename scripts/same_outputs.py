"""Fingerprints of a fixed set of short runs, to show a refactoring changed no output.

Each run covers a task, a noise model or a tiling path through the public API, the command line
or the batch runner; its fingerprint is the SHA-256 of the output pixels and of the run's settings
(the config, the file sidecar), with the values that change from run to run (seconds, dates, paths)
left out. Run it before and after a change on the same machine and compare the two files::

    OMP_NUM_THREADS=1 python scripts/same_outputs.py --out before.json
    ... change the code ...
    OMP_NUM_THREADS=1 python scripts/same_outputs.py --out after.json --against before.json

The runs are tiny (32-64 px, a few iterations): they check that the same computation runs, not
its quality. One thread makes torch's sums deterministic; another machine gives other bits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tifffile

os.environ.setdefault("OMP_NUM_THREADS", "1")

import napari_dip  # noqa: E402
from napari_dip.cli import main as cli  # noqa: E402

#: Config keys whose values differ between two identical runs (times, dates, versions, paths).
VOLATILE = {"seconds", "elapsed", "time", "date", "created", "started", "finished", "version",
            "versions", "torch", "python", "platform", "machine", "input", "output", "path",
            "seconds_per_iteration", "wall", "host", "threads", "summary", "reason", "hash"}


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, np.ndarray):
        return _digest(value)
    return value


def _digest(array) -> str:
    a = np.ascontiguousarray(np.asarray(array))
    return f"{a.dtype}{a.shape}:" + hashlib.sha256(a.tobytes()).hexdigest()[:16]


def _print(config) -> str:
    text = json.dumps(_clean(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _scene(shape=(48, 48), seed=0, hi=1.0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[-2], : shape[-1]]
    base = (np.sin(x / 5) + np.cos(y / 7) + 2) / 4
    return np.broadcast_to(base, shape) * hi, rng


def _noisy(shape=(48, 48), seed=0):
    clean, rng = _scene(shape, seed)
    return np.clip(clean + rng.normal(0, 0.08, clean.shape), 0, 1).astype(np.float32)


def _camera(shape=(48, 48), seed=0):
    clean, rng = _scene(shape, seed, 60.0)
    return (rng.poisson(clean) * 2.0 + 100 + rng.normal(0, 2, clean.shape)).astype(np.uint16)


def _mask(shape=(48, 48)):
    m = np.zeros(shape, bool)
    m[10:16, 12:18] = True
    m[30:34, 30:37] = True
    return m


def _subset(shape=(48, 48)):
    return np.random.default_rng(3).random(shape) < 0.5


TINY = {"iterations": 6, "width": 8, "seed": 1}


def api_runs() -> dict[str, Callable]:
    r, b = napari_dip.restore, napari_dip.blend
    rgb = np.stack([_noisy(seed=s) for s in range(3)], -1)
    return {
        "denoise-gaussian": lambda: r(_noisy(), "denoise", noise="gaussian", **TINY),
        "denoise-poisson": lambda: r(_camera(), "denoise", noise="poisson", gain=2.0, offset=100, **TINY),
        "denoise-auto-camera": lambda: r(_camera((64, 64)), "denoise", **TINY),
        "denoise-rgb": lambda: r((rgb * 255).astype(np.uint8), "denoise", channel_axis=-1, **TINY),
        "denoise-stack-warm": lambda: r(_noisy((3, 32, 32)), "denoise", warm_start=True, **TINY),
        "denoise-volume": lambda: r(_noisy((8, 32, 32)), "denoise", mode="volume", **TINY),
        "denoise-tiled": lambda: r(_noisy((64, 64)), "denoise", tile=32, tile_overlap=8, **TINY),
        "denoise-input-fit-restarts": lambda: r(_noisy(), "denoise", fit="input", restarts=2, **TINY),
        "denoise-holdout-stop": lambda: r(_noisy(), "denoise", holdout=0.1, early_stop=True, **TINY),
        "inpaint-whole": lambda: r(_noisy(), "inpaint", mask=_mask(), extent="whole", **TINY),
        "inpaint-windows": lambda: r(_noisy((96, 96)), "inpaint", mask=_mask((96, 96)), extent="windows",
                                     **TINY),
        "reconstruct": lambda: r(_noisy(), "reconstruct", mask=_subset(), **TINY),
        "super-resolution": lambda: r(_noisy((24, 24)), "super_resolution", factor=2, **TINY),
        "deconvolve-sigma": lambda: r(_noisy(), "deconvolve", psf_sigma=1.5, **TINY),
        "deconvolve-psf": lambda: r(_noisy(), "deconvolve", psf=np.outer(*[np.hanning(7)] * 2), **TINY),
        "deconvolve-poisson": lambda: r(_camera(), "deconvolve", psf_sigma=1.2, noise="poisson", gain=2.0,
                                        offset=100, **TINY),
        "blend": lambda: b(_noisy(seed=1), _noisy(seed=2), _mask(), **TINY),
    }


def _file_runs(folder: Path) -> dict[str, tuple[list[str], Path]]:
    tifffile.imwrite(folder / "cam.tif", _camera((40, 40)), imagej=True, resolution=(2.0, 2.0),
                     metadata={"unit": "um"})
    tifffile.imwrite(folder / "cam_mask.tif", _mask((40, 40)).astype(np.uint8))
    tifffile.imwrite(folder / "stack.tif", (_noisy((5, 32, 32)) * 255).astype(np.uint8), imagej=True,
                     metadata={"axes": "ZYX"})
    tiny = ["--iterations", "6", "--width", "8", "--seed", "1"]
    f = str(folder)
    return {
        "cli-denoise-tif": (["restore", f"{f}/cam.tif", "--task", "denoise", "-o", f"{f}/o1.tif", *tiny],
                           folder / "o1.tif"),
        "cli-inpaint-mask": (["restore", f"{f}/cam.tif", "--task", "inpaint", "--mask", f"{f}/cam_mask.tif",
                              "-o", f"{f}/o2.tif", *tiny], folder / "o2.tif"),
        "cli-deconvolve-zarr": (["restore", f"{f}/cam.tif", "--task", "deconvolve", "--psf-sigma", "1.5",
                                 "-o", f"{f}/o3.ome.tif", *tiny], folder / "o3.ome.tif"),
        "batch-stack": (["batch", f"{f}/stack.tif", "--out", f"{f}/b", "--task", "denoise", "--workers", "1",
                         "--no-progress", *tiny], folder / "b" / "stack_dip_denoise.tif"),
        "batch-tiles": (["batch", f"{f}/cam.tif", "--out", f"{f}/t", "--task", "denoise", "--tile", "24",
                         "--tile-overlap", "8", "--workers", "1", "--no-progress", *tiny],
                        folder / "t" / "cam_dip_denoise.tif"),
    }


def fingerprints(only: str | None = None) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, run in api_runs().items():
        if only and only not in name:
            continue
        result = run()
        out[name] = {"image": _digest(result.image), "config": _print(result.config)}
        print(name, out[name], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (argv, path) in _file_runs(Path(tmp)).items():
            if only and only not in name:
                continue
            code = cli(argv)
            settings = napari_dip.io.read_settings(path)
            out[name] = {"exit": code, "image": _digest(napari_dip.io.read_image(path).data),
                         "config": _print(settings)}
            print(name, out[name], flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="where to write the fingerprints (JSON)")
    p.add_argument("--against", type=Path, help="fingerprints of an earlier run to compare with")
    p.add_argument("--only", help="only the runs whose name contains this")
    args = p.parse_args(argv)
    prints = fingerprints(args.only)
    args.out.write_text(json.dumps(prints, indent=1, sort_keys=True))
    if not args.against:
        return 0
    before = json.loads(args.against.read_text())
    differ = sorted(k for k in prints if before.get(k) != prints[k])
    same = len(prints) - len(differ)
    print(f"{same} of {len(prints)} runs identical", f"; differ: {differ}" if differ else "")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
