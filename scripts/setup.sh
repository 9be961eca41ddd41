#!/usr/bin/env bash
# Set up napari-dip on a fresh Debian/Ubuntu machine (system libraries for napari, CPU torch, the project).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq xvfb xauth libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libxkbcommon-x11-0 \
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 \
  libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libdbus-1-3 libfontconfig1 >/dev/null
python3 -m pip install -q torch==2.13.0   # CPU wheel; see README for GPU builds
python3 -m pip install -q -e ".[testing]"
