"""The JSON sidecar of a written image (the rule is in :mod:`napari_dip.io`'s docstring): its path,
reading it back when it describes the very file, the ``translate`` it records, writing it.

No napari, no torch.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from . import formats as _f


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar of an image file: its last extension replaced by ``.json``."""
    return Path(path).with_suffix(".json")


def load(path: Path) -> dict:
    """The sidecar of ``path`` if it exists and describes this very file, else {}."""
    side = sidecar_path(path)
    if side == path or not side.is_file():
        return {}
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(doc, dict) and doc.get("image", {}).get("file", path.name) == path.name
    return doc if ok else {}


def with_translate(img: Any, path: Path) -> Any:
    """``img`` with the ``translate`` its sidecar records for these axes (written by
    :func:`napari_dip.io.write_image`)."""
    image = load(path).get("image", {}) if path.is_file() else {}
    translate = image.get("translate")
    if translate is None or image.get("axes") != img.axes or len(translate) != len(img.axes):
        return img
    return dataclasses.replace(img, translate=tuple(float(t) for t in translate))


def payload(settings: dict | None) -> str | None:
    """The settings as JSON (numpy values converted), or None; refuses what is not a dict."""
    if settings is not None and not isinstance(settings, dict):
        raise ValueError(f"settings must be a dict of JSON-able values, not {type(settings).__name__}")
    return None if settings is None else json.dumps(settings, default=_f.json_default)


def image_entry(path: Path, fmt: str, data, axes: str, scale, units, names, translate) -> dict:
    """The sidecar's ``image``: what was written, as :func:`napari_dip.io.read_image` reads it back."""
    return {"file": path.name, "format": fmt, "axes": axes, "shape": list(data.shape),
            "dtype": str(data.dtype), "scale": scale, "units": units, "channel_names": list(names),
            **translate_entry(axes, translate)}


def translate_entry(axes: str, translate) -> dict:
    """The sidecar's ``translate`` (none when it is not given or all 0)."""
    if translate is None or not any(float(t) for t in translate):
        return {}
    if len(translate) != len(axes):
        raise ValueError(f"translate has {len(translate)} values but axes {axes!r} have {len(axes)}.")
    return {"translate": [float(t) for t in translate]}


def write(path: Path, payload: str | None, image: dict) -> None:
    """Write the sidecar of ``path`` (replacing one), atomically: the settings, the image, the versions."""
    doc = {"napari_dip": None if payload is None else json.loads(payload), "image": image,
           "written_by": _f.versions()}
    with _f.atomic(sidecar_path(path)) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
