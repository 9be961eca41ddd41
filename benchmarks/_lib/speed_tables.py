"""The speed tables, from the JSONs that ``step_cost.py`` and ``quality_per_second.py`` keep (and the archived
``restarts.py`` and ``second_order.py`` kept).

Standard library only: ``docs/scripts/tables.py`` renders the documentation's tables with these
functions on a machine without torch.
"""

from __future__ import annotations

from .report import first_within as _first_index
from .report import markdown_table

MARGIN = 0.5  # dB below the notebook's best that counts as the same quality


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


def _first_iteration(trace: dict, target: float) -> int | None:
    """The first recorded iteration whose PSNR is within :data:`MARGIN` of ``target``."""
    k = _first_index(trace["psnr"], target, MARGIN)
    return None if k is None else trace["iteration"][k]


def quality_rows(results: dict) -> list[list[str]]:
    out = []
    for key, r in results.items():
        if key.startswith("_"):
            continue
        nb = r["traces"]["notebook"]
        target = max(nb["psnr"])
        nb_time = (_first_iteration(nb, target) or 0) * r["seconds_per_iteration"]["notebook"]
        row = [key, f"{target:.2f}", f"{nb_time:.0f}"]
        for way in ("defaults", "input"):
            trace, sec = r["traces"][way], r["seconds_per_iteration"][way]
            it = _first_iteration(trace, target)
            reach = "never" if it is None else f"{it * sec:.0f} ({nb_time / (it * sec):.1f}x)"
            row += [reach, f"{trace['final_psnr']:.2f} in {trace['iterations_run'] * sec:.0f} s"]
        out.append(row)
    return out


QUALITY_HEADER = ["case, seed", "notebook best PSNR", "notebook s to within 0.5 dB of it",
                  "defaults: s to within 0.5 dB (x sooner)", "defaults at the stop: PSNR in s",
                  'fit="input": s to within 0.5 dB (x sooner)', 'fit="input" at the stop: PSNR in s']


def _spread(values: list[float], fmt: str, unit: str = "") -> str:
    """``median (min to max)`` of ``values``, or the one value, each followed by ``unit``."""
    v = sorted(values)
    mid = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    one = lambda x: f"{x:{fmt}}{unit}"  # noqa: E731
    return one(mid) if len(v) == 1 else f"{one(mid)} ({one(v[0])} to {one(v[-1])})"


def _speedups(runs: list[dict], way: str) -> str:
    """How many times sooner than the notebook ``way`` came within the margin, over the seeds."""
    factors, never = [], 0
    for r in runs:
        nb = r["traces"]["notebook"]
        target = max(nb["psnr"])
        nb_time = (_first_iteration(nb, target) or 0) * r["seconds_per_iteration"]["notebook"]
        it = _first_iteration(r["traces"][way], target)
        if it is None:
            never += 1
        else:
            factors.append(nb_time / (it * r["seconds_per_iteration"][way]))
    text = _spread(factors, ".1f", "x") if factors else ""
    return text + (f"{'; ' if text else ''}never in {never} of {len(runs)}" if never else "")


def quality_summary(results: dict) -> str:
    """Per case over its seeds: median (min to max) of the speed-ups and of the PSNR at the stop."""
    by_case: dict[str, list[dict]] = {}
    for key, r in results.items():
        if not key.startswith("_"):
            by_case.setdefault(key.rsplit(", s", 1)[0], []).append(r)
    rows = []
    for case, runs in by_case.items():
        best = [max(r["traces"]["notebook"]["psnr"]) for r in runs]
        row = [case, str(len(runs)), _spread(best, ".2f")]
        for way in ("defaults", "input"):
            gap = [r["traces"][way]["final_psnr"] - b for r, b in zip(runs, best, strict=True)]
            row += [_speedups(runs, way), _spread(gap, "+.2f")]
        rows.append(row)
    header = ["case", "seeds", "notebook best PSNR", "defaults: x sooner to within 0.5 dB",
              "defaults at the stop minus notebook best, dB", 'fit="input": x sooner to within 0.5 dB',
              'fit="input" at the stop minus notebook best, dB']
    return markdown_table(header, rows)


def quality_table(results: dict) -> str:
    """The summary over seeds (median, min to max), then every seed's row."""
    return (quality_summary(results) + "\n\nEvery seed:\n\n"
            + markdown_table(QUALITY_HEADER, quality_rows(results)))


def _reach(trace: dict, target: float, seconds: float, reference: float | None = None) -> str:
    it = _first_iteration(trace, target)
    if it is None:
        return "never"
    ratio = "" if reference is None else f" ({reference / (it * seconds):.1f}x)"
    return f"{it * seconds:.0f}{ratio}"


def restarts_tables(results: dict, kept: dict) -> str:
    """The step table of ``restarts.py --steps`` and its quality table beside the one-fit traces ``kept``."""
    parts = []
    if "steps" in results:
        st = results["steps"]
        sec = st["seconds_per_iteration"]
        one = sec["one fit (defaults)"]
        rows = [[name, f"{s:.3f}", f"{s / one:.2f}"] for name, s in sec.items()]
        parts.append(f"Command: `{st['command']}`  \nMachine: {st['machine']}; F16, {st['size']}²\n\n"
                     + markdown_table(["way", "s per iteration", "x one fit's step"], rows))
    for name in ("quality-weights", "quality-input"):
        if name in results:
            parts.append(_restarts_quality(results[name], kept))
    return "\n\n".join(parts) + "\n"


def _restarts_quality(q: dict, kept: dict) -> str:
    k, way = q["restarts"], {"weights": "defaults", "input": "input"}[q["fit"]]
    label = "one fit" if q["fit"] == "weights" else 'fit="input", one fit'
    rows = []
    for key, r in q["cases"].items():
        one_trace = kept[key]["traces"][way]
        target = max(kept[key]["traces"]["notebook"]["psnr"])
        s1, sk = r["seconds_per_iteration"]["one fit"], r["seconds_per_iteration"][f"restarts={k}"]
        rk = r["trace"]
        rows.append([key, f"{target:.2f}", _reach(one_trace, target, s1), _reach(rk, target, sk),
                     f"{one_trace['final_psnr']:.2f} in {one_trace['iterations_run'] * s1:.0f} s",
                     f"{rk['final_psnr']:.2f} in {rk['iterations_run'] * sk:.0f} s",
                     f"{rk['final_psnr'] - one_trace['final_psnr']:+.2f}"])
    header = ["case, seed", "notebook best PSNR", f"{label}: s to within 0.5 dB",
              f"restarts={k}: s to within 0.5 dB", f"{label} at the stop: PSNR in s",
              f"restarts={k} at the stop: PSNR in s", "gain at the stop, dB"]
    return f"Command: `{q['command']}`  \nMachine: {q['machine']}\n\n" + markdown_table(header, rows)


def second_order_table(results: dict, kept: dict) -> str:
    """L-BFGS's best PSNR on the input mode beside the Adam fit's best (``quality_per_second.py``'s)."""
    rows = []
    for key, trace in results["cases"].items():
        best = max(range(len(trace["psnr"])), key=trace["psnr"].__getitem__)
        adam = kept[key]["traces"]["input"]
        a_best = max(range(len(adam["psnr"])), key=adam["psnr"].__getitem__)
        rows.append([key, f"{trace['psnr'][best]:.2f} ({trace['evaluations'][best]})",
                     f"{adam['psnr'][a_best]:.2f} ({adam['iteration'][a_best]})",
                     f"{trace['psnr'][best] - adam['psnr'][a_best]:+.2f}"])
    header = ["case, seed", "L-BFGS: best PSNR (network evaluations)", "Adam: best PSNR (iterations)",
              "difference, dB"]
    return (f"Command: `{results['command']}`  \nMachine: {results['machine']}\n\n"
            + markdown_table(header, rows) + "\n")
