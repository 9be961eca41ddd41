"""Tiles that start from their neighbour: ``tile_start="cold"`` against ``"warm"`` on a real widefield image.

A centre crop of ``--size``² of one W2S noisy capture (``--data``, default ``../shared/data/w2s``: see its
README; ``--name``, default the first pair) is denoised in tiles of ``--tile`` px overlapping by
``--overlap`` (default: the ``tile_overlap`` default), once per way and seed (``--seeds``), each run in its
own process. Per run: the iterations each tile ran (the first tile, then the others: a warm tile is capped at
``warm_iterations``, a third of the iterations by default, and stops by itself), the total time, and the PSNR
against the 400-frame average after the W2S README's least-squares affine fit (data range 255).

Results go to ``benchmarks/traces/tile-warm.json`` (rows merged by way and seed); ``--markdown`` renders them
into ``docs/tables/tile-warm.md``. For example, on a 2-core CPU:

    python benchmarks/tile_warm.py --size 256 --tile 128 --seeds 0 1 2
    python benchmarks/tile_warm.py --markdown
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _lib import ROOT, TRACES, W2S
from _lib.cases import w2s_names, w2s_pair
from _lib.report import command, machine, markdown_table
from _lib.scoring import W2S_RULE, score

TRACE = TRACES / "tile-warm.json"
TABLE = ROOT / "docs" / "tables" / "tile-warm.md"
WAYS = ("cold", "warm")


def one(spec: dict) -> dict:
    """Run one way and seed (in this process) and return its record."""
    import torch  # heavy; the parent process never loads it

    from napari_dip import restore

    torch.set_num_threads(spec["threads"])
    noisy, clean = w2s_pair(Path(spec["data"]), spec["name"], crop=spec["size"])
    opts = {k: spec[k] for k in ("iterations", "width", "warm_iterations") if spec.get(k)}
    t0 = time.perf_counter()
    result = restore(noisy, "denoise", tile=spec["tile"], tile_overlap=spec["overlap"],
                     tile_start=spec["way"], seed=spec["seed"], **opts)
    seconds = time.perf_counter() - t0
    counts: dict[int, int] = {}
    for row in result.history:
        counts[row["tile"]] = counts.get(row["tile"], 0) + 1
    per_tile = [counts[k] for k in sorted(counts)]
    return {"way": spec["way"], "seed": spec["seed"], "tiles": len(per_tile), "iterations_per_tile": per_tile,
            "iterations_run": result.config["iterations_run"], "seconds": round(seconds, 1),
            "psnr": round(score(clean, result.image, **W2S_RULE).psnr, 2),
            "cap": result.config["iterations"], "warm_cap": result.config["warm_iterations"]}


def child(spec: dict) -> dict:
    argv = [sys.executable, __file__, "--one", json.dumps(spec)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        return {"way": spec["way"], "seed": spec["seed"], "error": err[-1] if err else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"_meta": {}, "rows": []}


def measure(args) -> None:
    name = args.name or (w2s_names(args.data) or [None])[0]
    if name is None:
        raise SystemExit(f"no noisy_*.tif in {args.data}: pass --data (see the W2S README)")
    kept = load(args.out)
    rows = {(r["way"], r["seed"]): r for r in kept["rows"]}
    for seed in args.seeds:
        for way in args.ways:
            spec = {"way": way, "seed": seed, "data": str(args.data), "name": name, "size": args.size,
                    "tile": args.tile, "overlap": args.overlap, "iterations": args.iterations,
                    "width": args.width, "warm_iterations": args.warm_iterations, "threads": args.threads}
            rows[(way, seed)] = row = child(spec)
            print(json.dumps(row), flush=True)
    kept["rows"] = [rows[k] for k in sorted(rows)]
    kept["_meta"] = {"command": command(), "machine": machine(), "threads": args.threads, "image": name,
                     "size": args.size, "tile": args.tile, "overlap": args.overlap,
                     "iterations": args.iterations, "width": args.width,
                     "warm_iterations": args.warm_iterations}
    args.out.write_text(json.dumps(kept, indent=1) + "\n")
    print(f"wrote {args.out}")


def markdown(kept: dict) -> str:
    header = ["tile start", "seeds", "tiles", "iterations: first tile / the others (mean)",
              "iterations in all", "time", "PSNR (dB), mean (min-max)"]
    body = []
    for way in WAYS:
        rows = [r for r in kept["rows"] if r["way"] == way and "error" not in r]
        if not rows:
            continue
        others = [n for r in rows for n in r["iterations_per_tile"][1:]]
        psnrs = [r["psnr"] for r in rows]
        body.append([way, len(rows), rows[0]["tiles"],
                     f"{np.mean([r['iterations_per_tile'][0] for r in rows]):.0f} / "
                     f"{np.mean(others) if others else float('nan'):.0f}",
                     f"{np.mean([r['iterations_run'] for r in rows]):.0f}",
                     f"{np.mean([r['seconds'] for r in rows]):.0f} s",
                     f"{np.mean(psnrs):.2f} ({min(psnrs):.2f}-{max(psnrs):.2f})"])
    meta = kept["_meta"]
    return (f"<!-- written by benchmarks/tile_warm.py --markdown from benchmarks/traces/tile-warm.json -->\n"
            f"*Image:* W2S `noisy_{meta.get('image')}`, centre {meta.get('size')}², tiles of "
            f"{meta.get('tile')} px overlapping by {meta.get('overlap')} · "
            f"*command:* `{meta.get('command')}` · "
            f"*machine:* {meta.get('machine')}, {meta.get('threads')} torch threads\n\n"
            f"{markdown_table(header, body)}\n")


def main() -> None:
    from napari_dip.core.settings import Settings  # the defaults the benchmark compares at

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=W2S, help="folder of the W2S noisy_*/clean_* TIFFs")
    p.add_argument("--name", default=None, help="which pair (noisy_<name>.tif; default: the first)")
    p.add_argument("--size", type=int, default=256, help="side of the centre crop (at most 512)")
    p.add_argument("--tile", type=int, default=128)
    p.add_argument("--overlap", type=int, default=Settings.tile_overlap)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--ways", nargs="+", default=list(WAYS), choices=WAYS)
    p.add_argument("--iterations", type=int, default=None, help="iteration cap (default: the preset's)")
    p.add_argument("--warm-iterations", type=int, default=None, help="a warm tile's cap (default: a third)")
    p.add_argument("--width", type=int, default=None, help="network width (default: the CPU default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=TRACE, help="the results JSON (rows merged by way and seed)")
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
