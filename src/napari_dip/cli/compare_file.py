"""``napari-dip restore ... --compare``: every other method of the task beside the DIP result, with residuals.

Each available method (the classical ones and the peers: BM3D, Richardson-Lucy-TV, ...) is written next to
the DIP output as ``OUT_<method>.tif``, the residual of every result (observation minus the forward model of
the result, ``napari_dip.baselines.residual``) as ``OUT_residual_<method>.tif``, and ``OUT_compare.json``
holds each method's seconds and, with ``--reference``, its PSNR and SSIM. The methods take the DIP run's noise
model (``noise="auto"`` decided on the same image, or the user's choice), recorded under ``"noise"``: with the
camera model BM3D runs on the variance-stabilised data and is named ``BM3D (camera model)``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np

from napari_dip.baselines import classical_methods, method_label, noise_choice, residual, unavailable_methods
from napari_dip.core import tasks
from napari_dip.io import write_image
from napari_dip.metrics import psnr, ssim


def compare_file(output: Path, observation: np.ndarray, dip: np.ndarray, task: str, *, geometry: dict,
                 mask=None, channel_axis=None, reference=None, seconds: float, **options) -> Path:
    """Run and write the comparison of one restored file; returns the path of its JSON summary."""
    noise = {k: options[k] for k in ("noise", "gain", "offset", "read_noise") if options.get(k) is not None}
    choice = noise_choice(observation, channel_axis=channel_axis, **noise)  # the DIP run's, decided alike
    results: dict[str, tuple[np.ndarray, float]] = {"DIP": (dip, seconds)}
    for method in tasks.get(task).baselines:
        if method in unavailable_methods(task):
            continue
        t0 = time.perf_counter()
        image = classical_methods(observation, task, mask=mask, channel_axis=channel_axis, methods=(method,),
                                  **options)[method]
        results[method_label(task, method, choice.camera)] = (image, time.perf_counter() - t0)
    inputs = {k: v for k, v in options.items() if k in tasks.get(task).form.inputs}
    summary: dict = {"task": task, "observation": str(output), "methods": {},
                     "not installed": unavailable_methods(task), "noise": choice.to_dict()}
    stem, suffix = _split(output)
    geometry = dict(geometry)
    input_scale = geometry.pop("input_scale", geometry.get("scale"))
    input_translate = geometry.pop("input_translate", None)
    # residuals live on the observation's grid
    res_geometry = {**geometry, "scale": input_scale, "translate": input_translate}
    for method, (image, secs) in results.items():
        slug = re.sub(r"[^a-z0-9]+", "-", method.lower()).strip("-")
        if method != "DIP":
            write_image(stem.with_name(f"{stem.name}_{slug}{suffix}"), image, settings={"method": method},
                        **geometry)
        r = residual(observation, image, task, mask=mask, channel_axis=channel_axis, **inputs)
        write_image(stem.with_name(f"{stem.name}_residual_{slug}.tif"), r, settings={"residual_of": method},
                    **res_geometry)
        row = {"seconds": round(secs, 3), "residual_std": float(np.std(r))}
        if reference is not None:
            row.update(psnr=psnr(reference, image), ssim=ssim(reference, image, channel_axis=channel_axis))
        summary["methods"][method] = row
    path = stem.with_name(f"{stem.name}_compare.json")
    path.write_text(json.dumps(summary, indent=1))
    return path


def _split(output: Path) -> tuple[Path, str]:
    """``OUT`` without its (possibly double) suffix, and that suffix."""
    name = output.name
    suffix = next(
        (s for s in (".ome.tif", ".ome.tiff", ".ome.zarr") if name.lower().endswith(s)), output.suffix
    )
    return output.with_name(name[: len(name) - len(suffix)]), suffix
