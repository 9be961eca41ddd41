"""Experiments from the reports, for your own images (``napari_dip.experiments``).

- :func:`prior_probe` / :func:`iter_prior_probe`: fit one network to the
  image, the image with noise, its shuffled pixels and pure noise, and
  record the loss at every iteration (report 003): does the prior separate
  your structure from your noise, and how fast? :func:`plot` draws it.
- :func:`sweep` / :func:`iter_sweep`: one :func:`napari_dip.restore` per
  combination of settings (report 000's architecture and learning-rate
  comparison), scored against a reference; :func:`write_csv` saves it.

Importing this package does not import torch or matplotlib. See docs/experiments.md.
"""

from .plotting import plot
from .probe import TARGETS, ProbeProgress, ProbeResult, iter_prior_probe, prior_probe, summarize
from .sweep import SweepProgress, iter_sweep, label, parse_values, parse_vary, sweep, write_csv

__all__ = ["prior_probe", "iter_prior_probe", "ProbeResult", "ProbeProgress", "TARGETS", "summarize", "plot",
           "sweep", "iter_sweep", "SweepProgress", "write_csv", "label", "parse_values", "parse_vary"]
