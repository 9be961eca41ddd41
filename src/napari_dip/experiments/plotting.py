"""The prior probe's figure: loss against iteration on a log x-axis (matplotlib, imported lazily)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: One colour per target (matplotlib's tab10), shared with the Experiments widget's plot.
COLORS = {"clean": "#1f77b4", "noisy": "#ff7f0e", "shuffled": "#2ca02c", "noise": "#d62728"}


def _matplotlib():
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plotting the probe needs matplotlib: pip install matplotlib") from err
    return Figure


def plot(result, path=None, *, images: bool = True, title: str | None = None, dpi: int = 120):
    """Draw a :class:`~napari_dip.experiments.ProbeResult`; save it to ``path`` if given.

    Parameters
    ----------
    result : ProbeResult
    path : str or Path, optional
        Where to save the figure; the suffix picks the format (``.png``, ``.svg``, ``.pdf``).
    images : bool
        Also show each target and the network's fit of it beneath the curves.
    title : str, optional
        Figure title (default: the network and the number of iterations).
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    matplotlib.figure.Figure
        The MSE loss per iteration (log x and y), one line per target, a dot
        where each reaches its summary threshold (``result.summary``).
    """
    Figure = _matplotlib()
    names = list(result.curves)
    if not names:
        raise ValueError("the probe result has no curves (was it stopped before the first check?)")
    rows = 3 if images else 1
    fig = Figure(figsize=(max(6.0, 1.8 * len(names)), 3.6 + (3.4 if images else 0)), layout="constrained")
    grid = fig.add_gridspec(rows, len(names), height_ratios=[2.2, 1, 1][:rows])
    ax = fig.add_subplot(grid[0, :])
    for name in names:
        curve = np.asarray(result.curves[name])
        its = np.arange(1, len(curve) + 1)
        ax.plot(its, curve, color=COLORS.get(name), label=name, lw=1.4)
        hit = result.summary.get(name, {}).get("reached_at")
        if hit is not None:
            ax.plot([hit], [curve[hit - 1]], "o", color=COLORS.get(name), ms=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("MSE loss")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, ncols=min(4, len(names)))
    cfg = result.config
    net = cfg.get("network", {})
    ax.set_title(title or f"prior probe: {net.get('arch', '')} net, {cfg.get('iterations')} iterations, "
                          f"lr {cfg.get('lr')} (dots: loss below {cfg.get('level')} x target variance)",
                 fontsize=9)
    if images:
        for col, name in enumerate(names):
            for row, (kind, data) in enumerate((("target", result.targets), ("fit", result.images)), start=1):
                a = fig.add_subplot(grid[row, col])
                a.imshow(np.clip(data[name], 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                a.set_title(f"{name} {kind}", fontsize=8)
                a.set_axis_off()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig
