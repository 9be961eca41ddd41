"""Render the benchmark tables of the documentation from the result JSONs the benchmark scripts wrote.

Each table is computed from ``benchmarks/traces/*.json`` (the per-seed results that
``benchmarks/versus_classical.py``, ``benchmarks/network_size.py`` and ``benchmarks/peers.py`` keep) and written to
``docs/tables/<name>.md`` with one line giving the command that made the results, the date they
were committed and the machine they ran on. The pages include these files with
``--8<-- "docs/tables/<name>.md"`` (pymdownx.snippets). ``tests/test_docs.py`` fails when a file in
``docs/tables/`` differs from what this script renders now, so after a benchmark rerun:

    python docs/scripts/tables.py            # rewrite docs/tables/*.md
    python docs/scripts/tables.py --check    # exit 1 and name the stale files, write nothing

``docs/tables/settings.md``, the table of every option of ``napari_dip.Settings``, is rendered from
``src/napari_dip/core/settings.py`` the same way. Only the standard library is needed (no torch, no
napari): the rendering must not depend on the machine that builds the docs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmarks' shared library, as a benchmark script sees it
from _lib.noise_tables import real_noise_table  # noqa: E402 -- the benchmarks' own renderers
from _lib.report import markdown_table  # noqa: E402
from _lib.speed_tables import quality_table, restarts_tables, second_order_table, step_cost_table  # noqa: E402

TRACES = ROOT / "benchmarks" / "traces"
OUT = ROOT / "docs" / "tables"

# Where each set of results came from: the command (as the benchmark script recorded it in its
# table), the date of the commit that added the result JSONs, and the machine line the script
# printed. The JSONs hold only the numbers, so this is kept here, next to the renderer.
XEON = ("CPU, 2 cores (Intel(R) Xeon(R) Processor, native bf16: auto precision is bf16); torch 2.13.0+cpu; "
        "Python 3.11.7")
EPYC = ("CPU, 2 cores (AMD EPYC, native bf16: auto precision is bf16); torch 2.13.0+cpu; Python 3.11.7, "
        "1 torch thread")
DECONVOLVE = ("camera deconvolution (PSF 2.5 px)", "cell deconvolution (PSF 2.5 px)")
TABLES = {
    "versus-classical": dict(
        kind="versus", size=96, seeds=[0, 1, 2], date="2026-12-04 (the photon-count deconvolution row: 2026-12-06)",
        machine=EPYC,
        command="python benchmarks/versus_classical.py --size 96 --seeds 0 1 2 --threads 1 "
                "(then --only cell --fixed 1500; and --only 'camera deconvolution, photon' after the "
                "Wiener-Hunt input rule)"),
    "network-size-96": dict(
        kind="network", size=96, seeds=[0, 1, 2, 3, 4], exclude=DECONVOLVE, date="2026-12-02", machine=XEON,
        command="python benchmarks/network_size.py --size 96 --iterations 2000 --seeds S --threads 1 "
                "(S = 0 ... 4)"),
    "network-size-96-deconvolve": dict(
        kind="network", size=96, seeds=[0, 1, 2], only=DECONVOLVE, variants=["width=64", "width=32"],
        date="2026-12-02", machine=XEON,
        command="python benchmarks/network_size.py --size 96 --only camera cell --deconvolve "
                "--variants width=64 width=32 --threads 1"),
    "network-size-128-denoise": dict(
        kind="network", size=128, seeds=[0, 1, 2], variants=["width=64", "width=32"], date="2026-12-02",
        machine=XEON,
        command="python benchmarks/network_size.py --size 128 --only camera cell --denoise "
                "--variants width=64 width=32 --threads 1"),
    "peers": dict(
        kind="peers", size=96, seeds=[0, 1, 2], date="2026-12-06", machine=None,
        command="python benchmarks/peers.py --size 96 --seeds 0 1 2 --threads 1"),
    "peers-red": dict(
        kind="peers", size=96, seeds=[0, 1, 2], date="2026-12-06", machine=None, prefix="peers-red",
        command="python benchmarks/peers.py --size 96 --seeds S --threads 1 --red --only camera, cell,"),
    "network-size-256": dict(
        kind="network", size=256, seeds=[0, 1], variants=["width=64", "width=32"], date="2026-12-02",
        machine=XEON,
        command="python benchmarks/network_size.py --size 256 --seeds 0 1 --variants width=64 width=32 "
                "--threads 1"),
}

# The speed tables' JSONs carry their command and machine line (``_meta`` or at the top):
# name -> (result file, renderer, date).
SPEED = {
    "step-cost": ("step-cost.json", step_cost_table, "2026-12-07"),
    "step-cost-epyc": ("step-cost-epyc.json", step_cost_table, "2026-12-07"),
    "quality-per-second-96": ("quality-per-second-96.json", quality_table, "2026-12-07"),
    "quality-per-second-128": ("quality-per-second-128.json", quality_table, "2026-12-07"),
    "quality-per-second-256": ("quality-per-second-256.json", quality_table, "2026-12-07"),
    "real-noise-128": ("real-noise-128.json", real_noise_table, "2026-12-07"),
}


def load(prefix: str, size: int, seeds: list[int]) -> dict[int, dict]:
    """``{seed: results}`` from ``benchmarks/traces/<prefix>-<size>-s<seed>.json``; a missing file is an error."""
    out = {}
    for seed in seeds:
        path = TRACES / f"{prefix}-{size}-s{seed}.json"
        out[seed] = json.loads(path.read_text())
    return out


def versus_table(results: dict[int, dict]) -> str:
    """DIP with its defaults against every classical method of the task (as benchmarks/versus_classical.py)."""
    rows = []
    seeds = sorted(results)
    names = list(dict.fromkeys(n for s in seeds for n in results[s]))
    for name in names:
        runs = [results[s][name] for s in seeds if name in results[s]]
        methods = [m for m in runs[0] if all(m in r for r in runs)]
        mean = {m: statistics.fmean(r[m][0] for r in runs) for m in methods}
        best = max((m for m in methods if not m.startswith("DIP")), key=mean.get)
        gaps = [r["DIP (defaults)"][0] - r[best][0] for r in runs]
        cells = [f"{mean[m]:.2f} ({min(r[m][0] for r in runs):.2f}-{max(r[m][0] for r in runs):.2f})"
                 for m in ("DIP (defaults)", best)]
        others = ", ".join(f"{m} {mean[m]:.2f}" for m in methods if m not in ("DIP (defaults)", best)) or "-"
        its = "/".join(str(r["DIP (defaults)"][2]) for r in runs)
        secs = statistics.fmean(r["DIP (defaults)"][1] for r in runs)
        gap = statistics.fmean(gaps)
        verdict = "tie" if abs(gap) < 0.4 else ("DIP" if gap > 0 else best)
        rows.append([name, len(runs), cells[0], f"{best}: {cells[1]}", others,
                     f"{gap:+.2f} ({min(gaps):+.2f} to {max(gaps):+.2f})", verdict, its, f"{secs:.0f}"])
    header = ["case", "seeds", "DIP defaults: PSNR mean (min-max)", "best classical: PSNR mean (min-max)",
              "other classical (mean)", "DIP - best classical (dB, mean and range)", "winner (0.4 dB: tie)",
              "DIP iterations (per seed)", "DIP seconds (mean)"]
    return markdown_table(header, rows)


def network_table(results: dict[int, dict], variants: list[str] | None = None, only=None, exclude=()) -> str:
    """Each case at each network variant, against the first variant (as benchmarks/network_size.py)."""
    names = [n for n in dict.fromkeys(n for s in sorted(results) for n in results[s])
             if (only is None or n in only) and n not in exclude]
    if variants is None:
        variants = list(dict.fromkeys(v for s in sorted(results) for n in names for v in results[s][n]))
    rows = []
    for name in names:
        runs = {v: [results[s][name][v] for s in sorted(results) if v in results[s].get(name, {})] for v in variants}
        base = runs[variants[0]]
        base_db = statistics.fmean(r["psnr"] for r in base)
        base_s = statistics.fmean(r["seconds"] for r in base)
        for variant, rs in runs.items():
            if not rs:
                continue
            db = [r["psnr"] for r in rs]
            secs = statistics.fmean(r["seconds"] for r in rs)
            rows.append([name, variant, len(rs), f"{statistics.fmean(db):.2f} ({min(db):.2f}-{max(db):.2f})",
                         f"{statistics.fmean(db) - base_db:+.2f}", "/".join(str(r["iterations"]) for r in rs),
                         f"{secs:.0f}", f"{base_s / secs:.1f}x"])
    header = ["case", "variant", "seeds", "PSNR mean (min-max)", f"- {variants[0]} (dB)",
              "iterations to the stop (per seed)", "seconds (mean)", f"faster than {variants[0]}"]
    return markdown_table(header, rows)


def peers_table(results: dict[int, dict]) -> str:
    """DIP with its defaults and its variants against the best other method (as benchmarks/peers.py measures)."""
    dip, rows = "DIP (defaults)", []
    seeds = sorted(results)
    for name in dict.fromkeys(n for s in seeds for n in results[s]):
        runs = [results[s][name] for s in seeds if name in results[s]]
        methods = [m for m in runs[0] if all(m in r for r in runs)]
        mean = {m: statistics.fmean(r[m][0] for r in runs) for m in methods}
        secs = {m: statistics.fmean(r[m][1] for r in runs) for m in methods}
        best = max((m for m in methods if not m.startswith("DIP")), key=mean.get)
        gaps = [r[dip][0] - r[best][0] for r in runs]
        gap = statistics.fmean(gaps)
        verdict = "tie" if abs(gap) < 0.4 else ("DIP" if gap > 0 else best)
        variants = "; ".join(f"{m} {mean[m] - mean[best]:+.2f}" for m in methods if m.startswith("DIP") and m != dip)
        others = "; ".join(f"{m} {mean[m]:.2f} dB, {secs[m]:.1f} s" for m in methods if not m.startswith("DIP"))
        rows.append([name, len(runs), f"{mean[dip]:.2f} ({min(r[dip][0] for r in runs):.2f}-"
                     f"{max(r[dip][0] for r in runs):.2f}), {secs[dip]:.0f} s", f"{best} {mean[best]:.2f}",
                     f"{gap:+.2f} ({min(gaps):+.2f} to {max(gaps):+.2f})", verdict,
                     f"{secs[dip] / max(secs[best], 1e-3):.0f}x", variants or "-", others])
    header = ["case", "seeds", "DIP defaults: PSNR mean (min-max), seconds", "best other method (mean dB)",
              "DIP - best (dB, mean and range)", "winner (0.4 dB: tie)", "DIP time / best's time",
              "DIP variants - best (dB)", "every other method: mean PSNR, mean seconds"]
    return markdown_table(header, rows)


def settings_table() -> str:
    """Every option of ``napari_dip.Settings``: name, default, meaning (read from the source, no torch needed)."""
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from napari_dip.core.settings import option_help
    finally:
        sys.path.pop(0)
    rows = []
    for name, (default, meaning, choices) in option_help().items():
        valid = [c for c in (choices or ()) if c is not None]
        if all(isinstance(c, bool) for c in valid):
            valid = []  # a plain switch: the default says it
        text = meaning + (f" (one of {', '.join(repr(c) for c in valid)})" if valid else "")
        rows.append([f"`{name}`", f"`{default!r}`", text.replace("|", "\\|")])
    return markdown_table(["option", "default", "meaning"], rows)


def render(name: str) -> str:
    """The text of ``docs/tables/<name>.md``: the provenance line, a blank line, the table."""
    if name == "settings":
        return ("<!-- generated by docs/scripts/tables.py from napari_dip.core.settings; do not edit -->\n"
                + settings_table() + "\n")
    if name in SPEED:
        return speed_table(name)
    if name == "second-order-96":
        kept = json.loads((TRACES / "second-order-96.json").read_text())
        one_fit = json.loads((TRACES / "quality-per-second-96.json").read_text())
        return ("<!-- generated by docs/scripts/tables.py from benchmarks/traces/second-order-96.json and "
                "quality-per-second-96.json; do not edit -->\n" + second_order_table(kept, one_fit))
    if name == "restarts":  # two parts, each with its command and machine line
        kept = json.loads((TRACES / "restarts.json").read_text())
        one_fit = json.loads((TRACES / "quality-per-second-96.json").read_text())
        return ("<!-- generated by docs/scripts/tables.py from benchmarks/traces/restarts.json and "
                "quality-per-second-96.json; do not edit -->\n" + restarts_tables(kept, one_fit))
    spec = TABLES[name]
    prefix = spec.get("prefix") or {"versus": "versus-classical", "peers": "peers"}.get(spec["kind"], "network-size")
    machine = spec["machine"]
    if spec["kind"] == "versus":
        table = versus_table(load(prefix, spec["size"], spec["seeds"]))
    elif spec["kind"] == "peers":  # these JSONs carry their machine line
        kept = load(prefix, spec["size"], spec["seeds"])
        table, machine = peers_table({s: k["results"] for s, k in kept.items()}), kept[min(kept)]["machine"]
    else:
        table = network_table(load(prefix, spec["size"], spec["seeds"]), spec.get("variants"),
                              spec.get("only"), spec.get("exclude", ()))
    source = ", ".join(f"`benchmarks/traces/{prefix}-{spec['size']}-s{s}.json`" for s in spec["seeds"])
    line = (f"*Command:* `{spec['command']}` · *date:* {spec['date']} · *machine:* {machine} · "
            f"*rendered from* {source} *by* `docs/scripts/tables.py`")
    return f"<!-- generated by docs/scripts/tables.py from benchmarks/traces/; do not edit -->\n{line}\n\n{table}\n"


def speed_table(name: str) -> str:
    file, renderer, date = SPEED[name]
    kept = json.loads((TRACES / file).read_text())
    meta = kept.get("_meta", kept)
    note = f"; {meta['note']}" if meta.get("note") else ""
    line = (f"*Command:* `{meta['command']}` · *date:* {date} · *machine:* {meta['machine']}{note} · "
            f"*rendered from* `benchmarks/traces/{file}` *by* `docs/scripts/tables.py`")
    return (f"<!-- generated by docs/scripts/tables.py from benchmarks/traces/; do not edit -->\n{line}\n\n"
            f"{renderer(kept)}\n")


NAMES = [*TABLES, *SPEED, "restarts", "second-order-96", "settings"]


def stale() -> list[str]:
    """Names of the table files that are missing or differ from what ``render`` gives now."""
    out = []
    for name in NAMES:
        path = OUT / f"{name}.md"
        if not path.exists() or path.read_text() != render(name):
            out.append(str(path.relative_to(ROOT)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a table file is stale")
    args = ap.parse_args()
    if args.check:
        bad = stale()
        for path in bad:
            print(f"stale: {path} (run python docs/scripts/tables.py)", file=sys.stderr)
        return 1 if bad else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (OUT / f"{name}.md").write_text(render(name))
        print(f"wrote docs/tables/{name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
