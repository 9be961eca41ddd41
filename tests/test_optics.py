"""The PSF from the optics (core/physics/optics.py, psfmodels) and deconvolution given the optics."""

import numpy as np
import pytest

pytest.importorskip("psfmodels")

from napari_dip import restore  # noqa: E402
from napari_dip.cli import main  # noqa: E402
from napari_dip.core.physics.optics import (  # noqa: E402
    MAX_SIDE_2D,
    axial_fwhm_estimate,
    fwhm,
    lateral_fwhm_estimate,
    optics_psf,
)
from napari_dip.io import read_settings, write_image  # noqa: E402

WAVELENGTH = 0.52
#: (NA, ni = ns): air and water dry/dipping objectives, a water immersion and an oil immersion objective.
OBJECTIVES = [(0.8, 1.0), (0.8, 1.33), (1.2, 1.33), (1.4, 1.515)]


@pytest.mark.parametrize("na, n", OBJECTIVES)
def test_the_scalar_in_focus_plane_has_the_airy_width(na, n):
    pixel = WAVELENGTH / na / 12  # fine sampling: the width is the optics', not the pixels'
    psf = optics_psf(na=na, wavelength=WAVELENGTH, pixel_size=pixel, ni=n, ns=n, size=129, model="scalar")
    airy = lateral_fwhm_estimate(na, WAVELENGTH)
    assert abs(fwhm(psf, pixel) / airy - 1) < 0.10
    assert abs(fwhm(psf, pixel, axis=0) / airy - 1) < 0.10


@pytest.mark.parametrize("na, n", OBJECTIVES)
def test_the_vectorial_in_focus_plane_is_the_airy_width_broadened_at_high_na(na, n):
    """The default (vectorial) model: 4-12 % wider than the scalar Airy estimate (depolarisation at
    high aperture angles), never narrower."""
    pixel = WAVELENGTH / na / 12
    psf = optics_psf(na=na, wavelength=WAVELENGTH, pixel_size=pixel, ni=n, ns=n, size=129)
    ratio = fwhm(psf, pixel) / lateral_fwhm_estimate(na, WAVELENGTH)
    assert 1.0 <= ratio < 1.15


def test_a_watery_sample_limits_an_oil_objective_to_its_own_index():
    pixel = 0.02
    oil = optics_psf(na=1.4, wavelength=WAVELENGTH, pixel_size=pixel, ni=1.515, ns=1.515, size=129)
    water = optics_psf(na=1.4, wavelength=WAVELENGTH, pixel_size=pixel, ni=1.515, ns=1.33, size=129)
    assert fwhm(water, pixel) > 1.05 * fwhm(oil, pixel)


@pytest.mark.parametrize("na, n", OBJECTIVES)
def test_the_axial_width_of_a_widefield_psf(na, n):
    """Within 10 % of 0.88 λ / (n - sqrt(n² - NA²)) (Cole, Jinadasa & Brown 2011), n = ni = ns."""
    axial = axial_fwhm_estimate(na, WAVELENGTH, n)
    dz, pixel = axial / 10, WAVELENGTH / na / 6
    psf = optics_psf(na=na, wavelength=WAVELENGTH, pixel_size=pixel, ni=n, ns=n, z_step=dz, nz=61, size=33)
    assert psf.shape == (61, 33, 33)
    assert np.unravel_index(np.argmax(psf), psf.shape) == (30, 16, 16)
    assert abs(fwhm(psf, dz, axis=0) / axial - 1) < 0.10


def test_sizes_and_normalisation():
    psf = optics_psf(na=1.4, wavelength=WAVELENGTH, pixel_size=0.065)
    assert psf.ndim == 2 and psf.shape[0] == psf.shape[1] and psf.shape[0] % 2 == 1
    assert psf.shape[0] <= MAX_SIDE_2D and np.isclose(psf.sum(), 1)
    coarse = optics_psf(na=0.3, wavelength=WAVELENGTH, pixel_size=0.65)
    assert coarse.shape[0] < psf.shape[0]  # the side follows the PSF's extent in pixels
    confocal = optics_psf(na=1.4, wavelength=WAVELENGTH, pixel_size=0.065, microscope="confocal")
    assert np.isclose(confocal.sum(), 1) and fwhm(confocal, 0.065) < fwhm(psf, 0.065)
    assert optics_psf(na=1.4, wavelength=WAVELENGTH, pixel_size=0.065, size=20).shape == (21, 21)
    volume = optics_psf(na=1.4, wavelength=WAVELENGTH, pixel_size=0.1, z_step=0.2)
    assert all(s % 2 == 1 for s in volume.shape) and np.isclose(volume.sum(), 1)


@pytest.mark.parametrize("kwargs, words", [
    (dict(na=1.6), "below the immersion"),
    (dict(na=1.0, ni=1.0), "below the immersion"),
    (dict(pixel_size=None), "pixel size in µm"),
    (dict(wavelength=520), "µm"),
    (dict(pixel_size=65), "µm"),
    (dict(na=0), "na must be a positive"),
    (dict(microscope="lightsheet"), "microscope must be one of"),
    (dict(ni=0.9), "at least 1"),
])
def test_bad_optics_are_clear_errors(kwargs, words):
    with pytest.raises(ValueError, match=words):
        optics_psf(**{**dict(na=1.4, wavelength=0.52, pixel_size=0.065), **kwargs})


def test_deconvolve_takes_the_optics_and_records_the_psf(small_img):
    r = restore(small_img, "deconvolve", na=1.2, wavelength=0.52, ni=1.33, ns=1.33, pixel_size=0.1,
                iterations=2, width=8)
    optics = r.config["psf_optics"]
    assert optics["na"] == 1.2 and optics["microscope"] == "widefield" and optics["pixel_size"] == 0.1
    # ~2 pixels per FWHM: the pixels' integration and the interpolated crossings widen it a little
    assert 1.0 < optics["fwhm_lateral"] / lateral_fwhm_estimate(1.2, 0.52) < 1.3
    assert r.config["psf_shape"] == optics["shape"]
    # the pixel size alone (a layer's scale) leaves a Gaussian PSF as it is
    r = restore(small_img, "deconvolve", psf_sigma=1.0, pixel_size=0.1, iterations=1, width=8)
    assert r.config["psf_sigma"] == [1.0] and "psf_optics" not in r.config


@pytest.mark.parametrize("kwargs, words", [
    (dict(na=1.2, wavelength=0.52, psf_sigma=1.0, pixel_size=0.1), "one way"),
    (dict(na=1.2, pixel_size=0.1), "wavelength="),
    (dict(na=1.2, wavelength=0.52), "pixel_size="),
    (dict(na=1.2, wavelength=0.52, pixel_size=(0.1, 0.2)), "square pixels"),
    (dict(ni=1.33, psf_sigma=1.0), "give na= and wavelength="),
])
def test_deconvolve_refuses_an_incomplete_or_double_psf(small_img, kwargs, words):
    with pytest.raises(ValueError, match=words):
        restore(small_img, "deconvolve", iterations=1, **kwargs)


@pytest.fixture
def small_img():
    return np.random.default_rng(0).random((24, 24)).astype(np.float32)


def test_the_command_line_reads_the_pixel_size_from_an_ome_tiff(tmp_path, capsys):
    img = np.random.default_rng(1).integers(0, 255, (24, 24)).astype(np.uint8)
    src = write_image(tmp_path / "cells.ome.tif", img, axes="YX", scale=(65.0, 65.0), units=("nm", "nm"))
    fast = ["--iterations", "2", "--width", "8", "--preview-every", "1"]
    assert main(["restore", str(src), "--task", "deconvolve", "--na", "1.4", "--wavelength", "0.52",
                 "--ni", "1.515", "--ns", "1.33", *fast]) == 0
    settings = read_settings(tmp_path / "cells_dip_deconvolve.ome.tif")
    optics = settings["psf_optics"]
    assert optics["pixel_size"] == [0.065, 0.065] and optics["na"] == 1.4 and optics["ns"] == 1.33
    assert optics["fwhm_lateral"] > lateral_fwhm_estimate(1.4, 0.52)

    plain = write_image(tmp_path / "plain.tif", img, axes="YX")  # no pixel size in its metadata
    assert main(["restore", str(plain), "--task", "deconvolve", "--na", "1.4", "--wavelength", "0.52",
                 *fast]) == 2
    assert "--pixel-size" in capsys.readouterr().err
    assert main(["restore", str(plain), "--task", "deconvolve", "--na", "1.4", "--wavelength", "0.52",
                 "--pixel-size", "0.065", "--microscope", "confocal", *fast]) == 0
    assert read_settings(tmp_path / "plain_dip_deconvolve.tif")["psf_optics"]["microscope"] == "confocal"


def test_the_pixel_size_of_a_file_in_um(tmp_path):
    from napari_dip.io import read_image
    from napari_dip.io.geometry import file_pixel_size, with_pixel_size

    stack = np.zeros((3, 8, 8), np.uint16)
    img = read_image(write_image(tmp_path / "z.ome.tif", stack, axes="ZYX", scale=(0.3, 0.1, 0.1),
                                 units=("µm", "µm", "µm")))
    assert file_pixel_size(img) == (0.1, 0.1) and file_pixel_size(img, "volume") == (0.3, 0.1, 0.1)
    assert with_pixel_size(img, {"na": 1.4}, "volume")["pixel_size"] == (0.3, 0.1, 0.1)
    assert with_pixel_size(img, {"psf_sigma": 1.0}) == {"psf_sigma": 1.0}  # not the optics: untouched
    plain = read_image(write_image(tmp_path / "p.tif", stack[0], axes="YX"))
    assert file_pixel_size(plain) is None
    with pytest.raises(ValueError, match="--pixel-size"):
        with_pixel_size(plain, {"na": 1.4, "wavelength": 0.52})


def test_a_volume_takes_a_3d_optics_psf(tmp_path):
    stack = np.random.default_rng(0).random((6, 16, 16)).astype(np.float32)
    r = restore(stack, "deconvolve", mode="volume", na=1.0, wavelength=0.52, ni=1.33, ns=1.33,
                pixel_size=(0.4, 0.2, 0.2), iterations=1, width=8)
    optics = r.config["psf_optics"]
    assert len(optics["shape"]) == 3 and optics["fwhm_axial"] > optics["fwhm_lateral"]
    with pytest.raises(ValueError, match="Z step"):
        restore(stack, "deconvolve", mode="volume", na=1.0, wavelength=0.52, pixel_size=0.2, iterations=1)


def test_a_batch_fit_takes_each_file_pixel_size(tmp_path):
    from napari_dip.batch import api, work
    from napari_dip.io import read_image

    options = api._options("deconvolve", {"na": 1.4, "wavelength": 0.52, "iterations": 1, "width": 8})
    img = read_image(write_image(tmp_path / "a.ome.tif", np.zeros((16, 16), np.uint8), axes="YX",
                                 scale=(0.08, 0.08), units=("µm", "µm")))
    result = work._restore({"task": "deconvolve", "kwargs": options}, img, None)
    assert result.config["psf_optics"]["pixel_size"] == [0.08, 0.08]


def test_the_classical_methods_take_the_optics(small_img):
    from napari_dip.baselines import classical_methods

    out = classical_methods(small_img, "deconvolve", na=1.2, wavelength=0.52, ni=1.33, pixel_size=0.1,
                            methods=("Richardson-Lucy",))
    assert out["Richardson-Lucy"].shape == small_img.shape
