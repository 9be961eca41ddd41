"""``napari-dip batch`` arguments from ``restore()`` options: the inverse of the flags' parsing
(:mod:`.options` for the Settings, :mod:`.inputs` for the tasks' inputs), so that a run described in Python
(the Restore dock's form) can be handed to the command line. Parsing what :func:`batch_argv` returns gives
the same options back (tests/test_batch_handoff.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from napari_dip.core.settings import option_help
from napari_dip.core.tasks.catalog import restore_inputs

from .options import _FLAGS

#: ``restore()`` arguments with a flag of their own in ``napari-dip batch``.
_NAMED = ("iterations", "seed", "device", "scene", "channel")


def batch_argv(inputs: Sequence, out, *, task: str, options: dict[str, Any], mask=None,
               cluster: dict[str, Any] | None = None) -> list[str]:
    """The arguments of ``napari-dip batch`` (after ``batch``) that restore ``inputs`` into ``out`` with
    ``options`` (``restore()``'s keywords: the task's inputs, array inputs given as files, and Settings);
    ``mask`` a file; ``cluster`` the cluster flags (``scheduler``, ``workers``, ``threads_per_worker``,
    ``torch_threads``, ``retries``), None values left out. A ValueError names an option with no flag."""
    argv = [*map(str, inputs), "--out", str(out), "--task", task]
    if mask is not None:
        argv += ["--mask", str(mask)]
    for name, value in (cluster or {}).items():
        if value is not None:
            argv += ["--" + name.replace("_", "-"), str(value)]
    schema, settings = restore_inputs(), option_help()
    for name, value in options.items():
        if value is None:
            continue
        if name in _NAMED:
            argv += [f"--{name}", str(value)]
        elif name in schema:
            argv += _input_flags(schema[name], value)
        elif name in settings:
            argv += _setting_flags(name, value, settings[name][2])
        else:
            raise ValueError(f"option {name!r} has no flag in napari-dip batch.")
    return argv


def _input_flags(spec, value) -> list[str]:
    if spec.kind == "mask":
        raise ValueError(f"{spec.name}: give the mask as a file (mask=...), not as an option.")
    if spec.kind == "image" and not isinstance(value, (str, Path)):
        raise ValueError(f"{spec.name}: give the image as a file, not as an array.")
    if spec.kind == "floats":
        return [spec.flag, *(repr(float(v)) for v in np.atleast_1d(value))]
    return [spec.flag, str(value)]


def _setting_flags(name: str, value, choices) -> list[str]:
    flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
    if choices is not None and set(choices) <= {True, False, None}:
        return [flag if value else "--no-" + flag[2:]]
    if name == "planes":
        return [flag, ",".join(str(int(p)) for p in np.atleast_1d(value))]
    return [flag, repr(value) if isinstance(value, float) else str(value)]
