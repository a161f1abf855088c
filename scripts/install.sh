#!/usr/bin/env bash
# vidgen's one install of its Python packages. CI (.ci/run) and the Docker image (Dockerfile) both
# run this file, so CI exercises the steps the image runs.
#
#   VENV=.venv DEV=1 bash scripts/install.sh          the CPU default and the test tools (CI, a laptop)
#   VENV=/opt/vidgen GPU=1 bash scripts/install.sh    a GPU box and the image: requirements-gpu.txt
#
#   VENV         the virtual environment, made when it is missing (default .venv)
#   PYTHON       the interpreter that makes it (default python3)
#   DEV=1        also requirements-dev.txt (pytest, hadolint, spaces ...)
#   GPU=1        requirements-gpu.txt (requirements.txt + what only a GPU uses) instead of requirements.txt
#   TORCH_INDEX  an index to take the pinned torch from first, e.g. https://download.pytorch.org/whl/cu126
#                for a CUDA 12.6 build; unset, pip takes torch where it takes the rest (PyPI's Linux
#                x86_64 wheel of torch 2.13.0 is the CUDA 13.0 build; the one on our CI machines is CPU-only)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
pip="$VENV/bin/pip"
"$pip" install -q --upgrade pip
if [ -n "${TORCH_INDEX:-}" ]; then
  "$pip" install -q --index-url "$TORCH_INDEX" "$(grep -E '^torch==' requirements.txt)"
fi
case "${GPU:-0}${DEV:-0}" in
  00) "$pip" install -q -r requirements.txt ;;
  01) "$pip" install -q -r requirements.txt -r requirements-dev.txt ;;
  10) "$pip" install -q -r requirements-gpu.txt ;;
  11) "$pip" install -q -r requirements-gpu.txt -r requirements-dev.txt ;;
  *) echo "install.sh: GPU and DEV are 0 or 1, not GPU=${GPU:-} DEV=${DEV:-}" >&2; exit 2 ;;
esac
"$pip" install -q --no-deps -r requirements-nodeps.txt  # tinysoundfont: its pyaudio is for playback only
