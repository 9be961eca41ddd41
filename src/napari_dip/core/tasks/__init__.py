"""The task registry: a torch-free catalog (:mod:`.catalog`) and one module per task defining ``TASK``.

``get(name)`` returns a task's catalog entry (its form, policy, input rules and baselines: what the
command line, the widgets and batch read, without torch); ``load(name)`` the :class:`~.base.Task` a fit
runs (its module imports torch); ``names()`` lists them in display order. Adding a task means adding a
module here, its entry to the catalog and its name to :data:`MODULES`. A task's own options are a
dataclass of :mod:`.options`; :func:`split_options` maps a user's keyword options onto them and onto
:class:`~..settings.Settings` (for :func:`napari_dip.restore`, the typed entry points and batch alike).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from .catalog import MODULES, Entry, Form, entry, names

if TYPE_CHECKING:
    from .base import Task

_LOADED: dict[str, Task] = {}


def get(name: str) -> Entry:
    """The catalog entry of task ``name`` (no torch); a ``ValueError`` lists the valid names."""
    return entry(name)


def load(name: str) -> Task:
    """The task called ``name`` with the parts a fit builds on (imports its module, and torch)."""
    if name not in _LOADED:
        entry(name)  # an unknown name: the ValueError listing the valid ones
        _LOADED[name] = importlib.import_module(f"{__name__}.{name}").TASK
    return _LOADED[name]


def restoration(name: str) -> Task:
    """The restoration task ``name`` (not blending), loaded; a ``ValueError`` lists the valid names."""
    if not isinstance(name, str) or name not in names():
        raise ValueError(f"unknown task {name!r}; choose one of {names()}")
    return load(name)


def split_options(task: Entry, options: Mapping[str, Any], *,
                  named: Collection[str] = ()) -> tuple[Settings, Any, dict[str, Any]]:
    """A user's keyword options -> ``(Settings, the task's own options, the caller's named arguments)``.

    ``task``: its catalog entry or the :class:`~.base.Task`. ``named``: the caller's own arguments
    (``iterations``, ``seed``, ...), passed through. Another task's input is a ``ValueError`` ("task
    'denoise' takes no psf_sigma"), and so is an unknown name or a bad choice
    (:meth:`Settings.from_options`, naming the close matches).
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


__all__ = ["MODULES", "Entry", "Form", "get", "load", "names", "restoration", "split_options"]
