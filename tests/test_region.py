"""Region arithmetic: a world rectangle to full-resolution pixel slices, clipped (no napari, no viewer)."""

import numpy as np
import pytest

from napari_dip.widgets._region import Region, RegionError, region_of

GRID = dict(scale=(0.5, 0.5), translate=(10.0, 20.0), shape=(256, 256))


def _world(pixel_edges_y, pixel_edges_x, scale=(0.5, 0.5), translate=(10.0, 20.0)):
    """World corners of a rectangle whose edges lie at the given (data) pixel coordinates."""
    ys = np.asarray(pixel_edges_y, float) * scale[0] + translate[0]
    xs = np.asarray(pixel_edges_x, float) * scale[1] + translate[1]
    return np.array([[ys[0], xs[0]], [ys[1], xs[1]]])


def test_a_rectangle_on_pixel_edges_gives_exactly_its_pixels():
    # pixel i covers [i - 0.5, i + 0.5]: edges at 31.5 and 95.5 hold pixels 32..95
    region = region_of(_world([31.5, 95.5], [63.5, 111.5]), **GRID)
    assert region == Region(offset=(32, 64), shape=(64, 48))
    assert region.slices == (slice(32, 96), slice(64, 112))
    assert region.as_dict() == {"offset": [32, 64], "shape": [64, 48]}


def test_a_partly_covered_pixel_is_taken_and_corner_order_does_not_matter():
    corners = _world([40.2, 10.1], [5.9, 20.0])  # bottom-right first
    region = region_of(corners, **GRID)
    assert region.offset == (10, 6) and region.shape == (31, 15)  # 10..40, 6..20


def test_all_four_vertices_are_accepted():
    two = _world([31.5, 95.5], [63.5, 111.5])
    four = np.array([two[0], [two[0][0], two[1][1]], two[1], [two[1][0], two[0][1]]])
    assert region_of(four, **GRID) == region_of(two, **GRID)


@pytest.mark.parametrize("edges_y, edges_x, offset, shape", [
    ([-50, 40.5], [-3, 300], (0, 0), (41, 256)),          # over the top-left and right edges
    ([200.5, 1000], [250.5, 260], (201, 251), (55, 5)),  # over the bottom-right corner
    ([-1e6, 1e6], [-1e6, 1e6], (0, 0), (256, 256)),       # around the whole image
])
def test_regions_are_clipped_to_the_image(edges_y, edges_x, offset, shape):
    region = region_of(_world(edges_y, edges_x), **GRID)
    assert region.offset == offset and region.shape == shape
    assert all(0 <= o and o + s <= 256 for o, s in zip(region.offset, region.shape, strict=False))


def test_a_rectangle_outside_the_image_is_refused():
    with pytest.raises(RegionError, match="outside the image"):
        region_of(_world([300, 400], [10, 20]), **GRID)
    with pytest.raises(RegionError, match="outside the image"):
        region_of(_world([-20, -0.6], [10, 20]), **GRID)  # ends before pixel 0's edge at -0.5


def test_an_empty_rectangle_is_refused():
    with pytest.raises(RegionError, match="empty"):
        region_of(_world([30, 30], [10, 20]), **GRID)
    with pytest.raises(RegionError):
        region_of(np.array([[1.0, 2.0]]), **GRID)  # one point


def test_scale_and_translate_per_axis():
    # Y pixels 2.0 wide from origin -4, X pixels 0.25 wide from origin 1: world rectangle [0, 9] x [1, 2]
    region = region_of(
        np.array([[0.0, 1.0], [9.0, 2.0]]), scale=(2.0, 0.25), translate=(-4.0, 1.0), shape=(10, 10)
    )
    # Y: data 2.0..6.5 -> pixels 2..6 (6 covers 5.5..6.5); X: data 0..4 -> pixels 0..4
    assert region.offset == (2, 0) and region.shape == (5, 5)
