"""napari-dip: Deep Image Prior restoration for napari.

The public API is importable from here without importing torch, napari or Qt:
the names below are resolved lazily on first use.

>>> from napari_dip import restore                        # doctest: +SKIP
>>> result = restore(noisy, "denoise", iterations=500)    # doctest: +SKIP
>>> result.image, result.stopped_at, result.config        # doctest: +SKIP
>>> from napari_dip import denoise                        # doctest: +SKIP
>>> result = denoise(noisy, iterations=500)               # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "restore": "napari_dip.core.restore",
    "iter_restore": "napari_dip.core.restore",
    "RestoreResult": "napari_dip.core.restore",
    "estimate_memory": "napari_dip.core.restore",
    "estimate_run": "napari_dip.core.restore",
    "Snapshot": "napari_dip.core.engine",
    "Settings": "napari_dip.core.settings",
    "blend": "napari_dip.core.blend",
    "iter_blend": "napari_dip.core.blend",
    "available_devices": "napari_dip.core.devices",
    "denoise": "napari_dip.core.entry",
    "inpaint": "napari_dip.core.entry",
    "reconstruct": "napari_dip.core.entry",
    "super_resolve": "napari_dip.core.entry",
    "deconvolve": "napari_dip.core.entry",
}
_SUBMODULES = {"metrics", "baselines", "core", "sample_data", "cli", "io", "masks", "experiments"}

__all__ = [*_LAZY, "metrics", "baselines", "io", "masks", "experiments", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .core.blend import blend, iter_blend  # noqa: F401
    from .core.devices import available_devices  # noqa: F401
    from .core.engine import Snapshot  # noqa: F401
    from .core.entry import deconvolve, denoise, inpaint, reconstruct, super_resolve  # noqa: F401
    from .core.restore import RestoreResult, estimate_memory, estimate_run, iter_restore, restore  # noqa: F401
    from .core.settings import Settings  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"napari_dip.{name}")
    raise AttributeError(f"module 'napari_dip' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
