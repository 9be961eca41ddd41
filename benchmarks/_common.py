"""Shared helpers for the benchmark scripts: data paths, doc sections, machine description."""

from __future__ import annotations

import platform
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "notes" / "benchmarks.md"  # the measurement diary (not in the site nav)
PAPER_DATA = ROOT.parent / "shared" / "data" / "dip-paper"


def machine() -> str:
    import torch

    if torch.cuda.is_available():
        dev = torch.cuda.get_device_name(0)
    else:
        import os

        from napari_dip.core.devices import cpu_has_bf16

        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), platform.processor() or platform.machine())
        dev = (f"CPU, {os.cpu_count()} cores ({model}, {'native' if cpu_has_bf16() else 'no native'} bf16: "
               f"auto precision is {'bf16' if cpu_has_bf16() else 'fp32'})")
    return f"{dev}; torch {torch.__version__}; Python {sys.version.split()[0]}"


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
    def fmt(v):
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


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
