"""What a user would pick instead of a Deep Image Prior: BM3D/BM4D, Richardson-Lucy-TV and Noise2Void.

Same conventions as :mod:`.classical`: arrays in, arrays out in the input's
dtype and range, ``channel_axis`` for colour, every parameter set without a
clean image, as a user would:

- :func:`denoise_bm3d`: BM3D (Dabov et al., 2007; the ``bm3d`` package) for 2D
  images, BM4D (the ``bm4d`` package) for volumes; Gaussian noise with sigma
  from scikit-image's ``estimate_sigma``; photon counts (``camera=``) through
  the generalised Anscombe transform, sigma 1, and its exact unbiased inverse.
- :func:`deconvolve_richardson_lucy_tv`: Richardson-Lucy with a total-variation
  regulariser (Dey et al., Microsc. Res. Tech. 2006), weight 0.002 (their
  recommended value; the multiplicative TV factor is dimensionless).
- :func:`denoise_noise2void`: Noise2Void (Krull et al., CVPR 2019) through
  careamics, trained on the image (or stack) itself.

BM3D/BM4D and careamics are optional: :func:`missing` says what is not
installed and the command that installs it; the Compare grid, the command
line and the benchmarks list such a method as unavailable instead of failing.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable

import numpy as np
from scipy.ndimage import convolve, correlate
from scipy.signal import fftconvolve
from skimage.restoration import estimate_sigma

from .classical import _as_float, _deconvolve
from .data import cast_to
from .noise import CameraNoise

#: The package each optional method imports, and how to install it.
REQUIRES = {
    "BM3D": ("bm3d", 'pip install "napari-dip[peers]"  (bm3d, bm4d)'),
    "BM4D": ("bm4d", 'pip install "napari-dip[peers]"  (bm3d, bm4d)'),
    "Noise2Void": (
        "careamics",
        'pip install "napari-dip[n2v]"  (careamics; it brings torchvision and PyTorch Lightning)',
    ),
}
#: Richardson-Lucy-TV: the regularisation weight (Dey et al. 2006) and the iterations (as plain RL here).
RLTV_WEIGHT = 0.002
RLTV_ITERATIONS = 30


def missing(method: str) -> str | None:
    """None when ``method`` can run here, else the command that installs what it needs."""
    module, install = REQUIRES.get(method, (None, ""))
    if module is None or importlib.util.find_spec(module) is not None:
        return None
    return install


def denoise_bm3d(image: np.ndarray, *, channel_axis: int | None = None, camera: CameraNoise | None = None,
                 sigma: float | None = None) -> np.ndarray:
    """BM3D (2D, per channel) or BM4D (a 3D grey volume) with the noise level estimated from the image.

    ``camera``: photon counts with this Poisson-Gaussian model; BM3D then runs on the generalised
    Anscombe transform (unit noise) and the result is inverted without bias.
    """
    image = np.asarray(image)
    x = image.astype(np.float64)
    if camera is not None:
        x = camera.forward(x)
    planes = x[None] if channel_axis is None else np.moveaxis(x, channel_axis, 0)
    lo, span = float(planes.min()), float(np.ptp(planes)) or 1.0
    planes = (planes - lo) / span
    if camera is not None:
        level = 1.0 / span
    elif sigma is not None:
        level = float(sigma) / span
    else:
        level = float(np.mean([estimate_sigma(p) for p in planes]))
    out = np.stack([_bm3d_or_bm4d(p, level) for p in planes]) * span + lo
    out = out[0] if channel_axis is None else np.moveaxis(out, 0, channel_axis)
    if camera is not None:
        out = camera.inverse(out)
    return cast_to(np.clip(out, image.min(), image.max()), image.dtype)


def _bm3d_or_bm4d(plane: np.ndarray, sigma: float) -> np.ndarray:
    # optional dependencies (the [peers] extra), imported where they are used
    if plane.ndim == 3:
        import bm4d

        return np.asarray(bm4d.bm4d(plane, sigma_psd=max(sigma, 1e-6)))
    import bm3d

    return np.asarray(bm3d.bm3d(plane, sigma_psd=max(sigma, 1e-6)))


def deconvolve_richardson_lucy_tv(image: np.ndarray, *, psf: np.ndarray, channel_axis: int | None = None,
                                  num_iter: int = RLTV_ITERATIONS, weight: float = RLTV_WEIGHT) -> np.ndarray:
    """Richardson-Lucy with total-variation regularisation (per channel, reflect-padded like RL here).

    Each step multiplies by ``1 / (1 - weight * div(grad x / |grad x|))`` (Dey et al. 2006).
    """
    return _deconvolve(image, psf, channel_axis, lambda x, k: _rltv(x, k, num_iter, weight))


def _rltv(y: np.ndarray, psf: np.ndarray, num_iter: int, weight: float) -> np.ndarray:
    """RL-TV iterations: ``x <- x * H^T(y / Hx) / (1 - weight * div(grad x / |grad x|))``."""
    y = np.maximum(y, 0) + 1e-6
    x = np.full_like(y, y.mean())
    for _ in range(num_iter):
        ratio = y / np.maximum(_blur(x, psf), 1e-12)
        x = x * _blur(ratio, psf, adjoint=True) / np.maximum(1.0 - weight * _tv_divergence(x), 0.1)
    return x


def _blur(x: np.ndarray, psf: np.ndarray, adjoint: bool = False) -> np.ndarray:
    """``ndimage.convolve(x, psf, mode="reflect")`` (``correlate`` for the ``adjoint``); a PSF wider than
    9 x 9 with odd sides through FFTs of the reflect-padded image (an optics PSF is 31-63 px, where the
    direct sums take minutes at 512²), the same to rounding."""
    if psf.size <= 81 or any(n % 2 == 0 for n in psf.shape):
        return (correlate if adjoint else convolve)(x, psf, mode="reflect")
    kernel = psf[tuple(slice(None, None, -1) for _ in psf.shape)] if adjoint else psf
    padded = np.pad(x, [(n // 2, n // 2) for n in psf.shape], mode="symmetric")
    return fftconvolve(padded, kernel, mode="valid")


def _tv_divergence(x: np.ndarray) -> np.ndarray:
    """``div(grad x / |grad x|)`` with forward differences and their adjoint (backward)."""
    grads = [np.diff(x, axis=a, append=np.take(x, [-1], axis=a)) for a in range(x.ndim)]
    norm = np.sqrt(sum(g**2 for g in grads) + 1e-8)
    div = np.zeros_like(x)
    for a, g in enumerate(grads):
        unit = g / norm
        div += unit - np.roll(unit, 1, axis=a) * (np.arange(x.shape[a]) > 0).reshape(
            [-1 if i == a else 1 for i in range(x.ndim)])
    return div


def denoise_noise2void(image: np.ndarray, *, channel_axis: int | None = None, epochs: int = 100,
                       patch: int = 64, batch_size: int = 32, progress: Callable | None = None) -> np.ndarray:
    """Noise2Void trained on ``image`` itself (a 2D plane, or a stack whose planes share the training).

    Raises ``ValueError`` when the image is smaller than one training patch; ``progress(epoch, epochs)`` is
    called after each epoch where careamics reports it.
    """
    image = np.asarray(image)
    if channel_axis is not None:
        chans = [denoise_noise2void(np.take(image, c, axis=channel_axis), epochs=epochs, patch=patch,
                                    batch_size=batch_size, progress=progress)
                 for c in range(image.shape[channel_axis])]
        return np.stack(chans, axis=channel_axis)
    if min(image.shape[-2:]) < patch:
        raise ValueError(f"Noise2Void trains on {patch} x {patch} patches; this image is {image.shape[-2:]}: "
                         "too small (use a larger image or the whole stack).")
    x, lo, span = _as_float(image)
    axes = "SYX" if x.ndim == 3 else "YX"
    out = _careamics_n2v(axes, epochs, patch, batch_size, x.astype(np.float32), progress)
    return cast_to(np.clip(out.reshape(x.shape), 0, 1) * span + lo, image.dtype)


def _careamics_n2v(axes: str, epochs: int, patch: int, batch_size: int, x: np.ndarray,
                   progress) -> np.ndarray:
    """Train careamics' Noise2Void on ``x`` and predict ``x`` (careamics >= 0.3.5's API; its checkpoints and
    logs go to a temporary folder, not the working directory)."""
    # careamics is optional (the [n2v] extra; it brings PyTorch Lightning and torchvision)
    from careamics import CAREamist
    from careamics.config import create_n2v_config

    patches = int(np.prod([s // patch for s in x.shape[-2:]])) * (x.shape[0] if x.ndim == 3 else 1)
    config = create_n2v_config(experiment_name="napari-dip-n2v", data_type="array", axes=axes,
                               patch_size=[patch, patch], batch_size=batch_size, num_epochs=epochs,
                               n_val_patches=max(1, min(8, patches // 8)))  # 1 in 8 held out, at most 8
    with tempfile.TemporaryDirectory(prefix="napari-dip-n2v-") as work_dir:
        model = CAREamist(config, work_dir=work_dir, enable_progress_bar=False)
        model.train(train_data=x)
        if progress is not None:
            progress(epochs, epochs)
        pred = model.predict(x, axes=axes, data_type="array")
    images = pred[0] if isinstance(pred, tuple) else pred
    return np.squeeze(np.concatenate([np.asarray(p) for p in images]) if isinstance(images, list) else images)
