"""Restarts: ``k`` independent fits run side by side in one network, their outputs averaged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_dip import estimate_memory, restore
from napari_dip.core.engine import restarts
from napari_dip.core.engine.restarts import SEED_STEP, combine, per_restart
from napari_dip.core.networks import build_network
from napari_dip.metrics import psnr
from napari_dip.sample_data import add_gaussian_noise, camera

# fp32, no input noise, the raw output: the only things a restart shares with a lone fit are its seeds
EXACT = dict(precision="fp32", reg_noise_std=0.0, output="last", early_stop=False, tv_weight=0.0)


def _noisy(size=48):
    clean = camera(size).astype(np.float32) / 255
    return clean, add_gaussian_noise(camera(size), 25, seed=0).astype(np.float32) / 255


def _nets(k):
    nets = []
    for seed in range(k):
        torch.manual_seed(seed)
        nets.append(build_network("skip", 3, 1, channels_down=8, channels_up=8, channels_skip=2, depth=2))
    return nets


def test_restarts_are_independent_fits_averaged():
    _, noisy = _noisy()
    both = restore(noisy, "denoise", iterations=15, restarts=2, seed=3, **EXACT)
    first = restore(noisy, "denoise", iterations=15, seed=3, **EXACT)
    second = restore(noisy, "denoise", iterations=15, seed=3 + SEED_STEP, **EXACT)
    np.testing.assert_allclose(both.image, (first.image + second.image) / 2, atol=1e-6)
    assert np.abs(first.image - second.image).max() > 1e-2  # two different fits, not one counted twice
    assert both.config["restarts"] == 2


def test_restarts_denoise_and_are_deterministic_for_a_seed():
    clean, noisy = _noisy()
    a = restore(noisy, "denoise", iterations=150, restarts=2, early_stop=False, seed=0)
    b = restore(noisy, "denoise", iterations=150, restarts=2, early_stop=False, seed=0)
    assert psnr(clean, a.image, data_range=1.0) > psnr(clean, noisy, data_range=1.0) + 2
    np.testing.assert_array_equal(a.image, b.image)


def test_the_batched_and_the_in_turn_networks_compute_the_same():
    x = torch.rand(3, 3, 32, 32)
    target = torch.rand(1, 1, 32, 32)
    outs, grads = [], []
    for batched in (False, True):
        net = combine(_nets(3), batched=batched)
        loss = per_restart(lambda out, t: ((out - target) ** 2).mean(), 3)
        out = net(x)
        loss(out, 0).backward()
        outs.append(out.detach())
        grads.append(sorted(float(p.grad.abs().sum()) for p in net.parameters()))
    assert outs[0].shape == (3, 1, 32, 32)
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-4, atol=1e-5)
    assert sum(grads[0]) == pytest.approx(sum(grads[1]), rel=1e-4)


def test_restore_gives_the_same_image_with_the_restarts_batched(monkeypatch):
    _, noisy = _noisy(64)
    # depth 3: a level of 1 px (depth 5 on a small image) has BatchNorm divide by ~sqrt(eps), and the two
    # ways' rounding differences then grow within a few steps into different, equally good, fits
    small = dict(iterations=3, restarts=2, seed=1, width=8, depth=3, **EXACT)
    in_turn = restore(noisy, "denoise", **small)
    monkeypatch.setattr(restarts, "batched_for", lambda device: True)
    batched = restore(noisy, "denoise", **small)
    np.testing.assert_allclose(batched.image, in_turn.image, atol=1e-3)  # a mix-up: > 0.05


def test_each_restart_goes_through_its_own_network():
    nets = _nets(2)
    x = torch.rand(2, 3, 16, 16)
    for net in nets:
        net.train()
    expected = torch.cat([nets[0](x[:1]), nets[1](x[1:])]).detach()
    combined = combine(_nets(2), batched=True)
    torch.testing.assert_close(combined(x).detach(), expected, rtol=1e-4, atol=1e-5)


def test_memory_grows_with_the_restarts():
    one = estimate_memory((256, 256), "denoise")
    assert estimate_memory((256, 256), "denoise", restarts=3) == 3 * one


@pytest.mark.parametrize("options, match", [
    (dict(restarts=0), "restarts"),
    (dict(restarts=1.5), "restarts"),
    (dict(restarts=None), "restarts"),
    (dict(restarts="two"), "restarts"),
    (dict(restarts=2, denoiser_weight=0.1, denoiser="nlm"), "denoiser_weight"),
])
def test_bad_restarts_are_a_value_error(options, match):
    with pytest.raises(ValueError, match=match):
        restore(np.zeros((32, 32), np.float32), "denoise", iterations=1, **options)
