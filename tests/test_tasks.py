"""The shape of a task: composed of parts, its own options typed, one mapping of user options."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pytest

import napari_dip
from napari_dip.core import tasks
from napari_dip.core.engine.job import Job
from napari_dip.core.entry import ENTRY_POINTS
from napari_dip.core.settings import Settings, option_help
from napari_dip.core.tasks.base import Task
from napari_dip.core.tasks.catalog import Entry, Form
from napari_dip.core.tasks.inputs import InputRules
from napari_dip.core.tasks.parts import ChangeStops, ObservationModel, VarianceStops
from napari_dip.core.tasks.policy import Policy

TASKS_DIR = Path(tasks.__file__).parent


@pytest.mark.parametrize("name", tasks.names(None))
def test_a_task_is_its_parts_and_nothing_else(name):
    t = tasks.load(name)
    assert isinstance(t, Task) and isinstance(t.form, Form) and isinstance(t.policy, Policy)
    assert isinstance(t.input_rules, InputRules) and isinstance(t.observation, ObservationModel)
    assert isinstance(t.stop, (ChangeStops, VarianceStops))
    assert {f.name for f in dataclasses.fields(t)} == {
        "name", "form", "policy", "input_rules", "observation", "stop", "initial_guess", "baselines",
        "objective",
    }
    # the catalog entry is the task's torch-free part: the same objects
    e = tasks.get(name)
    assert isinstance(e, Entry) and not isinstance(e, Task)
    assert all(getattr(e, f.name) is getattr(t, f.name) for f in dataclasses.fields(Entry))
    for gone in ("scales", "volume", "fill_rule", "presets", "inputs", "needs_mask", "label", "kind"):
        assert not hasattr(t, gone), gone
    # the form's inputs are the fields of the task's own (frozen) options
    assert dataclasses.is_dataclass(t.form.options) and t.form.options.__dataclass_params__.frozen
    assert t.form.inputs == tuple(f.name for f in dataclasses.fields(t.form.options))
    assert t.form.needs_mask == ("mask" in t.form.inputs)


def test_the_catalog_loads_without_torch():
    """What the command line, the widgets and batch read of the tasks (names, forms, presets, input rules,
    baselines) comes from the catalog, which imports no torch; a task module does."""
    import subprocess
    import sys

    code = ("import sys; from napari_dip.core import tasks; "
            "[(tasks.get(n).form.inputs, tasks.get(n).policy.preset(), list(tasks.get(n).baselines)) "
            "for n in tasks.names(None)]; "
            "tasks.get('deconvolve').input_rules.check_inputs({'psf_sigma': 1.5}, nd=2, channels=1); "
            "assert 'torch' not in sys.modules; tasks.load('denoise'); assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_task_module_builds_its_own_likelihood():
    """The data term and its noise model come from core/engine/likelihood.py, never a task module."""
    for path in TASKS_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("engine.losses", "camera.forward", "Anscombe(", "ctx.camera"):
            assert word not in text, f"{path.name} uses {word}"


def test_split_options_maps_settings_own_options_and_named_arguments():
    t = tasks.get("deconvolve")
    settings, own, named = tasks.split_options(t, {"psf_sigma": 1.5, "width": 16, "seed": 3}, named=("seed",))
    assert isinstance(settings, Settings) and settings.width == 16
    assert own == t.form.options(psf_sigma=1.5) and named == {"seed": 3}
    with pytest.raises(dataclasses.FrozenInstanceError):
        own.psf_sigma = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="takes no psf_sigma"):
        tasks.split_options(tasks.get("denoise"), {"psf_sigma": 1.0})
    with pytest.raises(ValueError, match="did you mean 'width'"):
        tasks.split_options(t, {"widht": 8})


def test_batch_and_restore_refuse_the_same_options_with_the_same_words():
    from napari_dip.batch.api import _options

    for bad, match in (({"psf_sigma": 1.0}, "task 'denoise' takes no psf_sigma"),
                       ({"widht": 8}, "did you mean 'width'")):
        with pytest.raises(ValueError, match=match):
            _options("denoise", bad)
        with pytest.raises(ValueError, match=match):
            napari_dip.restore(np.zeros((16, 16)), "denoise", iterations=1, **bad)


def test_every_restoration_task_has_a_typed_entry_point_with_the_same_defaults():
    assert set(ENTRY_POINTS) == set(tasks.names())
    shared = {name: default for name, (default, _, _) in option_help().items()}
    restore_defaults = {p.name: p.default for p in inspect.signature(napari_dip.restore).parameters.values()}
    for name, entry in ENTRY_POINTS.items():
        assert getattr(napari_dip, entry.__name__) is entry
        params = inspect.signature(entry).parameters
        assert list(params)[0] == "image" and params["options"].kind is inspect.Parameter.VAR_KEYWORD
        own = {f.name: f.default for f in dataclasses.fields(tasks.get(name).form.options)}
        assert set(own) <= set(params), (name, set(own) - set(params))
        for p in params.values():
            if p.name in ("image", "options") or p.default is inspect.Parameter.empty:
                continue  # required: the mask, the factor
            assert p.kind is inspect.Parameter.KEYWORD_ONLY, (name, p.name)
            expected = own.get(p.name, shared.get(p.name, restore_defaults.get(p.name)))
            assert p.default == expected, (name, p.name, p.default, expected)


def test_an_entry_point_gives_the_same_result_as_restore(one_thread):
    image = np.random.default_rng(0).random((24, 24)).astype(np.float32)
    kw = dict(iterations=3, width=8, early_stop=False)
    typed = napari_dip.deconvolve(image, psf_sigma=1.0, **kw)
    stringly = napari_dip.restore(image, "deconvolve", psf_sigma=1.0, **kw)
    assert np.array_equal(typed.image, stringly.image)
    with pytest.raises(ValueError, match="unknown option"):
        napari_dip.denoise(image, widht=8)


def test_a_job_is_built_by_keyword_only():
    with pytest.raises(TypeError):
        Job(np.zeros((4, 4)), tasks.get("denoise"))  # type: ignore[misc]
