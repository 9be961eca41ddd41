"""Report writing: the machine line, the command line, markdown tables, the notes' sections, timing in
turns."""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import DOC, ROOT


def machine(threads: bool = False) -> str:
    """The device, torch and Python, e.g. ``CPU, 2 cores (<model>, native bf16: auto precision is bf16); torch
    2.13.0+cpu; Python 3.11.7``; with ``threads``, then ``; <n> torch thread(s)``."""
    import torch  # heavy: the module loads without it (docs/scripts/tables.py renders without torch)

    if torch.cuda.is_available():
        dev = torch.cuda.get_device_name(0)
    else:
        from napari_dip.core.devices import cpu_has_bf16  # imports torch

        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), platform.processor() or platform.machine())
        dev = (f"CPU, {os.cpu_count()} cores ({model}, {'native' if cpu_has_bf16() else 'no native'} bf16: "
               f"auto precision is {'bf16' if cpu_has_bf16() else 'fp32'})")
    line = f"{dev}; torch {torch.__version__}; Python {sys.version.split()[0]}"
    return f"{line}; {torch.get_num_threads()} torch thread(s)" if threads else line


def command() -> str:
    """The command line that ran this script, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT).as_posix() if script.is_relative_to(ROOT) else sys.argv[0]
    return " ".join(["python", shown, *sys.argv[1:]])


def write_section(key: str, body: str, doc: Path = DOC) -> None:
    """Replace the text between ``<!-- key:start -->`` and ``<!-- key:end -->`` in
    docs/notes/benchmarks.md."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A markdown table; a float cell is written with two decimals, any other cell as ``str``."""

    def fmt(v):
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def first_within(psnrs: Iterable[float], target: float, margin: float) -> int | None:
    """The index of the first PSNR within ``margin`` dB of ``target``; None when none is."""
    return next((k for k, p in enumerate(psnrs) if p >= target - margin), None)


def in_turns(ways: dict[str, Iterator], rounds: int, block: int) -> dict[str, list[float]]:
    """Seconds per step of each iterator, stepped in turns ``block`` steps at a time for ``rounds``
    rounds, so that a load from elsewhere falls on all of them alike; one list of rounds per way."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, steps in ways.items():
            t = time.perf_counter()
            for _ in range(block):
                next(steps)
            times[name].append((time.perf_counter() - t) / block)
    return times
