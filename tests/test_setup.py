"""scripts/setup.sh on a stock system Python (issue 10).

Debian 12's and Ubuntu 24.04's system Pythons are "externally managed" (PEP 668): `pip install`
into them fails, which is where the old setup.sh stopped. The script must make ``.venv`` from such
a Python (or use an active venv / conda env) and install napari-dip there. These tests run the real
script on a copy of the checkout (``git ls-files``) with apt skipped and, to stay fast on 2 cores,
without the torch step and the dependencies (``NAPARI_DIP_TORCH=none``, ``PIP_NO_DEPS=1``): what is
checked is the environment logic and the editable install of napari-dip into the new environment.
The full install (torch, napari, Qt) is what CI's own ``bash scripts/setup.sh`` does every run.

The Python marked externally managed is Debian's ``/usr/bin/python3`` where it is one, and a copy
of this interpreter's base installation with an ``EXTERNALLY-MANAGED`` file in its stdlib folder
(a venv cannot be marked: pip skips the check inside virtual environments).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import napari_dip

ROOT = Path(__file__).resolve().parents[1]
PYVER = f"{sys.version_info[0]}.{sys.version_info[1]}"

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("bash") is None, reason="bash scripts, POSIX only"
)

_PROBE = ("import os, sys, sysconfig; "
          "print(sys.prefix); print(sys.base_prefix); print('%d.%d' % sys.version_info[:2]); "
          "print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))); "
          "import importlib.util as u; print(u.find_spec('ensurepip') is not None)")


def _run(cmd, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


def _probe(python) -> dict | None:
    """prefix, version, marked (EXTERNALLY-MANAGED) and has_ensurepip of an interpreter."""
    r = _run([python, "-I", "-c", _PROBE], timeout=60)
    if r.returncode != 0:
        return None
    prefix, base, version, marked, ensurepip = r.stdout.split()
    return {"prefix": prefix, "is_venv": prefix != base, "version": version,
            "marked": marked == "True", "ensurepip": ensurepip == "True"}


def _clean_env(**extra) -> dict:
    """This process's environment without any active env or napari-dip setting, plus extra."""
    drop = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_SHLVL", "PYTHONPATH",
            "PYTHONHOME", "PYTHONNOUSERSITE", "PIP_REQUIRE_VIRTUALENV", "PIP_BREAK_SYSTEM_PACKAGES")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("NAPARI_DIP_")}
    env.update(extra)
    return env


# Fast settings: no apt, no torch step, no dependencies (pip's own PIP_NO_DEPS).
FAST = {"NAPARI_DIP_SKIP_APT": "1", "NAPARI_DIP_TORCH": "none", "NAPARI_DIP_EXTRAS": "",
        "PIP_NO_DEPS": "1"}


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    """The tracked files of this checkout (as they are in the working tree) in a fresh folder."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout")
    dst = tmp_path / "repo"
    for rel in filter(None, out.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    assert (dst / "scripts" / "setup.sh").is_file()
    return dst


def _system_python() -> Path:
    py = Path("/usr/bin/python3")
    info = _probe(py) if py.exists() else None
    if info is None or info["is_venv"] or not info["marked"]:
        pytest.skip("no externally managed /usr/bin/python3 here")
    if not info["ensurepip"]:
        pytest.skip("/usr/bin/python3 lacks ensurepip (python3-venv): setup.sh would apt-install "
                    "it, and this test skips apt")
    if info["version"] != PYVER:
        pytest.skip(f"/usr/bin/python3 is {info['version']}, this test runs {PYVER} "
                    "(the CLI check borrows this interpreter's packages)")
    return py


def _marked_copy(where: Path) -> Path:
    """A non-venv Python prefix (the base interpreter's binary and a stdlib of symlinks to its
    files) with an EXTERNALLY-MANAGED file: pip refuses to install into it, venv works."""
    exe = Path(sys.base_prefix) / "bin" / f"python{PYVER}"
    base_info = _probe(exe) if exe.exists() else None
    if base_info is None:
        pytest.skip(f"no base interpreter at {exe}")
    std = Path(subprocess.run([str(exe), "-I", "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                              capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    prefix = where / "marked-python"
    lib = prefix / "lib" / f"python{PYVER}"
    (prefix / "bin").mkdir(parents=True)
    lib.mkdir(parents=True)
    shutil.copy2(os.path.realpath(exe), prefix / "bin" / f"python{PYVER}")
    (prefix / "bin" / "python3").symlink_to(f"python{PYVER}")
    for entry in std.iterdir():
        if entry.name not in ("site-packages", "dist-packages", "EXTERNALLY-MANAGED"):
            (lib / entry.name).symlink_to(entry)
    (lib / "site-packages").mkdir()
    (lib / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=marked by napari-dip's tests/test_setup.py\n")
    py = prefix / "bin" / "python3"
    info = _probe(py)
    if not (info and info["marked"] and not info["is_venv"] and info["ensurepip"]
            and Path(info["prefix"]) == prefix):
        pytest.skip(f"could not make a relocated copy of {exe} ({info})")
    return py


@pytest.fixture(params=["system-python", "marked-copy"])
def managed_python(request, tmp_path) -> Path:
    if request.param == "system-python":
        return _system_python()
    return _marked_copy(tmp_path)


def test_setup_makes_a_venv_from_an_externally_managed_python(repo_copy, managed_python):
    py = managed_python
    prefix = Path(_probe(py)["prefix"])

    # What the old setup.sh did fails here: pip will not install into this Python.
    r = _run([sys.executable, "-m", "pip", "--python", py, "install", "--dry-run", "--no-deps",
              "--no-index", repo_copy], env=_clean_env(), timeout=120)
    if "no such option: --python" not in r.stderr:  # pip < 22.3 drives no other interpreter
        assert r.returncode != 0 and "externally-managed-environment" in r.stdout + r.stderr

    # setup.sh with that Python first on PATH and no active environment.
    env = _clean_env(PATH=f"{py.parent}:/usr/bin:/bin", **FAST)
    r = _run(["bash", "scripts/setup.sh"], cwd=repo_copy, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    venv = repo_copy / ".venv"
    assert (venv / "pyvenv.cfg").is_file()

    # The environment is a venv on that Python, with this checkout's napari-dip (editable).
    r = _run([venv / "bin" / "python", "-c",
              "import sys, napari_dip; print(sys.prefix); print(sys.base_prefix); "
              "print(napari_dip.__version__); print(napari_dip.__file__)"],
             env=_clean_env(), check=True)
    venv_prefix, base_prefix, version, module = r.stdout.split("\n")[:4]
    assert Path(venv_prefix).resolve() == venv.resolve()
    assert Path(base_prefix).resolve() == prefix.resolve()
    assert version == napari_dip.__version__
    assert Path(module).resolve().is_relative_to((repo_copy / "src").resolve())
    # ... and nothing went into the system Python.
    assert _run([py, "-c", "import napari_dip"], env=_clean_env()).returncode != 0

    # `napari-dip --version` from the environment, directly and through scripts/napari-dip. The
    # dependencies were not installed (PIP_NO_DEPS): this interpreter's packages stand in for them.
    deps = os.pathsep.join(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
    cli_env = _clean_env(PATH="/usr/bin:/bin", PYTHONPATH=deps)
    for cmd in ([venv / "bin" / "napari-dip", "--version"], ["bash", "scripts/napari-dip", "--version"]):
        r = _run(cmd, cwd=repo_copy, env=cli_env, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"napari-dip {version}" in r.stdout


def test_setup_uses_the_active_venv(repo_copy, tmp_path):
    """An activated venv is installed into as is: no .venv is made."""
    active = tmp_path / "active-venv"
    subprocess.run([sys.executable, "-m", "venv", active], check=True, timeout=120)
    env = _clean_env(PATH=f"{active / 'bin'}:/usr/bin:/bin", VIRTUAL_ENV=str(active), **FAST)
    r = _run(["bash", "scripts/setup.sh"], cwd=repo_copy, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert "using the active venv environment" in r.stderr
    assert not (repo_copy / ".venv").exists()
    r = _run([active / "bin" / "python", "-c", "import napari_dip; print(napari_dip.__file__)"],
             env=_clean_env(), check=True)
    assert Path(r.stdout.strip()).resolve().is_relative_to((repo_copy / "src").resolve())
    assert (active / "bin" / "napari-dip").is_file()


@pytest.mark.parametrize("active, expected", [
    ({}, ".venv"),
    ({"VIRTUAL_ENV": "/opt/v"}, "venv /opt/v"),
    ({"CONDA_PREFIX": "/opt/conda/envs/dip", "CONDA_DEFAULT_ENV": "dip"}, "conda /opt/conda/envs/dip"),
    ({"CONDA_PREFIX": "/opt/conda", "CONDA_DEFAULT_ENV": "base"}, ".venv"),
    ({"VIRTUAL_ENV": "/opt/v", "CONDA_PREFIX": "/opt/conda", "CONDA_DEFAULT_ENV": "base"}, "venv /opt/v"),
])
def test_environment_choice(active, expected):
    """scripts/_env.sh: an active venv, else an active conda env but base, else .venv."""
    r = _run(["bash", "-c", '. scripts/_env.sh; echo "$(dip_env_kind) $(dip_env_dir)"'],
             cwd=ROOT, env=_clean_env(**active), check=True)
    kind, where = r.stdout.split()
    if expected == ".venv":
        assert (kind, Path(where)) == (".venv", ROOT / ".venv")
    else:
        assert f"{kind} {where}" == expected


def test_launcher_says_how_to_set_up(tmp_path):
    r = _run(["bash", ROOT / "scripts" / "napari-dip", "--version"],
             env=_clean_env(VIRTUAL_ENV=str(tmp_path / "missing")))
    assert r.returncode == 127
    assert "bash scripts/setup.sh" in r.stderr
