"""The mask in one form (napari's Labels convention, non-zero = missing), one function per step."""

from __future__ import annotations

import numpy as np
import pytest

from napari_dip.batch.inputs import check_mask_shape
from napari_dip.batch.work import _nothing_missing
from napari_dip.core.mask import mask_fits, mask_plane, missing_pixels, stack_mask


def test_missing_pixels_is_non_zero_of_any_label():
    labels = np.array([[0, 1], [2, 0]], np.uint8)
    out = missing_pixels(labels)
    assert out.dtype == bool
    np.testing.assert_array_equal(out, [[False, True], [True, False]])
    np.testing.assert_array_equal(missing_pixels(labels.astype(bool)), out)
    np.testing.assert_array_equal(missing_pixels(labels.astype(float)), out)


def test_missing_pixels_refuses_a_text_mask():
    with pytest.raises(ValueError, match="dtype"):
        missing_pixels(np.array([["a", "b"]]))


def test_mask_plane_indexes_a_stack_mask_and_keeps_a_plane_mask():
    stack = np.zeros((2, 3, 4, 5), np.uint8)
    stack[1, 2, 0, 0] = 7
    assert mask_plane(stack, (1, 2), 2)[0, 0] == 7
    assert not mask_plane(stack, (0, 2), 2).any()
    assert mask_plane(stack[1], (0, 2), 2)[0, 0] == 7  # one extra axis: the last index
    plane = stack[1, 2]
    assert mask_plane(plane, (0, 1), 2) is plane  # a 2D mask applies to every plane
    assert mask_plane(stack, (1,), 2) is stack  # more extra axes than indices: whole, for the shape check


@pytest.mark.parametrize("mask_shape", [(4, 5), (3, 4, 5), (2, 3, 4, 5), (5, 4), (4,), (9, 3, 4, 5), (3, 5)])
def test_one_shape_rule_for_restore_and_batch(mask_shape):
    """restore's check (stack_mask) and batch's (check_mask_shape) accept the same masks."""
    space = (2, 3, 4, 5)
    mask = np.zeros(mask_shape, np.uint8)
    try:
        stack_mask(mask, space)
        restore_ok = True
    except ValueError:
        restore_ok = False
    assert restore_ok == mask_fits(mask_shape, space)
    assert (check_mask_shape(space, "TZYX", mask_shape) is None) == restore_ok


def test_batch_skips_a_plane_exactly_when_its_mask_is_empty():
    mask = np.zeros((3, 4, 5), np.uint8)
    mask[1, 2, 2] = 1
    for t in range(3):
        assert _nothing_missing(mask, (t,), None) == (not mask_plane(mask, (t,), 2).any())
    assert not _nothing_missing(mask[1], (0,), None)  # a 2D mask is never skipped per plane
