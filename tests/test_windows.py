"""Fits that follow the damage (extent="windows") and the run estimate's two numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from napari_dip import estimate_memory, estimate_run, restore
from napari_dip.core import stop_counts
from napari_dip.core.engine import driver
from napari_dip.core.engine.driver import run
from napari_dip.core.engine.windows import AUTO_SHARE, window_boxes
from napari_dip.core.restore import prepare_job

FAST = dict(iterations=4, width=8, preview_every=2)


def _image(shape=(160, 192), seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img = 0.5 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 9.0) + 0.05 * rng.standard_normal(shape)
    return np.clip(img, 0, 1).astype(np.float32)


def _mask(shape, *holes):
    m = np.zeros(shape, bool)
    for y0, y1, x0, x1 in holes:
        m[y0:y1, x0:x1] = True
    return m


def _windows(result):
    return [w["box"] for w in result.config["planes"][0]["windows"]]


def test_boxes_grow_by_the_margin_clip_at_the_border_and_keep_the_network_side():
    missing = _mask((200, 300), (0, 3, 5, 9))  # at the top border
    (box,) = window_boxes(missing, margin=20, min_side=64)
    y0, y1, x0, x1 = box
    assert y0 == 0 and x0 == 0  # clipped to the image, then grown inside it
    assert y1 - y0 >= 64 and x1 - x0 >= 64
    assert y1 >= 3 + 20 and x1 >= 9 + 20


def test_boxes_that_overlap_or_nearly_touch_merge_and_far_ones_do_not():
    shape = (300, 400)
    near = window_boxes(_mask(shape, (100, 104, 100, 104), (100, 104, 150, 154)), margin=20, min_side=32)
    assert len(near) == 1 and near[0][2] <= 80 and near[0][3] >= 174  # 6 px apart: one box around both
    far = window_boxes(_mask(shape, (20, 24, 20, 24), (250, 254, 350, 354)), margin=20, min_side=32)
    assert len(far) == 2
    for a in far:  # merged windows never overlap: each pixel has one owner
        for b in far:
            if a != b:
                assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]


def test_known_pixels_are_the_input_bit_for_bit_and_the_holes_change():
    img = (_image() * 60000).astype(np.uint16)
    mask = _mask(img.shape, (20, 26, 30, 36), (120, 126, 150, 158))
    r = restore(img, "inpaint", mask=mask, **FAST)
    assert r.config["extent"] == "windows" and len(_windows(r)) == 2
    assert r.image.dtype == img.dtype and np.array_equal(r.image[~mask], img[~mask])
    assert not np.array_equal(r.image[mask], img[mask])


def test_a_hole_at_the_image_border():
    img = _image()
    mask = _mask(img.shape, (0, 5, 186, 192))  # the top-right corner
    r = restore(img, "inpaint", mask=mask, **FAST)
    (box,) = _windows(r)
    assert box[0] == 0 and box[3] == img.shape[1]
    assert np.array_equal(r.image[~mask], img[~mask]) and np.isfinite(r.image).all()


def test_two_holes_whose_windows_overlap_are_one_fit():
    img = _image()
    mask = _mask(img.shape, (60, 64, 60, 64), (60, 64, 100, 104))  # 36 px apart, margins of 32 px
    r = restore(img, "inpaint", mask=mask, **FAST)
    (box,) = _windows(r)
    assert box[2] <= 60 - 32 and box[3] >= 104 + 32
    assert r.config["planes"][0]["iterations_run"] == FAST["iterations"]  # one fit


def test_the_fit_never_reads_pixels_outside_its_windows(monkeypatch):
    img = _image()
    mask = _mask(img.shape, (20, 26, 30, 36), (120, 126, 150, 158))
    seen = []
    real = driver.plan_fit

    def recording(job, part, **kw):
        seen.append(part.x.shape[-2:])
        return real(job, part, **kw)

    monkeypatch.setattr(driver, "plan_fit", recording)
    first = restore(img, "inpaint", mask=mask, **FAST)
    boxes = _windows(first)
    assert seen == [(b[1] - b[0], b[3] - b[2]) for b in boxes]  # each fit was given its window alone
    inside = np.zeros(img.shape, bool)
    for y0, y1, x0, x1 in boxes:
        inside[y0:y1, x0:x1] = True
    lo, hi = img[inside].min(), img[inside].max()  # the value range is set inside the windows
    same = img.copy()
    same[~inside] = np.clip(img[~inside], lo, hi)
    other = same.copy()  # new pixels everywhere outside the windows, in the same range
    other[~inside] = np.random.default_rng(5).uniform(lo, hi, int((~inside).sum())).astype(np.float32)
    a = restore(same, "inpaint", mask=mask, **FAST)
    b = restore(other, "inpaint", mask=mask, **FAST)
    assert np.array_equal(a.image[mask], b.image[mask])


def test_whole_is_the_one_fit_of_before():
    img = _image()
    mask = _mask(img.shape, (20, 26, 30, 36))
    whole = restore(img, "inpaint", mask=mask, extent="whole", **FAST)
    assert whole.config["extent"] == "whole" and "windows" not in whole.config["planes"][0]
    job = prepare_job(img, "inpaint", mask=mask, **FAST)
    assert job.windows is not None
    final = None
    for snap in run(dataclasses.replace(job, windows=None)):  # the driver's one fit of the whole plane
        final = snap
    assert np.array_equal(whole.image, final.result.image)


def test_auto_fits_the_whole_image_when_the_windows_would_cover_most_of_it():
    img = _image((96, 96))
    mask = _mask(img.shape, (40, 44, 40, 44))  # a 32-px margin: windows of 72 x 72 > half the image
    assert restore(img, "inpaint", mask=mask, **FAST).config["extent"] == "whole"
    assert 72 * 72 / 96**2 >= AUTO_SHARE
    assert restore(img, "inpaint", mask=mask, extent="windows", **FAST).config["extent"] == "windows"


def test_extent_is_checked():
    img = _image((64, 64))
    with pytest.raises(ValueError, match="extent"):
        restore(img, "inpaint", mask=_mask(img.shape, (1, 3, 1, 3)), extent="tiles", **FAST)
    with pytest.raises(ValueError, match="extent='windows'"):
        restore(img, "denoise", extent="windows", **FAST)


def test_the_estimate_counts_the_windows_pixels_and_gives_both_numbers():
    img = _image((256, 256))
    mask = _mask(img.shape, (20, 26, 30, 36), (200, 206, 200, 208))
    windows = estimate_run(img, "inpaint", mask=mask, width=8)
    whole = estimate_run(img, "inpaint", mask=mask, width=8, extent="whole")
    assert windows.extent == "windows" and windows.fits == 2 and whole.fits == 1 and whole.work == 1.0
    assert 1.0 <= windows.work <= 2.0  # two windows, measured on the larger one
    typical = stop_counts.typical_stop(windows_preset := "inpaint", 100)
    assert windows.typical_iterations == typical and windows_preset in stop_counts.STOP_ITERATIONS
    for est in (windows, whole):
        assert 0 < est.expected_seconds < est.seconds
        assert est.expected_iterations == min(est.typical_iterations, est.iterations)
        text = est.text()
        assert text.startswith("about") and "expected about" in text and "at most" in text
        assert f"typically {est.expected_iterations} iterations" in text and "6000 its" in text
    assert "x 2 windows" in windows.text()


def test_the_estimate_without_the_stop_is_the_cap():
    est = estimate_run(_image((64, 64)), "denoise", width=8, early_stop=False, iterations=50)
    assert est.typical_iterations is None and est.expected_seconds == est.seconds
    assert "expected" not in est.text() and "automatic stop off" in est.text()


def test_a_tiled_estimate_gives_the_memory_of_one_tile_not_of_the_whole_image():
    """Tiles are fitted one at a time, so the memory line is one tile's (it said the whole image's: about
    19.5 GiB for a 2048² denoise split into 81 tiles)."""
    img = _image((256, 256))
    whole = estimate_memory(img.shape, "denoise", width=8)
    est = estimate_run(img, "denoise", width=8, iterations=5, tile=64)
    one = estimate_memory((64 + 2 * 32,) * 2, "denoise", width=8)  # a tile and its overlap (32) on each side
    assert est.extent == "tiles" and est.fits > 1
    assert est.memory <= one < whole
    assert "GiB per tile on" in est.text() and f"x {est.fits} tiles" in est.text()


def test_the_stop_table_gives_the_median_at_the_nearest_measured_size():
    assert stop_counts.typical_stop("reconstruct", 90) == 500  # 96 px: 450/500/500/450/500
    assert stop_counts.typical_stop("reconstruct", 2048) == 475  # beyond: the largest measured (256 px)
    assert stop_counts.typical_stop("no such preset", 96) is None
    for rows in stop_counts.STOP_ITERATIONS.values():
        assert all(size > 0 and counts and all(c > 0 for c in counts) for size, counts, _ in rows)


def test_tiles_as_separate_fits_cover_the_whole_image():
    from napari_dip.core.tiling.runner import prepare_tiles

    img = _image()
    mask = _mask(img.shape, (20, 26, 30, 36))
    assert prepare_tiles(img, "inpaint", mask=mask, tile=96, **FAST).windows is None
    with pytest.raises(ValueError, match="extent='windows'"):
        prepare_tiles(img, "inpaint", mask=mask, tile=96, extent="windows", **FAST)
