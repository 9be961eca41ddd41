"""Property tests of ``restore``: valid calls succeed, invalid ones are refused with a ``ValueError``.

A valid call (any supported dtype, stacks, colour, masks, NaN pixels, options)
must return an image of the promised shape and dtype, finite, with the input
untouched. A call with one known defect must raise ``ValueError`` (never
another exception from deep inside numpy or torch, never a silent result).
Fits are 1-2 iterations of a width 8-16 network, so each example costs well
under a second.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from napari_dip import restore

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny fits: fastest on one thread

VALID_DTYPES = [np.uint8, np.uint16, np.int16, np.float32, np.float64]


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


def _mask(rng, spatial: tuple[int, ...], per_plane: bool) -> np.ndarray:
    """A mask with some but not all pixels of every plane missing."""
    mask = rng.random(spatial if per_plane else spatial[-2:]) > 0.7
    mask[..., 0, 0], mask[..., -1, -1] = True, False
    return mask


@st.composite
def valid_cases(draw):
    lead = draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))
    spatial = draw(st.lists(st.integers(16, 40), min_size=2, max_size=2))
    channels = draw(st.sampled_from([None, None, 3, 4]))
    shape = (*lead, *spatial) + ((channels,) if channels else ())
    task = draw(st.sampled_from(["denoise", "inpaint", "reconstruct", "deconvolve"]))
    options = dict(
        iterations=draw(st.integers(1, 2)), width=draw(st.sampled_from([8, 16])),
        normalize=draw(st.sampled_from(["minmax", "percentile"])),
        noise=draw(st.sampled_from(["gaussian", "poisson"])), warm_start=draw(st.booleans()),
        mode=draw(st.sampled_from([None, "plane"] + (["volume"] if lead and lead[-1] == 2 else []))),
        preview_every=1,
    )
    if task == "deconvolve":
        options["psf_sigma"] = draw(st.floats(0.5, 2.0))
    return (shape, channels, draw(st.sampled_from(VALID_DTYPES)), task, draw(st.booleans()), options,
            draw(st.integers(0, 2**16)), draw(st.booleans()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_cases())
def test_valid_calls_restore_with_the_promised_shape_and_dtype(case):
    shape, channels, dtype, task, per_plane, options, seed, nan = case
    rng = np.random.default_rng(seed)
    image = _image(rng, shape, dtype, nan)
    if options["noise"] == "poisson" and image.dtype.kind != "u":  # counts are not negative: noise="poisson"
        # refuses what cannot be counts (-(x + 1) keeps int16's minimum in range)
        image = np.abs(image) if image.dtype.kind == "f" else np.where(image < 0, -(image + 1), image)
    spatial = shape[:-1] if channels else shape
    mask = _mask(rng, spatial, per_plane) if task in ("inpaint", "reconstruct") else None
    before = image.copy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # expected: RGBA, NaN pixels, Poisson on small values
        result = restore(image, task, mask=mask, channel_axis=-1 if channels else None, **options)
    assert result.image.shape == image.shape and result.image.dtype == image.dtype
    if image.dtype.kind == "f":  # NaN/inf are filled in (an RGBA alpha channel is copied as it is)
        assert np.isfinite(result.image[..., :3] if channels == 4 else result.image).all()
    assert np.array_equal(image, before, equal_nan=image.dtype.kind == "f"), "input was modified"


DEFECTS = [
    "bool image",
    "complex image",
    "too small",
    "mask shape",
    "empty mask",
    "no mask",
    "mask for denoise",
    "full mask",
    "volume of one plane",
    "unknown option",
    "unknown task",
    "bad noise",
    "all NaN",
    "psf and psf_sigma",
    "no psf",
    "planes out of range",
]


@settings(max_examples=32, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DEFECTS), st.integers(0, 2**16), st.sampled_from([None, 3]))
def test_calls_with_a_defect_raise_valueerror(defect, seed, channels):
    rng = np.random.default_rng(seed)
    shape = (2, 24, 24) + ((channels,) if channels else ())
    image = _image(rng, shape, np.float32, False)
    task, kwargs = "inpaint", dict(mask=_mask(rng, (24, 24), False), iterations=1, width=8)
    if defect in ("bool image", "complex image"):
        image = _image(rng, shape, np.bool_ if defect == "bool image" else np.complex64, False)
    elif defect == "too small":
        image = image[:, :1]
    elif defect == "mask shape":
        kwargs["mask"] = np.ones((25, 24), bool)
    elif defect == "empty mask":
        kwargs["mask"] = np.zeros((24, 24), bool)
    elif defect == "full mask":
        kwargs["mask"] = np.ones((24, 24), bool)
    elif defect == "no mask":
        kwargs.pop("mask")
    elif defect == "mask for denoise":
        task = "denoise"
    elif defect in ("unknown option", "bad noise", "all NaN", "volume of one plane", "planes out of range"):
        task = "denoise"
        kwargs.pop("mask")
        kwargs.update({"unknown option": {"iteratons": 3}, "bad noise": {"noise": "gamma"},
                       "volume of one plane": {"mode": "volume"},
                       "planes out of range": {"planes": [5]}}.get(defect, {}))
        if defect == "all NaN":
            image[:] = np.nan
        elif defect == "volume of one plane":
            image = image[:1]
    elif defect == "unknown task":
        task = "denoize"
    elif defect in ("psf and psf_sigma", "no psf"):
        task = "deconvolve"
        kwargs.pop("mask")
        if defect == "psf and psf_sigma":
            kwargs.update(psf=np.ones((3, 3)), psf_sigma=1.0)
    before = image.copy()
    with pytest.raises(ValueError), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        restore(image, task, channel_axis=-1 if channels else None, **kwargs)
    assert np.array_equal(image, before, equal_nan=True), "input was modified"
