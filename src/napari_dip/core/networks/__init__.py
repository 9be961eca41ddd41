"""Generator networks for the Deep Image Prior, and the size rules each one has.

All builders return a :class:`~.layers.DIPNet`: a module with ``input_stride``
(how much smaller than the output its input is, 1 for hourglass nets) and
``multiple`` (spatial sizes must be a multiple of it); ``dims`` selects 2D
(images) or 3D (volumes) convolutions. Volumes are often thin along Z: the 3D
hourglass nets take ``z_levels``, the number of scales that also halve Z.

- ``skip``: the paper's hourglass with skip branches (:func:`~.hourglass.skip_net`);
- ``unet``: the same hourglass with full-width skips (:func:`~.hourglass.unet`);
- ``resnet``: residual blocks at full resolution, no down-sampling;
- ``decoder``: Heckel & Hand's Deep Decoder (up-sampling and 1x1 convolutions).

Each :class:`Architecture` knows its own geometry: the smallest image it fits
(:meth:`Architecture.min_side`) and the depth that fits an image
(:meth:`Architecture.fit`), so no caller special-cases an architecture.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from .hourglass import decoder_net, skip_net, unet
from .layers import DIPNet
from .resnet import resnet

#: The shallowest hourglass that still acts as a prior (shrinking below it is an error).
MIN_DEPTH = 3


@dataclass(frozen=True)
class Architecture:
    """A network builder and its size rules."""

    name: str
    build: Callable[..., DIPNet]
    downsamples: bool = True   # False: works at full resolution (any size)
    encoder: bool = True       # False: no encoder (the decoder): its input is 2**depth times smaller
                               # than the output, so no full-size image can be fed in (fill_input)

    @property
    def options(self) -> tuple[str, ...]:
        params = inspect.signature(self.build).parameters
        return tuple(p for p in params if p not in ("in_channels", "out_channels", "dims", "kwargs"))

    def default_depth(self) -> int | None:
        param = inspect.signature(self.build).parameters.get("depth")
        return None if param is None else int(param.default)

    def check(self, spec: dict) -> None:
        """Refuse options the builder does not take (a ``ValueError`` naming the valid ones)."""
        accepts_more = "kwargs" in inspect.signature(self.build).parameters
        valid = set(self.options) | (set(skip_net_options()) if accepts_more else set())
        unknown = sorted(set(spec) - valid)
        if unknown:
            raise ValueError(f"network {self.name!r} takes no option(s) {unknown}; its options are "
                             f"{sorted(valid)}.")

    def _need(self, spec: dict) -> int:
        """Pixels the deepest feature map needs."""
        return spec.get("filter_size_down", 3) // 2 + 1 if self.encoder else 1

    def min_side(self, spec: dict) -> int:
        """Smallest image side (pixels) this network fits; padding may at most double the image."""
        if not self.downsamples:
            return 2
        depth = int(spec.get("depth", self.default_depth()))
        return max(2, 2**depth * self._need(spec) // 2)

    def _fits(self, spec: dict, side: int, lowest: int) -> tuple[int, int]:
        depth = int(spec.get("depth", self.default_depth()))
        need = self._need(spec)
        return depth, max((d for d in range(lowest, depth + 1) if 2**d * need <= 2 * side), default=0)

    def fit(self, spec: dict, side: int, *, explicit: bool = False) -> tuple[dict, str]:
        """``spec`` with the depth shrunk to fit an image ``side`` pixels wide, and a note.

        A network of depth d with k x k down-sampling filters needs feature maps
        of at least (k // 2 + 1) pixels at its deepest scale. The preset's depth
        shrinks to fit (down to :data:`MIN_DEPTH`); an explicit ``depth`` that
        does not fit is a ``ValueError``.
        """
        spec = dict(spec)
        if not self.downsamples:
            return spec, ""
        depth, fits = self._fits(spec, side, 1)
        if fits >= depth:
            return spec, ""
        if explicit or fits < MIN_DEPTH:
            smallest = 2**MIN_DEPTH * self._need(spec) // 2
            hint = (f"pass depth={fits} or a larger image" if fits >= MIN_DEPTH
                    else f"use an image of at least {smallest} pixels per side")
            raise ValueError(f"image is {side} px wide (output grid) but the {self.name!r} network of depth "
                             f"{depth} needs at least {self.min_side(spec)} px; {hint}.")
        spec["depth"] = fits
        for key in ("channels_down", "channels_up", "channels_skip"):
            if isinstance(spec.get(key), list):
                spec[key] = spec[key][:fits]
        return spec, f"depth reduced from {depth} to {fits} to fit a {side}-px image"

    def fit_z(self, spec: dict, planes: int) -> tuple[dict, str]:
        """Volumes: halve Z only at the scales a stack of ``planes`` allows (sets ``z_levels``)."""
        spec = dict(spec)
        if not self.downsamples:
            return spec, ""
        depth, fits = self._fits(spec, planes, 0)
        if fits >= depth:
            return spec, ""
        spec["z_levels"] = fits
        return spec, f"Z ({planes} planes) halved at {fits} of {depth} scales, Y/X at all"


def skip_net_options() -> tuple[str, ...]:
    return ARCHITECTURES["skip"].options


ARCHITECTURES: dict[str, Architecture] = {
    "skip": Architecture("skip", skip_net),
    "unet": Architecture("unet", unet),
    "resnet": Architecture("resnet", resnet, downsamples=False),
    "decoder": Architecture("decoder", decoder_net, encoder=False),
}


def architecture(name: str) -> Architecture:
    """The :class:`Architecture` called ``name`` (``ValueError`` listing the valid names)."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown network {name!r}; choose one of {sorted(ARCHITECTURES)}") from None


def build_network(arch: str, in_channels: int, out_channels: int, dims: int = 2, **kwargs) -> DIPNet:
    """Build a network by name (``skip``, ``unet``, ``resnet``, ``decoder``); bad options are
    ``ValueError``."""
    a = architecture(arch)
    a.check(kwargs)
    return a.build(in_channels, out_channels, dims=dims, **kwargs)


__all__ = ["ARCHITECTURES", "Architecture", "DIPNet", "architecture", "build_network", "decoder_net",
           "resnet", "skip_net", "unet", "MIN_DEPTH"]
