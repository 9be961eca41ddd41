"""The real-noise tables, from the JSON that ``real_noise.py`` keeps (standard library only).

``docs/scripts/tables.py`` renders them into ``docs/tables/real-noise-<crop>.md``: one table of PSNR / SSIM
per pair and method, then the targets of the real-noise issue (DIP's automatic choice against the best
of the fair BM3D and BM3D at its best sigma; the automatic choice against the better explicit model;
Compare's BM3D against BM3D's best), then DIP's seconds and iterations.
"""

from __future__ import annotations

import statistics

from .report import markdown_table

BM3D_FAIR, BM3D_BEST = "BM3D, camera model (GAT)", "BM3D, best sigma"
MODELS = {"gaussian": "DIP, Gaussian model", "poisson": "DIP, camera model"}
COLUMNS = ["raw", "BM3D, sigma estimate", BM3D_FAIR, BM3D_BEST, "Noise2Void", "DIP, Gaussian model",
           "DIP, camera model", "DIP, auto", "DIP fit=input, camera model", "DIP, camera model, BM3D input",
           "DIP, camera model, RED"]


def _mean(run: dict, key: str) -> float:
    """A method's value, averaged over its seeds where it has seeds."""
    if key in run:
        return run[key]
    return statistics.fmean(r[key] for r in run.values())


def _with_auto(rows: dict) -> dict:
    """The pair's results with "DIP, auto": the run of the model ``noise="auto"`` picked (same seeds)."""
    out = dict(rows)
    for name, run in rows.items():  # the average of a DIP run and the fair BM3D, where it was scored
        if name.startswith("DIP") and all("with_fair_bm3d" in r for r in run.values()):
            out[f"{name} + fair BM3D, averaged"] = {seed: r["with_fair_bm3d"] for seed, r in run.items()}
    auto = rows.get("auto")
    if auto and MODELS.get(auto["noise"]) in rows:
        out["DIP, auto"] = rows[MODELS[auto["noise"]]]
    return out


def real_noise_table(kept: dict) -> str:
    results = {pair: _with_auto(rows) for pair, rows in sorted(kept["results"].items())}
    averaged = sorted({c for r in results.values() for c in r if c.endswith("averaged")})
    columns = [c for c in [*COLUMNS, *averaged] if any(c in r for r in results.values())]
    rows = []
    for pair, r in results.items():
        cells = [f"{_mean(r[c], 'psnr'):.2f} / {_mean(r[c], 'ssim'):.3f}" if c in r else "-" for c in columns]
        auto = r.get("auto", {}).get("noise", "-")
        rows.append([pair, *cells, auto])
    table = markdown_table(["pair", *columns, "auto picked"], rows)
    return "\n\n".join([table, _targets(results), _costs(results)])


def _targets(results: dict) -> str:
    """The issue's targets, measured: margins per pair and their mean, with the closest lever named."""
    lines = []
    margins, auto_gaps, compare_gaps, ssim_gaps = [], [], [], []
    for pair, r in results.items():
        if "DIP, auto" in r and BM3D_FAIR in r and BM3D_BEST in r:
            bm3d = max(_mean(r[BM3D_FAIR], "psnr"), _mean(r[BM3D_BEST], "psnr"))
            dips = {c: _mean(r[c], "psnr") - bm3d for c in r
                    if c.startswith("DIP") and isinstance(r[c], dict)}
            margins.append((pair, dips["DIP, auto"], max(dips, key=dips.get), max(dips.values())))
            best_ssim = max(_mean(r[BM3D_FAIR], "ssim"), _mean(r[BM3D_BEST], "ssim"))
            ssim_gaps.append(_mean(r["DIP, auto"], "ssim") - best_ssim)
        if all(m in r for m in MODELS.values()) and "DIP, auto" in r:
            better = max(_mean(r[m], "psnr") for m in MODELS.values())
            auto_gaps.append(_mean(r["DIP, auto"], "psnr") - better)
        if BM3D_FAIR in r and BM3D_BEST in r:
            compare_gaps.append(_mean(r[BM3D_FAIR], "psnr") - _mean(r[BM3D_BEST], "psnr"))
    if margins:
        mean = statistics.fmean(m[1] for m in margins)
        worst = min(margins, key=lambda m: m[1])
        levers = ", ".join(f"{p}: {lever} {gap:+.2f}" for p, _, lever, gap in margins)
        lines.append(f"- DIP (auto) minus the best of the fair BM3D and BM3D at its best sigma: mean "
                     f"**{mean:+.2f} dB** over {len(margins)} pairs (target +0.50), worst {worst[1]:+.2f} "
                     f"({worst[0]}; target: no pair below 0). Best DIP variant per pair: {levers}.")
    variants: dict[str, list[float]] = {}
    for r in results.values():
        if BM3D_FAIR in r and BM3D_BEST in r:
            bm3d = max(_mean(r[BM3D_FAIR], "psnr"), _mean(r[BM3D_BEST], "psnr"))
            for c in r:
                if c.startswith("DIP") and isinstance(r[c], dict):
                    variants.setdefault(c, []).append(_mean(r[c], "psnr") - bm3d)
    complete = {c: v for c, v in variants.items() if len(v) == len(margins)}
    if complete:
        ranked = sorted(complete.items(), key=lambda kv: -statistics.fmean(kv[1]))
        lines.append("- Every DIP variant measured on all pairs, its mean margin over the better BM3D (worst "
                     "pair): " + "; ".join(f"{c} {statistics.fmean(v):+.2f} ({min(v):+.2f})"
                                           for c, v in ranked) + ".")
    if ssim_gaps:
        lines.append(f"- DIP (auto)'s SSIM minus the better BM3D's: {min(ssim_gaps):+.3f} to "
                     f"{max(ssim_gaps):+.3f} (target: not below 0).")
    if auto_gaps:
        lines.append(f"- The automatic choice minus the better explicit model: worst {min(auto_gaps):+.2f} dB"
                     " "
                     f"(target: not below -0.20).")
    if compare_gaps:
        lines.append(f"- Compare's BM3D (camera model through the GAT) minus BM3D at its best sigma: "
                     f"{min(compare_gaps):+.2f} to {max(compare_gaps):+.2f} dB (target: within 0.50).")
    return "\n".join(lines)


def _costs(results: dict) -> str:
    rows = []
    for pair, r in results.items():
        for c in COLUMNS:
            if c in r and c != "DIP, auto" and "seconds" in str(r[c]):
                run = r[c]
                seeds = run.values() if "seconds" not in run else [run]
                its = "/".join(str(s.get("iterations", s.get("epochs", "-"))) for s in seeds)
                stops = "/".join(sorted({s.get("stop", "") for s in seeds} - {""})) or "-"
                rows.append([pair, c, f"{_mean(run, 'seconds'):.0f}", its, stops])
    header = ["pair", "method", "seconds (mean)", "iterations (or epochs), per seed", "stop"]
    return markdown_table(header, rows)
