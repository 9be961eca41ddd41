"""The prior probe (report 003, report 002's "natural impedance" figure).

One network, one seed, one input, fitted by the same loop
(:func:`napari_dip.core.engine.fit`) with the plain MSE loss to four targets
made from the image: the image itself (``clean``), the image plus Gaussian
noise (``noisy``), its pixels randomly permuted (``shuffled``) and uniform
noise (``noise``). A convolutional generator fits structure much faster
than noise: that gap is why stopping a Deep Image Prior early works.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._probe_setup import TARGETS, build_probe_network, make_targets, to_unit

__all__ = ["TARGETS", "ProbeResult", "ProbeProgress", "prior_probe", "iter_prior_probe", "summarize"]


@dataclass
class ProbeResult:
    """What :func:`prior_probe` returns.

    Attributes
    ----------
    curves : dict of str -> ndarray
        Per target, the MSE loss at every iteration (``curves[t][i]`` after
        ``i + 1`` steps), float64. A stopped probe has the targets and
        iterations it finished.
    images : dict of str -> ndarray
        Per target, the network's last output, float32 in [0, 1] with the
        input's shape.
    targets : dict of str -> ndarray
        The targets fitted, float32 in [0, 1] (``noisy`` clipped), input's shape.
    snapshots : dict of str -> dict of int -> ndarray
        Per target, the output at log-spaced iterations (10, 20, 50, 100, ...).
    summary : dict of str -> dict
        Per target (see :func:`summarize`): ``reached_at``, the first iteration
        whose loss is at most ``threshold = level * var(target)`` (None if
        never), ``threshold``, ``initial_loss`` and ``final_loss``.
    config : dict
        Every setting used, JSON-ready.
    """

    curves: dict[str, np.ndarray] = field(default_factory=dict)
    images: dict[str, np.ndarray] = field(default_factory=dict)
    targets: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    summary: dict[str, dict] = field(default_factory=dict)
    config: dict = field(default_factory=dict)


@dataclass
class ProbeProgress:
    """One step of :func:`iter_prior_probe` (after ``iteration`` steps on ``target``).

    ``losses`` holds the losses read since the previous record that carried
    any (on check iterations, every ``preview_every``), ``loss`` the latest
    and ``preview`` the current output (input's shape, [0, 1]); both are None
    between checks. ``done`` marks the last record, whose ``result`` is the
    :class:`ProbeResult`.
    """

    target: str
    target_number: int
    n_targets: int
    iteration: int
    total: int
    loss: float | None = None
    losses: np.ndarray | None = None
    preview: np.ndarray | None = None
    elapsed: float = 0.0
    done: bool = False
    result: ProbeResult | None = None

    @property
    def progress(self) -> float:
        """Fraction of the whole probe done."""
        return min(
            1.0, (self.target_number - 1 + self.iteration / max(1, self.total)) / max(1, self.n_targets)
        )


def summarize(curves: dict[str, np.ndarray], targets: dict[str, np.ndarray], level: float = 0.1) -> dict:
    """Per target, the first iteration where the fit explains ``1 - level`` of the target's variance.

    The threshold is ``level * var(target)``: MSE relative to the target's
    own variance (1 - R^2), so targets of different contrast compare (clean
    and shuffled share their pixel values, hence their variance).
    """
    out = {}
    for name, curve in curves.items():
        threshold = float(level * np.var(targets[name]))
        below = np.flatnonzero(np.asarray(curve) <= threshold)
        out[name] = {
            "reached_at": int(below[0]) + 1 if below.size else None,
            "threshold": threshold,
            "initial_loss": float(curve[0]) if len(curve) else None,
            "final_loss": float(curve[-1]) if len(curve) else None,
        }
    return out


def prior_probe(image: np.ndarray, **kwargs) -> ProbeResult:
    """Fit one network to the image, its noisy and shuffled versions, and noise.

    Takes the arguments of :func:`iter_prior_probe`; returns its final
    :class:`ProbeResult`.

    Examples
    --------
    >>> from napari_dip.experiments import prior_probe, plot       # doctest: +SKIP
    >>> res = prior_probe(camera, iterations=500, width=32)        # doctest: +SKIP
    >>> res.summary["clean"]["reached_at"], res.curves["noise"][-1]  # doctest: +SKIP
    >>> plot(res, "probe.png")                                     # doctest: +SKIP
    """
    result: Any = None
    for step in iter_prior_probe(image, **kwargs):
        if step.done:
            result = step.result
    return result


def _log_points(total: int) -> list[int]:
    points, k = [], 10
    while k < total:
        points += [n for n in (k, 2 * k, 5 * k) if n < total]
        k *= 10
    return [*points, total]


def iter_prior_probe(image: np.ndarray, *, iterations: int = 2000, targets=TARGETS, noise_sigma: float = 0.1,
                     channel_axis: int | None = None, network: str = "skip", width: int | None = None,
                     depth: int = 5, skip=4, upsample: str = "bilinear", input_depth: int = 32,
                     input_noise: float = 1 / 30, lr: float = 0.01, level: float = 0.1,
                     preview_every: int = 10, precision: str = "auto", seed: int = 0,
                     device: str | None = None) -> Generator[ProbeProgress, None, None]:
    """The prior probe as a generator of :class:`ProbeProgress` (close it to stop).

    Parameters
    ----------
    image : ndarray
        2D grayscale, or 2D with channels at ``channel_axis``. Rescaled to [0, 1] by its minimum and
        maximum (the ``clean`` target).
    iterations : int
        Adam steps per target (report 003: 10 000).
    targets : sequence of {"clean", "noisy", "shuffled", "noise"}
        ``noisy`` is clean + N(0, ``noise_sigma``) clipped to [0, 1] (the network ends in a sigmoid),
        ``shuffled`` a random permutation of the pixels (channels move together), ``noise`` U(0, 1).
    noise_sigma : float
        Standard deviation of the ``noisy`` target's noise, in [0, 1] units.
    network : {"skip", "unet", "resnet", "decoder"}
    width : int, optional
        Channels per level (None: 128 on CUDA, 64 elsewhere; report 003: 128).
    depth : int
        Levels of the hourglass (report 003: 5). The image is padded (on the output side only) to what
        the depth needs; at most doubled.
    skip : int or list of int
        Skip-branch channels per level (``skip`` network), finest first; 0 removes a skip. Report 003's
        best: skips at levels 3 and 4 only, ``[0, 0, 4, 4, 0]``.
    upsample : {"bilinear", "nearest"}
    input_depth, input_noise, lr
        The fixed input's channels (U(0, 1) x 0.1, as in the paper), the std of the Gaussian noise added to
        it at every step (1/30) and Adam's learning rate (0.01).
    level : float
        Summary threshold as a fraction of each target's variance (:func:`summarize`).
    preview_every : int
        Check iterations (losses read, preview, snapshot) every this many steps.
    precision : {"auto", "bf16", "fp32"}
        As :func:`napari_dip.core.engine.fit` ("auto": bf16 autocast on CPU).
    seed : int
        Seeds the network, the input, the targets and the input noise; all targets share the same
        initial weights and input.
    device : str, optional
        None picks CUDA, then MPS, then the CPU.
    """
    from ..core.engine import pick_device  # torch: the experiments package loads without it

    clean, axis = to_unit(image, channel_axis)
    names = _check(targets, iterations, noise_sigma, level, preview_every)
    dev = pick_device(device)
    made = make_targets(clean, names, noise_sigma=noise_sigma, seed=seed)
    net0, z, config = build_probe_network(clean.shape, network=network, width=width, depth=depth, skip=skip,
                                          upsample=upsample, input_depth=input_depth, seed=seed, device=dev)
    config.update(iterations=int(iterations), targets=list(names), noise_sigma=noise_sigma,
                  input_noise=input_noise, lr=lr, level=level, precision=precision, seed=seed,
                  device=str(dev), shape=list(np.shape(image)), noisy="clipped to [0, 1]")
    result = ProbeResult(targets={n: _user(t, axis) for n, t in made.items()}, config=config)
    yield from _fit_targets(net0, z, made, dev, result, axis, iterations=iterations, lr=lr, seed=seed,
                            reg_noise_std=input_noise, preview_every=preview_every, precision=precision)


def _fit_targets(net0, z, made: dict[str, np.ndarray], dev, result: ProbeResult, axis: int | None,
                 **fit_options) -> Generator[ProbeProgress, None, None]:
    """Fit a copy of ``net0`` to each target in turn (the engine's loop, plain MSE, ``fit_options``),
    filling ``result``; the last record carries it, summarised at ``result.config["level"]``."""
    from ..core.engine import FitHistory, fit  # torch: the experiments package loads without it

    names, config, iterations = list(made), result.config, fit_options["iterations"]
    h, w = next(iter(made.values())).shape[1:]
    start = time.perf_counter()
    for number, name in enumerate(names, start=1):
        history = FitHistory()
        fitter = fit(copy.deepcopy(net0).to(dev), z, _mse_loss(made[name], dev), output="last",
                     finalize=lambda out: out[..., :h, :w], history=history, **fit_options)
        yield from _follow(fitter, history, result, (name, number, len(names)), axis, start)
    result.summary = summarize(result.curves, {n: made[n] for n in result.curves}, config["level"])
    config["seconds"] = round(time.perf_counter() - start, 3)
    yield ProbeProgress(names[-1], len(names), len(names), iterations, iterations, elapsed=config["seconds"],
                        done=True, result=result)


def _mse_loss(target: np.ndarray, dev):
    """MSE between the output (cropped to the target, the padding dropped) and ``target``."""
    import torch  # the experiments package loads without it

    target_t = torch.from_numpy(target)[None].to(dev)
    h, w = target.shape[1:]
    return lambda out, t: torch.mean((out[..., :h, :w] - target_t) ** 2)


def _follow(fitter, history, result: ProbeResult, which: tuple[str, int, int], axis, start: float):
    """Turn one target's engine snapshots into :class:`ProbeProgress` and fill ``result``.

    ``history`` is the engine's :class:`FitHistory` of ``fitter`` (filled on check iterations).
    """
    name = which[0]
    snapshots = result.snapshots[name] = {}
    due: list[int] | None = None
    read = 0
    try:
        for snap in fitter:
            due = _log_points(snap.total) if due is None else due
            step = ProbeProgress(*which, snap.iteration, snap.total, elapsed=time.perf_counter() - start)
            if snap.preview is not None:
                step.loss, step.preview = snap.loss, _user(snap.preview, axis)
                step.losses, read = np.asarray(history.loss[read:]), len(history.loss)
                result.curves[name] = np.asarray(history.loss, dtype=np.float64)
                result.images[name] = step.preview
                if due and snap.iteration >= due[0]:
                    snapshots[snap.iteration] = step.preview
                    due = [p for p in due if p > snap.iteration]
            yield step
    finally:
        fitter.close()


def _check(targets, iterations, noise_sigma, level, preview_every) -> tuple[str, ...]:
    names = (targets,) if isinstance(targets, str) else tuple(targets)
    unknown = [t for t in names if t not in TARGETS]
    if not names or unknown or len(set(names)) != len(names):
        raise ValueError(f"targets must be distinct names among {TARGETS}, got {targets!r}")
    if int(iterations) < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    if noise_sigma < 0:
        raise ValueError(f"noise_sigma must be >= 0, got {noise_sigma}")
    if not level > 0:
        raise ValueError(f"level must be > 0 (a fraction of the target's variance), got {level}")
    if int(preview_every) < 1:
        raise ValueError(f"preview_every must be at least 1, got {preview_every}")
    return names


def _user(x: np.ndarray, axis: int | None) -> np.ndarray:
    """``(C, H, W)`` float -> the input's layout, float32."""
    x = np.asarray(x, dtype=np.float32)
    return x[0] if axis is None else np.moveaxis(x, 0, axis)
