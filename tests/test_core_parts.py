"""Unit tests of the engine's parts: operators, losses, stopping, networks, data codec, metrics."""

import numpy as np
import pytest
import torch

from napari_dip.core import physics as operators
from napari_dip.core.data import ImageCodec
from napari_dip.core.engine import losses, stopping
from napari_dip.core.networks import build_network


def test_lanczos_kernel_is_normalised_and_sized():
    k = operators.lanczos_kernel(4)
    assert k.shape == (16, 16)
    assert k.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert torch.allclose(k, k.T)


def test_downsampler_maps_n_times_factor_to_n_and_keeps_constants():
    op = operators.Downsampler(4, 3)
    x = torch.full((1, 3, 64, 48), 0.3)
    y = op(x)
    assert y.shape == (1, 3, 16, 12)
    assert torch.allclose(y, torch.full_like(y, 0.3), atol=1e-6)


def test_masked_mse_ignores_unobserved_pixels():
    target = torch.zeros(1, 1, 8, 8)
    pred = torch.zeros(1, 1, 8, 8)
    pred[..., :4] = 5.0  # wrong only where unobserved
    weight = torch.ones(1, 1, 8, 8)
    weight[..., :4] = 0
    assert losses.mse(pred, target, weight).item() == 0.0
    assert losses.mse(pred, target).item() > 0


def test_multiscale_loss_weights_and_normalisation():
    target = torch.zeros(1, 1, 8, 8)
    pred = torch.ones(1, 1, 8, 8)
    # all observed: every scale has MSE 1, so the loss is 1 + 0.5 + 0.25
    assert losses.multiscale_mse(pred, target).item() == pytest.approx(1.75)
    weight = torch.zeros(1, 1, 8, 8)
    assert losses.multiscale_mse(pred, target, weight).item() == 0.0


def test_ema_is_bias_corrected():
    ema = stopping.EMA(0.99)
    ema.update(torch.full((2,), 4.0))
    assert torch.allclose(ema.value, torch.full((2,), 4.0))
    ema.update(torch.full((2,), 2.0))
    assert 2.0 < ema.value[0].item() < 4.0


def test_variance_stop_fires_after_patience():
    vs = stopping.VarianceStop(window=5, patience=20, warmup=0)
    g = torch.Generator().manual_seed(0)
    t = 0
    for t in range(30):  # converging: outputs settle, variance falls
        vs.update(torch.full((4,), 1.0) + torch.randn(4, generator=g) * 0.5 / (t + 1), t)
    assert not vs.should_stop(t)
    for t in range(30, 80):  # diverging: outputs wander, variance rises
        vs.update(torch.full((4,), 1.0) + torch.randn(4, generator=g) * 0.1 * (t - 29), t)
    assert vs.should_stop(t)


#: position of a fill that moves by 0.01 / (1 + k/20)**2 at step k: over a window of 50 steps it moves
#: about 0.5 / (1 + k/20)**2, which falls below 2e-3 near k = 300
_PATH = np.concatenate([[0.0], np.cumsum(0.01 / (1 + np.arange(3000) / 20) ** 2)])


def _settling(t, late=0):
    """A 1x1x4x4 image whose top half (the filled region) follows ``_PATH`` from iteration ``late`` on."""
    img = torch.zeros(1, 1, 4, 4)
    img[..., :2, :] = float(_PATH[max(0, t - late)])
    return img


def _region():
    region = torch.zeros(1, 1, 4, 4)
    region[..., :2, :] = 1
    return region


def test_change_stop_fires_once_the_filled_region_settles():
    cs = stopping.ChangeStop(_region(), window=50, patience=100, tol=2e-3, warmup=0)
    fired = next((t + 1 for t in range(3000) if cs.update(_settling(t), t) or cs.should_stop(t)), None)
    assert fired is not None and 300 <= fired <= 500, fired
    assert float(cs.change) < 2e-3


def test_change_stop_waits_while_the_fill_still_moves_and_ignores_the_rest():
    cs = stopping.ChangeStop(_region(), window=50, patience=100, tol=2e-3, warmup=300)
    late = 1000
    for t in range(late + 300):  # settled at the start, then the fill starts moving at `late`
        img = _settling(t, late=late)
        img[..., 2:, :] = 0.0 if t < late else float(t % 7) / 7  # outside the region: ignored
        cs.update(img, t)
        if t == late - 1:
            assert cs.should_stop(t)  # settled (the warm-up is the guard against an early plateau)
        if late + 50 <= t:  # once a window has seen it move, no stop while it moves more than tol
            assert not cs.should_stop(t), t
    with pytest.raises(ValueError, match="stop_tol"):
        stopping.ChangeStop(_region(), tol=0)


def test_backtracker_restores_weights_and_optimizer_and_lowers_lr():
    net = torch.nn.Linear(2, 1)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    bt = stopping.Backtracker()
    assert not bt.check(1.0, 0, net, opt)
    saved = {k: v.clone() for k, v in net.state_dict().items()}
    with torch.no_grad():
        net.weight.add_(10.0)
    assert bt.check(100.0, 10, net, opt)  # a jump: roll back
    assert all(torch.equal(saved[k], v) for k, v in net.state_dict().items())
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    assert bt.rollbacks == 1


@pytest.mark.parametrize("arch", ["skip", "unet", "resnet", "decoder"])
def test_networks_map_input_to_image(arch):
    net = build_network(arch, 8, 3, width=8) if arch != "skip" else build_network(
        arch, 8, 3, channels_down=8, channels_up=8, channels_skip=2, depth=3)
    side = 32
    z = torch.rand(1, 8, side // net.input_stride, side // net.input_stride)
    out = net(z)
    assert out.shape == (1, 3, side, side)
    assert 0 <= out.min().item() and out.max().item() <= 1


def test_skip_net_3d():
    net = build_network("skip", 4, 1, dims=3, channels_down=4, channels_up=4, channels_skip=1, depth=2)
    assert net(torch.rand(1, 4, 8, 16, 16)).shape == (1, 1, 8, 16, 16)


def test_codec_round_trip_exact_for_integers():
    img = np.array([[0, 1000], [40000, 65535]], np.uint16)
    codec = ImageCodec.fit(img)
    back = codec.decode(codec.encode(img))
    assert back.dtype == np.uint16 and np.array_equal(back, img)


def test_codec_rgba_keeps_alpha():
    img = np.zeros((4, 4, 4), np.uint8)
    img[..., 3] = 77
    img[..., 0] = 200
    with pytest.warns(UserWarning, match="RGBA"):
        codec = ImageCodec.fit(img, channel_axis=-1)
    assert codec.n_channels == 3
    back = codec.decode(codec.encode(img))
    assert back.shape == img.shape and np.all(back[..., 3] == 77)


def test_metrics_known_values():
    from napari_dip.metrics import coarse_psnr, masked_psnr, psnr, ssim

    a = np.zeros((16, 16), np.uint8)
    b = a.copy()
    b[0, 0] = 255
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / (255**2 / 256)))
    m = np.zeros((16, 16), bool)
    m[0, 0] = True
    assert masked_psnr(a, b, m) == pytest.approx(0.0)
    assert ssim(a.astype(float) + 1, a.astype(float) + 1, data_range=1) == pytest.approx(1.0)
    assert coarse_psnr(a, b) == pytest.approx(
        psnr(
            np.zeros((4, 4)),
            np.full((4, 4), 0.0) + np.eye(4)[:1].T @ np.eye(4)[:1] * 255 / 16,
            data_range=255,
        )
    )


def test_param_noise_really_perturbs_the_weights():
    """The original code's param_noise was a no-op; here the weights move by the noise."""
    from napari_dip.core.engine import fit

    def weights_after(param_noise_std):
        with torch.random.fork_rng(devices=[]):  # seeded here without touching the global generator
            torch.manual_seed(0)
            net = build_network("skip", 4, 1, channels_down=4, channels_up=4, channels_skip=1, depth=2)
            z = torch.rand(1, 4, 16, 16)
            target = torch.rand(1, 1, 16, 16)
        for _ in fit(net, z, lambda out, t: ((out - target) ** 2).mean(), iterations=2, lr=0.0,
                     param_noise_std=param_noise_std, preview_every=2, precision="fp32"):
            pass
        return torch.cat([p.detach().flatten() for p in net.parameters()])

    still, moved = weights_after(0.0), weights_after(0.01)
    delta = (moved - still).std().item()
    assert 0.005 < delta < 0.03  # two steps of N(0, 0.01) noise: std ~ 0.014


def test_surround_texture_reads_the_observed_ring_only():
    from napari_dip.core.engine.checks import surround_texture

    yy, xx = np.mgrid[:64, :64] / 63.0
    hole = np.zeros((64, 64), bool)
    hole[24:40, 24:40] = True
    ramp = (0.2 + 0.6 * xx)[None]
    noise = np.random.default_rng(0).random((1, 64, 64))
    assert surround_texture(ramp, hole, 8) < 0.05, "a smooth ramp has no fine-scale contrast"
    assert surround_texture(noise, hole, 8) > 0.8, "pixel noise is all fine-scale"
    assert surround_texture(np.full((1, 64, 64), 0.5), hole, 8) == 0.0, "a flat surround is smooth"
    scribbled = ramp.copy()
    scribbled[0, hole] = noise[0, hole]  # what is under the hole is not observed: it must not count
    assert surround_texture(scribbled, hole, 8) == pytest.approx(surround_texture(ramp, hole, 8))
    assert surround_texture(noise, np.zeros((64, 64), bool), 8) == 0.0
