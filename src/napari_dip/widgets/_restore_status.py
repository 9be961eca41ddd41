"""The Restore dock's status lines: a run's progress, and how it ended (by itself, or at the cap)."""

from __future__ import annotations


def progress_text(snap) -> str:
    """``"iteration 40/3000 · 0.05 s/it · ~150 s left (max)"`` (plane, tile and scores when there are)."""
    rate = snap.elapsed / max(1, snap.iteration)
    text = f"iteration {snap.iteration}/{snap.total} · {rate:.2f} s/it"
    if snap.n_planes > 1:
        text = f"plane {snap.plane_number}/{snap.n_planes} · " + text
    if snap.n_tiles > 1:
        text = f"tile {snap.tile_number}/{snap.n_tiles} · " + text
    if snap.seconds_left is not None and not snap.done:
        text += f" · ~{snap.seconds_left:.0f} s left (max)"
    if snap.metrics:
        text += " · " + ", ".join(f"{k} {v:.3g}" for k, v in snap.metrics.items())
    return text


def hit_cap(result) -> bool:
    """True when the run ended at its iteration cap (the automatic stop, if on, never fired)."""
    return result.stopped_at.reason == "iterations"


def several_fits(result) -> str | None:
    """What made a run several fits, which Continue cannot go on with (it continues one untiled fit: one
    network and its optimiser state): ``"3 planes"``, ``"4 tiles"``, ``"2 windows around the holes"``; None
    for a run of one fit."""
    config = result.config
    parts = []
    if int(config.get("n_planes", 1)) > 1:
        parts.append(f"{config['n_planes']} planes")
    tiles = config.get("tiles") or {}
    if int(tiles.get("count", 1)) > 1:
        parts.append(f"{tiles['count']} tiles{' per plane' if parts else ''}")
    if config.get("extent") == "windows":
        n = max((len(p.get("windows", [])) for p in config.get("planes", [])), default=0)
        each = " per plane" if parts else ""
        parts.append(f"{n} window{'s' if n != 1 else ''} around the holes{each}")
    return " and ".join(parts) if parts else None


def done_text(result, early_stop: bool, can_continue: bool, before: int = 0) -> str:
    """How a run ended, in words: stopped by itself, or at the cap (and what to do about it: Continue, or why
    it is not offered); ``before``: the iterations of the fit before it was continued."""
    at, config = result.stopped_at, result.config
    cap, seconds = config.get("iterations"), config.get("seconds", 0.0)
    source = f"image from iteration {before + at.iteration}, {seconds:.1f} s"
    again = " Raise 'max iterations' (expert options) and run again."
    if can_continue:
        more = f" Continue runs {cap} more iterations of the same fit."
    elif (fits := several_fits(result)) is not None:
        more = (f" Continue is not offered: it goes on with a single fit, and this run fitted {fits}, each "
                f"with its own network.{again}")
    else:
        more = again if early_stop else ""
    if not hit_cap(result):
        return f"done: stopped by itself (the result stopped improving); {source}."
    if early_stop:
        return (f"hit the cap of {cap} iterations before the automatic stop fired: the result may still "
                f"improve ({source}).{more}")
    return f"done: ran all {cap} iterations (automatic stop off); {source}.{more}"
