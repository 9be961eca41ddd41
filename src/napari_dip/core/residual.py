"""The residual of a restoration: the observation minus the forward model of the result.

Where a method removed structure that was in the data, or invented structure that is not, the
residual shows it: for a good restoration of noisy data it looks like the noise alone. It is
computed on the observation's grid and in its units, through the task's own forward operator
(``core/physics/``): identity for denoising, the blur for deconvolution, the down-sampler for
super-resolution, and 0 at the missing pixels of inpainting and reconstruction.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from . import tasks
from .mask import missing_pixels


def residual(observation: np.ndarray, restored: np.ndarray, task: str, *, mask: np.ndarray | None = None,
             channel_axis: int | None = None, **inputs) -> np.ndarray:
    """``observation - A(restored)`` as float32 with the observation's shape (0 where ``mask`` is non-zero).

    ``inputs`` are the task's own (``factor``, ``psf`` or ``psf_sigma``); ``restored`` has the shape the
    task returns (super-resolution: the spatial axes times ``factor``).
    """
    import torch  # the task's operator; on use, so that baselines (and the batch client) load without torch

    t = tasks.load(task)
    y, x = _chw(observation, channel_axis), _chw(restored, channel_axis)
    channels, nd = y.shape[0], y.ndim - 1
    own = {k: inputs.get(k) for k in t.form.inputs if k != "mask"}
    cleaned = t.input_rules.check_inputs(own, nd=nd, channels=channels)
    missing = (
        np.zeros(y.shape[1:], bool) if mask is None else np.broadcast_to(missing_pixels(mask), y.shape[1:])
    )
    known = torch.from_numpy((~missing).astype(np.float64))[None, None]
    ctx: Any = SimpleNamespace(known=known, inputs=cleaned, channels=channels, dims=nd,
                               scale=t.input_rules.scale(cleaned))  # the fields the operators read
    with torch.no_grad():
        forward = t.observation.operator(ctx).double()(torch.from_numpy(x)[None])[0].numpy()
    if forward.shape != y.shape:
        raise ValueError(
            f"the restored image maps to shape {forward.shape[1:]} through the task's forward model, "
            f"but the observation has {y.shape[1:]}: pass the observation the result was made from."
        )
    r = np.where(missing, 0.0, y - forward)
    r = r[0] if channel_axis is None else np.moveaxis(r, 0, channel_axis)
    return r.astype(np.float32)


def _chw(image: np.ndarray, channel_axis: int | None) -> np.ndarray:
    x = np.asarray(image, dtype=np.float64)
    return np.ascontiguousarray(x[None] if channel_axis is None else np.moveaxis(x, channel_axis, 0))


def residual_stats(r: np.ndarray) -> dict[str, float]:
    """What a residual says without a clean image: its ``mean`` (a bias: the result too bright or too dark),
    its ``spread`` (standard deviation: about the noise's for a good denoising) and ``lag-1`` (the mean
    correlation of neighbouring pixels along the two last axes: near 0 when what was removed is white
    noise, positive when structure of the image was removed with it)."""
    r = np.asarray(r, dtype=np.float64)
    d = r - r.mean()
    var = float((d * d).mean())
    lag = [float((d[..., 1:, :] * d[..., :-1, :]).mean()), float((d[..., :, 1:] * d[..., :, :-1]).mean())]
    return {"mean": float(r.mean()), "spread": var**0.5, "lag-1": (sum(lag) / 2 / var) if var > 0 else 0.0}
