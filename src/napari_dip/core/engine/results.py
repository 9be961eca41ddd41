"""What a run returns: the image, the per-iteration history, where the image comes from, the settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .loop import FitHistory

#: Why a fit ended: its iteration budget, the automatic stop on the output variance (noisy data), or the
#: automatic stop when the filled image stopped changing (inpaint, reconstruct, super-resolution).
REASONS = ("iterations", "early_stop", "converged")


@dataclass
class StopInfo:
    """Where the returned image comes from and why the run ended (one of :data:`REASONS`)."""

    iteration: int
    reason: str


@dataclass
class FitResult:
    """A run's result.

    ``image``: the result in the input's dtype and layout. ``history``: one
    record per iteration with its ``loss`` (plus ``psnr``/``ssim`` on preview
    iterations when a reference was given, and ``plane``/``tile`` for runs of
    several fits). ``stopped_at``: the iteration the image comes from and why.
    ``config``: every setting used, JSON-ready.
    """

    image: np.ndarray
    history: list[dict] = field(default_factory=list)
    stopped_at: StopInfo = field(default_factory=lambda: StopInfo(0, "iterations"))
    config: dict = field(default_factory=dict)
    #: what continuing this fit needs (its network, input and optimiser state): a run of one untiled fit,
    #: else None; pass the result as ``resume=`` to continue it. Not part of :meth:`to_dict`.
    resume: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"history": self.history, "stopped_at": asdict(self.stopped_at), "config": self.config}


def history_rows(history: FitHistory, scores: dict[int, dict], extra: dict | None = None) -> list[dict]:
    """One record per iteration: its loss, the scores of preview iterations and ``extra``."""
    rows = []
    for i, loss in enumerate(history.loss, start=1):
        row = {"iteration": i, "loss": loss, **(extra or {})}
        row.update(scores.get(i, {}))
        rows.append(row)
    return rows
