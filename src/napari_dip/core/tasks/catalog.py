"""The task catalog, without torch: every task's name, form, presets, input rules and classical baselines.

What the command line, the widgets, batch and the classical baselines read of a task lives here, so that
they read it without importing torch; a task module (``core/tasks/<name>.py``) adds what a fit builds on
top of its :class:`Entry` (the observation model, the automatic stop, the initial guess: a
:class:`~.base.Task`). ``entry(name)`` returns an entry, ``names()`` lists them in display order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..blending.poisson import poisson_blend
from ..blending.pyramid import alpha_blend, laplacian_blend
from ..classical import (
    deconvolve_richardson_lucy,
    deconvolve_wiener,
    denoise_nl_means,
    denoise_tv,
    inpaint_biharmonic,
    upscale,
)
from ..peers import deconvolve_richardson_lucy_tv, denoise_bm3d, denoise_noise2void
from .inputs import FactorInputs, InputRules, NoInputs, PsfInputs
from .options import BlendOptions, DeconvolveOptions, MaskOptions, NoOptions, SuperResolutionOptions
from .policy import (
    SKIP_4,
    DenoisePolicy,
    InpaintPolicy,
    Policy,
    SuperResolutionPolicy,
    ThinMaskPolicy,
    make_preset,
)
from .schema import TaskInput, union

#: Task modules, in the order the widget and the CLI list them.
MODULES = ("denoise", "inpaint", "reconstruct", "super_resolution", "deconvolve", "blend")


@dataclass(frozen=True)
class Form:
    """What the widgets and the command line render for a task.

    ``inputs`` are the field names of the task's options (:mod:`.options`), ``mask`` included where the
    task needs one; ``kind`` is "restore" (:func:`napari_dip.restore`) or "blend" (:func:`napari_dip.blend`).
    """

    label: str
    options: type
    kind: str = "restore"
    #: one plain sentence for the forms: what the task does and what it needs besides the image
    hint: str = ""

    @property
    def inputs(self) -> tuple[str, ...]:
        """The keyword inputs the task takes from the user besides the image, in form order."""
        return tuple(f.name for f in fields(self.options))

    @property
    def needs_mask(self) -> bool:
        return "mask" in self.inputs


@dataclass
class Entry:
    """A task as the catalog knows it: its ``name`` (the registry's key, the CLI's ``--task``), ``form``,
    ``policy`` (:mod:`.policy`), ``input_rules`` (:mod:`.inputs`) and ``baselines``: classical methods to
    compare with, the first the standard one, ``name -> f(image, channel_axis, mask, inputs) -> image``."""

    name: str
    form: Form
    policy: Policy
    input_rules: InputRules = field(default_factory=InputRules)
    baselines: dict[str, Callable] = field(default_factory=dict)


def bm3d_baseline(image: np.ndarray, axis, mask, inputs: dict) -> np.ndarray:
    """Compare's BM3D with the run's noise model: the camera model (``inputs["camera"]``, the resolved
    ``noise="auto"`` or the user's ``"poisson"``) runs BM3D on the generalised Anscombe transform; Gaussian
    noise on the sigma estimate (scikit-image's ``estimate_sigma``, which on real camera data sees about a
    third of the noise)."""
    return denoise_bm3d(image, channel_axis=axis, camera=inputs.get("camera"))


#: Compare names it "BM3D (camera model)" when the run's noise model is the camera's.
bm3d_baseline.uses_camera = True  # type: ignore[attr-defined]

#: Richardson-Lucy iterations of the classical baseline (scikit-image's default is 50; 30 keeps noise down).
RL_ITERATIONS = 30

MASK_BASELINES = {
    "biharmonic": lambda image, axis, mask, inputs: inpaint_biharmonic(image, mask, channel_axis=axis)
}

HOLE_NETWORK = dict(
    arch="skip",
    channels_down=[16, 32, 64, 128, 128, 128],
    channels_up=[16, 32, 64, 128, 128, 128],
    channels_skip=0,
    depth=6,
    filter_size_down=5,
    filter_size_up=3,
    need1x1_up=False,
    upsample_mode="nearest",
)

#: Iterations of a blend when ``iterations=None``: at the sizes napari users blend interactively (up to
#: ~512 px) the loss has flattened well before this.
BLEND_ITERATIONS = 1000

_ENTRIES = (
    Entry(
        name="denoise",
        form=Form(label="denoise", options=NoOptions, hint="Remove noise; needs only the image."),
        # F16 denoising: 128/128/4 bilinear, noise(32), lr 0.01, 3000 its, reg 1/30, EMA 0.99
        policy=DenoisePolicy({"denoise": make_preset(SKIP_4, iterations=3000, reg_noise_std=1 / 30,
                                                     early_stop=True, backtrack=True)}),
        baselines={
            "non-local means": lambda image, axis, mask, inputs: denoise_nl_means(image, channel_axis=axis),
            "total variation": lambda image, axis, mask, inputs: denoise_tv(image, channel_axis=axis),
            "BM3D": bm3d_baseline,
            "Noise2Void": lambda image, axis, mask, inputs: denoise_noise2void(image, channel_axis=axis),
        },
    ),
    Entry(
        name="inpaint",
        form=Form(label="inpaint", options=MaskOptions,
                  hint="Fill the painted (missing) pixels; needs a mask (a Labels layer)."),
        policy=InpaintPolicy(
            {
                # kate text inpainting: 128/128/128 nearest, noise(32), lr 0.01, 6001 its, reg 0.03
                "inpaint": make_preset(dict(SKIP_4, channels_skip=128, upsample_mode="nearest"),
                                       iterations=6000, reg_noise_std=0.03, early_stop=True),
                # library large hole: depth 6, no skips, 5x5 down / 3x3 up, no 1x1 up; meshgrid input
                # (report 002)
                "hole": make_preset(HOLE_NETWORK, input="meshgrid", input_depth=2, iterations=3000,
                                    reg_noise_std=0.0, early_stop=True),
            },
            cpu_width=32,  # thin masks; holes deeper than fill_radius, or the hole preset: 64
            deep_presets=("hole",),
        ),
        baselines=MASK_BASELINES,
    ),
    Entry(
        name="reconstruct",
        form=Form(label="reconstruct", options=MaskOptions,
                  hint="Rebuild an image of which only some pixels were measured; needs a mask of the "
                       "unmeasured ones."),
        # barbara 50% pixels: 128/128/4 bilinear, noise(32), reg 0.03 (lr 0.001 x 11000 its in the paper;
        # 0.01 x 3000 reaches the same level far sooner on the sizes napari users fit interactively)
        policy=ThinMaskPolicy({"reconstruct": make_preset(SKIP_4, iterations=3000, reg_noise_std=0.03,
                                                          backtrack=True, early_stop=True)},
                              cpu_width=32),  # scattered holes are thin: 32 channels on a CPU, as inpaint's
        baselines=MASK_BASELINES,
    ),
    Entry(
        name="super_resolution",
        form=Form(label="super-resolution", options=SuperResolutionOptions,
                  hint="Up-scale by a factor, adding detail consistent with the image."),
        # zebra 4x: 128/128/4 bilinear, noise(32), lr 0.01, 2000 its (8x: 4000), reg 0.03 (8x: 0.05)
        policy=SuperResolutionPolicy(
            {"super_resolution": make_preset(SKIP_4, iterations=2000, reg_noise_std=0.03, early_stop=True)},
            cpu_width=32,  # ties 64 on a CPU at about half the time (docs/notes/benchmarks.md, network size)
            fill_input=True,
        ),
        input_rules=FactorInputs(),
        baselines={
            "bicubic": lambda image, axis, mask, inputs: upscale(image, inputs["factor"], channel_axis=axis)
        },
    ),
    Entry(
        name="deconvolve",
        form=Form(label="deconvolve", options=DeconvolveOptions,
                  hint="Undo the blur of the optics (its PSF): computed from the objective, measured, or a "
                       "blur width."),
        policy=Policy({"deconvolve": make_preset(SKIP_4, iterations=3000, reg_noise_std=1 / 30,
                                                 early_stop=True, backtrack=True)}, fill_input=True),
        input_rules=PsfInputs(),
        baselines={
            "Richardson-Lucy": lambda image, axis, mask, inputs: deconvolve_richardson_lucy(
                image, psf=inputs["psf"], channel_axis=axis, num_iter=RL_ITERATIONS
            ),
            "Wiener": lambda image, axis, mask, inputs: deconvolve_wiener(
                image, psf=inputs["psf"], channel_axis=axis
            ),
            "Richardson-Lucy-TV": lambda image, axis, mask, inputs: deconvolve_richardson_lucy_tv(
                image, psf=inputs["psf"], channel_axis=axis
            ),
        },
    ),
    Entry(
        name="blend",
        form=Form(label="blend", options=BlendOptions, kind="blend"),
        # the paper's blending network: 128/128/4 skip hourglass, bilinear (channels capped by ``width``).
        # No noise on the input: against 1/30, GFF up on all four test pairs (+0.03 to +0.06) and masked
        # SSIM up on three (down 0.03 on the smooth sky) at 128 px, 1000 iterations (docs/notes/blending.md).
        policy=Policy(
            {"blend": make_preset(SKIP_4, iterations=BLEND_ITERATIONS, reg_noise_std=0.0)},
            # 32 channels on a CPU: GFF -0.003 to +0.009 and masked SSIM +0.001 to +0.011 against 64 on the
            # four pairs (128 px, 1000 iterations, one seed), 1.5-1.7x sooner (docs/notes/blending.md, a
            # narrower network)
            cpu_width=32,
            # fill_input="auto": start from the Poisson composite. Without input noise it ties the fit from
            # noise on the two grey test pairs and is ahead on the other two (the smooth sky's masked SSIM,
            # both metrics on stained tissue); with the old 1/30 it was ahead on all four
            # (docs/notes/blending.md).
            fill_input=True,
        ),
        input_rules=NoInputs(),
        baselines={"alpha": alpha_blend, "laplacian": laplacian_blend, "poisson": poisson_blend},
    ),
)

_CATALOG = {e.name: e for e in _ENTRIES}


def entry(name: str) -> Entry:
    """The catalog's entry of task ``name`` (no torch); a ``ValueError`` lists the valid names."""
    if name not in _CATALOG:
        raise ValueError(f"unknown task {name!r}; choose one of {names()}")
    return _CATALOG[name]


def names(kind: str | None = "restore") -> tuple[str, ...]:
    """Task names, in display order (``kind``: "restore", "blend" or None for all)."""
    return tuple(n for n in MODULES if kind is None or _CATALOG[n].form.kind == kind)


def restore_inputs() -> dict[str, TaskInput]:
    """Every input of the restoration tasks (the registry's, in its order): what the Restore dock, the
    command line and batch render."""
    return union(entry(n).form.options for n in names("restore"))


def read_file_inputs(inputs: dict, read: Callable[[Any], np.ndarray]) -> dict:
    """``inputs`` with each image input given as a file (a path) read by ``read`` (path -> array) into floats:
    the command line, batch and :mod:`napari_dip.restore_file` take a PSF as a file alike."""
    out = dict(inputs)
    for spec in restore_inputs().values():
        if spec.kind == "image" and isinstance(out.get(spec.name), (str, os.PathLike)):
            out[spec.name] = np.asarray(read(out[spec.name])).astype(float)
    return out
