"""What the benchmark scripts share, each defined once; the scripts import it as ``_lib``.

A script runs as ``python benchmarks/<script>.py`` from the repository root: Python puts the script's
folder, ``benchmarks/``, first on the import path, so ``from _lib import ...`` needs no path changes.

- :mod:`_lib.cases`: the test images (the DIP paper's, the W2S widefield pairs) and their degradations
- :mod:`_lib.scoring`: one scorer (PSNR, SSIM; optionally after the W2S least-squares affine fit)
- :mod:`_lib.report`: the machine line, the command line, markdown tables, the notes' sections
- :mod:`_lib.speed_tables`, :mod:`_lib.noise_tables`: the tables rendered from result files (standard
  library only: ``docs/scripts/tables.py`` imports them on a machine without torch)

This module and those two hold only the standard library at import time.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / "benchmarks" / "traces"  # the result files the docs' tables are rendered from
DOC = ROOT / "docs" / "notes" / "benchmarks.md"  # the measurement notes (not in the site nav)
PAPER_DATA = ROOT.parent / "shared" / "data" / "dip-paper"
W2S = ROOT.parent / "shared" / "data" / "w2s"
