"""Property test: any shape, dtype, mask and option mix either restores or raises ValueError.

``restore`` must return an array of the promised shape and dtype (and leave its
input untouched), or refuse with a ``ValueError``: never another exception
from deep inside numpy or torch. Fits are 1-2 iterations of a width 8-16
network, so each example costs well under a second.
"""

import warnings

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from napari_dip import restore

torch.set_num_threads(1)

DTYPES = [np.uint8, np.uint16, np.int16, np.float32, np.float64, np.bool_, np.complex64]


def _image(rng: np.random.Generator, shape: tuple[int, ...], dtype, nan: bool) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) > 0.5
    if dtype.kind == "c":
        return (rng.random(shape) + 1j * rng.random(shape)).astype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
    img = (rng.standard_normal(shape) * 100).astype(dtype)
    if nan and img.size > 1:
        img.flat[rng.integers(0, img.size, size=max(1, img.size // 50))] = np.nan
    return img


@st.composite
def cases(draw):
    lead = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))
    side = st.one_of(st.integers(1, 40), st.integers(8, 40))  # half the draws big enough for a fit
    spatial = draw(st.lists(side, min_size=2, max_size=2))
    channels = draw(st.sampled_from([None, None, 1, 3, 4]))
    shape = (*lead, *spatial) + ((channels,) if channels else ())
    dtype = draw(st.sampled_from(DTYPES))
    task = draw(st.sampled_from(["denoise", "inpaint", "reconstruct"]))
    fitting = ["none"] if task == "denoise" else ["plane", "stack"]
    mask_kind = draw(st.sampled_from(fitting * 3 + ["none", "plane", "stack", "wrong", "empty"]))
    mode = draw(st.sampled_from([None, "plane", "volume"]))
    options = dict(
        iterations=draw(st.integers(1, 2)),
        width=draw(st.sampled_from([8, 16])),
        normalize=draw(st.sampled_from(["minmax", "percentile"])),
        noise=draw(st.sampled_from(["gaussian", "poisson"])),
        warm_start=draw(st.booleans()),
        mode=mode,
        preview_every=1,
    )
    seed = draw(st.integers(0, 2**16))
    nan = draw(st.booleans())
    return shape, channels, dtype, task, mask_kind, options, seed, nan


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_restore_returns_right_shape_and_dtype_or_raises_valueerror(case):
    shape, channels, dtype, task, mask_kind, options, seed, nan = case
    rng = np.random.default_rng(seed)
    image = _image(rng, shape, dtype, nan)
    spatial_shape = shape[:-1] if channels else shape
    mask = None
    if mask_kind == "plane":
        mask = rng.random(spatial_shape[-2:]) > 0.7
    elif mask_kind == "stack":
        mask = rng.random(spatial_shape) > 0.7
    elif mask_kind == "wrong":
        mask = rng.random(tuple(s + 1 for s in spatial_shape[-2:])) > 0.7
    elif mask_kind == "empty":
        mask = np.zeros(spatial_shape[-2:], bool)
    before = image.copy()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # expected: RGBA, NaN pixels, Poisson on small values
            result = restore(image, task, mask=mask, channel_axis=-1 if channels else None, **options)
    except ValueError:
        pass
    else:
        assert result.image.shape == image.shape
        assert result.image.dtype == image.dtype
        if image.dtype.kind == "f":  # NaN/inf are filled in (an RGBA alpha channel is copied as it is)
            assert np.isfinite(result.image[..., :3] if channels == 4 else result.image).all()
    if image.dtype.kind == "f":
        assert np.array_equal(image, before, equal_nan=True), "input was modified"
    else:
        assert np.array_equal(image, before), "input was modified"

