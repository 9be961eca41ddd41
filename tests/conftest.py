import os

import numpy as np
import pytest

# Two cores: keep torch from oversubscribing them when Qt / pytest threads are busy too.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def widget_and_viewer(make_napari_viewer):
    """A real napari viewer with the Restore dock: ``(widget, viewer)`` (a test file may define its own
    for another dock)."""
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    return widget, viewer


@pytest.fixture
def one_thread():
    """Run a test on one torch thread and restore the previous count afterwards (no state leaks)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def clean64():
    """A smooth 64x64 uint8 test image (camera, anti-aliased)."""
    from napari_dip.sample_data import camera

    return camera(64)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Record each phase's report on the item (napari's make_napari_viewer reads rep_call)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
