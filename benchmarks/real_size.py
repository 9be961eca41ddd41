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
  fit, as the data's README says); ``bm3d``: BM3D's time and PSNR on the same image, as Compare runs it
  (on the camera model ``noise="auto"`` finds);
- ``stack``, ``stack-warm``, ``stack-bm3d``: the same for a stack of :data:`STACK` planes (``stack-warm``:
  ``warm_start=True``; BM3D plane by plane);
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

from _lib import ROOT, TRACES, W2S
from _lib.cases import w2s_names, w2s_pair
from _lib.report import command, machine, markdown_table, write_section
from _lib.scoring import W2S_RULE, score

TRACE = TRACES / "real-size.json"
TABLE = ROOT / "docs" / "tables" / "real-size.md"
#: The short table near the top of README.md (between its ``will-it-run`` markers) and docs/index.md.
SHORT = ROOT / "docs" / "tables" / "will-it-run.md"
README = ROOT / "README.md"
CASES = ("denoise", "bm3d", "inpaint", "inpaint-whole", "stack", "stack-warm", "stack-bm3d")
#: Planes of the ``stack*`` cases: a 512² time-lapse-like stack (the W2S captures, each plane also rotated).
STACK = 16
#: Inpainting holes: discs at these (row, column) fractions of the image, radius 1.2 % of its side
#: (at least 2 px).
HOLES = ((0.30, 0.30), (0.62, 0.70), (0.80, 0.22))
TILE = 512


def pairs(data: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(noisy, clean)`` 512² uint8 pairs of the W2S folder, in name order."""
    names = w2s_names(data)
    if not names:
        raise SystemExit(f"no noisy_*.tif in {data}: pass --data (see the W2S README)")
    return [w2s_pair(data, name) for name in names]


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


def stack(data: Path, size: int, planes: int = STACK) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)`` stacks of ``planes`` planes of ``size``² (at most 512): the W2S pairs in turn,
    centre-cropped, plane ``n`` turned by ``n // 6`` quarter turns (no two planes are the same image)."""
    found = pairs(data)
    o = (TILE - size) // 2
    out = [[np.rot90(im, n // len(found))[o:o + size, o:o + size] for im in found[n % len(found)]]
           for n in range(planes)]
    return np.stack([p[0] for p in out]), np.stack([p[1] for p in out])


def case_call(case: str, size: int, data: Path) -> tuple[np.ndarray, str, dict, np.ndarray]:
    """``(image, task, options, clean)`` of one case."""
    if case.startswith("stack"):
        noisy, clean = stack(data, size)
        return noisy, "denoise", {"warm_start": case == "stack-warm"}, clean
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
        if case.endswith("bm3d"):
            return {"expected_seconds": 0.0, "seconds": 0.0, "text": "BM3D: no estimate"}
        t0 = time.perf_counter()
        est = estimate_run(image, task, **opts)
        return {**est.to_dict(), "text": est.text(), "estimate_wall": round(time.perf_counter() - t0, 1)}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if case.endswith("bm3d"):
        from napari_dip.core.noise import choose_noise_model
        from napari_dip.core.peers import denoise_bm3d  # optional (the peers extra)

        # as Compare runs it: on the camera model that noise="auto" finds (stabilised), per plane
        flat = image.reshape((-1,) + image.shape[-2:])
        out = np.stack([denoise_bm3d(p, camera=choose_noise_model(p).camera) for p in flat])
        out = out.reshape(image.shape)
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
    if mask is not None:
        quality = score(clean, out, data_range=255.0, where=mask).psnr
    else:  # per plane (the affine rule fits each plane), averaged
        flat = [a.reshape((-1,) + a.shape[-2:]) for a in (clean, out)]
        quality = float(np.mean([score(c, o, **W2S_RULE).psnr for c, o in zip(*flat, strict=True)]))
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
            elif args.estimate_only and not case.endswith("bm3d"):
                row["skipped"] = "estimate only"
            elif args.max_seconds and est["expected_seconds"] > args.max_seconds:
                row["skipped"] = (f"expected {est['expected_seconds']:.0f} s > --max-seconds "
                                  f"{args.max_seconds:.0f}")
            else:
                row.update(child({**spec, "mode": "run"}))
            rows[(size, case)] = row
            print(json.dumps(row), flush=True)
    kept["rows"] = [rows[k] for k in sorted(rows)]
    earlier = kept.get("_meta", {}).get("command")
    runs = command() if not earlier or command() in earlier else f"{earlier} ; {command()}"
    kept["_meta"] = {"command": runs, "machine": machine(), "threads": args.threads,
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
        guess = "-" if r["case"].endswith("bm3d") else both
        label = f"{STACK} x {r['size']}²" if r["case"].startswith("stack") else f"{r['size']}²"
        if "skipped" in r:
            why = "not run" if r["skipped"] == "estimate only" else f"skipped ({r['skipped']})"
            body.append([label, r["case"], "-", "-", why, guess, "-", "-"])
            continue
        side = r["size"] ** 2
        boxes = r.get("windows") or []
        whole = "BM3D" if r["case"].endswith("bm3d") else "whole image"
        fitted = (f"{len(boxes)} windows, {sum((b[1] - b[0]) * (b[3] - b[2]) for b in boxes) / side:.0%}"
                  if r.get("extent") == "windows" else whole)
        where = " (in the holes)" if r["case"].startswith("inpaint") else " (affine fit)"
        body.append([label, r["case"], fitted, r.get("iterations_run") or "-",
                     _t(r.get("wall_seconds")), guess, f"{r.get('peak_rss_mib', 0) / 1024:.1f} GiB",
                     f"{r.get('psnr', float('nan')):.2f}{where}"])
    meta = kept["_meta"]
    return (f"<!-- written by benchmarks/real_size.py --markdown from benchmarks/traces/real-size.json -->\n"
            f"*Command:* `{meta.get('command')}` · *machine:* {meta.get('machine')}, "
            f"{meta.get('threads')} torch threads\n\n{markdown_table(header, body)}\n")


#: (size, case, what the user asks for) of the short table, in its order.
SHORT_ROWS = ((512, "denoise", "denoise"), (512, "inpaint", "inpaint 3 small holes"),
              (1024, "denoise", "denoise"), (1024, "inpaint", "inpaint 3 small holes"),
              (2048, "denoise", "denoise"), (2048, "inpaint", "inpaint 3 small holes"),
              (512, "stack-warm", "denoise, warm start"))


def short(kept: dict) -> str:
    """The short "will it run" table: per size and task the estimate before Run, the measured run where one
    was made, and BM3D's measured time on the same image."""
    rows = {(r["size"], r["case"]): r for r in kept["rows"]}
    body = []
    for size, case, what in SHORT_ROWS:
        r = rows.get((size, case))
        if r is None:
            continue
        est = r.get("estimate", {})
        stack = case.startswith("stack")
        ran = ("not run" if "skipped" in r
               else f"{_t(r.get('wall_seconds'))} ({r.get('iterations_run')} its, {r.get('psnr', 0):.2f} dB)")
        peer = rows.get((size, "stack-bm3d" if stack else "bm3d"), {})
        bm3d = (f"{_t(peer['wall_seconds'])} ({peer['psnr']:.2f} dB)"
                if "wall_seconds" in peer and "inpaint" not in case else "-")
        body.append([f"{STACK} x {size}²" if stack else f"{size}²", what,
                     f"{_t(est.get('expected_seconds'))} / {_t(est.get('seconds'))}", ran, bm3d])
    header = ["image", "task", "estimate: expected / at most", "measured (iterations, PSNR)", "BM3D"]
    meta = kept["_meta"]
    return (f"<!-- written by benchmarks/real_size.py --markdown from benchmarks/traces/real-size.json -->\n"
            f"*Machine:* {meta.get('machine')}, {meta.get('threads')} torch threads; W2S widefield images "
            f"(mosaics above 512²); details and commands: docs/real-sizes.md\n\n"
            f"{markdown_table(header, body)}\n")


def write_tables(kept: dict) -> str:
    """Write the full table, the short one and README's copy of the short one; return the full one."""
    text = markdown(kept)
    TABLE.write_text(text)
    SHORT.write_text(short(kept))
    write_section("will-it-run", short(kept), doc=README)
    return text


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=W2S, help="folder of the W2S noisy_*/clean_* TIFFs")
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    p.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    p.add_argument("--max-seconds", type=float, default=None, help="skip a case expected to take longer")
    p.add_argument("--estimate-only", action="store_true", help="record the estimates; run only BM3D")
    p.add_argument("--iterations", type=int, default=None, help="iteration cap (default: the preset's)")
    p.add_argument("--width", type=int, default=None, help="network width (default: the CPU default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=TRACE, help="the results JSON (rows merged by size and case)")
    p.add_argument("--markdown", action="store_true",
                   help="render docs/tables/real-size.md, will-it-run.md and README's copy from --out")
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(json.loads(args.one))))
    elif args.markdown:
        print(write_tables(load(args.out)))
    else:
        measure(args)


if __name__ == "__main__":
    main()
