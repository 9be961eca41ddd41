"""Which torch devices a fit can run on."""

from __future__ import annotations


def available_devices() -> list[str]:
    """``["cpu", "cuda:0", ..., "mps"]``: the devices really available here."""
    import torch

    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names
