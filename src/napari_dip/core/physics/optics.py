"""A point-spread function from the microscope's optics, and the full width at half maximum of a PSF.

:func:`optics_psf` computes the PSF a microscopist can describe (numerical aperture, emission
wavelength, immersion and sample refractive indices, pixel size) with the vectorial model of Aguet et
al. (2009) as implemented by the ``psfmodels`` package (``pip install "napari-dip[optics]"``), for a
point source on the coverslip (no depth-induced aberration). Where the sample's index is below the NA
(an oil objective on a watery sample) the light the sample can send limits the effective aperture, as
the vectorial model computes. ``microscope="confocal"`` squares the widefield PSF: the usual simple
approximation of a confocal PSF with a pinhole closed well below one Airy unit and an excitation
wavelength close to the emission wavelength (both ignored here).

Numpy only (no torch): the task's metadata and the command line load it freely; ``psfmodels`` is
imported when a PSF is computed.
"""

from __future__ import annotations

import numpy as np

#: The automatic PSF side holds ~99 % of the in-focus plane's energy, capped at this many pixels in 2D
#: (the blur is a direct convolution: its cost grows with the PSF's area) ...
MAX_SIDE_2D = 63
#: ... and at this many pixels (voxels) along each axis of a 3D PSF (its cost grows with the volume).
MAX_SIDE_3D = 31
#: The energy fraction the automatic lateral side holds (of a plane twice the cap wide).
ENERGY = 0.99
#: The automatic Z extent of a 3D PSF: this many axial FWHMs (the widefield estimate) each side of focus.
AXIAL_FWHMS = 3.0
MICROSCOPES = ("widefield", "confocal")
MODELS = ("vectorial", "scalar")


def lateral_fwhm_estimate(na: float, wavelength: float) -> float:
    """The Airy estimate of the lateral FWHM of a widefield PSF, 0.51 λ / NA (µm)."""
    return 0.51 * wavelength / na


def axial_fwhm_estimate(na: float, wavelength: float, n: float) -> float:
    """The widefield estimate of the axial FWHM, 0.88 λ / (n - sqrt(n² - NA²)) (µm; n: the immersion
    index; Cole, Jinadasa & Brown 2011, Nature Protocols 6:1929, Table 1)."""
    return 0.88 * wavelength / (n - np.sqrt(n**2 - na**2))


def check_optics(*, na, wavelength, pixel_size, ni: float = 1.515, ns: float = 1.33, z_step=None,
                 microscope: str = "widefield") -> None:
    """A ``ValueError`` saying what to fix in a description of the optics (units: µm)."""
    for name, value in (("na", na), ("wavelength", wavelength), ("ni", ni), ("ns", ns)):
        if value is None or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}.")
    if pixel_size is None:
        raise ValueError("the optics PSF needs the pixel size in µm (pixel_size=; from the image's "
                         "scale or the file's metadata).")
    if wavelength > 10:
        raise ValueError(f"wavelength is the emission wavelength in µm: {wavelength} looks like nm "
                         f"(give {wavelength / 1000:g} for {wavelength:g} nm).")
    for name, value in (("pixel_size", pixel_size), ("z_step", z_step)):
        if value is not None and (not np.isfinite(value) or value <= 0):
            raise ValueError(f"{name} must be a positive number of µm, got {value!r}.")
        if value is not None and value > 10:
            raise ValueError(f"{name} is in µm: {value} looks like nm (give {value / 1000:g} for "
                             f"{value:g} nm).")
    if ni < 1 or ns < 1:
        raise ValueError(f"refractive indices are at least 1 (air), got ni={ni}, ns={ns}.")
    if na >= ni:
        raise ValueError(f"the numerical aperture ({na}) must be below the immersion medium's refractive "
                         f"index ni ({ni}): e.g. NA 1.4 needs oil (ni=1.515), NA 0.95 air (ni=1.0).")
    if microscope not in MICROSCOPES:
        raise ValueError(f"microscope must be one of {MICROSCOPES}, got {microscope!r}.")


def optics_psf(*, na: float, wavelength: float, pixel_size: float, ni: float = 1.515, ns: float = 1.33,
               z_step: float | None = None, nz: int | None = None, microscope: str = "widefield",
               size: int | None = None, model: str = "vectorial") -> np.ndarray:
    """The PSF of an objective, sum 1: 2D (the in-focus plane) or, with ``z_step``, 3D (Z, Y, X).

    Parameters
    ----------
    na : float
        Numerical aperture of the objective; below ``ni``.
    wavelength : float
        Emission wavelength in µm (0.52 for 520 nm).
    pixel_size : float
        Lateral pixel size in the sample, µm.
    ni, ns : float
        Refractive index of the immersion medium (1.515 oil, 1.33 water, 1.0 air) and of the sample.
    z_step : float, optional
        Z step in µm: a 3D PSF. None: the 2D in-focus plane.
    nz : int, optional
        Planes of a 3D PSF (made odd). None: ``AXIAL_FWHMS`` axial FWHMs each side of focus, at most
        ``MAX_SIDE_3D``.
    microscope : {"widefield", "confocal"}
        "confocal": the widefield PSF squared (a pinhole well below one Airy unit, excitation wavelength
        taken equal to the emission wavelength: a simple approximation).
    size : int, optional
        Lateral side in pixels (made odd). None: the smallest side holding ~99 % of the in-focus
        plane's energy, at most ``MAX_SIDE_2D`` (2D) or ``MAX_SIDE_3D`` (3D) pixels.
    model : {"vectorial", "scalar"}
        psfmodels' vectorial model (Aguet et al. 2009; default) or the scalar Gibson-Lanni model.

    Returns
    -------
    ndarray
        float64, odd sides, centred, sum 1.
    """
    check_optics(na=na, wavelength=wavelength, pixel_size=pixel_size, ni=ni, ns=ns, z_step=z_step,
                 microscope=microscope)
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}.")
    power = 2 if microscope == "confocal" else 1
    make = _maker(na=na, wavelength=wavelength, pixel_size=pixel_size, ni=ni, ns=ns, model=model)
    cap = MAX_SIDE_2D if z_step is None else MAX_SIDE_3D
    side = _odd(size) if size is not None else _energy_side(make(1, 2 * cap + 1, 1.0)[0] ** power, cap)
    if z_step is None:
        psf = make(1, side, 1.0)[0] ** power
    else:
        if nz is None:
            half = int(np.ceil(AXIAL_FWHMS * axial_fwhm_estimate(na, wavelength, ni) / z_step))
            nz = min(2 * half + 1, MAX_SIDE_3D)
        psf = make(_odd(max(int(nz), 1)), side, float(z_step)) ** power
    return psf / psf.sum()


def _maker(*, na, wavelength, pixel_size, ni, ns, model):
    """``make(nz, nx, dz)``: psfmodels' PSF of these optics (the source on the coverslip, in focus)."""
    import psfmodels  # optional: pip install "napari-dip[optics]"

    def make(nz: int, nx: int, dz: float) -> np.ndarray:
        return np.asarray(psfmodels.make_psf(nz, nx, dxy=float(pixel_size), dz=dz, NA=float(na),
                                             wvl=float(wavelength), ni=float(ni), ni0=float(ni),
                                             ns=float(ns), model=model), dtype=np.float64)

    return make


def _odd(n: int) -> int:
    n = int(n)
    if n < 1:
        raise ValueError(f"a PSF side must be at least 1 pixel, got {n}.")
    return n if n % 2 else n + 1


def _energy_side(plane: np.ndarray, cap: int) -> int:
    """The smallest odd side of a centred square holding ``ENERGY`` of ``plane``'s sum, at most ``cap``."""
    c, total = plane.shape[0] // 2, plane.sum()
    for side in range(1, cap + 1, 2):
        r = side // 2
        if plane[c - r:c + r + 1, c - r:c + r + 1].sum() >= ENERGY * total:
            return side
    return cap


def fwhm(psf: np.ndarray, pixel_size: float = 1.0, *, axis: int = -1) -> float:
    """Full width at half maximum of ``psf`` along ``axis`` through its maximum, times ``pixel_size``.

    The half-maximum crossings are interpolated linearly between pixels; a profile that does not fall
    below half its maximum inside the array gives ``nan``.
    """
    p = np.asarray(psf, dtype=np.float64)
    peak = np.unravel_index(int(np.argmax(p)), p.shape)
    index: list[int | slice] = [int(i) for i in peak]
    index[axis] = slice(None)
    line = p[tuple(index)] / p[peak]
    c = peak[axis % p.ndim]

    def edge(step: int) -> float:
        i = c
        while 0 <= i + step < line.size and line[i + step] >= 0.5:
            i += step
        j = i + step
        if not 0 <= j < line.size:
            return float("nan")
        return i + step * (line[i] - 0.5) / (line[i] - line[j])

    return float((edge(1) - edge(-1)) * pixel_size)
