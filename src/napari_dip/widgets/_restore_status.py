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


def done_text(result, early_stop: bool, can_continue: bool, before: int = 0) -> str:
    """How a run ended, in words: stopped by itself, or at the cap (and what to do about it); ``before``:
    the iterations of the fit before it was continued."""
    at, config = result.stopped_at, result.config
    cap, seconds = config.get("iterations"), config.get("seconds", 0.0)
    source = f"image from iteration {before + at.iteration}, {seconds:.1f} s"
    more = f" Continue runs {cap} more iterations of the same fit." if can_continue else (
        " Raise 'max iterations' (expert options) and run again." if early_stop else "")
    if not hit_cap(result):
        return f"done: stopped by itself (the result stopped improving); {source}."
    if early_stop:
        return (f"hit the cap of {cap} iterations before the automatic stop fired: the result may still "
                f"improve ({source}).{more}")
    return f"done: ran all {cap} iterations (automatic stop off); {source}.{more}"
