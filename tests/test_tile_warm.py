"""Issue 36: tiles that start from their fitted neighbour (``tile_start="warm"``).

Tiny fits (width 8, a few iterations) on a 64 x 64 image in 9 tiles of 32 px (overlap 8: starts 0, 16, 32).
"""

import numpy as np
import pytest
import torch

from napari_dip import restore
from napari_dip.batch.tiles import plan_tiles
from napari_dip.core.engine import driver
from napari_dip.core.engine.inputs import PlaneInput, make_input
from napari_dip.core.tiling.runner import prepare_tiles

TILED = {"iterations": 12, "width": 8, "seed": 3, "tile": 32, "tile_overlap": 8, "early_stop": False}


def _noisy(shape=(64, 64), seed=0):
    y, x = np.mgrid[: shape[-2], : shape[-1]]
    base = np.broadcast_to((np.sin(x / 6) + np.cos(y / 9) + 2) / 4, shape)
    return np.clip(base + np.random.default_rng(seed).normal(0, 0.08, shape), 0, 1).astype(np.float32)


def _tile_losses(result, tile: int) -> list[float]:
    return [r["loss"] for r in result.history if r["tile"] == tile]


def test_warm_tiles_are_deterministic(one_thread):
    a = restore(_noisy(), "denoise", tile_start="warm", **TILED)
    b = restore(_noisy(), "denoise", tile_start="warm", **TILED)
    np.testing.assert_array_equal(a.image, b.image)
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]


def test_the_first_warm_tile_is_its_cold_fit(one_thread):
    cold = restore(_noisy(), "denoise", **TILED)
    warm = restore(_noisy(), "denoise", tile_start="warm", **TILED)
    assert _tile_losses(warm, 1) == _tile_losses(cold, 1)
    # pixels only the first tile covers (the second starts at 16 on both axes) come from its fit alone
    np.testing.assert_array_equal(warm.image[:16, :16], cold.image[:16, :16])
    assert _tile_losses(warm, 2) != _tile_losses(cold, 2)
    # the second tile starts from the first's fit: its first loss is below a fresh network's
    assert _tile_losses(warm, 2)[0] < _tile_losses(cold, 2)[0]


def test_a_warm_tile_starts_from_the_tile_before(one_thread, monkeypatch):
    """Each tile's network at its start, and after its fit: a warm tile starts where the tile before ended
    (with its Adam state); cold tiles all start from the same fresh network."""
    seen: dict[str, list] = {"start": [], "end": [], "adam": [], "z": []}
    real = driver.start_fit

    def spy(job, part, iterations, warm=None, **kw):
        plan, history, gen = real(job, part, iterations, warm, **kw)
        weights = lambda: {k: v.detach().clone() for k, v in plan.net.state_dict().items()}  # noqa: E731
        seen["start"].append(weights())
        seen["adam"].append(plan.fit_kwargs.get("optimizer_state") is not None)
        seen["z"].append(plan.z.detach().clone())

        def run():
            yield from gen
            seen["end"].append(weights())

        return plan, history, run()

    monkeypatch.setattr(driver, "start_fit", spy)

    def same(a, b):
        return all(torch.equal(a[k], b[k]) for k in a)

    restore(_noisy(), "denoise", tile_start="warm", **TILED)
    start, end = seen["start"], seen["end"]
    assert len(start) == len(end) == 9
    assert seen["adam"] == [False] + [True] * 8
    for k in range(1, 9):
        assert same(start[k], end[k - 1])
        assert not same(start[k], start[0])
    # one input for the plane: tile 2 (x from 16) sees tile 1's input (its grid padded to the network's
    # size: x 0 to w) where they overlap
    z, w = seen["z"], seen["z"][0].shape[-1]
    assert torch.equal(z[1][..., :w - 16], z[0][..., 16:])
    seen.update(start=[], end=[], adam=[], z=[])
    restore(_noisy(), "denoise", **TILED)
    assert seen["adam"] == [False] * 9
    assert not torch.equal(seen["z"][1][..., :w - 16], seen["z"][0][..., 16:])  # cold: each its own
    assert all(same(s, seen["start"][0]) for s in seen["start"])


def test_the_config_records_each_tile(one_thread):
    res = restore(_noisy(), "denoise", tile_start="warm", warm_iterations=4, **TILED)
    assert res.config["tiles"] == {"tile": 32, "overlap": 8, "count": 9, "start": "warm"}
    tiles = res.config["planes"][0]["tiles"]
    assert [t["warm"] for t in tiles] == [False] + [True] * 8
    assert [t["iterations"] for t in tiles] == [12] + [4] * 8
    assert [t["iterations_run"] for t in tiles] == [12] + [4] * 8  # no automatic stop here: the caps
    assert tiles[1]["box"] == [0, 32, 16, 48]
    assert res.config["iterations_run"] == 12 + 8 * 4
    assert all(t["reason"] == "iterations" for t in tiles)
    cold = restore(_noisy(), "denoise", **TILED)
    assert "start" not in cold.config["tiles"] and "tiles" not in cold.config["planes"][0]


def test_the_automatic_stop_ends_warm_tiles():
    res = restore(_noisy(), "denoise", tile_start="warm", **{**TILED, "early_stop": True, "window": 5,
                                                              "patience": 5, "iterations": 60})
    tiles = res.config["planes"][0]["tiles"]
    assert all(t["iterations_run"] <= t["iterations"] for t in tiles)
    assert all(t["stopped_at"] <= t["iterations_run"] for t in tiles)
    assert tiles[1]["iterations"] == 20  # warm_iterations None: a third of the iterations, as for planes


@pytest.mark.parametrize("options", [{"fit": "input"}, {"restarts": 2}, {"input": "meshgrid"}],
                         ids=["fit-input", "restarts", "meshgrid"])
def test_warm_tiles_with_other_fits(one_thread, options):
    res = restore(_noisy((48, 48)), "denoise", tile_start="warm", **{**TILED, "iterations": 4, **options})
    assert np.isfinite(res.image).all()
    assert [t["warm"] for t in res.config["planes"][0]["tiles"]] == [False, True, True, True]


def test_each_plane_of_a_stack_starts_its_own_chain(one_thread):
    res = restore(_noisy((2, 48, 48)), "denoise", tile_start="warm", warm_start=True,
                  **{**TILED, "iterations": 4})
    for plane in res.config["planes"]:
        assert [t["warm"] for t in plane["tiles"]] == [False, True, True, True]
        assert plane["warm_start"] is False  # plane warm start is for untiled planes, as before


def test_windows_stay_cold(one_thread):
    mask = np.zeros((96, 96), bool)
    mask[10:16, 12:18] = mask[70:75, 60:66] = True
    res = restore(_noisy((96, 96)), "inpaint", mask=mask, extent="windows", tile_start="warm",
                  iterations=4, width=8)
    assert res.config["tiles"] is None
    assert "tiles" not in res.config["planes"][0] and res.config["planes"][0]["windows"]


def test_the_plane_input_is_one_input_cropped():
    """The crop at the origin is a cold fit's input; two crops agree where they overlap."""
    for kind, channels in (("noise", 5), ("meshgrid", 2)):
        source = PlaneInput(kind, [3, 3 + 7919])
        first = source.crop((0, 0), channels, (32, 32))
        cold = torch.cat([make_input(kind, channels, (32, 32), generator=torch.Generator().manual_seed(s))
                          for s in (3, 3 + 7919)])
        assert torch.equal(first, cold)
        right, below = source.crop((0, 24), channels, (32, 32)), source.crop((40, 16), channels, (32, 32))
        assert torch.equal(right[..., :8], first[..., 24:])
        assert torch.equal(below[..., :, 8:], source.crop((40, 24), channels, (32, 32))[..., :, :24])
        assert not torch.equal(right, first)


def test_warm_tiles_cannot_run_apart():
    with pytest.raises(ValueError, match="tile_start='warm'"):
        prepare_tiles(_noisy(), "denoise", tile=32, tile_overlap=8, tile_start="warm")
    with pytest.raises(ValueError, match="tile_start='warm'"):  # batch --tile: refused when planned
        plan_tiles(None, (64, 64), "YX", {"tile": 32, "tile_overlap": 8, "tile_start": "warm"}, "denoise")
    with pytest.raises(ValueError, match="tile_start must be one of"):
        restore(_noisy(), "denoise", tile_start="hot", iterations=2)
