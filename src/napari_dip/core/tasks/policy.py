"""What the data decide, without torch: the presets a task starts from and the rules that adapt them.

:class:`Policy` is the generic part; :class:`ThinMaskPolicy` the masks' rules (thin damage: the classical
fill as input, a narrower CPU network); :class:`DenoisePolicy`, :class:`InpaintPolicy` (the hole rule, see
``core/tasks/inpaint.py``) and :class:`SuperResolutionPolicy` a task's own. The catalog
(:mod:`.catalog`) holds each task's policy, so that the widgets and the command line read the presets
without importing torch.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from skimage.restoration import estimate_sigma

from .. import devices
from ..engine.types import Damage, FitContext

#: The paper's hourglass: 128/128/4 skip network, bilinear up-sampling (channels capped by ``width``).
SKIP_4 = dict(
    arch="skip", channels_down=128, channels_up=128, channels_skip=4, depth=5, upsample_mode="bilinear"
)


def make_preset(network: dict, *, input: str = "noise", input_depth: int = 32, lr: float = 0.01,
                iterations: int, reg_noise_std: float, early_stop: bool = False, backtrack: bool = False,
                loss: str = "mse") -> dict:
    """A preset: the settings a task starts from (see docs/reference.md for their sources)."""
    return dict(network=network, input=input, input_depth=input_depth, lr=lr, iterations=iterations,
                reg_noise_std=reg_noise_std, early_stop=early_stop, backtrack=backtrack, loss=loss)


#: Context of a window around a hole (``core/tasks/inpaint.py``): this many depths, at least MIN_CONTEXT px.
CONTEXT_DEPTHS = 3
MIN_CONTEXT = 32


@dataclass(frozen=True)
class Policy:
    """The settings a task starts from and the rules that adapt them to the data.

    ``presets``: name -> preset (:func:`make_preset`), the first the default; ``cpu_width``: the
    channel cap off CUDA when the user gives no ``width`` (measured per task); ``fill_input``: what
    ``fill_input="auto"`` does (measured per task).
    """

    presets: dict[str, dict]
    cpu_width: int = 64
    fill_input: bool = False

    def preset(self, name: str | None = None, inputs: dict | None = None) -> dict:
        """A copy of preset ``name`` (None: the default), adjusted to the inputs where the task says."""
        return copy.deepcopy(self.presets[name or next(iter(self.presets))])

    def choose_preset(self, settings, damage: Damage) -> tuple[str, str]:
        """``(preset name, reason)`` for this image; the default rule: the first preset."""
        return next(iter(self.presets)), "task default"

    def default_width(self, settings, device, preset_name: str, damage: Damage) -> int:
        """Channels per level when the user gives no ``width``: 128 on CUDA (the paper's), else
        :attr:`cpu_width`.

        The narrower network is measured per task against 64 (benchmarks/network_size.py): where it ties,
        an iteration costs about half as much on a CPU.
        """
        return devices.default_width(device, cpu=self.cpu_width)

    def wants_fill_input(self, settings, preset_name: str, damage: Damage) -> bool:
        """``fill_input="auto"``: feed the classical estimate as input channels?"""
        return self.fill_input

    def tv_weight(self, ctx: FitContext) -> float:
        """Weight of the total-variation term of one fit: the user's ``tv_weight``, else 0."""
        return float(ctx.settings.tv_weight or 0.0)

    def context_margin(self, settings, damage: Damage) -> float | None:
        """How far (px) the observed pixels that explain a missing region reach, for fits in windows
        around the damage (``extent``, ``core/engine/windows.py``); None: the task fits the whole image."""
        return None


@dataclass(frozen=True)
class ThinMaskPolicy(Policy):
    """Masks: thin damage (at most ``fill_radius`` deep) gets the classical fill as input and the narrower
    CPU network (:attr:`cpu_width`); deeper holes and the presets in ``deep_presets`` get ``deep_cpu_width``
    and no fill (measured: benchmarks/hole_rule.py and network_size.py)."""

    deep_cpu_width: int = 64
    deep_presets: tuple[str, ...] = ()

    def thin(self, settings, preset_name: str, damage: Damage) -> bool:
        """Thin damage (text, scratches, dropped pixels): at most ``fill_radius`` deep, not a deep preset."""
        return preset_name not in self.deep_presets and damage.depth <= settings.fill_radius

    def wants_fill_input(self, settings, preset_name, damage):
        return self.thin(settings, preset_name, damage)

    def default_width(self, settings, device, preset_name, damage):
        thin = self.thin(settings, preset_name, damage)
        return devices.default_width(device, cpu=self.cpu_width if thin else self.deep_cpu_width)


@dataclass(frozen=True)
class DenoisePolicy(Policy):
    def tv_weight(self, ctx):
        """``tv_weight=None``: 0.5 x the noise level of the observation (``estimate_sigma``, on [0, 1]).

        Measured against the defaults without it (benchmarks/denoise.py, docs/notes/benchmarks.md): +0.9 dB on
        F16 and +0.8 dB on cell (3 seeds each, Gaussian sigma 25), at about 1.7x the iterations. With
        ``noise="poisson"`` the data are variance-stabilised first (``core/noise.py``), so the same rule
        applies to their now Gaussian noise (benchmarks/peers.py).
        """
        if ctx.settings.tv_weight is not None:
            return super().tv_weight(ctx)
        y = ctx.y[(0, slice(None), *ctx.crop)].float().cpu().numpy()
        return 0.5 * float(estimate_sigma(y, channel_axis=0, average_sigmas=True))


@dataclass(frozen=True)
class InpaintPolicy(ThinMaskPolicy):
    """The hole rule (see the module's docstring) on top of the thin-mask rules."""

    def choose_preset(self, settings, damage):
        deep, textured = damage.depth >= settings.hole_radius, damage.texture >= settings.hole_texture
        if deep and textured:
            return "hole", (
                f"largest missing region is {damage.depth:.0f} px deep (>= hole_radius) in a textured "
                f"surround (texture {damage.texture:.2f} >= hole_texture)"
            )
        if deep:
            return "inpaint", (f"largest missing region is {damage.depth:.0f} px deep, in a surround "
                               f"without fine texture (texture {damage.texture:.2f} < hole_texture)")
        return "inpaint", "task default"

    def context_margin(self, settings, damage):
        return max(float(MIN_CONTEXT), CONTEXT_DEPTHS * damage.depth)


@dataclass(frozen=True)
class SuperResolutionPolicy(Policy):
    def preset(self, name=None, inputs=None):
        """8x: twice the iterations and more input noise (the paper's)."""
        p = super().preset(name)
        if inputs and inputs.get("factor") == 8:
            p.update(iterations=2 * p["iterations"], reg_noise_std=0.05)
        return p
