"""The fit loop and everything that runs it.

- :mod:`.loop`: :func:`fit`, THE optimisation loop, a generator of :class:`Snapshot`;
- :mod:`.stopping`, :mod:`.losses`, :mod:`.inputs`: output averaging and stopping rules,
  data losses, fixed inputs;
- :mod:`.job` (with :mod:`.checks` and :mod:`.sizing`): a validated call, sized;
- :mod:`.plan`: one fit compiled from a task and its data;
- :mod:`.driver`: the fits of a run (planes x tiles, warm start) through the loop;
- :mod:`.results`: what a run returns.
"""

from ..devices import pick_device
from .loop import OUTPUTS, FitHistory, Snapshot, fit

__all__ = ["OUTPUTS", "FitHistory", "Snapshot", "fit", "pick_device"]
