#!/usr/bin/env bash
# A wheel that installs: build the sdist and the wheel (python -m build), check their metadata (twine
# check), install the wheel with its [all] extra into a fresh virtual environment in a temporary
# folder (torch first, from the same pip configuration as scripts/setup.sh: NAPARI_DIP_TORCH,
# NAPARI_DIP_TORCH_INDEX, PIP_*), validate its napari manifest (npe2 validate) and open the Restore
# dock from the installed package (not this checkout) in a napari viewer under a virtual X server.
# Called by .ci/run after the lint step; needs the testing extra (build, twine) in the project's
# environment (scripts/_env.sh) and xvfb-run (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh
say() { printf 'check_wheel.sh: %s\n' "$*" >&2; }
py="$(dip_env_dir)/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

say "python -m build (sdist and wheel) into $work/dist"
"$py" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
say "twine check"
"$py" -m twine check --strict "$work"/dist/*

base_py="${NAPARI_DIP_PYTHON:-python3}"
say "a fresh virtual environment from $base_py"
env -u PYTHONPATH "$base_py" -m venv "$work/venv"
venv_py="$work/venv/bin/python"
pip_install() { env -u PYTHONPATH "$venv_py" -m pip install -q "$@"; }
torch_req="${NAPARI_DIP_TORCH-torch==2.13.0}"
if [ -n "$torch_req" ] && [ "$torch_req" != "none" ]; then
  say "installing $torch_req${NAPARI_DIP_TORCH_INDEX:+ from $NAPARI_DIP_TORCH_INDEX}"
  pip_install "$torch_req" ${NAPARI_DIP_TORCH_INDEX:+--index-url "$NAPARI_DIP_TORCH_INDEX"}
fi
wheel="$(ls "$work"/dist/*.whl)"
say "installing $(basename "$wheel")[all]"
pip_install "$wheel[all]"

say "npe2 validate napari-dip (the installed manifest)"
(cd "$work" && env -u PYTHONPATH "$work/venv/bin/npe2" validate napari-dip)

say "opening the Restore dock from the installed wheel (xvfb-run)"
cat >"$work/open_dock.py" <<'PY'
import os
import sys

import napari

import napari_dip

venv = os.path.realpath(sys.prefix)
where = os.path.realpath(napari_dip.__file__)
assert where.startswith(venv + os.sep), f"napari_dip comes from {where}, not from the wheel in {venv}"
viewer = napari.Viewer(show=False)
_, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
assert type(widget).__name__ == "RestoreWidget", type(widget)
viewer.close()
print(f"the Restore dock opened from {where}")
PY
(cd "$work" && env -u PYTHONPATH xvfb-run -a -s "-screen 0 1600x1000x24" "$venv_py" open_dock.py)
say "done in $((SECONDS - started)) s"
