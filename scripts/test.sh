#!/usr/bin/env bash
# Run the whole test suite under a virtual X server (napari needs OpenGL: Xvfb + Mesa).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" python3 -m pytest "$@"
fi
exec python3 -m pytest "$@"
