"""Every option of a restoration, its default and its meaning, in one place.

:class:`Settings` is what :func:`napari_dip.restore` accepts as keyword
options; the command line and the Restore widget read their options from it.
``None`` means "the preset's value" (the task's preset, see ``core/tasks/``).
Unknown names are a ``ValueError`` that names the close matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .noise import NOISE_MODELS


def option(default: Any, help: str, choices: Collection | None = None) -> Any:
    """A settings field: its default, a one-line meaning and, where fixed, the valid values."""
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class Settings:
    """The options of a restoration (``restore(image, task, **options)``)."""

    # --- network and input -------------------------------------------------------------------
    preset: str | None = option(
        None, "named settings to start from (None: the task's own, picked by its rule)"
    )
    network: str | None = option(None, "architecture: skip, unet, resnet or decoder (None: the preset's)",
                                 ("skip", "unet", "resnet", "decoder", None))
    width: int | None = option(
        None,
        "cap on channels per layer (None: 128 on a GPU; elsewhere the task's: "
        "32 for super-resolution, reconstruction, thin masks and blending, else 64)",
    )
    depth: int | None = option(None, "hourglass depth (None: the preset's, shrunk to fit small images)")
    input: str | None = option(None, "network input: noise or meshgrid (None: the preset's)",
                               ("noise", "meshgrid", None))
    input_depth: int | None = option(None, "channels of the noise input (None: the preset's)")
    fill_input: Any = option(
        "auto",
        "feed the classical estimate as input channels (auto: when the task's rule says it helps)",
        ("auto", True, False),
    )
    fill_radius: float = option(4, "fill_input='auto' feeds the classical fill only if no missing region is "
                                   "deeper than this (px)")
    # --- optimisation ------------------------------------------------------------------------
    lr: float | None = option(None, "Adam learning rate (None: the preset's)")
    reg_noise_std: float | None = option(None, "std of the noise added to the input each iteration "
                                               "(None: the preset's)")
    param_noise_std: float = option(0.0, "std of the noise added to the weights after each step (SGLD-like)")
    ema: float | None = option(None, "weight of the moving average of outputs (output='ema'; None: 0.99, "
                                     "or 0.9 with fit='input')")
    fit: str = option(
        "weights",
        "what the optimiser fits: weights (the Deep Image Prior) or input (the Deep Random Projector: "
        "the convolutions frozen at their random weights, the input and the BatchNorms fitted, a "
        "one-scale network, lr 0.1, sqrt(data loss) + 0.45 x TV; far fewer iterations, lower peak "
        "on some images, see docs/benchmarks.md)",
        ("weights", "input"),
    )
    restarts: int = option(1, "independent fits (own seeded weights and input) run side by side and "
                              "averaged, as the paper's restarts: k times the time and memory of one fit "
                              "on a CPU; see docs/benchmarks.md")
    compile: bool = option(False, "compile the network with torch.compile (a one-time cost of tens of "
                                  "seconds; see docs/benchmarks.md for when it pays)", (True, False))
    output: str = option("ema", "image shown and returned: ema (average), last or best (lowest loss)",
                         ("ema", "last", "best"))
    precision: str = option(
        "auto",
        "auto (bf16 autocast on CUDA, and for 2D fits on CPUs with native bf16; fp32 "
        "elsewhere), bf16 or fp32",
        ("auto", "bf16", "fp32"),
    )
    # --- stopping ----------------------------------------------------------------------------
    early_stop: bool | None = option(
        None,
        "stop by itself: noisy data when the output variance stops falling, "
        "the others when the filled image stops changing (None: the "
        "task's default)",
        (True, False, None),
    )
    window: int = option(50, "automatic stop: window of the moving variance, or of the change (iterations)")
    patience: int = option(100, "automatic stop: iterations without a lower variance, or below stop_tol, "
                                "before stopping (with holdout: twice this without a gain of stop_gain)")
    stop_tol: float = option(
        1e-3,
        "automatic stop (inpaint, reconstruct, super-resolution): RMS change of the "
        "filled pixels over a window, as a fraction of the range, below which they "
        "count as settled",
    )
    holdout: float = option(
        0.0,
        "automatic stop (inpaint, reconstruct, super-resolution): hold this share of the "
        "observed pixels out of the fit and stop once their PSNR stops rising, instead of "
        "watching the change of the filled pixels (0: off; measured, not better by default)",
    )
    holdout_like: str = option(
        "damage",
        "the held-out pixels: damage (pieces shaped like the missing pixels, "
        "shifted onto observed ones) or pixels (scattered single pixels)",
        ("damage", "pixels"),
    )
    stop_gain: float = option(
        0.05,
        "automatic stop with holdout: stop once the held-out pixels' PSNR has risen by "
        "less than this (dB) over the last 2 x patience iterations",
    )
    backtrack: bool | None = option(
        None, "roll back to a checkpoint when the loss jumps (None: the preset's)", (True, False, None)
    )
    # --- loss --------------------------------------------------------------------------------
    loss: str | None = option(None, "data loss: mse or multiscale (weights 1/0.5/0.25 over three scales)",
                              ("mse", "multiscale", None))
    tv_weight: float | None = option(None, "weight of a total-variation term (None: the task's: for denoise "
                                           "with Gaussian noise 0.5 x the noise level that scikit-image's "
                                           "estimate_sigma finds in the image, 0 elsewhere; with "
                                           "fit='input', the weight beside sqrt(data loss), None: 0.45)")
    denoiser_weight: float = option(
        0.0,
        "weight of an explicit-denoiser prior (DeepRED-style RED term): the "
        "output is also pulled towards the denoiser's estimate of it (0: off)",
    )
    denoiser: str = option("bm3d", "the denoiser of denoiser_weight: bm3d (the peers extra) or nlm "
                                   "(scikit-image's non-local means)", ("bm3d", "nlm"))
    denoiser_every: int = option(50, "iterations between two runs of the denoiser (denoiser_weight > 0)")
    keep_known: bool = option(True, "inpaint/reconstruct: return the observed pixels exactly", (True, False))
    hole_radius: float = option(6, "inpaint: a missing region this many px deep, in a textured surround "
                                   "(see hole_texture), selects the 'hole' preset")
    hole_texture: float = option(
        0.5,
        "inpaint: the surround counts as textured when this share of its contrast "
        "is fine-scale (0: smooth, 1: pure texture)",
    )
    preview_every: int = option(10, "iterations between previews (and host reads)")
    # --- stacks and microscopy ---------------------------------------------------------------
    mode: str | None = option(None, "stacks: plane (one 2D fit per plane) or volume (3D on Z, Y, X)",
                              ("plane", "volume", None))
    planes: Any = option(None, "indices over the leading axes to restore (None: all); the others are copied")
    warm_start: bool = option(False, "plane mode: start each plane from the previous plane's weights",
                              (True, False))
    warm_iterations: int | None = option(None, "iterations of a warm-started plane or tile (None: "
                                               "iterations // 3)")
    normalize: str = option("minmax", "minmax (exact) or percentile (0.1/99.9 -> 0.1/0.9)",
                            ("minmax", "percentile"))
    noise: str = option(
        "auto",
        "noise model: auto (poisson where the noise variance measurably grows with the mean, as a camera's "
        "does; gaussian otherwise: constant variance, clean images), gaussian, or poisson (photon counts "
        "from a camera: ADU = gain x photons + offset + read noise, variance-stabilised by the generalised "
        "Anscombe transform); the choices are the noise models registered in core/noise.py",
        NOISE_MODELS.keys(),
    )
    gain: float | None = option(None, "noise='poisson' (with auto, giving it means poisson): ADU per photon "
                                      "(None: estimated from the image by a mean-variance fit; raw photon "
                                      "counts: 1)")
    offset: float | None = option(
        None, "noise='poisson': the camera's offset in ADU (None: estimated, or 0 when the gain is given)"
    )
    read_noise: float | None = option(None, "noise='poisson': std of the camera's read noise in ADU (None: "
                                            "estimated, or 0 when the gain is given)")
    max_memory: int | None = option(
        None, "bytes one fit may use (None: 4 GiB on CPU, 90% of free GPU memory)"
    )
    tile: Any = option(
        "auto", "auto (tiles when a fit exceeds max_memory), False (refuse) or a tile size (px)"
    )
    tile_overlap: int = option(32, "pixels shared by neighbouring tiles (cosine-blended)")
    tile_start: str = option(
        "cold",
        "tiles: cold (each tile's fit from a freshly initialised network) or warm (each tile after the "
        "first starts from the tile fitted before it: its weights and Adam state, up to warm_iterations; "
        "every tile's input is its crop of one input for the whole plane); not with tiles fitted apart "
        "(napari-dip batch --tile)",
        ("cold", "warm"),
    )
    extent: str = option(
        "auto",
        "what a mask task (inpaint) fits: windows (a window around each group of masked pixels, its "
        "context margin from the hole rule; only the masked pixels change), whole (one fit of the whole "
        "image) or auto (windows when they cover under 50% of the image; see docs/real-sizes.md)",
        ("auto", "windows", "whole"),
    )

    @classmethod
    def from_options(cls, options: dict[str, Any], *, extra: tuple[str, ...] = ()) -> Settings:
        """Settings from keyword options; unknown names and invalid choices are a ``ValueError``.

        ``extra``: other names the caller accepts (a task's inputs), offered as close matches too.
        """
        names = tuple(f.name for f in fields(cls))
        unknown = sorted(set(options) - set(names))
        if unknown:
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, [*names, *extra], n=3)
                hints.append(
                    f"{name!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else "")
                )
            raise ValueError(f"unknown option(s) {', '.join(hints)}; see {cls.__module__}.{cls.__name__} "
                             "for every option, its default and its meaning.")
        settings = cls(**options)
        for f in fields(cls):
            choices = f.metadata["choices"]
            value = getattr(settings, f.name)
            if choices is not None and not any(value is c or value == c for c in choices):
                valid = ", ".join(repr(c) for c in choices)
                raise ValueError(f"{f.name} must be one of {valid}; got {value!r}.")
        return settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def option_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Settings))


def option_help() -> dict[str, tuple[Any, str, Collection | None]]:
    """``name -> (default, meaning, choices)`` for every option (the CLI and docs read it)."""
    return {f.name: (f.default, f.metadata["help"], f.metadata["choices"]) for f in fields(Settings)}


def parse_planes(text: str) -> list[int]:
    """``"3"``, ``"0,2,5"`` or ``"0-9"`` (ranges inclusive) -> plane indices over the first stack axis."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part[1:]:
            a, b = part[0] + part[1:].split("-", 1)[0], part[1:].split("-", 1)[1]
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out
