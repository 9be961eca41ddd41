"""Deconvolution with a column more: DIP fed the Wiener-Hunt estimate instead of the task's own.

The measurement behind the deconvolve task's input rule (Wiener-Hunt under narrow PSFs): the table of
``benchmarks/deconvolve.py`` plus that column. It swaps the registered task's classical estimate for
Wiener-Hunt for the extra runs (a measurement, not an option of the package). To rerun it, copy it back to
``benchmarks/`` (it imports ``deconvolve`` and ``_lib`` from there):

    python benchmarks/deconvolve_wiener_input.py --size 64 --iterations 500 --seeds 0 1 2
"""

from __future__ import annotations

import contextlib

from deconvolve import dip_runs, main


@contextlib.contextmanager
def wiener_input():
    """The deconvolve task fed Wiener-Hunt instead of its own estimate, for the time of the block."""
    from napari_dip.core.tasks.deconvolve import TASK, classical_estimate

    # the task's estimate attribute, whichever its name (``estimate`` when this was measured)
    name = next(n for n in ("initial_guess", "estimate") if hasattr(TASK, n))
    chosen = getattr(TASK, name)
    setattr(TASK, name, lambda y, known, inputs: classical_estimate(y, inputs["psf"], "Wiener"))
    try:
        yield
    finally:
        setattr(TASK, name, chosen)


def wiener_runs(ref, obs, sigma, noise, args) -> list[float]:
    with wiener_input():
        return dip_runs(ref, obs, sigma, noise, args)[0]


if __name__ == "__main__":
    main(extra=("DIP fed Wiener-Hunt instead: mean (min-max)",
                "*other estimate*: the same fed Wiener-Hunt instead", wiener_runs))
