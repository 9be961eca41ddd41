"""How long a run will take and how much memory it needs, before it starts.

Memory comes from the model of :mod:`..memory`; time from a few timed iterations of the run's largest
first fit (its first plane's whole image, first tile or largest window), scaled by the pixels of every
fit of the run (tiles, or the windows around the damage: not the whole image) and by two iteration
counts: the cap (every fit runs to its ``iterations``: the upper bound) and, with the automatic stop, the
stop's typical count for the preset and size as measured (:mod:`..stop_counts`): the expected time.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..stop_counts import typical_stop
from . import sizing
from .driver import parts_of, run


@dataclass
class RunEstimate:
    """What a run will cost: bytes of its largest fit (a tile's or a window's when the run is split: fits
    run one at a time), seconds per iteration of the probed fit, iterations per fit (the cap), fits, and
    ``work``: the pixels of all fits over the probed fit's (``fits`` for equal tiles).

    ``typical_iterations``: the automatic stop's measured count for this preset and size (None: the stop is
    off or was never measured; the expected time is then the upper bound)."""

    memory: int
    seconds_per_iteration: float
    iterations: int
    fits: int
    device: str
    early_stop: bool
    work: float = 1.0
    typical_iterations: int | None = None
    extent: str = "whole"

    @property
    def seconds(self) -> float:
        """Upper bound of the whole run (every fit runs to its iteration cap)."""
        return self.seconds_per_iteration * self.iterations * self.work

    @property
    def expected_iterations(self) -> int:
        """Iterations per fit expected: the stop's typical count (at most the cap), else the cap."""
        if self.early_stop and self.typical_iterations is not None:
            return min(self.typical_iterations, self.iterations)
        return self.iterations

    @property
    def expected_seconds(self) -> float:
        """The expected time of the whole run (the automatic stop at its typical count)."""
        return self.seconds_per_iteration * self.expected_iterations * self.work

    def text(self) -> str:
        """E.g. ``about 1.2 GiB on cpu; expected about 2 min (automatic stop, typically 700 iterations),
        at most 4 min (cap: 3000 its x 3 fits)``."""
        what = self.extent if self.extent in ("windows", "tiles") else "fits"
        fits = f" x {self.fits} {what}" if self.fits > 1 else ""
        each = {"windows": " per window", "tiles": " per tile"}.get(self.extent, "") if self.fits > 1 else ""
        head = f"about {self.memory / 2**30:.1f} GiB{each} on {self.device}"
        if self.early_stop and self.typical_iterations is not None:
            return (f"{head}; expected about {duration(self.expected_seconds)} (automatic stop, typically "
                    f"{self.expected_iterations} iterations), at most {duration(self.seconds)} "
                    f"(cap: {self.iterations} its{fits})")
        why = "automatic stop not measured for this preset" if self.early_stop else "automatic stop off"
        return f"{head}; at most {duration(self.seconds)} (cap: {self.iterations} its{fits}; {why})"

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "seconds": self.seconds,
                "expected_seconds": self.expected_seconds, "expected_iterations": self.expected_iterations}


def duration(secs: float) -> str:
    if secs < 90:
        return f"{secs:.0f} s"
    return f"{secs / 60:.0f} min" if secs < 5400 else f"{secs / 3600:.1f} h"


def _area(box, plane) -> int:
    return plane[-2] * plane[-1] if box is None else (box[1] - box[0]) * (box[3] - box[2])


def _fit_memory(job, box) -> int:
    """Bytes of the fit of ``box`` (a tile or window; None: the whole plane, ``job.memory``)."""
    if box is None:
        return job.memory
    plane = job.codec.plane_shape
    out = (*plane[:-2], (box[1] - box[0]) * job.scale, (box[3] - box[2]) * job.scale)
    return sizing.estimate(job.fit, job.codec.n_channels, out, job.nd, job.device, job.settings.precision)


def estimate(job, probe_iterations: int = 3) -> RunEstimate:
    """Time ``probe_iterations`` iterations (after one warm-up) of the first plane's largest fit."""
    plane = job.codec.plane_shape
    areas = [_area(b, plane) for idx in job.run for b in parts_of(job, idx)]
    rate, probed, memory = 0.0, 1, job.memory
    if job.run:
        idx = job.run[0]
        boxes = parts_of(job, idx)
        largest = max(boxes, key=lambda b: _area(b, plane))
        probed, memory = _area(largest, plane), _fit_memory(job, largest)
        windows = None if job.windows is None else {idx: [largest]}
        probe = dataclasses.replace(
            job, planes=[idx], run=[idx], windows=windows,
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
    side = math.sqrt(probed) * job.scale
    typical = typical_stop(job.fit.preset_name, side) if job.fit.early_stop else None
    extent = "windows" if job.windows is not None else ("tiles" if job.tile else "whole")
    return RunEstimate(memory, rate, job.fit.iterations, max(1, len(areas)), str(job.device),
                       job.fit.early_stop, work=sum(areas) / probed if areas else 1.0,
                       typical_iterations=typical, extent=extent)
