"""The schema of a task's own inputs: each field of a task's options dataclass (:mod:`.options`) says, once,
what kind of input it is, what it means, its choices, its command-line flag and its form field.

A field is declared with :func:`task_input`; :func:`inputs_of` reads a task's fields back as
:class:`TaskInput`\\ s and :func:`restore_inputs` the union over the restoration tasks. The Restore dock
(``widgets/_task_fields.py``), the command line (``cli/inputs.py``: ``napari-dip restore`` and ``batch``)
and :func:`napari_dip.batch.run` render and read every input in one loop over this schema, so adding an
input to a task is one line: a field of its options dataclass.

Kinds (:data:`KINDS`): ``mask`` (a Labels layer in the dock, a mask file on the command line), ``image`` (an
array: an Image layer in the dock, an image file on the command line and in batch), ``int``, ``float``,
``floats`` (one number or one per axis) and ``choice`` (one of ``choices``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

#: The kinds of input, and how the forms render each.
KINDS = {
    "mask": "a mask, non-zero = missing: a Labels layer in the dock; a mask file on the command line",
    "image": "an array: an Image layer in the dock; an image file on the command line and in batch",
    "int": "an integer",
    "float": "a number",
    "floats": "one number, or one per spatial axis (--flag V [V ...])",
    "choice": "one of the input's choices (text)",
}


@dataclass(frozen=True)
class TaskInput:
    """One input of a task, as the forms render it (read from a field's metadata by :func:`inputs_of`).

    ``help``: the command line's help; ``choices``: the valid values (the command line enforces them for
    text, as it does for :class:`~..settings.Settings`); ``flag``: the command-line flag (default
    ``--name-with-dashes``); ``group``: the title of the command line's argument group (None: ungrouped).
    The dock: ``label``, ``tooltip``, ``value`` (the field's initial value), ``limits`` (min, max, step,
    decimals of a number), ``suffix`` and ``special`` (the text shown for the minimum), ``way`` (inputs
    with a way are alternatives: the dock shows one way's inputs at a time), ``from_scale`` (the pixel size:
    from the image's scale in the dock and the file's metadata on the command line; the dock's field is an
    override in the expert fold); ``missing``: the dock's message when a layer input is not chosen
    (``{task}``, ``{label}`` filled in).
    """

    name: str
    kind: str
    help: str
    choices: tuple | None = None
    flag: str = ""
    metavar: str | None = None
    group: str | None = None
    label: str = ""
    tooltip: str = ""
    value: Any = None
    limits: tuple[float, float, float, int] | None = None
    suffix: str = ""
    special: str = ""
    way: str | None = None
    from_scale: bool = False
    missing: str = "task {task!r} needs an Image layer as its {label}."

    @property
    def is_array(self) -> bool:
        """An array input (a mask, an image): not a value for a run's metadata or a sidecar."""
        return self.kind in ("mask", "image")

    @property
    def dest(self) -> str:
        """The command line's attribute for the input (argparse's, from the flag)."""
        return self.flag.lstrip("-").replace("-", "_")


def task_input(kind: str, help: str, *, default: Any = None, **form: Any) -> Any:
    """A field of a task's options dataclass: its kind (:data:`KINDS`), its meaning and how the forms render
    it (:class:`TaskInput`'s other attributes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown input kind {kind!r}; choose one of {sorted(KINDS)}")
    return field(default=default, metadata={"input": dict(kind=kind, help=help, **form)})


def inputs_of(options: type) -> tuple[TaskInput, ...]:
    """The inputs of an options dataclass, in field order (a field without :func:`task_input`: a number)."""
    out = []
    for f in fields(options):
        meta = dict(f.metadata.get("input", {"kind": "float", "help": f.name}))
        meta.setdefault("flag", "--" + f.name.replace("_", "-"))
        meta.setdefault("label", f.name)
        meta.setdefault("tooltip", meta["help"])
        if meta.get("choices") is not None:
            meta["choices"] = tuple(meta["choices"])
        if meta.get("value") is None and f.default is not MISSING:
            meta["value"] = f.default
        out.append(TaskInput(name=f.name, **meta))
    return tuple(out)


def union(option_types: Iterable[type]) -> dict[str, TaskInput]:
    """The inputs of several tasks, by name, in first-seen order (a name shared by tasks is one input)."""
    out: dict[str, TaskInput] = {}
    for options in option_types:
        for spec in inputs_of(options):
            out.setdefault(spec.name, spec)
    return out


__all__ = ["KINDS", "TaskInput", "inputs_of", "task_input", "union"]
