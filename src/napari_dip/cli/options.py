"""Command-line options generated from :class:`napari_dip.core.settings.Settings` (one per setting)."""

from __future__ import annotations

import argparse
import re

from napari_dip.core.settings import option_help, option_names, parse_planes

_SIZE = re.compile(r"^\s*([\d.]+)\s*([kmgt]?i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def value(text: str):
    """A command-line value: none, true/false, an integer, a float, or the text itself."""
    low = text.strip().lower()
    if low == "none":
        return None
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def size(text: str) -> int:
    """Bytes from ``4GiB``, ``512MiB``, ``2e9``..."""
    m = _SIZE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 4GiB, 512MiB or bytes)")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])


_SPECIAL = {"max_memory": size, "planes": parse_planes}
#: Flags renamed where a setting's name is taken by a command's own argument.
_FLAGS = {"output": "--output-mode", "input": "--net-input"}
_DEST = "setting_"


def add_settings(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    """One ``--option`` per setting; only the options given on the command line are passed on."""
    group = parser.add_argument_group(
        "settings (see napari_dip.core.settings.Settings; default: the preset's)"
    )
    for name, (default, help_text, choices) in option_help().items():
        if name in skip:
            continue
        flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
        dest = _DEST + name
        text = f"{help_text} (default: {default})".replace("%", "%%")
        metavar = name.upper()
        if choices is not None and set(choices) <= {True, False, None}:
            group.add_argument(
                flag, dest=dest, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=text
            )
        elif choices is not None and all(isinstance(c, str) or c is None for c in choices):
            group.add_argument(flag, dest=dest, choices=[c for c in choices if c is not None],
                               default=argparse.SUPPRESS, help=text)
        else:
            group.add_argument(
                flag,
                dest=dest,
                type=_SPECIAL.get(name, value),
                default=argparse.SUPPRESS,
                metavar=metavar,
                help=text,
            )


def settings_from(args: argparse.Namespace) -> dict:
    """The settings given on the command line."""
    return {name: getattr(args, _DEST + name) for name in option_names() if hasattr(args, _DEST + name)}
