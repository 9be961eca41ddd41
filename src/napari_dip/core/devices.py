"""Which torch devices a fit can run on, and the per-device rules (one home each).

- :func:`pick_device`: the device a fit runs on;
- :func:`default_width`: the channel cap when ``width=None`` (128 on a GPU as in the
  paper; elsewhere the task's ``cpu_width``, 64 unless a task measured 32 as a tie);
- :func:`uses_bf16` / :func:`autocast_for`: when bf16 autocast is used.
"""

from __future__ import annotations

import contextlib
import functools

PRECISIONS = ("auto", "bf16", "fp32")


def available_devices() -> list[str]:
    """``["cpu", "cuda:0", ..., "mps"]``: the devices really available here."""
    import torch

    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names


def pick_device(device=None):
    """The torch device of a fit: ``device`` checked, or (``None``) CUDA, then Apple MPS, then CPU."""
    import torch

    if device is not None:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise ValueError(
                f"device {device!r} is not a torch device ('cpu', 'cuda', 'cuda:1', 'mps')"
            ) from err
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use device='cpu'.")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError("device 'mps' was asked for but Apple MPS is not available; use device='cpu'.")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def default_width(device, cpu: int = 64) -> int:
    """Channel cap when the user gives none: 128 on CUDA (the paper's), ``cpu`` elsewhere (a task's
    :attr:`~napari_dip.core.tasks.parts.Policy.cpu_width`)."""
    return 128 if device.type == "cuda" else int(cpu)


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Does this CPU compute bf16 natively (AVX512-BF16 or AMX)? Without it torch emulates bf16."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
        if flags:
            return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        pass
    import torch

    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)  # private; absent in some builds
    return bool(check()) if check is not None else False


def uses_bf16(device, precision: str, dims: int = 2) -> bool:
    """bf16 autocast where it pays off: CUDA GPUs with bf16, and 2D fits on CPUs with native bf16.

    Measured (docs/notes/benchmarks.md, speed): on a CPU without native bf16 (AVX2 only) 2D fits
    ran 7 to 15 times slower in bf16 than in fp32, and a 3D fit 25 times slower; on
    an earlier development CPU bf16 was 1.1 to 1.9 times faster. So ``precision="auto"``
    uses bf16 on CPUs with native bf16 for 2D fits only; ``"bf16"`` forces it.
    """
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    return precision == "bf16" or (dims == 2 and cpu_has_bf16())


def autocast_for(device, precision: str, dims: int = 2):
    """The autocast context of a fit: bf16 where :func:`uses_bf16`, else none (fp32)."""
    import torch

    if uses_bf16(device, precision, dims):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
