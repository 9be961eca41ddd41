"""Will it run on my data: denoise and inpaint real widefield images at 512², 1024² and 2048².

The images are the W2S pairs (``--data``, default ``../shared/data/w2s``: see its README): the 512² noisy
captures for denoising, their 400-frame averages as the clean reference and as the image to inpaint;
larger sizes are mosaics of the 512² tiles (smaller ones a centre crop). Inpainting masks
:data:`HOLES` discs (at most 1 % of the pixels, at most 5 components) in the clean image.

Each case runs in its own process (``ru_maxrss`` is that process's peak resident memory, torch's
allocator included), after an estimate in another process (``napari_dip.estimate_run``: the expected
time with the automatic stop and the upper bound at the iteration cap). A case whose expected time
exceeds ``--max-seconds`` is skipped and recorded as such. Cases:

- ``denoise``: the noisy mosaic, defaults (PSNR against the clean mosaic after a least-squares affine
  fit, as the data's README says); ``bm3d``: BM3D's time and PSNR on the same image;
- ``inpaint``: the defaults (``extent="auto"``: windows around the holes where they cover under half
  the image); ``inpaint-whole``: ``extent="whole"``, one fit of the whole image, as before. PSNR inside
  the holes against the unmasked image.

Results go to ``benchmarks/traces/real-size.json`` (rows merged by size and case, so sizes can be run one
at a time); ``--markdown`` renders them into ``docs/tables/real-size.md`` (included by
docs/real-sizes.md). One size at a time on a 2-core CPU, for example:

    python benchmarks/real_size.py --sizes 512 --max-seconds 7200
    python benchmarks/real_size.py --sizes 1024 --max-seconds 7200
    python benchmarks/real_size.py --sizes 2048 --max-seconds 7200 --cases inpaint inpaint-whole bm3d
    python benchmarks/real_size.py --markdown
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _common import ROOT, command, machine, markdown_table

DATA = ROOT.parent / "shared" / "data" / "w2s"
TRACE = ROOT / "benchmarks" / "traces" / "real-size.json"
TABLE = ROOT / "docs" / "tables" / "real-size.md"
CASES = ("denoise", "bm3d", "inpaint", "inpaint-whole")
#: Inpainting holes: discs at these (row, column) fractions of the image, radius 1.2 % of its side
#: (at least 2 px).
HOLES = ((0.30, 0.30), (0.62, 0.70), (0.80, 0.22))
TILE = 512


def pairs(data: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(noisy, clean)`` 512² uint8 pairs of the W2S folder, in name order."""
    import tifffile  # the benchmark's reader; the package reads TIFFs through napari_dip.io

    noisy = sorted(data.glob("noisy_*.tif"))
    if not noisy:
        raise SystemExit(f"no noisy_*.tif in {data}: pass --data (see the W2S README)")
    return [(tifffile.imread(p), tifffile.imread(p.with_name(p.name.replace("noisy_", "clean_"))))
            for p in noisy]


def mosaic(data: Path, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)`` of ``size``²: the tiles side by side, row by row (a centre crop below 512)."""
    tiles = pairs(data)
    k = -(-size // TILE)
    out = [np.zeros((k * TILE, k * TILE), np.uint8) for _ in range(2)]
    for n in range(k * k):
        r, c = divmod(n, k)
        for img, tile in zip(out, tiles[n % len(tiles)], strict=True):
            img[r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE] = tile
    o = (k * TILE - size) // 2
    return out[0][o:o + size, o:o + size], out[1][o:o + size, o:o + size]


def holes(size: int) -> np.ndarray:
    """The inpainting mask: :data:`HOLES` discs of radius max(2, 1.2 % of the side) (0.1-0.4 % of the
    pixels)."""
    r = max(2, round(0.012 * size))
    yy, xx = np.mgrid[:size, :size]
    mask = np.zeros((size, size), bool)
    for fy, fx in HOLES:
        mask |= (yy - fy * size) ** 2 + (xx - fx * size) ** 2 <= r * r
    assert mask.mean() <= 0.01 and len(HOLES) <= 5
    return mask


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    d = (a.astype(np.float64) - b.astype(np.float64))[where if where is not None else ...]
    return float(10 * np.log10(255.0**2 / max(np.mean(d**2), 1e-12)))


def affine_psnr(result: np.ndarray, clean: np.ndarray) -> float:
    """PSNR after the least-squares fit ``a * result + b`` to the clean image (the W2S README's rule)."""
    x = result.astype(np.float64).ravel()
    a, b = np.linalg.lstsq(np.stack([x, np.ones_like(x)], 1), clean.astype(np.float64).ravel(), rcond=None)[0]
    return psnr(a * result + b, clean)


def case_call(case: str, size: int, data: Path) -> tuple[np.ndarray, str, dict, np.ndarray]:
    """``(image, task, options, clean)`` of one case."""
    noisy, clean = mosaic(data, size)
    if case.startswith("inpaint"):
        extent = "whole" if case == "inpaint-whole" else "auto"
        return clean, "inpaint", {"mask": holes(size), "extent": extent}, clean
    return noisy, "denoise", {}, clean


def one(spec: dict) -> dict:
    """Run one case (in this process) and return its record."""
    import torch  # heavy; the parent process never loads it

    from napari_dip import estimate_run, restore

    torch.set_num_threads(spec["threads"])
    size, case, data = spec["size"], spec["case"], Path(spec["data"])
    image, task, opts, clean = case_call(case, size, data)
    opts.update({k: v for k, v in (("iterations", spec["iterations"]), ("width", spec["width"])) if v})
    if spec["mode"] == "estimate":
        if case == "bm3d":
            return {"expected_seconds": 0.0, "seconds": 0.0, "text": "BM3D: no estimate"}
        t0 = time.perf_counter()
        est = estimate_run(image, task, **opts)
        return {**est.to_dict(), "text": est.text(), "estimate_wall": round(time.perf_counter() - t0, 1)}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if case == "bm3d":
        from napari_dip.core.peers import denoise_bm3d  # optional (the peers extra)

        out = denoise_bm3d(image)
        record: dict = {"iterations_run": None}
    else:
        result = restore(image, task, **opts)
        out, cfg = result.image, result.config
        plane = cfg["planes"][0]
        record = {"iterations_run": cfg["iterations_run"], "stopped_at": plane.get("stopped_at"),
                  "extent": cfg.get("extent"), "preset": cfg.get("preset"),
                  "windows": [w["box"] for w in plane.get("windows", [])]}
    wall = time.perf_counter() - t0
    mask = opts.get("mask")
    quality = psnr(out, clean, mask) if mask is not None else affine_psnr(out, clean)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {**record, "wall_seconds": round(wall, 1), "psnr": round(quality, 2),
            "peak_rss_mib": round(peak / 1024), "rss_before_mib": round(rss0 / 1024),
            "masked_share": None if mask is None else float(mask.mean())}


def child(spec: dict) -> dict:
    argv = [sys.executable, __file__, "--one", json.dumps(spec)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"_meta": {}, "rows": []}


def measure(args) -> None:
    kept = load(args.out)
    rows = {(r["size"], r["case"]): r for r in kept["rows"]}
    for size in args.sizes:
        for case in args.cases:
            spec = {"size": size, "case": case, "data": str(args.data), "threads": args.threads,
                    "iterations": args.iterations, "width": args.width}
            est = child({**spec, "mode": "estimate"})
            row = {"size": size, "case": case, "estimate": est}
            if "error" in est:
                row["skipped"] = est["error"]
            elif args.max_seconds and est["expected_seconds"] > args.max_seconds:
                row["skipped"] = (f"expected {est['expected_seconds']:.0f} s > --max-seconds "
                                  f"{args.max_seconds:.0f}")
            else:
                row.update(child({**spec, "mode": "run"}))
            rows[(size, case)] = row
            print(json.dumps(row), flush=True)
    kept["rows"] = [rows[k] for k in sorted(rows)]
    kept["_meta"] = {"command": command(), "machine": machine(), "threads": args.threads,
                     "iterations": args.iterations, "width": args.width}
    args.out.write_text(json.dumps(kept, indent=1) + "\n")
    print(f"wrote {args.out}")


def _t(s) -> str:
    if s is None:
        return "-"
    return f"{s:.0f} s" if s < 90 else (f"{s / 60:.0f} min" if s < 5400 else f"{s / 3600:.1f} h")


def markdown(kept: dict) -> str:
    header = ["size", "case", "fitted", "iterations run", "time", "estimate: expected / at most",
              "peak memory", "PSNR (dB)"]
    body = []
    for r in kept["rows"]:
        est = r.get("estimate", {})
        both = f"{_t(est.get('expected_seconds'))} / {_t(est.get('seconds'))}"
        guess = "-" if r["case"] == "bm3d" else both
        if "skipped" in r:
            body.append([f"{r['size']}²", r["case"], "-", "-", f"skipped ({r['skipped']})", guess, "-", "-"])
            continue
        side = r["size"] ** 2
        boxes = r.get("windows") or []
        fitted = (f"{len(boxes)} windows, {sum((b[1] - b[0]) * (b[3] - b[2]) for b in boxes) / side:.0%}"
                  if r.get("extent") == "windows" else ("whole image" if r["case"] != "bm3d" else "BM3D"))
        where = " (in the holes)" if r["case"].startswith("inpaint") else " (affine fit)"
        body.append([f"{r['size']}²", r["case"], fitted, r.get("iterations_run") or "-",
                     _t(r.get("wall_seconds")), guess, f"{r.get('peak_rss_mib', 0) / 1024:.1f} GiB",
                     f"{r.get('psnr', float('nan')):.2f}{where}"])
    meta = kept["_meta"]
    return (f"<!-- written by benchmarks/real_size.py --markdown from benchmarks/traces/real-size.json -->\n"
            f"*Command:* `{meta.get('command')}` · *machine:* {meta.get('machine')}, "
            f"{meta.get('threads')} torch threads\n\n{markdown_table(header, body)}\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA, help="folder of the W2S noisy_*/clean_* TIFFs")
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    p.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    p.add_argument("--max-seconds", type=float, default=None, help="skip a case expected to take longer")
    p.add_argument("--iterations", type=int, default=None, help="iteration cap (default: the preset's)")
    p.add_argument("--width", type=int, default=None, help="network width (default: the CPU default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=TRACE, help="the results JSON (rows merged by size and case)")
    p.add_argument("--markdown", action="store_true", help="render --table from --out and print it")
    p.add_argument("--table", type=Path, default=TABLE)
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(json.loads(args.one))))
    elif args.markdown:
        text = markdown(load(args.out))
        args.table.write_text(text)
        print(text)
    else:
        measure(args)


if __name__ == "__main__":
    main()
