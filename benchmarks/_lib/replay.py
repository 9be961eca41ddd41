"""Stopping rules replayed on recorded fixed runs (``benchmarks/traces/*.npz``, from ``stop_traces.py``)."""

from __future__ import annotations

import numpy as np
import torch

from napari_dip.core.engine.stopping import ChangeStop


def change_stop_at(trace, **rule) -> int:
    """The iteration count at which ``ChangeStop(**rule)`` fires on ``trace`` (its last one if never)."""
    images, region = trace["images"].astype(np.float32), trace["region"]
    to_t = lambda a: torch.from_numpy(np.ascontiguousarray(a if a.ndim == 2 else np.moveaxis(a, -1, 0)))  # noqa
    mask = to_t(region.astype(np.float32)).reshape(1, 1, *region.shape)
    stop = ChangeStop(mask, **rule)
    for n, image in zip(trace["iteration"], images, strict=False):
        x = to_t(image).reshape(1, -1, *region.shape)
        stop.update(x, int(n) - 1)
        if stop.should_stop(int(n) - 1):
            return int(n)
    return int(trace["iteration"][-1])
