"""The fit loop and everything that runs it.

- :mod:`.loop`: :func:`fit`, THE optimisation loop, a generator of :class:`Snapshot`;
- :mod:`.stopping`, :mod:`.losses`, :mod:`.inputs`: output averaging and stopping rules,
  data losses, fixed inputs;
- :mod:`.job` (with :mod:`.checks` and :mod:`.sizing`): a validated call, sized;
- :mod:`.plan`: one fit compiled from a task and its data;
- :mod:`.driver`: the fits of a run (planes x tiles, warm start) through the loop; :mod:`.chain`:
  a plane's tiles fitted in turn, each from the one before (``tile_start="warm"``);
- :mod:`.results`: what a run returns;
- :mod:`.types`: the engine's own types (:class:`~.types.FitSettings`, :class:`~.types.FitContext`,
  :class:`~.types.FitData`, :class:`~.types.Damage`, and :class:`~.types.TaskLike`, what it asks of a
  task), so that the engine imports nothing from ``core/tasks/``.

The names below load on first use: ``core.engine.types`` (imported by the tasks, whose metadata the
command line and the widgets read) must not pull torch in through this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_getattr

if TYPE_CHECKING:
    from ..devices import pick_device
    from .loop import OUTPUTS, FitHistory, Snapshot, fit

_LAZY = {
    "OUTPUTS": ".loop",
    "FitHistory": ".loop",
    "Snapshot": ".loop",
    "fit": ".loop",
    "pick_device": "..devices",
}

__all__ = ["OUTPUTS", "FitHistory", "Snapshot", "fit", "pick_device"]

__getattr__ = lazy_getattr(__name__, _LAZY, globals())
