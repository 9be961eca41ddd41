"""The ways of fitting: the weights (the default) or the input with frozen weights (``fit="input"``);
the fused Adam and the compiled network of the loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_dip import restore
from napari_dip.core.engine import loop
from napari_dip.core.engine.loop import fit
from napari_dip.core.engine.projector import freeze_weights, input_loss
from napari_dip.core.networks import build_network
from napari_dip.metrics import psnr
from napari_dip.sample_data import add_gaussian_noise, camera


def _net():
    torch.manual_seed(0)
    return build_network("skip", 3, 1, channels_down=8, channels_up=8, channels_skip=2, depth=1)


def test_the_input_mode_fits_the_input_and_batchnorm_and_leaves_the_convolutions_alone():
    net = freeze_weights(_net(), 3, 2)
    convs = {n: p.detach().clone() for n, p in net.named_parameters() if not p.requires_grad}
    norms = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}
    batchnorm = {f"{m}.{p}" for m, mod in net.named_modules() if isinstance(mod, torch.nn.BatchNorm2d)
                 for p, _ in mod.named_parameters(recurse=False)}
    assert convs and set(norms) == batchnorm
    z = (torch.rand(1, 3, 32, 32) * 0.1).requires_grad_()
    z0 = z.detach().clone()
    target = torch.rand(1, 1, 32, 32)
    for _ in fit(net, z, lambda out, t: ((out - target) ** 2).mean(), iterations=5, lr=0.1,
                 precision="fp32"):
        pass
    params = dict(net.named_parameters())
    assert all(torch.equal(params[n], v) for n, v in convs.items())
    assert any(not torch.equal(params[n], v) for n, v in norms.items())
    assert not torch.equal(z.detach(), z0)  # the same leaf, updated in place


def test_input_loss_is_sqrt_of_the_data_term_plus_tv():
    out = torch.rand(1, 1, 8, 8)
    data = lambda o, t: torch.tensor(0.04)  # noqa: E731
    loss = input_loss(data, 0.0)
    assert float(loss(out, 0)) == pytest.approx(0.2)
    assert float(input_loss(data, 1.0)(out, 0)) > 0.2
    assert loss.tv_weight == 0.0 and input_loss(data).tv_weight == pytest.approx(0.45)


def test_restore_with_fit_input_denoises_and_records_its_settings():
    clean = camera(64).astype(np.float32) / 255
    noisy = add_gaussian_noise(camera(64), 25, seed=0).astype(np.float32) / 255
    res = restore(noisy, "denoise", fit="input", iterations=120, early_stop=False, seed=0)
    assert res.config["fit"] == "input"
    assert res.config["network"]["depth"] == 1 and res.config["lr"] == pytest.approx(0.1)
    assert res.config["ema"] == pytest.approx(0.9) and res.config["tv_weight"] == pytest.approx(0.45)
    assert psnr(clean, res.image, data_range=1.0) > psnr(clean, noisy, data_range=1.0) + 3


def test_input_mode_defaults_give_way_to_the_users_options():
    noisy = add_gaussian_noise(camera(64), 25, seed=0).astype(np.float32) / 255
    res = restore(noisy, "denoise", fit="input", iterations=3, depth=3, lr=0.05, ema=0.5, tv_weight=0.1,
                  early_stop=False)
    cfg = res.config
    assert (cfg["network"]["depth"], cfg["lr"], cfg["ema"], cfg["tv_weight"]) == (3, 0.05, 0.5, 0.1)
    assert cfg["iterations_run"] == 3


def test_an_unknown_fit_mode_is_a_value_error():
    with pytest.raises(ValueError, match="fit"):
        restore(np.zeros((32, 32), np.float32), "denoise", fit="weight")


def test_adam_is_the_fused_kernel_on_the_cpu():
    optimizer = loop._adam([torch.nn.Parameter(torch.zeros(3))], 0.01, None)
    assert optimizer.defaults["fused"] is True


def test_a_network_that_does_not_compile_runs_eagerly_with_a_warning(monkeypatch):
    def broken(x):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", lambda net: broken)
    net = torch.nn.Conv2d(1, 1, 1)
    compiled = loop._Compiled(net)
    x = torch.ones(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="uncompiled"):
        out = compiled(x)
    assert torch.equal(out, net(x))
