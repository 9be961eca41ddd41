"""Names of a package loaded on first use (PEP 562), for the packages whose modules import torch but whose
siblings must load without it (``core/engine/``, ``core/physics/``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, table: dict[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``table`` maps each name to the (relative) module defining
    it; the first use imports that module and keeps the value in ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(table[name], package), name)
        namespace[name] = value
        return value

    return __getattr__
