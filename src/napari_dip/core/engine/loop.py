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
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import torch

from ..devices import autocast_for
from .stopping import EMA, Backtracker, VarianceStop

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
    early_stop: VarianceStop | None = None,
    backtrack: Backtracker | None = None,
    finalize: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    preview_every: int = 10,
    precision: str = "auto",
    seed: int = 0,
    history: FitHistory | None = None,
    optimizer_state: dict | None = None,
) -> Iterator[Snapshot]:
    """Fit ``net(z)`` to minimise ``loss_fn``; yield a :class:`Snapshot` per iteration.

    ``net`` and ``z`` must already be on the target device. Closing the
    generator stops the fit at once; the history then ends at the last
    completed iteration. ``output`` picks the image shown and returned:
    ``"ema"`` (moving average of outputs, weight ``ema``), ``"last"`` (the raw
    output) or ``"best"`` (the output with the lowest loss so far).
    ``optimizer_state``: Adam's state from an earlier fit of the same network
    (``history.optimizer_state``) to continue from (a warm start), with ``lr``
    reset to this fit's.
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    device = z.device
    history = history if history is not None else FitHistory()
    gen = torch.Generator(device=device).manual_seed(seed + 1)
    layout = torch.channels_last if z.ndim == 4 and device.type != "mps" else torch.contiguous_format
    if layout is torch.channels_last:
        net = net.to(memory_format=torch.channels_last)
        z = z.contiguous(memory_format=torch.channels_last)
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
        for group in optimizer.param_groups:
            group["lr"] = lr
    averager = EMA(ema)
    losses = torch.zeros(iterations, device=device)
    best_loss = torch.full((), float("inf"), device=device)
    best_out: torch.Tensor | None = None
    last_out: torch.Tensor | None = None
    net.train()  # BatchNorm always uses the statistics of the one image, as in the paper
    start = time.perf_counter()
    synced = 0

    def current() -> torch.Tensor:
        if output == "ema":
            return averager.value
        if output == "best":
            return best_out
        return last_out

    def preview() -> np.ndarray:
        with torch.no_grad():
            img = finalize(current().float())
        return img[0].float().cpu().numpy()

    for t in range(iterations):
        net_input = z
        if reg_noise_std > 0:
            noise = torch.randn(z.shape, generator=gen, device=device)
            net_input = z + reg_noise_std * noise.to(memory_format=layout)
        optimizer.zero_grad(set_to_none=True)
        with autocast_for(device, precision, z.ndim - 2):
            out = net(net_input)
        loss = loss_fn(out.float(), t)
        loss.backward()
        optimizer.step()
        if param_noise_std > 0:
            with torch.no_grad():
                for p in params:
                    p.add_(torch.randn(p.shape, generator=gen, device=device), alpha=param_noise_std)
        with torch.no_grad():
            out = out.detach().float()
            last_out = out
            averager.update(out)
            losses[t] = loss.detach()
            if output == "best":
                better = loss.detach() < best_loss
                best_loss = torch.where(better, loss.detach(), best_loss)
                best_out = out.clone() if best_out is None else torch.where(better, out, best_out)
            if early_stop is not None:
                early_stop.update(out, t, keep=current())

        n = t + 1
        last = n == iterations
        if n % preview_every and not last:
            yield Snapshot(n, iterations, elapsed=time.perf_counter() - start)
            continue

        # Check iteration: the only place the host waits for the device.
        chunk = losses[synced:n].cpu().tolist()
        history.loss.extend(chunk)
        synced = n
        loss_value = chunk[-1]
        if backtrack is not None:
            backtrack.check(loss_value, t, net, optimizer)
        reason = None
        if last:
            reason = "iterations"
        elif early_stop is not None and early_stop.should_stop(t):
            reason = "early_stop"
        elapsed = time.perf_counter() - start
        if reason is None:
            yield Snapshot(n, iterations, loss_value, preview(), elapsed)
            continue
        stopped_at = n
        if reason == "early_stop" and early_stop.selected is not None:
            stopped_at = int(early_stop.best_iter) + 1  # the image comes from the lowest-variance iteration
            chosen = early_stop.selected
            current = lambda: chosen  # noqa: E731
        history.stopped_at, history.stop_reason = stopped_at, reason
        history.optimizer_state = optimizer.state_dict()
        yield Snapshot(n, iterations, loss_value, preview(), elapsed, done=True,
                       stop_reason=reason)
        return
