"""The speed tables, from the JSONs that ``step_cost.py`` and ``quality_per_second.py`` keep.

Standard library only: ``docs/scripts/tables.py`` renders the documentation's tables with these
functions on a machine without torch.
"""

from __future__ import annotations

MARGIN = 0.5  # dB below the notebook's best that counts as the same quality


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows])


def step_cost_table(results: dict) -> str:
    """Seconds per iteration per size and way of fitting, against the original code's notebook step."""
    rows = []
    for size, ways in results["sizes"].items():
        reference = ways.get("original code (notebook step)", {}).get("seconds_per_iteration")
        for name, r in ways.items():
            s = r["seconds_per_iteration"]
            rows.append([f"{size}²", name, f"{s:.3f}", "-" if reference is None else f"{reference / s:.2f}x",
                         f"{r['first_blocks_extra_s']:.0f}" if "compile" in name else ""])
    header = ["size", "way of fitting", "s per iteration", "x cheaper than the original code",
              "one-time compile s"]
    return markdown_table(header, rows)


def first_within(trace: dict, target: float) -> int | None:
    """The first recorded iteration whose PSNR is within :data:`MARGIN` of ``target``."""
    reached = [i for i, p in zip(trace["iteration"], trace["psnr"], strict=True) if p >= target - MARGIN]
    return reached[0] if reached else None


def quality_rows(results: dict) -> list[list[str]]:
    out = []
    for key, r in results.items():
        if key.startswith("_"):
            continue
        nb = r["traces"]["notebook"]
        target = max(nb["psnr"])
        nb_time = (first_within(nb, target) or 0) * r["seconds_per_iteration"]["notebook"]
        row = [key, f"{target:.2f}", f"{nb_time:.0f}"]
        for way in ("defaults", "input"):
            trace, sec = r["traces"][way], r["seconds_per_iteration"][way]
            it = first_within(trace, target)
            reach = "never" if it is None else f"{it * sec:.0f} ({nb_time / (it * sec):.1f}x)"
            row += [reach, f"{trace['final_psnr']:.2f} in {trace['iterations_run'] * sec:.0f} s"]
        out.append(row)
    return out


QUALITY_HEADER = ["case, seed", "notebook best PSNR", "notebook s to within 0.5 dB of it",
                  "defaults: s to within 0.5 dB (x sooner)", "defaults at the stop: PSNR in s",
                  'fit="input": s to within 0.5 dB (x sooner)', 'fit="input" at the stop: PSNR in s']


def quality_table(results: dict) -> str:
    return markdown_table(QUALITY_HEADER, quality_rows(results))
