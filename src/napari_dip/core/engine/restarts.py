"""Restarts: ``k`` independent fits in one network, their outputs averaged (``restarts=k``).

Averaging fits from several random initialisations is the Deep Image Prior paper's own way to a
better image. Here the ``k`` networks (each seeded apart, each with its own input) form one module
whose batch axis is the restart (:func:`combine`): it maps an input of ``k`` samples to ``k`` outputs,
each through its own network (BatchNorm statistics stay per restart, as in one fit). The loss is the
task's loss on each restart, summed (:func:`per_restart`), so every restart gets the gradient of its
own fit and one Adam step moves all of them; the image shown is the average of the ``k`` outputs
(``loop._shown``).

Two ways to run the ``k`` networks, the same numbers: ``batched`` stacks their weights and runs them as
one vectorised call (``torch.func.vmap``: grouped convolutions), which fills a GPU that one small fit
leaves idle; otherwise they run one after the other, which on a CPU whose cores one fit already keeps
busy is the cheaper of the two (``benchmarks/archive/restarts.py --steps``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, vmap

from ..networks import DIPNet

#: Seeds of restart ``i``: ``seed + SEED_STEP * i`` (apart from the seeds a user would try next).
SEED_STEP = 7919


def restart_seeds(seed: int, k: int) -> list[int]:
    """The seeds of ``k`` restarts of a fit seeded ``seed`` (the first is ``seed`` itself)."""
    return [seed + SEED_STEP * i for i in range(k)]


def check_restarts(k) -> int:
    """``k`` as an int, or a ``ValueError`` unless it is a whole number >= 1."""
    try:
        whole = not isinstance(k, bool) and int(k) == k and k >= 1
    except (TypeError, ValueError):  # None, a string, ...
        whole = False
    if not whole:
        raise ValueError(f"restarts must be a whole number of at least 1, got {k!r}")
    return int(k)


def batched_for(device: torch.device) -> bool:
    """Whether restarts run batched on ``device``: everywhere but on a CPU (see the module's note)."""
    return device.type != "cpu"


def combine(nets: list[DIPNet], *, batched: bool) -> DIPNet:
    """One :class:`~..networks.DIPNet` running ``nets`` (same architecture, own weights) side by side on
    the batch axis: sample ``i`` of its input goes through ``nets[i]``."""
    first = nets[0]
    bodies = [n.body for n in nets]
    body = _Batched(bodies) if batched else _InTurn(bodies)
    return DIPNet(body, multiple=first.multiple, input_stride=first.input_stride,
                  name=f"{first.name} x{len(nets)}", min_size=first.min_size, first_axis=first.first_axis)


def per_restart(loss_fn: Callable, k: int) -> Callable:
    """``loss(out, t)`` for ``k`` restarts: the sum over the batch axis of ``loss_fn`` on each output.

    The sum, not the mean: each restart's gradient is then exactly its lone fit's (a mean would scale it
    by ``1/k``, which Adam's ``eps`` does not ignore on small gradients); the loop records the mean.
    """

    def loss(out: torch.Tensor, t: int) -> torch.Tensor:
        return sum(loss_fn(out[i:i + 1], t) for i in range(k))

    loss.tv_weight = getattr(loss_fn, "tv_weight", None)  # type: ignore[attr-defined]
    return loss


class _InTurn(nn.Module):
    """The networks one after the other (each at its full speed on the CPU's cores)."""

    def __init__(self, bodies: list[nn.Module]):
        super().__init__()
        self.nets = nn.ModuleList(bodies)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([net(x[i:i + 1]) for i, net in enumerate(self.nets)])


class _Batched(nn.Module):
    """The networks as one vectorised call over their stacked weights and buffers."""

    def __init__(self, bodies: list[nn.Module]):
        super().__init__()
        self.names = [name for name, _ in bodies[0].named_parameters()]
        self.buffer_names = [name for name, _ in bodies[0].named_buffers()]
        self.weights = nn.ParameterList()
        for name in self.names:
            tensors = [dict(b.named_parameters())[name] for b in bodies]
            stacked = torch.stack([t.detach() for t in tensors])
            self.weights.append(nn.Parameter(stacked, requires_grad=tensors[0].requires_grad))
        for j, name in enumerate(self.buffer_names):
            self.register_buffer(f"stacked_buffer_{j}", torch.stack([dict(b.named_buffers())[name]
                                                                      for b in bodies]))
        self._template = [copy.deepcopy(bodies[0]).to("meta")]  # a list: not a submodule

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        template = self._template[0]
        buffers = [getattr(self, f"stacked_buffer_{j}") for j in range(len(self.buffer_names))]

        def one(weights, bufs, sample):
            state = {**dict(zip(self.names, weights, strict=True)),
                     **dict(zip(self.buffer_names, bufs, strict=True))}
            return functional_call(template, state, (sample[None],))[0]

        return vmap(one, randomness="different")(list(self.weights), buffers, x)
