"""How many iterations the automatic stop typically runs, per preset and image size: measured, not modelled.

The run estimate (:func:`napari_dip.estimate_run`) times a few iterations and multiplies; the iteration cap
gives an upper bound, this table the expected count. Every row is a measurement of the defaults (the CPU
width of the preset, the automatic stop on, capped at 2000 iterations or the notebook's count) from
``benchmarks/network_size.py`` (docs/notes/benchmarks.md, "Making each iteration count: a narrower or
shallower network"; traces in benchmarks/traces/network-size-*.json): one count per seed, on the paper
images (kate, library, F16, zebra, barbara) at 96 and 256 px and on camera and cell (denoising at 128 px,
deconvolution at 96 px).

Rows are keyed by preset name (the registry's: a preset belongs to one task). A count that reached the
cap of its run (``capped``) is a lower bound of the stop; it is kept, as the measured cost. Sizes beyond
the measured ones use the largest measured size (the stop's iteration count grew little from 96 to 256 px
and is not known to grow beyond).
"""

from __future__ import annotations

import math
import statistics

#: preset -> ((output side px, stop iterations per seed, image), ...)
STOP_ITERATIONS: dict[str, tuple[tuple[int, tuple[int, ...], str], ...]] = {
    "inpaint": ((96, (500, 750, 700, 550, 650), "kate, width 32"),
                (256, (600, 600), "kate, width 32")),
    "hole": ((96, (850, 1000, 700, 800, 850), "library, width 64"),
             (256, (500,), "library, width 64")),
    "denoise": ((96, (1120, 1300, 1090, 1060, 1010), "F16 sigma 25, width 64"),
                (128, (1250, 1780, 1730), "camera sigma 25, width 64"),
                (128, (760, 700, 610), "cell sigma 25, width 64"),
                (256, (2000,), "F16 sigma 25, width 64 (capped at 2000)")),
    "super_resolution": ((96, (700, 650, 750, 850, 650), "zebra 4x, width 32"),
                         (256, (550, 650), "zebra 4x, width 32")),
    "reconstruct": ((96, (450, 500, 500, 450, 500), "barbara 50 %, width 32"),
                    (256, (450, 500), "barbara 50 %, width 32")),
    "deconvolve": ((96, (770, 720, 1300), "camera PSF 2.5 px, width 64"),
                   (96, (890, 740, 940), "cell PSF 2.5 px, width 64")),
}

SOURCE = "benchmarks/network_size.py (docs/notes/benchmarks.md, network-size tables)"


def typical_stop(preset: str, side: float) -> int | None:
    """The median measured stop of ``preset`` at the measured size nearest ``side`` (px, on a log scale;
    beyond the largest measured size: the largest); None where the preset was never measured."""
    rows = STOP_ITERATIONS.get(preset)
    if not rows:
        return None
    sizes = sorted({size for size, _, _ in rows})
    nearest = min(sizes, key=lambda s: abs(math.log2(s) - math.log2(max(side, 1.0))))
    counts = [c for size, seeds, _ in rows if size == nearest for c in seeds]
    return int(statistics.median(counts))

