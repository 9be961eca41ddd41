"""How long a run will take and how much memory it needs, before it starts.

Memory comes from the model of :mod:`..memory`; time from a few timed
iterations of the run's first fit (its first plane, or first tile), times the
iteration cap and the number of fits. It is an upper bound when the automatic
stop is on (the fit usually ends earlier).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..memory import tile_boxes
from .driver import run


@dataclass
class RunEstimate:
    """What a run will cost: bytes of one fit, seconds per iteration, iterations per fit, fits."""

    memory: int
    seconds_per_iteration: float
    iterations: int
    fits: int
    device: str
    early_stop: bool

    @property
    def seconds(self) -> float:
        """Upper bound of the whole run (every fit runs to its iteration cap)."""
        return self.seconds_per_iteration * self.iterations * self.fits

    def text(self) -> str:
        """E.g. ``about 1.2 GiB, up to 4 min on cpu (1000 its x 3 fits; auto stop usually ends sooner)``."""
        secs = self.seconds
        duration = (
            f"{secs:.0f} s"
            if secs < 90
            else (f"{secs / 60:.0f} min" if secs < 5400 else f"{secs / 3600:.1f} h")
        )
        fits = f" x {self.fits} fits" if self.fits > 1 else ""
        stop = "; auto stop usually ends sooner" if self.early_stop else ""
        return (f"about {self.memory / 2**30:.1f} GiB, up to {duration} on {self.device} "
                f"({self.iterations} its{fits}{stop})")


def estimate(job, probe_iterations: int = 3) -> RunEstimate:
    """Time ``probe_iterations`` iterations (after one warm-up) of ``job``'s first fit."""
    n_tiles = len(tile_boxes(job.codec.plane_shape[-2:], job.tile, job.overlap)) if job.tile else 1
    fits = max(1, len(job.run)) * n_tiles
    rate = 0.0
    if job.run:
        probe = dataclasses.replace(
            job, planes=job.run[:1], run=job.run[:1],
            fit=dataclasses.replace(job.fit, iterations=probe_iterations + 1, early_stop=False),
            settings=dataclasses.replace(job.settings, preview_every=10**9, warm_start=False))
        gen = run(probe)
        try:
            first = next(gen)
            for snap in gen:
                if snap.iteration >= probe_iterations + 1 or snap.done:
                    rate = (snap.elapsed - first.elapsed) / max(1, snap.iteration - first.iteration)
                    break
        finally:
            gen.close()
    return RunEstimate(job.memory, rate, job.fit.iterations, fits, str(job.device), job.fit.early_stop)
