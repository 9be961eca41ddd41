"""Which inpainting set-up fills a hole best: the measurement behind the hole rule (``hole_radius``,
``hole_texture``).

Eight square holes (12-40 px, smooth and textured scikit-image pictures, grey, a 64 px window
down-scaled from the whole picture) are filled three ways, each with the default automatic stop
and a cap of ``--iterations``:

* ``hole``: the hole preset (depth 6, no skips, meshgrid input; report 002);
* ``inpaint``: the inpainting preset (skip network, noise input), no classical input;
* ``inpaint+fill``: the inpainting preset with the biharmonic fill fed as input channels;

and by scikit-image's biharmonic inpainting. Scored by PSNR inside the hole. The rule was chosen
on these eight; ``--held-out`` runs five more holes (two DIP paper images) with the two presets,
as a check. The work can be split over processes (``--part 0/2`` and ``--part 1/2``, one torch
thread each; they write ``benchmarks/traces/hole-<i>.json``); ``--report`` assembles the tables
into docs/notes/benchmarks.md, with what today's rule picks for each hole.

    python benchmarks/hole_rule.py --part 0/2 --iterations 1500 --threads 1 &
    python benchmarks/hole_rule.py --part 1/2 --iterations 1500 --threads 1
    python benchmarks/hole_rule.py --held-out --iterations 1500 --threads 1
    python benchmarks/hole_rule.py --report
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _lib import PAPER_DATA, TRACES
from _lib.report import command, machine, markdown_table, write_section

#: (picture, hole side in px, texture) ; the hole is centred, slightly off the middle
CASES = [
    ("camera", 12, "smooth"),
    ("moon", 16, "smooth"),
    ("astronaut", 24, "mixed"),
    ("coffee", 32, "smooth"),
    ("brick", 12, "textured"),
    ("grass", 16, "textured"),
    ("gravel", 24, "textured"),
    ("chelsea", 40, "mixed"),
]
#: cases not used to choose the rule, run afterwards to check it (``--held-out``;
#: "paper:" = the DIP paper images)
HELD_OUT = [("paper:restoration/barbara.png", 20, "textured"), ("paper:sr/zebra_GT.png", 28, "textured"),
            ("rocket", 20, "smooth"), ("hubble_deep_field", 20, "textured"), ("text", 16, "textured")]
SETUPS = {"hole": dict(preset="hole"), "inpaint": dict(preset="inpaint", fill_input=False),
          "inpaint+fill": dict(preset="inpaint", fill_input=True)}
SIZE = 64


def case(name: str, side: int):
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.transform import resize

    if name.startswith("paper:"):
        from skimage.io import imread

        img = imread(PAPER_DATA / name.split(":", 1)[1])
    else:
        img = getattr(data, name)()
    img = rgb2gray(img[..., :3]) if img.ndim == 3 else img / 255.0
    s = min(img.shape)
    img = resize(img[:s, :s], (SIZE, SIZE), anti_aliasing=True)
    clean = np.round(img * 255).astype(np.uint8)
    mask = np.zeros(clean.shape, np.uint8)
    top, left = SIZE // 2 - side // 2 + 3, SIZE // 2 - side // 2 - 2
    mask[top:top + side, left:left + side] = 1
    return clean, mask


def run_part(part: int, parts: int, iterations: int, held_out: bool = False) -> None:
    from napari_dip import restore
    from napari_dip.baselines import classical_restore
    from napari_dip.metrics import masked_psnr

    rows = []
    for k, (name, side, kind) in enumerate(HELD_OUT if held_out else CASES):
        if k % parts != part:
            continue
        clean, mask = case(name, side)
        damaged = np.where(mask.astype(bool), 0, clean).astype(np.uint8)
        _, bih = classical_restore(damaged, "inpaint", mask=mask)
        picture = name.split("/")[-1].split(".")[0].replace("_GT", "")
        row = {"picture": picture, "side": side, "kind": kind, "biharmonic": masked_psnr(clean, bih, mask)}
        for label, opts in SETUPS.items():
            if held_out and label == "inpaint+fill":
                continue  # the rule only chooses between the two presets
            start = time.perf_counter()
            res = restore(damaged, "inpaint", mask=mask, iterations=iterations, seed=0, **opts)
            row[label] = masked_psnr(clean, res.image, mask)
            row[label + " its"] = res.stopped_at.iteration
            row[label + " s"] = time.perf_counter() - start
        rows.append(row)
        print(json.dumps(row), flush=True)
    (TRACES / f"hole-{'held-out-' if held_out else ''}{part}.json").write_text(json.dumps(rows, indent=1))


def current_pick(name: str, side: int) -> dict:
    """What ``restore``'s rule picks today for a case (the runs may predate the rule)."""
    from napari_dip import restore

    clean, mask = case(name, side)
    damaged = np.where(mask.astype(bool), 0, clean).astype(np.uint8)
    cfg = restore(damaged, "inpaint", mask=mask, iterations=1).config
    return {"preset": cfg["preset"], "texture": cfg["surround_texture"], "fill": cfg["fill_input"]}


def table(rows: list[dict], names: dict, setups: list[str]) -> tuple[str, dict, int]:
    """Markdown rows, wins per set-up, and how often the default is within 0.4 dB (a tie) of the best."""
    lines, wins, good = [], {k: 0 for k in setups}, 0
    for r in sorted(rows, key=lambda r: r["side"]):
        pick = current_pick(names[r["picture"]], r["side"])
        label = pick["preset"] + ("+fill" if pick["fill"] else "")
        best = max(setups, key=lambda k: r[k])
        wins[best] += 1
        good += r[best] - r[label] < 0.4
        lines.append([r["picture"], r["side"], r["side"] / 2, f"{pick['texture']:.2f}", r["biharmonic"],
                      *(f"{r[k]:.2f} ({r[k + ' its']} its, {r[k + ' s']:.0f} s)" for k in setups), best,
                      f"{label} ({r[label] - r[best]:+.2f})"])
    header = ["picture", "hole side (px)", "depth (px)", "surround texture", "biharmonic", *setups, "best",
              "default picks (- best)"]
    return markdown_table(header, lines), wins, good


def report() -> None:
    names = {n.split("/")[-1].split(".")[0].replace("_GT", ""): n for n, _, _ in CASES + HELD_OUT}
    def load(pattern: str) -> list[dict]:
        return sum((json.loads(p.read_text()) for p in sorted(TRACES.glob(pattern))), [])

    rows, held = load("hole-[0-9]*.json"), load("hole-held-out-*.json")
    main_table, wins, good = table(rows, names, list(SETUPS))
    body = (
        f"## Which set-up fills a hole (benchmarks/hole_rule.py)\n\nPSNR (dB) inside a square hole in a "
        f"{SIZE} px grey window of scikit-image pictures; each DIP set-up with the automatic stop (cap "
        "1500 iterations), its iterations and seconds (two single-thread runs sharing the 2 cores). "
        "*Surround texture*: the fine-scale share of the observed surround's contrast that the rule reads "
        "(`surround_texture`). Wins: "
        + ", ".join(f"{k} {v}" for k, v in wins.items())
        + f"; the default (today's rule) is within 0.4 dB of the best on {good} of {len(rows)}.\n\n"
        f"Command: `{command()}` (after the two `--part` runs and the `--held-out` run, "
        "`--iterations 1500 --threads 1`)  \n"
        f"Machine: {machine()}\n\n{main_table}\n"
    )
    if held:
        held_table, _, good = table(held, names, ["hole", "inpaint"])
        body += (
            f"\n**Held out** (not used to choose the rule; `--held-out`, the two presets only): the default "
            f"is within 0.4 dB of the better preset on {good} of {len(held)}.\n\n{held_table}\n"
        )
    print(body)
    write_section("hole-rule", body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="0/1")
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--held-out", action="store_true", help="run the HELD_OUT cases (a check of the rule)")
    args = ap.parse_args()
    if args.report:
        return report()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    part, parts = (int(v) for v in args.part.split("/"))
    run_part(part, parts, args.iterations, args.held_out)


if __name__ == "__main__":
    main()
