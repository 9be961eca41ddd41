"""The Restore dock's region: a Shapes rectangle or the current view, restored at full resolution, in
place."""

from types import SimpleNamespace

import numpy as np
import pytest

from napari_dip.widgets._layers import plane_of
from napari_dip.widgets._region import Region

pytestmark = pytest.mark.gui

SCALE, TRANSLATE = (0.5, 0.5), (10.0, 20.0)


@pytest.fixture
def widget_and_viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.show_advanced.value = True
    widget.net_width.value = 16
    widget.iterations.value = 5
    widget.early_stop.value = False
    return widget, viewer


@pytest.fixture
def recorded(monkeypatch):
    """What the widget hands to iter_restore."""
    import napari_dip

    seen, real = {}, napari_dip.iter_restore

    def recording(image, **kwargs):
        seen.update(kwargs, image=image)
        return real(image, **kwargs)

    monkeypatch.setattr(napari_dip, "iter_restore", recording)
    return seen


def _wait(qtbot, widget):
    qtbot.waitUntil(lambda: widget.worker is None, timeout=60_000)


def _pyramid(clean64):
    full = np.kron(clean64, np.ones((4, 4), np.uint8))  # 256 x 256
    return [full, full[::2, ::2].copy()]


def _world_rectangle(rows, cols):
    """World corners of the rectangle whose edges are at these full-resolution pixel coordinates."""
    return np.array(
        [[TRANSLATE[0] + r * SCALE[0], TRANSLATE[1] + c * SCALE[1]] for r, c in zip(rows, cols, strict=False)]
    )


def test_a_shapes_rectangle_over_a_pyramid_is_restored_at_full_resolution_in_place(
    widget_and_viewer, qtbot, clean64, recorded
):
    widget, viewer = widget_and_viewer
    levels = _pyramid(clean64)
    before = [lv.copy() for lv in levels]
    src = viewer.add_image(
        levels,
        name="slide",
        multiscale=True,
        scale=SCALE,
        translate=TRANSLATE,
        units=("um", "um"),
        axis_labels=("y", "x"),
    )
    mask = np.zeros((256, 256), np.uint8)
    mask[40:50, 70:80] = 1
    labels = viewer.add_labels(mask, name="holes", scale=SCALE, translate=TRANSLATE)
    ref = viewer.add_image(levels[0], name="clean", scale=SCALE, translate=TRANSLATE, visible=False)
    shapes = viewer.add_shapes(_world_rectangle([2, 3], [4, 6]), shape_type="ellipse", name="roi")
    shapes.add_rectangles(_world_rectangle([31.5, 95.5], [63.5, 111.5]))  # pixels 32..95 x 64..111
    widget.task.value = "inpaint"
    widget.image.value, widget.mask.value, widget.reference.value = src, labels, ref
    assert not widget.level.native.isHidden()
    widget.region.value = shapes
    assert widget.level.native.isHidden()  # a region is read at full resolution
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["slide [DIP inpaint]"]
    assert out.data.shape == (64, 48) and not out.multiscale
    assert np.allclose(out.scale, SCALE) and np.allclose(out.translate, (10 + 32 * 0.5, 20 + 64 * 0.5))
    assert tuple(str(u) for u in out.units) == ("micrometer", "micrometer") and tuple(out.axis_labels) == (
        "y",
        "x",
    )
    meta = out.metadata["napari_dip"]
    assert meta["region"] == {"offset": [32, 64], "shape": [64, 48], "of": "roi"} and meta["level"] == 0
    region = (slice(32, 96), slice(64, 112))
    assert np.array_equal(recorded["image"], levels[0][region])
    assert np.array_equal(recorded["mask"], mask[region]) and np.array_equal(
        recorded["reference"], levels[0][region]
    )
    assert "region of 64x48 px at (32, 64)" in widget.estimate.value
    for level, copy in zip(src.data, before, strict=False):  # the input layer is unchanged
        assert np.array_equal(np.asarray(level), copy)
    assert np.allclose(src.translate, TRANSLATE) and np.allclose(src.scale, SCALE)
    assert len(shapes.data) == 2 and np.array_equal(labels.data, mask)
    widget.compare_button.clicked.emit()  # the other methods and the residuals land on the region too
    qtbot.waitUntil(lambda: "slide [residual: DIP inpaint]" in viewer.layers, timeout=60_000)
    compared = [ly for ly in viewer.layers if ly.name.startswith("slide [") and ly is not out]
    assert len(compared) >= 3  # a method, its residual, the DIP result's residual
    for ly in compared:
        assert ly.data.shape == (64, 48) and np.allclose(ly.translate, out.translate), ly.name


def test_the_current_view_of_a_stack_plane_gives_a_region_inside_the_image(
    widget_and_viewer, qtbot, clean64, recorded
):
    widget, viewer = widget_and_viewer
    stack = np.stack([np.kron(clean64, np.ones((2, 2), np.uint8))] * 3)  # 3 x 128 x 128
    stack[1] = stack[1][::-1]
    src = viewer.add_image(stack, name="movie", scale=(5.0, *SCALE), translate=(0.0, *TRANSLATE))
    viewer.dims.set_current_step(0, 1)
    camera = viewer.scene.camera
    camera.center = (TRANSLATE[0] + 60 * SCALE[0], TRANSLATE[1] + 50 * SCALE[1])  # pixel (60, 50)
    camera.zoom = max(viewer.canvas.size) / 20  # 20 world units = 40 px across at most
    widget.image.value = src
    widget.region.value = "current view"
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["movie [DIP denoise]"]
    meta = out.metadata["napari_dip"]
    (y, x), (h, w) = meta["region"]["offset"], meta["region"]["shape"]
    assert meta["plane"] == [1] and meta["region"]["of"] == "current view"
    assert 0 < h <= 41 and 0 < w <= 41 and 0 <= y and y + h <= 128 and 0 <= x and x + w <= 128
    assert abs(y + h / 2 - 60.5) <= 1 and abs(x + w / 2 - 50.5) <= 1  # centred on the camera
    assert out.data.shape == (h, w) and np.array_equal(recorded["image"], stack[1, y : y + h, x : x + w])
    assert np.allclose(out.translate, (TRANSLATE[0] + y * SCALE[0], TRANSLATE[1] + x * SCALE[1]))


@pytest.mark.parametrize(
    "shapes_kind, expected",
    [
        ("ellipse", "holds no rectangle (only ellipse)"),
        ("selected ellipse", "the selected shape of 'roi' is a ellipse, not a rectangle"),
        ("outside", "outside the image"),
        ("flat", "empty"),
        ("none", "has no shapes"),
    ],
)
def test_a_bad_region_is_a_notification(widget_and_viewer, clean64, monkeypatch, shapes_kind, expected):
    from napari_dip.widgets import restore_widget

    widget, viewer = widget_and_viewer
    errors = []
    monkeypatch.setattr(restore_widget, "show_error", errors.append)
    widget.image.value = viewer.add_image(
        _pyramid(clean64), name="slide", multiscale=True, scale=SCALE, translate=TRANSLATE
    )
    shapes = viewer.add_shapes(name="roi")
    inside = _world_rectangle([10, 40], [10, 40])
    if shapes_kind.endswith("ellipse"):
        shapes.add_ellipses(inside)
    if shapes_kind == "selected ellipse":
        shapes.add_rectangles(inside)
        shapes.selected_data = {0}
    elif shapes_kind == "outside":
        shapes.add_rectangles(_world_rectangle([400, 500], [10, 40]))
    elif shapes_kind == "flat":
        shapes.add_rectangles(_world_rectangle([20, 20], [10, 40]))
    widget.region.value = shapes
    widget.run_button.clicked.emit()
    assert errors and expected in errors[0], errors
    assert widget.worker is None and [ly.name for ly in viewer.layers] == ["slide", "roi"]


def test_only_the_region_of_a_level_is_read():
    """One indexing of the level's array, with the region's slices (a chunked level reads only those
    chunks)."""
    keys = []

    class Spy:
        shape, dtype, ndim = (4, 1000, 1000), np.uint8, 3

        def __getitem__(self, key):
            keys.append(key)
            return np.zeros((10, 20), np.uint8)

    layer = SimpleNamespace(data=[Spy()], multiscale=True, rgb=False, ndim=3)
    viewer = SimpleNamespace(dims=SimpleNamespace(current_step=(2, 0, 0), ndim=3))
    image, index = plane_of(layer, viewer, 0, Region(offset=(100, 200), shape=(10, 20)))
    assert keys == [(2, slice(100, 110), slice(200, 220))] and index == (2,) and image.shape == (10, 20)


def test_a_region_of_every_plane(widget_and_viewer, qtbot, clean64):
    widget, viewer = widget_and_viewer
    stack = np.stack([clean64, clean64[::-1], clean64[:, ::-1]])
    src = viewer.add_image(stack, name="zs", scale=(2.0, *SCALE), translate=(0.0, *TRANSLATE))
    shapes = viewer.add_shapes(
        _world_rectangle([9.5, 41.5], [19.5, 43.5]), shape_type="rectangle", name="roi"
    )
    widget.image.value, widget.region.value, widget.stack.value = src, shapes, "all planes"
    widget.run_button.clicked.emit()
    _wait(qtbot, widget)
    out = viewer.layers["zs [DIP denoise]"]
    assert out.data.shape == (3, 32, 24) and np.allclose(out.scale, (2.0, *SCALE))
    assert np.allclose(out.translate, (0.0, TRANSLATE[0] + 10 * SCALE[0], TRANSLATE[1] + 20 * SCALE[1]))
    assert out.metadata["napari_dip"]["region"]["offset"] == [10, 20]
