"""A quality estimate without a clean image: observed pixels held out of the fit.

A small random share of the observed pixels is left out of the loss. The
network has to predict them the way it predicts the missing ones, so how well
the shown image (the moving average) matches them, through the task's forward
operator, estimates how good the fill is. :class:`HoldoutStop` stops the fit
when that estimate has stopped rising and returns the image of its best
iteration; the estimate is also reported live as ``holdout_psnr``. Tasks whose
observed pixels come back exactly (``keep_known``) lose nothing at the
held-out pixels: the finaliser puts the observed values back.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.ndimage import label, uniform_filter


def choose_holdout(
    known: np.ndarray, fraction: float, seed: int, like: np.ndarray | None = None
) -> np.ndarray | None:
    """About ``fraction`` of the observed pixels (``known`` > 0) to hold out, as a bool array like ``known``.

    ``like`` (the missing pixels, same shape): hold out pieces shaped like the damage, so that they are
    as hard to predict as the missing pixels (strokes stay strokes): the damage is shifted by a random
    offset, and whole connected pieces of its observed part are taken in random order until the share
    is reached (a piece larger than what is left, e.g. a shifted hole, is cut to a square of that area).
    Without ``like``, or where its shifted copy covers too few observed pixels: scattered single pixels.
    None when ``fraction`` is 0.
    """
    if fraction < 0 or fraction >= 0.5:
        raise ValueError(
            f"holdout must be at least 0 and below 0.5 (a share of the observed pixels), got {fraction}"
        )
    if fraction == 0:
        return None
    rng = np.random.default_rng(seed + 7919)
    observed = known > 0
    target = max(1, int(round(fraction * observed.sum())))
    if like is not None and like.any():
        shift = [int(rng.integers(n // 4, n // 2 + 1)) for n in like.shape]
        candidate = np.roll(like, shift, axis=tuple(range(like.ndim))) & observed
        if candidate.sum() >= target:
            return _pieces(candidate, target, rng)
    hold = (rng.random(known.shape) < fraction) & observed
    return hold if hold.any() else None


def _pieces(candidate: np.ndarray, target: int, rng) -> np.ndarray:
    """Connected pieces of ``candidate`` in random order until ``target`` pixels (the last one cut to fit)."""
    labels, count = label(candidate)
    order = rng.permutation(count) + 1
    total = np.cumsum(np.bincount(labels.ravel(), minlength=count + 1)[order])
    whole = int(np.searchsorted(total, target, side="right"))  # pieces that fit whole
    hold = np.isin(labels, order[:whole])
    left = target - (int(total[whole - 1]) if whole else 0)
    if left > 0 and whole < count:
        where = labels == order[whole]
        size = int(where.sum())
        if size > 2 * left:  # e.g. a shifted hole: a square of about ``left`` pixels around one of its pixels
            centre = np.argwhere(where)[rng.integers(size)]
            half = max(1, int(round(left ** (1 / where.ndim) / 2)))
            box = np.zeros_like(where)
            box[tuple(slice(max(0, c - half), c + half) for c in centre)] = True
            where &= box
        hold |= where
    return hold


def fill_held_out(y: np.ndarray, train_known: np.ndarray, hold: np.ndarray) -> np.ndarray:
    """``y`` ``(C, *spatial)`` with each held-out pixel replaced by the mean of the nearest observed ones.

    The classical estimate fed as input channels (``fill_input``) is built from this, so that the
    held-out values do not reach the network through its input.
    """
    out, todo = y.copy(), hold.copy()
    for size in (3, 7, 15, 31):
        num = np.stack([uniform_filter(c * train_known, size, mode="mirror") for c in y])
        den = uniform_filter(train_known.astype(np.float32), size, mode="mirror")
        ok = todo & (den > 1e-6)
        out[:, ok] = num[:, ok] / den[ok]
        todo &= ~ok
        if not todo.any():
            break
    if todo.any():  # no observed pixel within 15 px: the mean of the observed ones
        means = (y * train_known).reshape(len(y), -1).sum(1) / max(1.0, float(train_known.sum()))
        out[:, todo] = means[:, None]
    return out


class HoldoutStop:
    """Stop when the held-out pixels stop getting better predicted.

    Every ``every`` iterations the shown image ``keep`` is passed through
    ``operator`` and compared with the observation ``y`` on the held-out pixels
    ``holdout`` (``(1, 1, *obs_grid)``, 1 = held out): its PSNR (range 1) is
    the estimate. The rule fires (not before ``warmup``) when the best estimate
    has risen by less than ``min_gain`` dB over the last ``patience``
    iterations, and :attr:`selected` is the image of the best estimate. The
    comparison and the choice of image stay on the device; the host reads the
    estimates on check iterations only.
    """

    reason = "converged"

    def __init__(self, operator, y: torch.Tensor, holdout: torch.Tensor, *, every: int = 10,
                 patience: int = 200, min_gain: float = 0.05, warmup: int = 300):
        if min_gain < 0:
            raise ValueError(f"stop_gain must be at least 0, got {min_gain}")
        self.operator, self.y, self.holdout = operator, y, holdout
        self.count = holdout.sum() * y.shape[1]
        self.every, self.patience, self.min_gain, self.warmup = max(1, every), patience, min_gain, warmup
        self.pending: list[tuple[int, torch.Tensor]] = []
        self.curve: list[tuple[int, float]] = []   # (iteration, held-out PSNR), read so far
        self.best_err: torch.Tensor | None = None
        self.best_iter: torch.Tensor | None = None
        self.selected: torch.Tensor | None = None

    def update(self, x: torch.Tensor, t: int, keep: torch.Tensor | None = None) -> None:
        if (t + 1) % self.every:
            return
        image = (x if keep is None else keep).detach().float()
        with torch.no_grad():
            err = ((self.operator(image) - self.y) ** 2 * self.holdout).sum() / self.count
        self.pending.append((t + 1, err))
        if self.best_err is None:
            self.best_iter = torch.full((), t, dtype=torch.long, device=err.device)
            self.best_err, self.selected = err, image.clone()
            return
        better = err < self.best_err
        self.best_err = torch.where(better, err, self.best_err)
        self.best_iter = torch.where(better, torch.full_like(self.best_iter, t), self.best_iter)
        self.selected = torch.where(better, image, self.selected)

    def _read(self) -> None:
        if self.pending:
            values = torch.stack([e for _, e in self.pending]).cpu().tolist()
            self.curve += [
                (n, -10 * math.log10(max(v, 1e-12))) for (n, _), v in zip(self.pending, values, strict=False)
            ]
            self.pending = []

    def metrics(self) -> dict[str, float]:
        """The latest estimate, for the snapshot (host read)."""
        self._read()
        return {"holdout_psnr": self.curve[-1][1]} if self.curve else {}

    def should_stop(self, t: int) -> bool:
        """Host read: has the best held-out PSNR risen by less than ``min_gain`` dB in ``patience``
        iterations?"""
        self._read()
        return plateaued(
            self.curve, t + 1, patience=self.patience, min_gain=self.min_gain, warmup=self.warmup
        )


def plateaued(curve: list[tuple[int, float]], n: int, *, patience: int, min_gain: float, warmup: int) -> bool:
    """The rule of :class:`HoldoutStop` on ``curve`` ``[(iteration, held-out PSNR), ...]`` after ``n``
    iterations.

    True (not before ``warmup``) when the best PSNR so far is less than ``min_gain`` dB above the best
    of the curve up to ``patience`` iterations ago. (benchmarks/holdout_stop.py replays it on recorded runs.)
    """
    if n < warmup or not curve:
        return False
    before = [p for i, p in curve if i <= n - patience]
    return bool(before) and max(p for _, p in curve) - max(before) < min_gain
