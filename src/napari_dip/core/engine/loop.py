"""The one optimisation loop behind every restoration.

:func:`fit` knows nothing about tasks: it takes a network, its fixed input
``z``, a loss ``loss_fn(output, t) -> scalar`` (which already contains the
forward operator and the observation) and a ``finalize`` that turns a network
output into the image a user sees (composite with the observed pixels, crop
the padding). It yields a :class:`Snapshot` after every iteration so that a
consumer can stop it between any two iterations by closing the generator;
the scalars it reports are read from the device only on *check* iterations
(every ``preview_every``), which also carry a preview image.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..devices import autocast_for
from .stopping import EMA, Backtracker, ChangeStop, VarianceStop

if TYPE_CHECKING:
    from .holdout import HoldoutStop

OUTPUTS = ("ema", "last", "best")


@dataclass
class Snapshot:
    """Progress of a fit after ``iteration`` completed iterations.

    ``loss`` and ``preview`` are set on check iterations (every
    ``preview_every``) and on the last one, else ``None``. ``preview`` is the
    current best image in the consumer's layout (the engine's own snapshots
    hold float ``(C, *spatial)`` in [0, 1]; :func:`napari_dip.iter_restore`
    maps it to the user's dtype and axes). ``done`` marks the final snapshot,
    whose ``preview`` is the returned image and ``stop_reason`` says why.
    """

    iteration: int
    total: int
    loss: float | None = None
    preview: np.ndarray | None = None
    elapsed: float = 0.0
    done: bool = False
    stop_reason: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    result: Any = None            # the run's result object, on the run's last snapshot only
    # Set by iter_restore when a run is several fits (the planes of a stack, the tiles of a large image):
    plane: tuple[int, ...] = ()   # index over the stack's leading axes of the plane (volume) being fitted
    plane_number: int = 1         # 1-based, among the planes restored
    n_planes: int = 1
    tile_number: int = 1          # 1-based, among the tiles of the current plane
    n_tiles: int = 1

    @property
    def fraction(self) -> float:
        """Progress of the current fit."""
        return self.iteration / max(1, self.total)

    @property
    def progress(self) -> float:
        """Progress of the whole run (all planes and tiles), assuming equal fits."""
        done = (self.plane_number - 1) * self.n_tiles + (self.tile_number - 1) + self.fraction
        return min(1.0, done / max(1, self.n_planes * self.n_tiles))

    @property
    def seconds_left(self) -> float | None:
        if self.iteration == 0 or self.elapsed <= 0:
            return None
        return self.elapsed / self.iteration * (self.total - self.iteration)


@dataclass
class FitHistory:
    """Filled in place while the generator runs (read it after the last snapshot)."""

    loss: list[float] = field(default_factory=list)
    stopped_at: int = 0
    stop_reason: str = ""
    optimizer_state: dict | None = None  # Adam's state after the last iteration (to continue a fit)


def fit(
    net: torch.nn.Module,
    z: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, int], torch.Tensor],
    *,
    iterations: int,
    lr: float = 0.01,
    reg_noise_std: float = 0.0,
    param_noise_std: float = 0.0,
    ema: float = 0.99,
    output: str = "ema",
    early_stop: VarianceStop | ChangeStop | HoldoutStop | None = None,
    backtrack: Backtracker | None = None,
    finalize: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    preview_every: int = 10,
    precision: str = "auto",
    seed: int = 0,
    history: FitHistory | None = None,
    optimizer_state: dict | None = None,
    compile: bool = False,
) -> Generator[Snapshot, None, None]:
    """Fit ``net(z)`` to minimise ``loss_fn``; yield a :class:`Snapshot` per iteration.

    ``net`` and ``z`` must already be on the target device. Closing the
    generator stops the fit at once; the history then ends at the last
    completed iteration. ``output`` picks the image shown and returned:
    ``"ema"`` (moving average of outputs, weight ``ema``), ``"last"`` (the raw
    output) or ``"best"`` (the output with the lowest loss so far).
    ``optimizer_state``: Adam's state from an earlier fit of the same network
    (``history.optimizer_state``) to continue from (a warm start), with ``lr``
    reset to this fit's. ``z`` that requires grad is fitted too (with the weights that require it:
    the input mode of :mod:`.projector`). ``compile``: run the network through ``torch.compile``
    (its first iterations pay the compilation).
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    device = z.device
    history = history if history is not None else FitHistory()
    gen = torch.Generator(device=device).manual_seed(seed + 1)
    net, z, layout = _layout(net, z)
    params = [p for p in net.parameters() if p.requires_grad] + ([z] if z.requires_grad else [])
    optimizer = _adam(params, lr, optimizer_state)
    forward = _Compiled(net) if compile else net
    outputs = _Outputs(output, ema)
    losses = torch.zeros(iterations, device=device)
    net.train()  # BatchNorm always uses the statistics of the one image, as in the paper
    start, synced = time.perf_counter(), 0
    for t in range(iterations):
        net_input = _perturbed(z, reg_noise_std, gen, layout)
        optimizer.zero_grad(set_to_none=True)
        with autocast_for(device, precision, z.ndim - 2):
            out = forward(net_input)
        loss = loss_fn(out.float(), t)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for p in params if param_noise_std > 0 else ():
                p.add_(torch.randn(p.shape, generator=gen, device=device), alpha=param_noise_std)
            outputs.update(_shown(out), loss.detach())
            losses[t] = loss.detach() / out.shape[0]  # restarts: their summed loss, recorded as the mean
            if early_stop is not None:
                early_stop.update(outputs.last, t, keep=outputs.current())
        n = t + 1
        if n % preview_every and n != iterations:
            yield Snapshot(n, iterations, elapsed=time.perf_counter() - start)
            continue
        # Check iteration: the only place the host waits for the device.
        chunk = losses[synced:n].cpu().tolist()
        history.loss.extend(chunk)
        synced = n
        if backtrack is not None:
            backtrack.check(chunk[-1], t, net, optimizer)
        reason = "iterations" if n == iterations else (
            early_stop.reason if early_stop is not None and early_stop.should_stop(t) else None)
        elapsed = time.perf_counter() - start
        metrics = early_stop.metrics() if hasattr(early_stop, "metrics") else {}
        if reason is None:
            yield Snapshot(n, iterations, chunk[-1], _preview(finalize, outputs.current()), elapsed,
                           metrics=metrics)
            continue
        image = _result(n, reason, outputs, early_stop, history)
        history.stop_reason, history.optimizer_state = reason, optimizer.state_dict()
        yield Snapshot(n, iterations, chunk[-1], _preview(finalize, image), elapsed, done=True,
                       stop_reason=reason, metrics=metrics)
        return


def _perturbed(z: torch.Tensor, std: float, gen: torch.Generator, layout) -> torch.Tensor:
    """The network's input at one iteration: ``z``, plus fresh N(0, ``std``) noise when ``std`` > 0."""
    if not std > 0:
        return z
    return z + std * torch.randn(z.shape, generator=gen, device=z.device).to(memory_format=layout)


def _shown(out: torch.Tensor) -> torch.Tensor:
    """The image of one iteration: the output, or the average of a batch of restarts' outputs."""
    out = out.detach().float()
    return out if out.shape[0] == 1 else out.mean(0, keepdim=True)


def _result(n: int, reason: str, outputs: _Outputs, early_stop, history: FitHistory) -> torch.Tensor:
    """The image a fit stopped at iteration ``n`` returns; sets ``history.stopped_at`` to its iteration."""
    image, history.stopped_at = outputs.current(), n
    if reason not in (None, "iterations") and early_stop.selected is not None:
        image = early_stop.selected  # the image of the lowest-variance iteration
        history.stopped_at = int(early_stop.best_iter) + 1
    return image


class _Outputs:
    """The images a fit can show: the moving average, the last output, the lowest-loss output."""

    def __init__(self, mode: str, ema: float):
        self.mode, self.averager = mode, EMA(ema)
        self.last: torch.Tensor | None = None
        self.best: torch.Tensor | None = None
        self.best_loss: torch.Tensor | None = None

    def update(self, out: torch.Tensor, loss: torch.Tensor) -> None:
        self.last = out
        self.averager.update(out)
        if self.mode == "best":  # device-side: no host read
            if self.best is None:
                self.best, self.best_loss = out.clone(), loss.clone()
            else:
                better = loss < self.best_loss
                self.best_loss = torch.where(better, loss, self.best_loss)
                self.best = torch.where(better, out, self.best)

    def current(self) -> torch.Tensor:
        return {"ema": self.averager.value, "best": self.best, "last": self.last}[self.mode]


def _layout(net: torch.nn.Module, z: torch.Tensor):
    """Channels-last for 2D convolutions (faster on CPU and CUDA); ``(net, z, layout)``."""
    layout = torch.channels_last if z.ndim == 4 and z.device.type != "mps" else torch.contiguous_format
    if layout is torch.channels_last:
        for p in net.parameters():  # the 4D weights (batched restarts stack theirs: 5D, left as they are)
            if p.ndim == 4:
                p.data = p.data.contiguous(memory_format=layout)
        if not z.requires_grad:  # a fitted input stays the caller's leaf (a few channels: layout is moot)
            z = z.contiguous(memory_format=layout)
    return net, z, layout


class _Compiled:
    """``net`` through ``torch.compile`` (inductor), falling back to the eager network, with a warning,
    where compiling fails on this platform (compilation happens at the first call)."""

    def __init__(self, net: torch.nn.Module):
        self.net, self.forward = net, torch.compile(net)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self.forward(x)
        except Exception as exc:  # noqa: BLE001 -- no compiler or an unsupported op: run eagerly
            if self.forward is self.net:
                raise
            warnings.warn(f"torch.compile failed here ({type(exc).__name__}: {exc}); running the network "
                          "uncompiled.", stacklevel=2)
            self.forward = self.net
            return self.net(x)


def _adam(params: list, lr: float, state: dict | None) -> torch.optim.Optimizer:
    """Adam at ``lr``, continuing from ``state`` (a warm start) when given.

    The fused implementation (one kernel over all parameters) where the device has it: on a CPU it
    steps 3-5x faster than the per-parameter loop (``benchmarks/step_cost.py``), the same algorithm.
    """
    try:
        optimizer = torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        optimizer = torch.optim.Adam(params, lr=lr)
    if state is not None:
        optimizer.load_state_dict(state)
        for group in optimizer.param_groups:
            group["lr"] = lr
    return optimizer


def _preview(finalize: Callable, image: torch.Tensor) -> np.ndarray:
    """The image a user sees, ``(C, *spatial)`` float32 on the host."""
    with torch.no_grad():
        return finalize(image.float())[0].float().cpu().numpy()
