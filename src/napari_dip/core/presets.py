"""Per-task settings, after the original notebooks (see docs/reference.md).

``width`` caps every channel count (``None``: 128 on a GPU as in the paper,
64 on a CPU, where it was measured as good per iteration at half the cost).
"""

from __future__ import annotations

import copy

TASKS = ("denoise", "inpaint", "reconstruct", "super_resolution")

_SKIP_4 = dict(arch="skip", channels_down=128, channels_up=128, channels_skip=4, depth=5,
               upsample_mode="bilinear")

PRESETS: dict[str, dict] = {
    # F16 denoising: 128/128/4 bilinear, noise(32), lr 0.01, 3000 its, reg 1/30, EMA 0.99
    "denoise": dict(network=_SKIP_4, input="noise", input_depth=32, lr=0.01, iterations=3000,
                    reg_noise_std=1 / 30, early_stop=True, backtrack=True, loss="mse"),
    # kate text inpainting: 128/128/128 nearest, noise(32), lr 0.01, 6001 its, reg 0.03
    "inpaint": dict(network=dict(_SKIP_4, channels_skip=128, upsample_mode="nearest"),
                    input="noise", input_depth=32, lr=0.01, iterations=6000, reg_noise_std=0.03,
                    early_stop=False, backtrack=False, loss="mse"),
    # library large hole: depth 6, no skips, 5x5 down / 3x3 up, no 1x1 up; meshgrid input (report 002)
    "hole": dict(network=dict(arch="skip", channels_down=[16, 32, 64, 128, 128, 128],
                              channels_up=[16, 32, 64, 128, 128, 128], channels_skip=0, depth=6,
                              filter_size_down=5, filter_size_up=3, need1x1_up=False,
                              upsample_mode="nearest"),
                 input="meshgrid", input_depth=2, lr=0.01, iterations=3000, reg_noise_std=0.0,
                 early_stop=False, backtrack=False, loss="mse"),
    # barbara 50% pixels: 128/128/4 bilinear, noise(32), reg 0.03 (lr 0.001 x 11000 its in the paper;
    # 0.01 x 3000 reaches the same level far sooner on the sizes napari users fit interactively)
    "reconstruct": dict(network=_SKIP_4, input="noise", input_depth=32, lr=0.01, iterations=3000,
                        reg_noise_std=0.03, early_stop=False, backtrack=True, loss="mse"),
    # zebra 4x: 128/128/4 bilinear, noise(32), lr 0.01, 2000 its (8x: 4000), reg 0.03 (8x: 0.05)
    "super_resolution": dict(network=_SKIP_4, input="noise", input_depth=32, lr=0.01,
                             iterations=2000, reg_noise_std=0.03, early_stop=False,
                             backtrack=False, loss="mse"),
}


def preset(name: str) -> dict:
    """A deep copy of a preset, so callers can edit it."""
    try:
        return copy.deepcopy(PRESETS[name])
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None


def apply_width(network: dict, width: int) -> dict:
    """Cap every channel count of a network spec at ``width``."""
    net = dict(network)
    for key in ("channels_down", "channels_up", "channels_skip"):
        value = net.get(key)
        if isinstance(value, int):
            net[key] = min(value, width)
        elif value is not None:
            net[key] = [min(v, width) for v in value]
    return net
