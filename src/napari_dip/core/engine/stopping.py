"""Output averaging, automatic stopping and backtracking.

Everything here updates device tensors only: no ``.item()`` and no numpy in
the per-iteration path. The engine reads the few scalars it needs (``should
stop?``, ``did the loss jump?``) only on its check iterations.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch


class EMA:
    """Exponential moving average of the network outputs (report 002, paper: 0.99).

    Bias-corrected as in Adam: ``value = m_t / (1 - beta**t)`` with ``m_0 = 0``,
    so early previews are the average of the outputs so far rather than
    being dominated by the random first output.
    """

    def __init__(self, beta: float = 0.99):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {beta}")
        self.beta = beta
        self.steps = 0
        self._m: torch.Tensor | None = None

    def update(self, x: torch.Tensor) -> torch.Tensor:
        x = x.detach().float()
        if self._m is None:
            self._m = torch.zeros_like(x)
        self._m.mul_(self.beta).add_(x, alpha=1.0 - self.beta)
        self.steps += 1
        return self.value

    @property
    def value(self) -> torch.Tensor | None:
        if self._m is None:
            return None
        return self._m / (1.0 - self.beta**self.steps) if self.beta > 0 else self._m


class VarianceStop:
    """Early stopping without a clean image: exponential moving variance (ES-EMV).

    After Wang, Li, Zhuang & Sun, "Early stopping for deep image prior" (TMLR
    2023), in its O(1)-memory exponential form: the running variance of the
    network outputs,

        mu_t  = (1 - a) mu_{t-1} + a x_t
        v_t   = (1 - a) v_{t-1} + a (1 - a) mean((x_t - mu_{t-1})**2),   a = 1 / window

    falls while the fit recovers structure and rises when it starts fitting
    noise. The rule tracks the iteration with the lowest variance, keeps a
    copy of the image shown then (``keep``, e.g. the moving average of
    outputs) on the device, and fires when no lower variance was seen for
    ``patience`` iterations; :attr:`selected` is the image to return.
    Measured (docs/notes/benchmarks.md, benchmarks/early_stop.py): with window 50
    and patience 100 the kept image was within about 0.8 dB of the best
    averaged output on a smooth microscopy image (which overfits after ~200
    iterations) and on a textured photograph (still improving at 900); the
    paper's window 100 found its minimum 400 iterations too late on the
    former (-4.4 dB).
    """

    reason = "early_stop"

    def __init__(self, window: int = 50, patience: int = 100, warmup: int | None = None):
        self.alpha = 1.0 / max(1, window)
        self.patience = patience
        self.warmup = window if warmup is None else warmup
        self.mu: torch.Tensor | None = None
        self.var: torch.Tensor | None = None
        self.best_var: torch.Tensor | None = None
        self.best_iter: torch.Tensor | None = None
        self.selected: torch.Tensor | None = None

    def update(self, x: torch.Tensor, t: int, keep: torch.Tensor | None = None) -> None:
        """Add output ``x`` of iteration ``t``; ``keep`` is the image to return if ``t`` is the best."""
        x = x.detach().float()
        a = self.alpha
        if self.mu is None:
            self.mu = x.clone()
            self.var = x.new_zeros(())
            self.best_var = x.new_full((), float("inf"))
            self.best_iter = torch.zeros((), dtype=torch.long, device=x.device)
            return
        d2 = ((x - self.mu) ** 2).mean()
        self.var = (1 - a) * self.var + a * (1 - a) * d2
        self.mu.mul_(1 - a).add_(x, alpha=a)
        if t >= self.warmup:
            better = self.var < self.best_var
            self.best_var = torch.where(better, self.var, self.best_var)
            self.best_iter = torch.where(better, torch.full_like(self.best_iter, t), self.best_iter)
            keep = x if keep is None else keep.detach().float()
            self.selected = (
                keep.clone() if self.selected is None else torch.where(better, keep, self.selected)
            )

    def should_stop(self, t: int) -> bool:
        """Host read: has the variance not improved for ``patience`` iterations?"""
        if self.best_iter is None or t < self.warmup + self.patience:
            return False
        return t - int(self.best_iter) >= self.patience


class ChangeStop:
    """Stop when the image being filled has stopped settling (tasks with no noise to overfit).

    Inpainting, reconstruction and super-resolution fit the observed pixels
    almost exactly, so the output variance (:class:`VarianceStop`) has no rise
    to detect; what matters is the part the network invents (the missing
    pixels, the detail above the observed resolution). Every ``window``
    iterations the shown image ``keep`` (the moving average) is compared with
    the one ``window`` iterations earlier: ``change`` is the root-mean-square
    difference over ``region`` (1 where the network fills; None: everywhere),
    in units of the image's range. It falls while the fill takes shape, then
    levels off at the slow wander that the input noise keeps up. The rule
    fires (not before ``warmup``) when ``change`` has stayed below ``tol`` for
    ``patience`` iterations, or has not fallen by ``plateau`` (a fraction) below
    its lowest value for ``patience`` iterations: the fill has stopped settling
    (a fill that starts moving again, to twice its lowest change, restarts the count).
    One subtraction and one host read every ``window`` iterations.
    """

    reason = "converged"

    def __init__(self, region: torch.Tensor | None = None, *, window: int = 50, patience: int = 100,
                 tol: float = 1e-3, plateau: float = 0.1, warmup: int = 300):
        if tol <= 0:
            raise ValueError(f"stop_tol must be positive, got {tol}")
        self.region, self.window, self.tol, self.plateau = region, max(1, window), tol, plateau
        self.patience, self.warmup = patience, warmup
        self.ref: torch.Tensor | None = None
        self.change: float | None = None
        self.lowest, self.lowest_at, self.quiet_since = float("inf"), 0, None
        self.selected = None  # the current image is returned

    def update(self, x: torch.Tensor, t: int, keep: torch.Tensor | None = None) -> None:
        if (t + 1) % self.window:
            return
        image = (x if keep is None else keep).detach().float()
        if self.ref is not None:
            d2 = (image - self.ref) ** 2
            if self.region is not None:
                d2 = (d2 * self.region).sum() / (self.region.sum() * d2.shape[1]).clamp_min(1)
            self.change = float(d2.mean().sqrt())
            # a new low, or the fill moving again (twice its low): count the plateau from here
            if self.change < self.lowest * (1 - self.plateau) or self.change > 2 * self.lowest:
                self.lowest, self.lowest_at = self.change, t + 1
            below = self.change < self.tol
            self.quiet_since = (self.quiet_since or t + 1 - self.window) if below else None
        self.ref = image.clone()

    def should_stop(self, t: int) -> bool:
        """Has the filled image stayed below ``tol``, or stopped settling, for ``patience`` iterations?"""
        n = t + 1
        if self.change is None or n < self.warmup:
            return False
        settled = self.quiet_since is not None and n - self.quiet_since >= self.patience
        return settled or n - self.lowest_at >= self.patience


@dataclass
class Checkpoint:
    loss: float
    iteration: int
    model: dict
    optimizer: dict


class Backtracker:
    """Roll back when the loss jumps, without the oscillation of naive rollback.

    The original code reloads the previous weights when PSNR against the
    observation drops by 5 dB, but keeps the optimiser's state, so Adam's
    moments (which caused the jump) push it straight back: report 002 saw it
    fire constantly. Here a checkpoint holds the weights *and* the optimiser
    state; on a jump of more than ``threshold`` (loss ratio, 3.16 = 5 dB) the
    run returns to it and the learning rate is multiplied by ``lr_decay``, so
    the same step is not retaken. After ``max_rollbacks`` the fit stops
    backtracking and simply continues (the EMA and best-so-far outputs still
    protect the result).
    """

    def __init__(self, threshold: float = 10 ** 0.5, lr_decay: float = 0.5, max_rollbacks: int = 10):
        self.threshold, self.lr_decay, self.max_rollbacks = threshold, lr_decay, max_rollbacks
        self.checkpoint: Checkpoint | None = None
        self.rollbacks = 0

    def save(self, loss: float, t: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.checkpoint = Checkpoint(loss, t, copy.deepcopy(model.state_dict()),
                                     copy.deepcopy(optimizer.state_dict()))

    def check(self, loss: float, t: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> bool:
        """Save a checkpoint or roll back; returns True when it rolled back."""
        cp = self.checkpoint
        if cp is not None and self.rollbacks < self.max_rollbacks and (
            loss != loss or loss > cp.loss * self.threshold
        ):
            model.load_state_dict(cp.model)
            optimizer.load_state_dict(cp.optimizer)
            for group in optimizer.param_groups:
                group["lr"] *= self.lr_decay
            self.rollbacks += 1
            return True
        if cp is None or loss <= cp.loss * 1.05 or t - cp.iteration >= 200:
            self.save(loss, t, model, optimizer)
        return False
