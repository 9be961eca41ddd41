# Sourced (not run) by scripts/setup.sh, scripts/test.sh and scripts/napari-dip: which Python
# environment napari-dip lives in. One rule for all three:
#   1. an activated virtual environment ($VIRTUAL_ENV), used as is;
#   2. else an activated conda/mamba environment other than base ($CONDA_PREFIX), used as is;
#   3. else .venv in this checkout (made by scripts/setup.sh).
# A system Python is never installed into: Debian 12 and Ubuntu 24.04 mark theirs "externally
# managed" (PEP 668), and `pip install` into them fails.

dip_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# True when the active conda environment is a base (root) installation: installing a project
# there is discouraged, so a .venv is made instead (from that Python).
dip_conda_is_base() {
  [ "${CONDA_DEFAULT_ENV:-}" = "base" ] || [ -d "$CONDA_PREFIX/condabin" ] \
    || [ "$CONDA_PREFIX" = "${MAMBA_ROOT_PREFIX:-}" ]
}

# Print the kind of environment to use: venv (active), conda (active) or .venv.
dip_env_kind() {
  if [ -n "${VIRTUAL_ENV:-}" ]; then echo venv
  elif [ -n "${CONDA_PREFIX:-}" ] && ! dip_conda_is_base; then echo conda
  else echo .venv; fi
}

# Print the environment's directory.
dip_env_dir() {
  case "$(dip_env_kind)" in
    venv) echo "$VIRTUAL_ENV" ;;
    conda) echo "$CONDA_PREFIX" ;;
    *) echo "$dip_root/.venv" ;;
  esac
}
