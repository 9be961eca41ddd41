#!/usr/bin/env bash
# Run the test suite with the environment's Python (scripts/_env.sh: the active venv or conda env,
# else .venv), under a virtual X server when there is no display (napari needs OpenGL: Xvfb + Mesa).
# Tests run in random order (pytest-randomly, seed printed in the header): -p no:randomly for file
# order, --randomly-seed=N to repeat an order. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_env.sh
env_dir="$(dip_env_dir)"
py="$env_dir/bin/python"
if [ -x "$py" ]; then
  export PATH="$env_dir/bin:$PATH"   # the tests run `napari-dip` and `npe2` by name
elif python3 -c "import napari_dip" 2>/dev/null; then
  py="$(command -v python3)"
  echo "test.sh: no environment at $env_dir; using $py, which has napari-dip" >&2
else
  echo "test.sh: no environment at $env_dir: run bash scripts/setup.sh first" >&2
  exit 1
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" "$py" -m pytest "$@"
fi
exec "$py" -m pytest "$@"
