#!/usr/bin/env bash
# Set up napari-dip on a Debian/Ubuntu machine: the X/OpenGL system libraries napari needs (apt),
# a Python environment, PyTorch (torch==2.13.0 from pip's configured sources: a local CPU wheel on
# this project's machines; see NAPARI_DIP_TORCH_INDEX) and napari-dip with its test extras (napari,
# PyQt6, pytest, ...). Run it as yourself: it uses sudo for apt when not root.
#
# The environment (scripts/_env.sh): an activated venv, or conda env other than base, is used as
# is; otherwise .venv in this checkout, made with `python3 -m venv` (apt installs python3-venv
# where Debian/Ubuntu lack it). Nothing is installed into a system Python (PEP 668). Afterwards
# run scripts/napari-dip (it finds the environment), or activate it: source .venv/bin/activate
#
# Settings (environment variables):
#   NAPARI_DIP_SKIP_APT=1           no apt at all (system libraries, python3-venv)
#   NAPARI_DIP_PYTHON=python3       the Python .venv is made from (>= 3.10)
#   NAPARI_DIP_VENV_ARGS=...        extra options for `python -m venv`, e.g. --system-site-packages
#   NAPARI_DIP_TORCH=torch==2.13.0  the PyTorch requirement installed first; "none" (or empty): no
#                                   torch step. Unset: keep a torch >= 2.1 the environment has.
#   NAPARI_DIP_TORCH_INDEX=URL      where torch comes from, e.g. https://download.pytorch.org/whl/cpu
#                                   or https://download.pytorch.org/whl/cu126 (default: pip's config;
#                                   on Linux plain PyPI gives the CUDA build, GBs)
#   NAPARI_DIP_EXTRAS=testing       extras installed with napari-dip: all (napari + PyQt6), "" (none)
#   PIP_*                           pip's own settings, e.g. PIP_NO_DEPS=1, PIP_INDEX_URL=...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh
say() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
use_apt() { [ "${NAPARI_DIP_SKIP_APT:-0}" != "1" ] && command -v apt-get >/dev/null; }
export DEBIAN_FRONTEND=noninteractive

# 1. The system libraries napari needs (a virtual X server, OpenGL, Qt's xcb platform).
SYSTEM_LIBS="xvfb xauth libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcb-cursor0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-xinerama0
  libxcb-xfixes0 libxcb-shape0 libdbus-1-3 libfontconfig1"
libs_installed() {  # every package in state "ii" (dpkg -s also accepts removed ones)
  local status
  # shellcheck disable=SC2086
  status="$(dpkg-query -W -f='${db:Status-Abbrev}\n' $SYSTEM_LIBS 2>/dev/null)" || return 1
  ! grep -qv '^ii' <<<"$status"
}
if ! use_apt; then
  say "skipping apt (NAPARI_DIP_SKIP_APT=1 or no apt-get): the system libraries are up to you"
elif libs_installed; then
  say "the system libraries napari needs are installed"
else
  say "installing the system libraries napari needs (apt)"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086  # a list of packages
  $SUDO apt-get install -y -qq $SYSTEM_LIBS >/dev/null
fi

# 2. The Python environment.
is_py310() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; }
kind="$(dip_env_kind)"
env_dir="$(dip_env_dir)"
py="$env_dir/bin/python"
if [ "$kind" = ".venv" ]; then
  base_py="${NAPARI_DIP_PYTHON:-python3}"
  command -v "$base_py" >/dev/null || die "$base_py not found: install Python >= 3.10 (Debian/Ubuntu: apt install python3 python3-venv)"
  is_py310 "$base_py" || die "napari-dip needs Python >= 3.10, $base_py is $("$base_py" -V 2>&1); set NAPARI_DIP_PYTHON"
  if [ -e "$env_dir" ] && ! "$py" -m pip --version >/dev/null 2>&1; then
    [ -f "$env_dir/pyvenv.cfg" ] || die "$env_dir exists and is not a virtual environment"
    say "$env_dir is incomplete (no python or pip): making it again"
    rm -rf "$env_dir"
  fi
  if [ ! -e "$env_dir" ]; then
    ver="$("$base_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if ! "$base_py" -c 'import ensurepip, venv' >/dev/null 2>&1 && use_apt; then
      say "installing python$ver-venv (Debian/Ubuntu ship venv's pip bootstrap, ensurepip, apart)"
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq "python$ver-venv" >/dev/null 2>&1 \
        || $SUDO apt-get install -y -qq python3-venv >/dev/null
    fi
    say "creating $env_dir with $(command -v "$base_py") ($("$base_py" -V 2>&1))"
    # shellcheck disable=SC2086  # NAPARI_DIP_VENV_ARGS is a list of options
    if ! "$base_py" -m venv ${NAPARI_DIP_VENV_ARGS:-} "$env_dir"; then
      rm -rf "$env_dir"   # Debian leaves a half-made one behind when ensurepip is missing
      die "$base_py -m venv failed (on Debian/Ubuntu: sudo apt install python$ver-venv)"
    fi
  fi
else
  say "using the active $kind environment $env_dir"
  [ -x "$py" ] || die "$py not found: is the environment activated properly?"
  is_py310 "$py" || die "napari-dip needs Python >= 3.10, $env_dir has $("$py" -V 2>&1)"
  if ! "$py" -m pip --version >/dev/null 2>&1; then
    say "no pip in $env_dir: bootstrapping it with ensurepip"
    "$py" -m ensurepip --upgrade >/dev/null || die "no pip in $env_dir (conda: conda install pip)"
  fi
fi
pip_install() { "$py" -m pip install -q "$@"; }

# 3. PyTorch first, so that the project's torch>=2.1 is already satisfied (a bare `torch`
#    requirement from PyPI on Linux pulls the CUDA build and its GBs of libraries).
if [ -z "${NAPARI_DIP_TORCH+set}" ]; then
  torch_req="torch==2.13.0"
  have="$("$py" -c 'from importlib.metadata import version; print(version("torch"))' 2>/dev/null || true)"
  if [ -n "$have" ] && [ -z "${NAPARI_DIP_TORCH_INDEX:-}" ] \
      && "$py" -c "import sys; sys.exit(tuple(map(int, '$have'.split('.')[:2])) < (2, 1))" 2>/dev/null; then
    say "keeping torch $have (set NAPARI_DIP_TORCH to change it)"
    torch_req=none
  fi
else
  torch_req="${NAPARI_DIP_TORCH:-none}"
fi
if [ "$torch_req" != "none" ]; then
  say "installing $torch_req${NAPARI_DIP_TORCH_INDEX:+ from $NAPARI_DIP_TORCH_INDEX}"
  pip_install "$torch_req" ${NAPARI_DIP_TORCH_INDEX:+--index-url "$NAPARI_DIP_TORCH_INDEX"}
fi

# 4. napari-dip itself (editable: this checkout's src/ is what runs) with its extras.
extras="${NAPARI_DIP_EXTRAS-testing}"
spec="."; if [ -n "$extras" ]; then spec=".[$extras]"; fi
say "installing napari-dip ($spec) into $env_dir"
pip_install -e "$spec"

say "done: napari-dip $("$py" -c 'import napari_dip; print(napari_dip.__version__)') in $env_dir"
if [ "$kind" = ".venv" ]; then
  say "run it with scripts/napari-dip (e.g. scripts/napari-dip demo), or activate the environment"
  say "first to get napari-dip and napari on PATH: source .venv/bin/activate"
fi
