"""The task registry: one module per task, each defining ``TASK`` (a :class:`~.base.Task`).

``get(name)`` returns a task, ``names()`` lists them in display order. Adding a
task means adding a module here and its name to :data:`MODULES`.
"""

from __future__ import annotations

import importlib

from .base import FitContext, FitData, FitSettings, Task

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
    return tuple(n for n in MODULES if kind is None or get(n).kind == kind)


def by_label(label: str) -> Task:
    """The task whose :attr:`~.base.Task.label` is ``label`` (what the widget shows)."""
    for n in MODULES:
        if get(n).label == label:
            return get(n)
    raise ValueError(f"no task labelled {label!r}")


__all__ = ["FitContext", "FitData", "FitSettings", "Task", "by_label", "get", "names"]
