"""Fast unit tests of the blending building blocks: classical blends, metrics, losses."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy import ndimage as ndi
from skimage.morphology import disk

from napari_dip.baselines import alpha_blend, laplacian_blend, poisson_blend, soft_mask
from napari_dip.core.blending import filters, loss, terms
from napari_dip.metrics import bsi, gff, gfp, masked_ssim, transition_region

# the blending loss's parts under one name: filters, the seven terms and the combined loss
bl = SimpleNamespace(**{**vars(filters), **vars(terms), "BlendLoss": loss.BlendLoss})


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def square_mask(shape: tuple[int, int] = (48, 48), lo: int = 16, hi: int = 32) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    m[lo:hi, lo:hi] = True
    return m


def to_t(x: np.ndarray) -> torch.Tensor:
    """(H, W) or (H, W, C) numpy -> (1, C, H, W) float32 tensor."""
    x = x[..., None] if x.ndim == 2 else x
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 0)[None])).float()


# --------------------------------------------------------------------------- #
# soft mask, alpha blending, transition region
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("lowpass", ["gaussian", "box"])
def test_soft_mask_range_inside_outside(lowpass: str) -> None:
    m = square_mask((96, 96), 24, 72)
    a = soft_mask(m, iterations=3, sigma=2.0, lowpass=lowpass)
    assert a.shape == m.shape and a.dtype == np.float64
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert a[40:56, 40:56].min() > 0.99  # deep inside
    assert a[:8].max() < 0.01 and a[:, -8:].max() < 0.01  # far outside
    assert 0.3 < a[48, 24] < 0.7  # on the boundary


def test_soft_mask_default_and_border_mask() -> None:
    m = np.zeros((64, 64), dtype=bool)
    m[:, :20] = True  # touches the image border
    a = soft_mask(m)
    assert a[:, 0].min() > 0.99  # the image border is not a seam
    assert a[:, -1].max() == 0.0


def test_alpha_blend_background_where_soft_map_is_zero(rng: np.random.Generator) -> None:
    fg, bg = rng.random((64, 64, 3)), rng.random((64, 64, 3))
    m = square_mask((64, 64), 20, 44)
    out = alpha_blend(fg, bg, m, sigma=1.0)
    a = soft_mask(m, sigma=1.0)
    assert out.shape == fg.shape
    inside = a > 1 - 1e-9
    assert (a == 0).any() and inside.any()
    np.testing.assert_array_equal(out[a == 0], bg[a == 0])
    np.testing.assert_allclose(out[inside], fg[inside], atol=1e-9)
    np.testing.assert_allclose(out, a[..., None] * fg + (1 - a[..., None]) * bg)


def test_transition_region_band_width() -> None:
    m = square_mask((60, 60), 20, 40)
    band = transition_region(m, width=3)
    assert band.dtype == bool
    # equals dilation XOR erosion by a disk of radius `width` (mask away from the border)
    expected = ndi.binary_dilation(m, disk(3)) ^ ndi.binary_erosion(m, disk(3))
    np.testing.assert_array_equal(band, expected)
    # along the middle row: 3 px outside + 3 px inside at each edge
    assert np.flatnonzero(band[30]).tolist() == [17, 18, 19, 20, 21, 22, 37, 38, 39, 40, 41, 42]
    assert not band[:10].any() and not band[28:32, 28:32].any()


def test_transition_region_ignores_image_border_and_trivial_masks() -> None:
    m = np.zeros((40, 40), dtype=bool)
    m[:, :20] = True
    band = transition_region(m, width=2)
    assert np.flatnonzero(band[5]).tolist() == [18, 19, 20, 21]
    assert not band[:, 0].any()
    assert not transition_region(np.zeros((8, 8)), width=1).any()
    assert not transition_region(np.ones((8, 8)), width=1).any()


# --------------------------------------------------------------------------- #
# Poisson and Laplacian blending
# --------------------------------------------------------------------------- #
def test_poisson_empty_mask_is_background(rng: np.random.Generator) -> None:
    fg, bg = rng.random((20, 24, 3)), rng.random((20, 24, 3))
    out = poisson_blend(fg, bg, np.zeros((20, 24), dtype=int))
    np.testing.assert_array_equal(out, bg)


@pytest.mark.parametrize("colour", [False, True])
def test_poisson_offset_foreground_reproduces_gradients(rng: np.random.Generator, colour: bool) -> None:
    shape = (32, 40, 3) if colour else (32, 40)
    bg = 0.8 * rng.random(shape)
    fg = bg + 0.15  # same gradients, different brightness
    m = np.zeros((32, 40), dtype=bool)
    m[8:24, 10:30] = True
    m[0:12, 30:40] = True  # also touches the top and right borders
    out = poisson_blend(fg, bg, m, clip=False)
    np.testing.assert_array_equal(out[~m], bg[~m])  # exactly the background outside
    np.testing.assert_allclose(out, bg, atol=1e-10)  # the offset is removed ...
    inner = m[1:, :] & m[:-1, :]
    np.testing.assert_allclose(np.diff(out, axis=0)[inner], np.diff(fg, axis=0)[inner], atol=1e-10)
    inner = m[:, 1:] & m[:, :-1]  # ... and the foreground's gradients kept
    np.testing.assert_allclose(np.diff(out, axis=1)[inner], np.diff(fg, axis=1)[inner], atol=1e-10)


def test_poisson_solves_discrete_equation(rng: np.random.Generator) -> None:
    fg, bg = rng.random((24, 24)), rng.random((24, 24))
    m = np.zeros((24, 24), dtype=bool)
    m[5:19, 3:21] = True
    m[0:4, 0:6] = True  # corner component
    out = poisson_blend(fg, bg, m, clip=False)
    pad_o, pad_f = np.pad(out, 1, mode="edge"), np.pad(fg, 1, mode="edge")
    lap_o = 4 * out - pad_o[:-2, 1:-1] - pad_o[2:, 1:-1] - pad_o[1:-1, :-2] - pad_o[1:-1, 2:]
    lap_f = 4 * fg - pad_f[:-2, 1:-1] - pad_f[2:, 1:-1] - pad_f[1:-1, :-2] - pad_f[1:-1, 2:]
    # edge padding drops out-of-image neighbours, as the solver does
    np.testing.assert_allclose(lap_o[m], lap_f[m], atol=1e-9)


def test_poisson_full_mask_returns_foreground(rng: np.random.Generator) -> None:
    fg, bg = rng.random((10, 12)), rng.random((10, 12))
    np.testing.assert_array_equal(poisson_blend(fg, bg, np.ones((10, 12), bool)), fg)


def test_laplacian_blend_extreme_masks(rng: np.random.Generator) -> None:
    fg, bg = rng.random((64, 48, 3)), rng.random((64, 48, 3))
    np.testing.assert_allclose(laplacian_blend(fg, bg, np.ones((64, 48)), clip=False), fg, atol=1e-9)
    np.testing.assert_allclose(laplacian_blend(fg, bg, np.zeros((64, 48)), clip=False), bg, atol=1e-9)
    out = laplacian_blend(
        fg.astype(np.float32), bg.astype(np.float32), square_mask((64, 48), 16, 32), levels=3
    )
    assert out.shape == fg.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_allclose(out[:4, :4], bg[:4, :4], atol=1e-6)  # far from the mask
    with pytest.raises(ValueError, match="levels=9 is too many"):
        laplacian_blend(fg, bg, np.ones((64, 48)), levels=9)


# --------------------------------------------------------------------------- #
# input validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("func", [alpha_blend, laplacian_blend, poisson_blend])
def test_blends_reject_bad_inputs(func, rng: np.random.Generator) -> None:
    fg, bg, m = rng.random((16, 16)), rng.random((16, 16)), square_mask((16, 16), 4, 12)
    with pytest.raises(ValueError, match=r"\(16, 16\).*\(16, 17\)"):
        func(fg, rng.random((16, 17)), m)
    with pytest.raises(ValueError, match=r"mask shape \(16, 15\) does not match.*\(16, 16\)"):
        func(fg, bg, np.ones((16, 15), bool))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        func(fg * 255, bg, m)
    with pytest.raises(ValueError, match="channels last"):
        func(rng.random((2, 16, 16, 3)), rng.random((2, 16, 16, 3)), m)
    with pytest.raises(ValueError, match="shape"):
        func(rng.random((16, 16, 3)), bg, m)


def test_options_validated() -> None:
    with pytest.raises(ValueError, match="width"):
        transition_region(square_mask(), width=0)
    with pytest.raises(ValueError, match="sigma"):
        soft_mask(square_mask(), sigma=-1.0)
    with pytest.raises(ValueError, match="lowpass"):
        soft_mask(square_mask(), lowpass="median")


# --------------------------------------------------------------------------- #
# metrics
# --------------------------------------------------------------------------- #
def ramp(shape: tuple[int, int] = (32, 32), slope: float = 0.01) -> np.ndarray:
    return np.tile(np.arange(shape[1]) * slope, (shape[0], 1))


def test_gff_known_values() -> None:
    a = ramp()
    b = np.full_like(a, 0.5)  # flat: A always has the larger gradient
    m = square_mask((32, 32), 8, 24)  # band (width 3) stays off the image border
    assert gff(a, a, b, m, width=3) == pytest.approx(1.0, abs=1e-12)
    assert gff(b, a, b, m, width=3) == pytest.approx(0.0, abs=1e-6)  # lost all structure
    assert gff(0.5 * a, a, b, m, width=3) == pytest.approx(0.8, abs=1e-6)  # 2*0.5/(0.25+1)
    assert gff(0.5 - a, a, b, m, width=3) == pytest.approx(0.0, abs=1e-9)  # opposite direction
    # the reference switches to B where B has the larger gradient
    assert gff(a, b, a, region=transition_region(m, width=3)) == pytest.approx(1.0, abs=1e-12)


def test_gff_colour_uses_luminance(rng: np.random.Generator) -> None:
    a = rng.random((24, 24, 3))
    b = np.zeros_like(a)
    assert gff(a, a, b, square_mask((24, 24), 6, 18), width=2) == pytest.approx(1.0, abs=1e-9)


def test_gfp_identical_textured_images(rng: np.random.Generator) -> None:
    x = rng.random((32, 32))
    value = gfp(x, x, x)
    assert 0.98 < value <= 1.0
    assert gfp(0.5 * x, x, x) == pytest.approx(0.5 * value, rel=0.02)
    region = square_mask((32, 32), 8, 24)
    assert 0.98 < gfp(x, x, x, region=region) <= 1.0


def test_bsi_ramp_smoother_than_step() -> None:
    m = np.zeros((32, 32), dtype=bool)
    m[:, :16] = True
    smooth = np.tile(np.linspace(0.2, 0.8, 32), (32, 1))
    step = np.where(np.arange(32) < 16, 0.2, 0.8) * np.ones((32, 1))
    b_smooth, b_step = bsi(smooth, mask=m, width=4), bsi(step, mask=m, width=4)
    assert b_smooth == pytest.approx(1000.0, rel=1e-6)  # 1 / eps: no change in gradient
    assert b_step < 0.1 * b_smooth


def test_masked_ssim(rng: np.random.Generator) -> None:
    x = rng.random((32, 32, 3))
    region = transition_region(square_mask((32, 32), 8, 24), width=3)
    assert masked_ssim(x, x, region) == pytest.approx(1.0, abs=1e-9)
    noisy = np.clip(x + 0.3 * rng.standard_normal(x.shape), 0, 1)
    assert masked_ssim(noisy, x, region) < 0.9


def test_metrics_validate(rng: np.random.Generator) -> None:
    x = rng.random((16, 16))
    with pytest.raises(ValueError, match="mask=.*region="):
        gff(x, x, x)
    with pytest.raises(ValueError, match="empty"):
        bsi(x, mask=np.zeros((16, 16)))
    with pytest.raises(ValueError, match=r"\(16, 17\).*\(16, 16\)"):
        gfp(x, rng.random((16, 17)), x)
    with pytest.raises(ValueError, match="region shape"):
        masked_ssim(x, x, np.ones((8, 8), bool))


# --------------------------------------------------------------------------- #
# losses
# --------------------------------------------------------------------------- #
def test_anneal_schedule() -> None:
    assert bl.anneal_gamma(0, 100) == 5.0
    assert bl.anneal_gamma(100, 100) == 1.0
    assert bl.anneal_gamma(50, 100) == pytest.approx(1 + 4 * 0.25)  # c = 2
    alpha = torch.tensor([0.0, 0.25, 0.5, 0.9, 1.0])
    torch.testing.assert_close(bl.anneal_alpha(alpha, 0, 100), alpha**5)
    torch.testing.assert_close(bl.anneal_alpha(alpha, 100, 100), alpha)
    values = torch.stack([bl.anneal_alpha(alpha, t, 100) for t in range(0, 101, 10)])
    assert (values.diff(dim=0) >= 0).all()  # alpha_t grows (gamma shrinks) with t
    assert values.min() >= 0 and values.max() <= 1


@pytest.fixture
def images(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    fg, bg, noise = (to_t(rng.random((48, 48, 3))) for _ in range(3))
    hard = torch.from_numpy(square_mask()).float()[None, None]
    return fg, bg, noise, hard


def test_pixel_loss_zero_when_background_kept_outside(images) -> None:
    fg, bg, noise, hard = images
    out = torch.where(hard > 0, noise, bg)
    assert bl.pixel_loss(out, bg, hard).item() == 0.0
    assert bl.pixel_loss(noise, bg, hard).item() > 0.01


def test_grad_and_dir_zero_when_foreground_kept_inside(images) -> None:
    fg, bg, noise, hard = images
    margin = torch.zeros_like(hard)
    margin[..., 8:40, 8:40] = 1  # covers the forward differences at every scale
    out = torch.where(margin > 0, fg, noise)
    assert bl.grad_loss(out, fg, hard).item() < 1e-7
    assert bl.dir_loss(out, fg, hard).item() < 1e-6
    assert bl.grad_loss(noise, fg, hard).item() > 0.05
    assert bl.dir_loss(noise, fg, hard).item() > 0.1


def test_transition_terms_zero_where_weight_zero(images) -> None:
    fg, bg, noise, hard = images  # binary alpha: w = 4 a (1 - a) = 0 everywhere
    assert bl.blend_grad_loss(noise, fg, bg, hard).item() == 0.0
    assert bl.aniso_loss(noise, bg, hard).item() == 0.0
    soft = bl.gaussian_blur(hard, 2.0)
    assert bl.blend_grad_loss(noise, fg, bg, soft).item() > 0
    assert bl.aniso_loss(noise, bg, soft).item() > 0


def test_aniso_tangent_follows_stripes() -> None:
    # vertical stripes: gradient along x, so the tangent is along y
    stripes = torch.sin(torch.arange(32.0) * 0.8).repeat(32, 1)[None, None] * 0.5 + 0.5
    t_x, t_y = bl.structure_tangent(stripes)
    assert t_x[..., 4:-4, 4:-4].abs().max() < 1e-4
    assert (t_y[..., 4:-4, 4:-4].abs() > 0.9999).all()


def test_blend_loss_combines_terms(images) -> None:
    fg, bg, noise, hard = images
    alpha = bl.gaussian_blur(hard, 2.0)
    loss = bl.BlendLoss(fg, bg, alpha, iterations=100, weights={"aniso": 0.0, "pixel": 10.0})
    out = noise.clone().requires_grad_(True)
    terms = loss.terms(out, 30)
    assert set(terms) == set(bl.TERM_NAMES)
    weights = dict(bl.DEFAULT_WEIGHTS, aniso=0.0, pixel=10.0)
    total = loss(out, 30)
    assert total.dtype == torch.float32 and total.ndim == 0
    torch.testing.assert_close(total, sum(weights[k] * v for k, v in terms.items()))
    alpha_t = bl.anneal_alpha(alpha, 30, 100)
    torch.testing.assert_close(terms["pixel"], bl.pixel_loss(out, bg, alpha_t))
    torch.testing.assert_close(terms["aniso"], bl.aniso_loss(out, bg, alpha_t))
    torch.testing.assert_close(terms["grad"], bl.grad_loss(out, fg, alpha_t))
    torch.testing.assert_close(
        terms["low_freq"], bl.low_freq_loss(out, bg, alpha_t, kernel_size=loss.low_freq_kernel)
    )
    total.backward()
    assert out.grad is not None and torch.isfinite(out.grad).all() and out.grad.abs().sum() > 0


def test_blend_loss_autocast_and_validation(images) -> None:
    fg, bg, noise, hard = images
    loss = bl.BlendLoss(fg, bg, bl.gaussian_blur(hard, 2.0), iterations=10)
    reference = loss(noise, 5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(noise.to(torch.bfloat16), 5)
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, reference, rtol=2e-2, atol=1e-3)
    with pytest.raises(ValueError, match="unknown loss term"):
        bl.BlendLoss(fg, bg, hard, iterations=10, weights={"pixels": 1.0})
    with pytest.raises(ValueError, match="alpha must be"):
        bl.BlendLoss(fg, bg, hard[..., :-1], iterations=10)
    with pytest.raises(ValueError, match="background shape"):
        bl.BlendLoss(fg, bg[:, :1], hard, iterations=10)
    with pytest.raises(ValueError, match="output must be"):
        loss(noise[..., :-1], 0)


def test_identical_images_are_a_zero_of_the_loss(images) -> None:
    """Blending a background into itself: the background is the answer (every term 0), the perturbed one is
    not."""
    _, bg, noise, hard = images
    soft = bl.gaussian_blur(hard, 2.0)
    loss = bl.BlendLoss(bg, bg, soft, iterations=100, dir_eps=1e-8)
    shifted = (bg + 0.05 * noise).requires_grad_(True)
    value = loss(shifted, 50)
    value.backward()
    assert value.item() > 1e-3
    for t in (0, 50, 100):  # (no gradient check at the zero: the L1 terms' subgradient there is a sign)
        assert loss(bg, t).item() < 1e-6, t
    with torch.no_grad():  # a gradient step from the perturbed image lowers the loss
        stepped = shifted - 1e-3 * shifted.grad / shifted.grad.abs().max()
    assert loss(stepped, 50).item() < value.item()


def test_rank_methods_mean_rank_over_metrics() -> None:
    from napari_dip.core.blending.compare import rank_methods

    table = {"a": {"GFF": 0.9, "GFP": 0.9, "BSI": 9.0, "SSIM": 0.9},     # best on all four
             "b": {"GFF": 0.5, "GFP": 0.8, "BSI": 1.0, "SSIM": 0.5},
             "c": {"GFF": 0.5, "GFP": 0.1, "BSI": 5.0, "SSIM": 0.1}}
    ranks = rank_methods(table)
    assert ranks["a"] == 1.0
    # b: GFF tie with c (2.5), GFP 2, BSI 3, SSIM 2 -> 2.375 ; c: 2.5, 3, 2, 3 -> 2.625
    assert ranks["b"] == (2.5 + 2 + 3 + 2) / 4 and ranks["c"] == (2.5 + 3 + 2 + 3) / 4
    assert rank_methods({}) == {}
