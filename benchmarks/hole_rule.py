"""Which inpainting set-up fills a hole best: the measurement behind the ``hole_radius`` rule.

Eight square holes (12-40 px, smooth and textured scikit-image pictures, grey, a 64 px window
down-scaled from the whole picture) are filled three ways, each with the default automatic stop
and a cap of ``--iterations``:

* ``hole``: the hole preset (depth 6, no skips, meshgrid input; report 002);
* ``inpaint``: the inpainting preset (skip network, noise input), no classical input;
* ``inpaint+fill``: the inpainting preset with the biharmonic fill fed as input channels;

and by scikit-image's biharmonic inpainting. Scored by PSNR inside the hole. The work can be
split over processes (``--part 0/2`` and ``--part 1/2``, one torch thread each; they write
``benchmarks/traces/hole-<i>.json``); ``--report`` assembles the table into docs/benchmarks.md.

    python benchmarks/hole_rule.py --part 0/2 --threads 1 & python benchmarks/hole_rule.py --part 1/2 --threads 1
    python benchmarks/hole_rule.py --report
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _common import command, machine, markdown_table, write_section
from stop_traces import TRACES

#: (picture, hole side in px, texture) ; the hole is centred, slightly off the middle
CASES = [("camera", 12, "smooth"), ("moon", 16, "smooth"), ("astronaut", 24, "mixed"), ("coffee", 32, "smooth"),
         ("brick", 12, "textured"), ("grass", 16, "textured"), ("gravel", 24, "textured"), ("chelsea", 40, "mixed")]
SETUPS = {"hole": dict(preset="hole"), "inpaint": dict(preset="inpaint", fill_input=False),
          "inpaint+fill": dict(preset="inpaint", fill_input=True)}
SIZE = 64


def case(name: str, side: int):
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.transform import resize

    img = getattr(data, name)()
    img = rgb2gray(img) if img.ndim == 3 else img / 255.0
    s = min(img.shape)
    img = resize(img[:s, :s], (SIZE, SIZE), anti_aliasing=True)
    clean = np.round(img * 255).astype(np.uint8)
    mask = np.zeros(clean.shape, np.uint8)
    top, left = SIZE // 2 - side // 2 + 3, SIZE // 2 - side // 2 - 2
    mask[top:top + side, left:left + side] = 1
    return clean, mask


def run_part(part: int, parts: int, iterations: int) -> None:
    from napari_dip import restore
    from napari_dip.baselines import classical_restore
    from napari_dip.metrics import masked_psnr

    rows = []
    for k, (name, side, kind) in enumerate(CASES):
        if k % parts != part:
            continue
        clean, mask = case(name, side)
        damaged = np.where(mask.astype(bool), 0, clean).astype(np.uint8)
        _, bih = classical_restore(damaged, "inpaint", mask=mask)
        row = {"picture": name, "side": side, "kind": kind, "biharmonic": masked_psnr(clean, bih, mask)}
        for label, opts in SETUPS.items():
            start = time.perf_counter()
            res = restore(damaged, "inpaint", mask=mask, iterations=iterations, seed=0, **opts)
            row[label] = masked_psnr(clean, res.image, mask)
            row[label + " its"] = res.stopped_at.iteration
            row[label + " s"] = time.perf_counter() - start
        row["default picks"] = restore(damaged, "inpaint", mask=mask, iterations=1).config["preset"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    (TRACES / f"hole-{part}.json").write_text(json.dumps(rows, indent=1))


def report() -> None:
    rows = sorted(sum((json.loads(p.read_text()) for p in TRACES.glob("hole-*.json")), []),
                  key=lambda r: r["side"])
    table, wins = [], {k: 0 for k in SETUPS}
    for r in rows:
        best = max(SETUPS, key=lambda k: r[k])
        wins[best] += 1
        table.append([f"{r['picture']} ({r['kind']})", r["side"], r["side"] / 2, r["biharmonic"],
                      *(f"{r[k]:.2f} ({r[k + ' its']} its, {r[k + ' s']:.0f} s)" for k in SETUPS), best,
                      r["default picks"]])
    header = ["picture", "hole side (px)", "depth (px)", "biharmonic", *SETUPS, "best", "default picks"]
    body = (f"## Which set-up fills a hole (benchmarks/hole_rule.py)\n\nPSNR (dB) inside a square hole in a "
            f"{SIZE} px grey window of scikit-image pictures; each DIP set-up with the automatic stop and its "
            f"iterations and seconds. Wins: " + ", ".join(f"{k} {v}" for k, v in wins.items()) +
            f".\n\nCommand: `{command()}` (after the two `--part` runs)  \nMachine: {machine()}\n\n"
            f"{markdown_table(header, table)}\n")
    print(body)
    write_section("hole-rule", body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="0/1")
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.report:
        return report()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    part, parts = (int(v) for v in args.part.split("/"))
    run_part(part, parts, args.iterations)


if __name__ == "__main__":
    main()
