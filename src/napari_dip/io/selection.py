"""What part of a file a run restores: its scene, its channel, and whether the planes or a volume fit.

Every refusal is a ``ValueError`` that names the file's axes (and its scenes or channels), so that
the option to change is plain. Works on axes and shapes, not on pixels; no napari, no torch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

#: Axes a fit treats as space: the last two (plane mode) or three (volume mode) non-channel axes.
_CHANNEL_AXES = "CS"


def _described(source: str, axes: str, shape: tuple) -> str:
    return f"{source} has axes {axes!r} (shape {tuple(shape)})"


def check_scene(path: Path, scene, count: int, names: list | None = None) -> int:
    """The index of ``scene`` (None: 0; an index or, with ``names``, a name) in a file of ``count``."""
    if scene is None:
        return 0
    names = [str(n) for n in (names or [])]
    text = str(scene)
    if text in names and not text.lstrip("-").isdigit():
        return names.index(text)
    if text.lstrip("-").isdigit() and -count <= int(text) < count:
        return int(text) % count
    listed = ", ".join(f"{i}={n!r}" if n else str(i) for i, n in enumerate(names or [""] * count))
    raise ValueError(
        f"--scene {scene}: {Path(path).name} has {count} scene(s): {listed}; give an index or a name."
    )


def channel_letter(axes: str) -> str | None:
    """The axis a channel is picked from: ``C``, else ``S`` (RGB samples), else None."""
    return next((a for a in _CHANNEL_AXES if a in axes), None)


def channel_index(axes: str, shape: tuple, names: tuple[str, ...], channel, source: str) -> int | None:
    """The index of ``channel`` (an index or a name) on the channel axis; None when the file has one
    channel and no channel axis and ``channel`` names it (0, or its name)."""
    letter = channel_letter(axes)
    text = str(channel)
    if letter is None:
        if text == "0" or (len(names) == 1 and text == names[0]):
            return None
        raise ValueError(f"--channel {channel}: {_described(source, axes, shape)}, no channel axis (C): "
                         "drop --channel.")
    n = shape[axes.index(letter)]
    if text in names:
        return names.index(text)
    if text.lstrip("-").isdigit() and -n <= int(text) < n:
        return int(text) % n
    known = f"; names: {', '.join(map(repr, names))}" if names else ""
    raise ValueError(f"--channel {channel}: {_described(source, axes, shape)}, {n} channels on axis {letter} "
                     f"(indices 0-{n - 1}{known}).")


def select_shape(shape: tuple, axes: str, names: tuple[str, ...], channel, source: str):
    """``(shape, axes, names)`` after keeping ``channel`` only (the header-level :func:`select_channel`)."""
    i = channel_index(axes, shape, names, channel, source)
    if i is None:
        return tuple(shape), axes, names
    letter = channel_letter(axes)
    assert letter is not None  # channel_index found the channel axis
    c = axes.index(letter)
    kept = (names[i],) if len(names) > i else ()
    return tuple(s for k, s in enumerate(shape) if k != c), axes[:c] + axes[c + 1:], kept


def select_channel(img, channel, source: str):
    """``img`` (an :class:`napari_dip.io.ImageFile`) with only ``channel`` of its channel axis."""
    i = channel_index(img.axes, img.data.shape, img.channel_names, channel, source)
    if i is None:
        return img
    c = img.axes.index(channel_letter(img.axes))
    axes = img.axes[:c] + img.axes[c + 1:]
    drop = [k for k in range(len(img.axes)) if k != c]
    return dataclasses.replace(
        img, data=_take(img.data, i, c), axes=axes, channel_axis=None,
        scale=tuple(img.scale[k] for k in drop), units=tuple(img.units[k] for k in drop),
        translate=tuple(img.translate[k] for k in drop) if img.translate else (),
        channel_names=(img.channel_names[i],) if len(img.channel_names) > i else ())


def _take(data: np.ndarray, i: int, axis: int) -> np.ndarray:
    """``np.take(data, i, axis)``; a placeholder (zero strides, ``io.read_header``) stays one."""
    if data.ndim and not any(data.strides):
        return np.broadcast_to(np.zeros((), data.dtype), data.shape[:axis] + data.shape[axis + 1:])
    return np.take(data, i, axis=axis)


def channel_names(data: np.ndarray, axes: str, given, like) -> tuple[str, ...]:
    """The channel names to write: ``given``, else ``like``'s when they fit ``data``, else ()."""
    letter = "C" if "C" in axes else None
    n = data.shape[axes.index(letter)] if letter else 1
    if given is not None:
        names = tuple(str(g) for g in given)
        if names and len(names) != n:
            raise ValueError(f"channel_names has {len(names)} names but axes {axes!r} have {n} channel(s) "
                             f"(shape {data.shape}): give one name per channel.")
        return names
    names = tuple(getattr(like, "channel_names", ()) or ())
    return names if len(names) == n else ()


def check_fit(axes: str, shape: tuple, *, mode: str | None, planes, source: str) -> None:
    """Refuse a ``mode``/``planes`` choice the file's axes cannot take, naming the axes."""
    space = "".join(a for a in axes if a not in _CHANNEL_AXES)
    sizes = [s for a, s in zip(axes, shape, strict=False) if a not in _CHANNEL_AXES]
    if mode == "volume" and (
        len(space) < 3 or space[-3] not in "ZQ" or sizes[-3] < 2
    ):  # Q: unknown, taken as Z
        raise ValueError(f"--mode volume fits Z, Y and X together, but {_described(source, axes, shape)}: "
                         "no Z axis of 2 or more planes just before Y and X. Drop --mode volume to fit each "
                         "plane in 2D" + (", or --channel to pick a channel" if "C" in axes else "") + ".")
    lead = space[: len(space) - (3 if mode == "volume" else 2)]
    if planes is None:
        return
    if not lead:
        raise ValueError(
            f"--planes {planes}: {_described(source, axes, shape)}: no stack axis to pick planes "
            "from (it is one " + ("volume" if mode == "volume" else "2D image") + "). Drop --planes."
        )
    picks = [planes] if isinstance(planes, (int, np.integer)) else list(planes)
    n = sizes[0]
    bad = [p for p in picks if isinstance(p, (int, np.integer)) and not -n <= int(p) < n]
    if bad:
        raise ValueError(
            f"--planes {','.join(map(str, bad))}: {_described(source, axes, shape)}; planes index "
            f"its first stack axis {lead[0]} (0-{n - 1})."
        )
