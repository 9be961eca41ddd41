"""Stacks, volumes, warm start, dtypes and normalisation, Poisson noise, memory and tiling.

Every fit here is tiny (planes of at most 32 x 32, at most 200 iterations, width
<= 16): the tests check plumbing and direction of effect, not final quality.
"""


import numpy as np
import pytest

from napari_dip import estimate_memory, iter_restore, restore
from napari_dip.core.data import ImageCodec, anscombe, inverse_anscombe
from napari_dip.core.tiling.boxes import tile_boxes, tile_starts
from napari_dip.core.tiling.stitching import stitch_weights, tile_weights
from napari_dip.metrics import psnr

FAST = dict(width=16, preview_every=5, early_stop=False)
pytestmark = pytest.mark.usefixtures("one_thread")  # tiny fits: fastest on one thread


@pytest.fixture(scope="module")
def cell32():
    """A 32 x 32 float image in [0, 1]: scikit-image's cell (the cell and its background)."""
    from skimage import data
    from skimage.transform import resize

    return resize(data.cell()[240:504, 296:550].astype(float) / 255, (32, 32), anti_aliasing=True)


@pytest.fixture(scope="module")
def stack16(cell32):
    """(3, 32, 32) uint16: the cell drifting by one pixel per plane, 12-bit-ish counts."""
    frames = [np.roll(cell32, t, axis=1) for t in range(3)]
    return (np.stack(frames) * 4000 + 100).round().astype(np.uint16)


# --- shapes, dtypes, layouts ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64])
def test_stack_round_trips_shape_and_dtype(dtype, rng):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "ui" else None
    lo, hi = (max(info.min, -1000), min(info.max, 60000)) if info else (-3.0, 5.0)
    stack = (rng.random((2, 16, 16)) * (hi - lo) + lo).astype(dtype)
    before = stack.copy()
    codec = ImageCodec.fit(stack, spatial_ndim=2)
    for t in range(2):
        back = codec.decode(codec.encode(stack, index=(t,)), index=(t,))
        assert back.dtype == stack.dtype
        if info:
            assert np.array_equal(back, stack[t])
        else:
            assert np.allclose(back, stack[t], rtol=1e-6, atol=1e-6)
    out = restore(stack, "denoise", iterations=2, **FAST).image
    assert out.shape == stack.shape and out.dtype == stack.dtype
    assert out.min() >= stack.min() and out.max() <= stack.max()
    assert np.array_equal(stack, before), "input was modified"


def test_rgb_stack_with_channel_axis_first(rng):
    stack = (rng.random((3, 2, 16, 16)) * 255).astype(np.uint8)  # (C, T, Y, X)
    snaps = [
        s
        for s in iter_restore(stack, "denoise", channel_axis=0, iterations=2, **FAST)
        if s.preview is not None
    ]
    assert all(s.preview.shape == stack.shape for s in snaps)
    assert [s.plane for s in snaps] == [(0,), (1,)]
    assert snaps[-1].result.image.shape == stack.shape


def test_plane_mode_uint16_stack(stack16):
    snaps = list(iter_restore(stack16, "denoise", iterations=6, **FAST))
    previews = [s for s in snaps if s.preview is not None]
    assert all(s.preview.shape == stack16.shape and s.preview.dtype == np.uint16 for s in previews)
    assert [(s.plane, s.plane_number, s.n_planes) for s in previews] == [
        ((t,), t + 1, 3) for t in range(3) for _ in range(2)]
    assert [s.done for s in snaps].count(True) == 1 and snaps[-1].done
    progress = [s.progress for s in snaps]
    assert progress == sorted(progress) and progress[-1] == 1.0
    # the stack fills plane by plane: while plane 0 is fitted, planes 1-2 still show the input
    first = previews[0].preview
    assert np.array_equal(first[1:], stack16[1:]) and not np.array_equal(first[0], stack16[0])
    result = snaps[-1].result
    assert result.image.max() > 255, "16-bit range was squeezed"
    assert [p["plane"] for p in result.config["planes"]] == [[0], [1], [2]]
    assert result.config["mode"] == "plane" and result.config["n_planes"] == 3
    assert {r["plane"][0] for r in result.history} == {0, 1, 2}


def test_planes_subset_leaves_other_planes_identical(rng):
    stack = (rng.random((2, 3, 16, 16)) * 60000).astype(np.uint16)  # (T, Z, Y, X)
    result = restore(stack, "denoise", planes=[(1, 2), (0, 0)], iterations=2, **FAST)
    chosen = {(1, 2), (0, 0)}
    for t in range(2):
        for z in range(3):
            same = np.array_equal(result.image[t, z], stack[t, z])
            assert same != ((t, z) in chosen), (t, z)
    assert [p["plane"] for p in result.config["planes"]] == [[1, 2], [0, 0]]
    with pytest.raises(ValueError, match="out of range"):
        restore(stack, "denoise", planes=[(2, 0)], iterations=1)
    with pytest.raises(ValueError, match="leading"):
        restore(stack, "denoise", planes=[1], iterations=1)


def test_volume_mode_denoise_uses_a_3d_network(rng):
    vol = (rng.random((6, 32, 32)) * 255).astype(np.uint8)
    result = restore(vol, "denoise", mode="volume", iterations=3, **FAST)
    assert result.image.shape == vol.shape and result.image.dtype == np.uint8
    net = result.config["network"]
    assert net["z_levels"] == 2 and "Z (6 planes)" in net["depth_note"]
    assert result.config["mode"] == "volume" and [p["plane"] for p in result.config["planes"]] == [[]]
    with pytest.raises(ValueError, match="at least 2 planes"):
        restore(vol[:1], "denoise", mode="volume", iterations=1)
    with pytest.raises(ValueError, match="Z-stack"):
        restore(vol[0], "denoise", mode="volume", iterations=1)
    with pytest.raises(ValueError, match="plane by plane"):
        restore(vol, "super_resolution", factor=2, mode="volume", iterations=1)


def test_volume_inpaint_fills_a_missing_plane_from_its_neighbours(cell32):
    vol = np.stack([np.roll(cell32, t, axis=0) for t in range(6)])
    vol = (vol * 255).round().astype(np.uint8)
    mask = np.zeros(vol.shape, bool)
    mask[3] = True  # a whole plane lost: plane mode has nothing to work from
    with pytest.raises(ValueError, match=r"every pixel of plane \(3,\)"):
        restore(vol, "inpaint", mask=mask, iterations=1)
    result = restore(vol, "inpaint", mask=mask, mode="volume", iterations=20, **FAST)
    assert np.array_equal(result.image[~mask], vol[~mask])
    filled = result.image[3]
    assert psnr(vol[3], filled) > psnr(vol[3], np.full_like(vol[3], vol[~mask].mean())) + 6


# --- masks, NaN ---------------------------------------------------------------------------------

def test_2d_mask_applies_to_every_plane(stack16):
    mask = np.zeros((32, 32), np.uint8)
    mask[8:12, 4:28] = 1
    result = restore(stack16, "inpaint", mask=mask, iterations=3, **FAST)
    known = mask == 0
    for t in range(3):
        assert np.array_equal(result.image[t][known], stack16[t][known])
        assert not np.array_equal(result.image[t][~known], stack16[t][~known])


def test_nd_mask_and_mask_shape_errors(stack16):
    mask = np.zeros(stack16.shape, bool)
    mask[1, 5:9, 5:9] = True  # only plane 1 has a hole: planes 0 and 2 are copied
    result = restore(stack16, "inpaint", mask=mask, iterations=3, **FAST)
    assert np.array_equal(result.image[0], stack16[0]) and np.array_equal(result.image[2], stack16[2])
    assert [p.get("skipped") is not None for p in result.config["planes"]] == [True, False, True]
    for bad in [np.zeros((2, 32, 32)), np.zeros((32, 31)), np.zeros((3, 32, 32, 1))]:
        bad[..., 0, 0] = 1
        with pytest.raises(ValueError, match=r"shape \(.*\).*\(3, 32, 32\)"):
            restore(stack16, "inpaint", mask=bad, iterations=1)
    with pytest.raises(ValueError, match="empty"):
        restore(stack16, "inpaint", mask=np.zeros((32, 32)), iterations=1)
    full = np.zeros(stack16.shape, bool)
    full[2] = True
    with pytest.raises(ValueError, match="every pixel"):
        restore(stack16, "inpaint", mask=full, iterations=1)
    with pytest.raises(ValueError, match="reference"):
        restore(stack16, "denoise", reference=stack16[0], iterations=1)


def test_nan_pixels_in_a_stack(stack16):
    stack = stack16.astype(np.float32)
    stack[1, 10:13, 10:13] = np.nan
    stack[2, 0, 0] = np.inf
    before = stack.copy()
    with pytest.warns(UserWarning, match="10 NaN/inf"):
        out = restore(stack, "denoise", iterations=3, **FAST).image
    assert np.isfinite(out).all() and out.dtype == np.float32
    assert np.array_equal(stack, before, equal_nan=True)
    stack[0] = np.nan
    with pytest.raises(ValueError, match=r"plane \(0,\)"):
        restore(stack, "denoise", iterations=1)


# --- warm start ---------------------------------------------------------------------------------

def test_warm_start_reuses_the_previous_planes_weights(stack16):
    result = restore(stack16, "denoise", iterations=30, warm_start=True, warm_iterations=10, **FAST)
    planes = result.config["planes"]
    assert [p["warm_start"] for p in planes] == [False, True, True]
    assert [p["iterations_run"] for p in planes] == [30, 10, 10]
    first = {p: next(r["loss"] for r in result.history if r["plane"] == [p]) for p in range(3)}
    # a warm plane starts where the previous fit ended, far below a fresh network's first loss
    assert first[1] < 0.3 * first[0] and first[2] < 0.3 * first[0], first
    cold = restore(stack16, "denoise", iterations=30, planes=[(1,)], **FAST)
    cold_first = next(r["loss"] for r in cold.history)
    assert first[1] < 0.3 * cold_first


# --- normalisation ------------------------------------------------------------------------------

def test_percentile_normalisation_round_trip(rng):
    img = (rng.normal(1000, 150, (32, 32))).clip(0).astype(np.uint16)
    img[3, 4] = 65000  # hot pixels: with min/max they would squeeze the signal into ~2 % of [0, 1]
    img[20, 7] = 0
    codec = ImageCodec.fit(img, normalize="percentile")
    x = codec.encode(img)
    body = (img > 0) & (img < 65000)
    inner = np.percentile(x[0][body], [1, 99])
    assert 0.1 <= inner[0] and inner[1] <= 0.9
    back = codec.decode(x)
    assert back.dtype == np.uint16
    representable = (x[0] >= 0) & (x[0] <= 1)
    assert representable.mean() > 0.99
    assert np.array_equal(back[representable], img[representable])
    assert back.max() <= 65000 and back.min() >= 0
    minmax = ImageCodec.fit(img).encode(img)
    assert np.ptp(minmax[0][body]) < 0.03 < 0.5 < np.ptp(x[0][body])
    out = restore(img, "denoise", normalize="percentile", iterations=3, **FAST).image
    assert out.dtype == np.uint16 and 300 < out.mean() < 2000
    assert (
        restore(img, "denoise", normalize="percentile", iterations=1, **FAST).config["normalize"]
        == "percentile"
    )
    with pytest.raises(ValueError, match="normalize"):
        restore(img, "denoise", normalize="zscore", iterations=1)


@pytest.mark.parametrize("dtype", [np.uint16, np.float64])
@pytest.mark.parametrize("normalize, noise", [("minmax", "gaussian"), ("percentile", "gaussian"),
                                              ("minmax", "poisson")])
def test_inpaint_returns_observed_pixels_exactly_under_every_value_mapping(dtype, normalize, noise, rng):
    img = (rng.poisson(30, (2, 24, 24)) + 0.25 * (dtype == np.float64)).astype(dtype)
    img[0, 2, 2] = 5000  # an outlier outside the percentile window, observed
    mask = np.zeros((24, 24), bool)
    mask[10:14, 6:18] = True
    out = restore(img, "inpaint", mask=mask, normalize=normalize, noise=noise, iterations=2, **FAST).image
    assert np.array_equal(out[:, ~mask], img[:, ~mask])


# --- Poisson noise ------------------------------------------------------------------------------

def test_inverse_anscombe_is_unbiased():
    rng = np.random.default_rng(0)
    for lam in (1.0, 3.0, 10.0, 40.0):
        mean_a = anscombe(rng.poisson(lam, 400_000).astype(float)).mean()
        assert inverse_anscombe(mean_a) == pytest.approx(lam, rel=0.03)
        naive = (mean_a / 2) ** 2 - 3 / 8
        if lam <= 3:
            assert abs(naive - lam) > 2 * abs(inverse_anscombe(mean_a) - lam)


def test_poisson_option_gains_psnr_over_the_noisy_input(cell32):
    clean = cell32 * 20 + 0.5  # photon counts, peak ~20: strongly Poisson
    noisy = np.random.default_rng(1).poisson(clean).astype(np.uint16)
    # 200 iterations: gains of 8.4-9.0 dB over seeds 0-2 and 1 or 2 torch threads (30 gave 0.3-2.4 dB)
    result = restore(noisy, "denoise", noise="poisson", iterations=200, **FAST)
    ref = clean.astype(np.float64)
    data_range = float(ref.max() - ref.min())
    before = psnr(ref, noisy.astype(float), data_range=data_range)
    after = psnr(ref, result.image.astype(float), data_range=data_range)
    assert result.image.dtype == np.uint16 and result.config["noise"] == "poisson"
    assert after > before + 3, (before, after)
    with pytest.raises(ValueError, match="noise"):
        restore(noisy, "denoise", noise="gamma", iterations=1)


# --- memory and tiling --------------------------------------------------------------------------

def test_memory_estimate_grows_with_size():
    sizes = [estimate_memory((s, s), "denoise", width=16, device="cpu") for s in (64, 128, 256, 512)]
    assert sizes == sorted(sizes)
    assert 3.0 < (sizes[3] - sizes[2]) / (sizes[2] - sizes[1]) < 5.0  # linear in the pixel count
    assert estimate_memory((256, 256), "denoise", width=32, device="cpu") > sizes[2]
    assert estimate_memory((256, 256), "denoise", width=16, precision="fp32", device="cpu") > \
        estimate_memory((256, 256), "denoise", width=16, precision="bf16", device="cpu")
    assert estimate_memory((8, 128, 128), "denoise", width=16, mode="volume", device="cpu") > \
        estimate_memory((8, 128, 128), "denoise", width=16, device="cpu")
    big = estimate_memory((2048, 2048), "denoise", device="cpu", precision="bf16")  # CPU width 64, bf16
    assert big > 4 * 1024**3  # so restore() tiles it by default


def test_tile_geometry_and_blending_weights_sum_to_one():
    assert tile_starts(160, 96, 32) == [0, 64]
    assert tile_starts(2048, 256, 32) == list(range(0, 1793, 224))
    assert tile_starts(50, 96, 32) == [0]
    for shape, tile, overlap, scale in [
        ((160, 160), 96, 32, 1),
        ((100, 300), 64, 16, 2),
        ((257, 70), 128, 32, 1),
    ]:
        weights = stitch_weights(shape, tile, overlap, scale)
        assert np.allclose(sum(weights), 1.0)
        # regular overlaps: the raw cosine ramps are already a partition of unity
    raw = np.zeros((160, 160))
    for box in tile_boxes((160, 160), 96, 32):
        raw[box[0]:box[1], box[2]:box[3]] += tile_weights(box, (160, 160), 96, 32)
    assert np.allclose(raw, 1.0)
    # tiles of constant values 0, 1, 2, 3 (neighbours differ by 1 or 2) blend into smooth ramps:
    # no step above (difference) * pi / (2 * overlap) ~ 0.1, where a hard seam would jump by 1 or 2
    blended = sum(k * w for k, w in enumerate(stitch_weights((160, 160), 96, 32)))
    steps = max(np.abs(np.diff(blended, axis=0)).max(), np.abs(np.diff(blended, axis=1)).max())
    assert steps < 0.11


def test_tiled_restore_is_seamless(cell32):
    from skimage.transform import resize

    img = (resize(cell32, (160, 160)) * 255).round().astype(np.uint8)
    result = restore(img, "denoise", tile=96, tile_overlap=32, iterations=8, width=8, preview_every=8,
                     early_stop=False)
    assert result.config["tiles"] == {"tile": 96, "overlap": 32, "count": 4}
    assert {r["tile"] for r in result.history} == {1, 2, 3, 4}
    out = result.image.astype(float)
    # mean absolute step between neighbouring columns / rows; tile edges are at 64 and 96
    col = np.abs(np.diff(out, axis=1)).mean(axis=0)
    row = np.abs(np.diff(out, axis=0)).mean(axis=1)
    ref_col = np.abs(np.diff(img.astype(float), axis=1)).mean(axis=0)
    for steps, ref in ((col, ref_col), (row, np.abs(np.diff(img.astype(float), axis=0)).mean(axis=1))):
        for edge in (63, 95):
            assert steps[edge] < 2 * np.median(steps) + ref[edge], (edge, steps[edge], np.median(steps))


def test_tiling_refused_or_automatic(rng):
    img = (rng.random((600, 600)) * 60000).astype(np.uint16)
    with pytest.raises(ValueError, match="tile='auto'"):
        restore(img, "denoise", tile=False, max_memory=2**20, iterations=1, width=8)
    with pytest.raises(ValueError, match="even"):
        restore(img, "denoise", max_memory=2**20, iterations=1, width=8)
    result = restore(img, "denoise", max_memory=150 * 2**20, iterations=1, width=8, preview_every=1)
    tiles = result.config["tiles"]
    assert tiles == {"tile": 256, "overlap": 32, "count": 9}
    assert result.config["memory_estimate"] > result.config["max_memory"]
    with pytest.raises(ValueError, match="tile_overlap"):
        restore(img, "denoise", tile=16, iterations=1)


@pytest.mark.slow
def test_2048_uint16_restores_in_tiles_within_memory():
    """Tiles keep the process's resident memory within max_memory (sampled every 20 ms during the run)."""
    import threading

    import psutil

    img = (np.random.default_rng(0).random((2048, 2048)) * 4000).astype(np.uint16)
    proc, peak, done = psutil.Process(), [0], threading.Event()
    base = proc.memory_info().rss

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss - base)
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = restore(img, "denoise", iterations=1, width=8, max_memory=512 * 2**20, preview_every=1)
    finally:
        done.set()
        sampler.join()
    assert result.image.shape == img.shape and result.image.dtype == np.uint16
    assert result.config["tiles"]["count"] > 1
    assert result.config["memory_estimate"] > 512 * 2**20  # one untiled fit would not fit
    assert peak[0] < 512 * 2**20, f"resident memory grew by {peak[0] / 2**20:.0f} MiB"
