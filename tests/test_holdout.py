"""The holdout stop: observed pixels held out of the fit estimate its quality without a clean image."""

import numpy as np
import pytest
import torch

from napari_dip import Settings, restore
from napari_dip.core.engine.holdout import HoldoutStop, choose_holdout, fill_held_out, plateaued
from napari_dip.core.engine.job import prepare
from napari_dip.core.engine.plan import plan_fit
from napari_dip.core.tasks import load as get_task
from napari_dip.sample_data import text_mask


def test_holdout_takes_a_reproducible_share_of_the_observed_pixels_only():
    known = np.ones((100, 100), np.float32)
    known[:, :50] = 0
    hold = choose_holdout(known, 0.1, seed=3)
    assert hold.shape == known.shape and not hold[:, :50].any()
    assert 0.08 < hold[:, 50:].mean() < 0.12
    assert np.array_equal(hold, choose_holdout(known, 0.1, seed=3))
    assert not np.array_equal(hold, choose_holdout(known, 0.1, seed=4))
    assert choose_holdout(known, 0.0, seed=3) is None
    for bad in (0.5, -0.1):
        with pytest.raises(ValueError, match="holdout"):
            choose_holdout(known, bad, seed=3)


def _neighboured(hold):
    """Share of held-out pixels with a held-out 4-neighbour."""
    n = np.zeros_like(hold)
    n[1:] |= hold[:-1]
    n[:-1] |= hold[1:]
    n[:, 1:] |= hold[:, :-1]
    n[:, :-1] |= hold[:, 1:]
    return (hold & n).sum() / hold.sum()


def test_holdout_shaped_like_the_damage_is_strokes_on_observed_pixels():
    damage = text_mask((128, 128)).astype(bool)
    known = (~damage).astype(np.float32)
    shaped = choose_holdout(known, 0.02, seed=0, like=damage)
    scattered = choose_holdout(known, 0.02, seed=0)
    assert not (shaped & damage).any()
    assert 0.01 < shaped.sum() / known.sum() < 0.04
    assert _neighboured(shaped) > 0.8 > 0.2 > _neighboured(scattered)  # strokes, not single pixels


def test_held_out_values_are_replaced_by_their_observed_neighbours():
    y = np.full((2, 20, 20), 0.25, np.float32)
    y[1] = 0.75
    hold = np.zeros((20, 20), bool)
    hold[5, 5] = hold[10, 12] = True
    y[:, hold] = 1.0  # a value only the held-out pixels have: it must not survive
    train = (~hold).astype(np.float32)
    out = fill_held_out(y, train, hold)
    np.testing.assert_allclose(out[:, hold], [[0.25, 0.25], [0.75, 0.75]])
    np.testing.assert_array_equal(out[:, ~hold], y[:, ~hold])


def test_plateau_rule_waits_for_the_warmup_and_for_the_rise_to_end():
    rising = [(n, 20 + n / 100) for n in range(10, 2001, 10)]  # 0.1 dB per 10 its... 1 dB per 100
    assert not any(plateaued(rising[:k], rising[k - 1][0], patience=200, min_gain=0.05, warmup=100)
                   for k in range(1, len(rising) + 1))
    flat = [(n, 30.0 + (0.01 if n > 50 else 0)) for n in range(10, 1001, 10)]
    fired = next(n for k, (n, _) in enumerate(flat, 1) if plateaued(flat[:k], n, patience=200, min_gain=0.05,
                                                                      warmup=300))
    assert fired == 300  # flat from the start: fires as soon as the warm-up allows
    late = [(n, 30.0 if n < 500 else 30.0 + (n - 500) / 50) for n in range(10, 1001, 10)]
    fires = [
        n
        for k, (n, _) in enumerate(late, 1)
        if plateaued(late[:k], n, patience=200, min_gain=0.05, warmup=100)
    ]
    assert fires and all(n < 520 for n in fires)  # flat until 500: may fire there, never once it rises


def test_holdout_stop_returns_the_image_of_its_best_estimate():
    y = torch.zeros(1, 1, 4, 4)
    hold = torch.zeros(1, 1, 4, 4)
    hold[..., 0, 0] = 1
    stop = HoldoutStop(lambda x: x, y, hold, every=1, patience=3, min_gain=0.1, warmup=0)
    errors = [0.5, 0.1, 0.2, 0.3, 0.3, 0.3]  # best at the 2nd image, then worse
    for t, e in enumerate(errors):
        stop.update(torch.full((1, 1, 4, 4), e), t)
        if t < 3:
            assert not stop.should_stop(t)
    assert stop.should_stop(len(errors) - 1)
    assert int(stop.best_iter) == 1 and float(stop.selected[0, 0, 0, 0]) == pytest.approx(0.1)
    assert stop.metrics()["holdout_psnr"] == pytest.approx(-10 * np.log10(0.09), rel=1e-4)


def test_the_fit_never_sees_the_held_out_pixels(clean64):
    """Neither the loss weight nor the classical estimate fed as input carries a held-out value."""
    mask = text_mask(clean64.shape)
    image = np.where(mask.astype(bool), 0, clean64).astype(np.uint8)
    settings = Settings.from_options(dict(holdout=0.1, width=8))
    job = prepare(image, get_task("inpaint"), settings, mask=mask, inputs={}, channel_axis=None,
                  iterations=5, seed=0, device="cpu")
    data = job.data(())
    data.x[:] = 0.5
    hold = plan_fit(job, data, iterations=5).fit_kwargs["early_stop"].holdout[0, 0].numpy() > 0
    data.x[0][hold[:64, :64]] = 1.0  # only the held-out pixels are bright (the same seed holds out the same)
    plan = plan_fit(job, data, iterations=5)
    stop = plan.fit_kwargs["early_stop"]
    assert isinstance(stop, HoldoutStop) and plan.config["holdout"] == 0.1 and plan.config["fill_input"]
    assert (
        np.array_equal(stop.holdout[0, 0].numpy() > 0, hold) and hold[:64, :64][mask.astype(bool)].sum() == 0
    )
    assert float(plan.z[:, 0].max()) <= 0.5 + 1e-6  # the biharmonic input channel: no bright pixel
    out = plan.loss_fn(torch.full((1, 1, 64, 64), 0.5), 0)
    assert float(out) == pytest.approx(0.0, abs=1e-7)  # the loss weighs no held-out pixel


def test_restore_with_holdout_keeps_the_held_out_pixels_and_records_the_estimate(clean64, one_thread):
    mask = text_mask(clean64.shape)
    image = np.where(mask.astype(bool), 0, clean64).astype(np.uint8)
    result = restore(image, "inpaint", mask=mask, holdout=0.05, width=8, iterations=60, seed=0)
    observed = ~mask.astype(bool)
    np.testing.assert_array_equal(
        result.image[observed], image[observed]
    )  # held-out pixels come back exactly
    assert result.config["holdout"] == 0.05 and result.config["stop_gain"] == Settings().stop_gain
    estimates = [row["holdout_psnr"] for row in result.history if "holdout_psnr" in row]
    assert len(estimates) == 6 and estimates[-1] > estimates[0]
    assert (
        restore(image, "denoise", iterations=2, width=8, holdout=0.05).config["holdout"] == 0.0
    )  # its stop: none
    with pytest.raises(ValueError, match="holdout"):
        restore(image, "inpaint", mask=mask, holdout=0.6, width=8, iterations=2)


def test_holdout_like_and_stop_gain_options_reach_the_fit(clean64):
    """``holdout_like`` picks strokes or scattered pixels in the fit itself; a negative ``stop_gain`` is
    refused."""
    mask = text_mask(clean64.shape)
    image = np.where(mask.astype(bool), 0, clean64).astype(np.uint8)

    def held(like):
        settings = Settings.from_options(dict(holdout=0.05, holdout_like=like, width=8))
        job = prepare(image, get_task("inpaint"), settings, mask=mask, inputs={}, channel_axis=None,
                      iterations=5, seed=0, device="cpu")
        return plan_fit(job, job.data(()), iterations=5).fit_kwargs["early_stop"].holdout[0, 0].numpy() > 0

    assert _neighboured(held("damage")) > 0.8 > 0.3 > _neighboured(held("pixels"))
    with pytest.raises(ValueError, match="holdout_like"):
        restore(image, "inpaint", mask=mask, holdout=0.05, holdout_like="blocks", iterations=2)
    with pytest.raises(ValueError, match="stop_gain"):
        restore(image, "inpaint", mask=mask, holdout=0.05, stop_gain=-0.1, width=8, iterations=2)
