"""One schema for a task's inputs (core/tasks/schema.py): an input declared once, as a field of its task's
options dataclass, reaches the Restore dock, ``napari-dip restore``/``batch`` and ``napari_dip.batch.run``
with no other change; and no form copies an input by hand."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from napari_dip.cli import build_parser
from napari_dip.cli.inputs import task_inputs_from
from napari_dip.core import tasks
from napari_dip.core.tasks import catalog
from napari_dip.core.tasks.catalog import Form, restore_inputs
from napari_dip.core.tasks.schema import inputs_of, task_input

SRC = Path(__file__).resolve().parents[1] / "src" / "napari_dip"


@dataclasses.dataclass(frozen=True)
class SharpenOptions:
    """A task of this test only: its two inputs are one line each."""

    strength: float | None = task_input("float", "how much to sharpen (0-1)", value=0.5,
                                        limits=(0.0, 1.0, 0.1, 2), label="sharpness")
    kernel: str | None = task_input("choice", "the sharpening kernel", choices=("box", "gauss"),
                                    value="gauss")


@pytest.fixture
def sharpen(monkeypatch):
    """A new restoration task in the catalog: denoising's entry, its own options."""
    task = dataclasses.replace(tasks.get("denoise"), name="sharpen",
                               form=Form(label="sharpen", options=SharpenOptions, hint="Sharpen the image."))
    monkeypatch.setattr(catalog, "MODULES", (*catalog.MODULES, "sharpen"))
    monkeypatch.setattr(tasks, "MODULES", catalog.MODULES)
    monkeypatch.setitem(catalog._CATALOG, "sharpen", task)
    return task


def test_schema_reads_back_each_field():
    specs = {s.name: s for s in inputs_of(tasks.get("deconvolve").form.options)}
    assert specs["psf"].kind == "image" and specs["psf"].flag == "--psf" and specs["psf"].way == "layer"
    assert specs["psf_sigma"].kind == "floats" and specs["psf_sigma"].dest == "psf_sigma"
    assert specs["microscope"].choices == ("widefield", "confocal")
    assert specs["pixel_size"].from_scale and specs["pixel_size"].metavar == "UM"
    assert list(restore_inputs())[:2] == ["mask", "factor"]  # the registry's order
    with pytest.raises(ValueError, match="unknown input kind"):
        task_input("colour", "no such kind")


def test_a_new_input_reaches_the_cli_and_batch(sharpen, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["restore", "--help"])
    help_text = capsys.readouterr().out
    assert "--strength" in help_text and "how much to sharpen" in help_text and "{box,gauss}" in help_text
    args = parser.parse_args(["restore", "x.tif", "--task", "sharpen", "--strength", "0.7",
                              "--kernel", "box"])
    assert task_inputs_from(args) == {"strength": 0.7, "kernel": "box"}
    with pytest.raises(SystemExit):
        parser.parse_args(["restore", "x.tif", "--task", "sharpen", "--kernel", "star"])  # a bad choice
    args = parser.parse_args(["batch", "a.tif", "--out", "o", "--task", "sharpen", "--strength", "0.2"])
    assert task_inputs_from(args) == {"strength": 0.2}

    from napari_dip.batch import api

    assert api._options("sharpen", {"strength": 0.2, "width": 8}) == {"strength": 0.2, "width": 8}
    with pytest.raises(ValueError, match="takes no strength"):  # another task's input
        api._options("denoise", {"strength": 0.2})
    sharpen_settings, own, _ = tasks.split_options(sharpen, {"strength": 0.3, "kernel": "box"})
    assert own == SharpenOptions(strength=0.3, kernel="box")


@pytest.mark.gui
def test_a_new_input_reaches_the_dock(sharpen, make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    assert "sharpen" in widget.task.choices
    assert widget.strength.label == "sharpness" and widget.strength.value == 0.5
    assert list(widget.kernel.choices) == ["box", "gauss"]
    widget.task.value = "denoise"
    assert widget.strength.native.isHidden() and widget.kernel.native.isHidden()
    widget.task.value = "sharpen"
    assert not widget.strength.native.isHidden() and not widget.kernel.native.isHidden()
    assert widget.mask.native.isHidden() and widget.psf_way.native.isHidden()
    widget.image.value = viewer.add_image(np.zeros((16, 16), np.float32))
    widget.strength.value = 0.8
    kwargs = widget.build_kwargs()
    assert kwargs["task"] == "sharpen" and kwargs["strength"] == 0.8 and kwargs["kernel"] == "gauss"
    assert "factor" not in kwargs and "mask" not in kwargs


# --- no hand-written copies -------------------------------------------------------------------------------

CHECKED = ("mask", "factor", "psf", "psf_sigma")
#: Modules the schema replaced the copies in: a hand-written keyword parameter here is a copy.
SCHEMA_READERS = ("core/restore.py", "cli/restore_file.py", "cli/batch.py", "cli/inputs.py", "batch/api.py",
                  "widgets/restore_widget.py", "widgets/_restore_form.py", "widgets/_restore_inputs.py",
                  "widgets/_psf_form.py", "widgets/_task_fields.py")
#: Declarations that stay, and why (any other is a copy of the schema and fails the test).
KNOWN = {
    # the public API: a signature is its documentation (napari_dip.restore(image, task, mask=..., factor=...),
    # iter_restore, estimate_run, estimate_memory); they hand the inputs on to the schema's split_options
    *(("param", "core/restore.py", f, name) for f in ("restore", "iter_restore", "estimate_run")
      for name in ("mask", "factor")),
    ("param", "core/restore.py", "estimate_memory", "factor"),
    # napari_dip.batch.run(mask=..., mask_suffix=...): the mask kind's own pair (one file for all, one each)
    ("param", "batch/api.py", "run", "mask"), ("param", "batch/api.py", "_mask_argument", "mask"),
    ("param", "batch/api.py", "_prepare", "mask"),  # run's checks and planning, split out of run
    # the Experiments sweep (napari-dip sweep, its dock) is not on the schema yet: its own mask and factor
    ("flag", "cli/experiments.py", None, "mask"), ("flag", "cli/experiments.py", None, "factor"),
    ("field", "widgets/experiments_widget.py", None, "mask"),
    # the Blend dock's mask is blending's input (BlendOptions.mask, napari_dip.blend), not a restoration's
    ("field", "widgets/blend_widget.py", None, "mask"),
}


def _declarations() -> list[tuple]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and rel in SCHEMA_READERS:
                a = node.args
                for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                    if arg.arg in CHECKED:
                        out.append(("param", rel, node.name, arg.arg))
            if not isinstance(node, ast.Call):
                continue
            func = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if func == "add_argument" and node.args and isinstance(node.args[0], ast.Constant):
                flag = str(node.args[0].value)
                if flag.startswith("--") and flag[2:].replace("-", "_") in CHECKED:
                    out.append(("flag", rel, None, flag[2:].replace("-", "_")))
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant) and kw.value.value in CHECKED:
                    out.append(("field", rel, None, kw.value.value))
    return out


def test_each_input_is_declared_once():
    """``mask``, ``factor``, ``psf`` and ``psf_sigma`` are each declared once: as a field of a restoration
    task's options dataclass (core/tasks/options.py; one class may serve several tasks, as MaskOptions does
    inpaint and reconstruct).

    What counts as a declaration, anywhere in src/: a field of a restoration task's options dataclass; a
    command-line flag written by hand (``add_argument("--psf-sigma", ...)``); a form field written by hand
    (a magicgui widget made with ``name="factor"``); and, in the modules that read a task's inputs for a form
    (:data:`SCHEMA_READERS`), a keyword parameter written by hand. Not declarations: a name read from a
    parsed result (``args.factor``, ``kwargs.get("factor")``), and the mask as data: the engine, the
    baselines and the residuals take any task's mask array as an argument once it is read. The entries of
    :data:`KNOWN` stay, each with its reason (the public API's signatures among them: ``core/entry.py``'s
    typed entry points are not scanned for parameters, as their signatures are the API's documentation and
    they call ``restore``); any other declaration is a copy of the schema and fails here.
    """
    fields = [f.name for t in tasks.names("restore") for f in dataclasses.fields(tasks.get(t).form.options)]
    for name in CHECKED:
        owners = {tasks.get(t).form.options for t in tasks.names("restore")
                  if name in tasks.get(t).form.inputs}
        assert len(owners) == 1, (name, owners)  # one options dataclass holds it
        assert name in fields
    copies = [d for d in _declarations() if d not in KNOWN]
    assert copies == [], copies
    assert KNOWN <= set(_declarations())  # the list of exceptions stays honest: each still exists
