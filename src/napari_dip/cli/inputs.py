"""Command-line flags of the tasks' own inputs, generated from the task-input schema
(:mod:`napari_dip.core.tasks.schema`): one flag per input of the restoration tasks, as :mod:`.options` makes
one per setting (``napari-dip restore`` and ``napari-dip batch``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from napari_dip.core.tasks.catalog import restore_inputs
from napari_dip.core.tasks.schema import TaskInput

#: argparse's keywords for each kind of input (``mask``: the command's own flags; ``image``: a file).
_KIND: dict[str, dict[str, Any]] = {"image": {}, "int": {"type": int}, "float": {"type": float},
                                   "floats": {"type": float, "nargs": "+"}, "choice": {}}


def add_task_inputs(p: argparse.ArgumentParser, *,
                    mask_flags: Callable[[argparse.ArgumentParser, TaskInput], None]) -> None:
    """One flag per input of the restoration tasks (those of one group in an argument group); ``mask_flags``
    adds the mask kind's flags, which differ between commands (a file and its convention, or one each)."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for spec in restore_inputs().values():
        if spec.kind == "mask":
            mask_flags(p, spec)
            continue
        where = p if spec.group is None else groups.setdefault(spec.group, p.add_argument_group(spec.group))
        kw: dict[str, Any] = {**_KIND[spec.kind], "help": spec.help}
        if spec.kind == "choice":
            kw["choices"] = spec.choices
        if spec.metavar:
            kw["metavar"] = spec.metavar
        where.add_argument(spec.flag, **kw)


def task_inputs_from(args: argparse.Namespace) -> dict:
    """The task inputs given on the command line, the mask's aside (an image input: its file's path; one
    value of a sequence: the value)."""
    out = {}
    for spec in restore_inputs().values():
        value = getattr(args, spec.dest, None)
        if spec.kind == "mask" or value is None or value == []:
            continue
        if spec.kind == "floats" and len(value) == 1:
            value = value[0]
        out[spec.name] = value
    return out
