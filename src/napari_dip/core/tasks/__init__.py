"""The task registry: one module per task, each defining ``TASK`` (a :class:`~.base.Task`).

``get(name)`` returns a task, ``names()`` lists them in display order. Adding a
task means adding a module here and its name to :data:`MODULES`. A task's own
options are a dataclass of :mod:`.options`; :func:`split_options` maps a user's
keyword options onto them and onto :class:`~..settings.Settings` (for
:func:`napari_dip.restore`, the typed entry points and batch alike).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping
from typing import Any

from ..settings import Settings
from .base import Task

#: Task modules, in the order the widget and the CLI list them.
MODULES = ("denoise", "inpaint", "reconstruct", "super_resolution", "deconvolve", "blend")

_CACHE: dict[str, Task] = {}


def get(name: str) -> Task:
    """The task called ``name``; a ``ValueError`` lists the valid names."""
    if name not in _CACHE:
        if name not in MODULES:
            raise ValueError(f"unknown task {name!r}; choose one of {names()}")
        _CACHE[name] = importlib.import_module(f"{__name__}.{name}").TASK
    return _CACHE[name]


def names(kind: str | None = "restore") -> tuple[str, ...]:
    """Task names, in display order (``kind``: "restore", "blend" or None for all)."""
    return tuple(n for n in MODULES if kind is None or get(n).form.kind == kind)


def restoration(name: str) -> Task:
    """The restoration task ``name`` (not blending); a ``ValueError`` lists the valid names."""
    t = get(name) if isinstance(name, str) and name in MODULES else None
    if t is None or t.form.kind != "restore":
        raise ValueError(f"unknown task {name!r}; choose one of {names()}")
    return t


def split_options(task: Task, options: Mapping[str, Any], *,
                  named: Collection[str] = ()) -> tuple[Settings, Any, dict[str, Any]]:
    """A user's keyword options -> ``(Settings, the task's own options, the caller's named arguments)``.

    ``named``: the caller's own arguments (``iterations``, ``seed``, ...), passed through. Another
    task's input is a ``ValueError`` ("task 'denoise' takes no psf_sigma"), and so is an unknown name or
    a bad choice (:meth:`Settings.from_options`, naming the close matches).
    """
    opts = dict(options)
    own = {n: opts.pop(n) for n in task.form.inputs if n in opts}
    others = {n for t in names() for n in get(t).form.inputs} - set(task.form.inputs)
    stray = sorted(set(opts) & others)
    if stray:
        raise ValueError(f"task {task.name!r} takes no {', '.join(stray)}.")
    given = {n: opts.pop(n) for n in named if n in opts}
    settings = Settings.from_options(opts, extra=(*named, *others))
    return settings, task.form.options(**own), given


__all__ = ["MODULES", "Task", "get", "names", "restoration", "split_options"]
