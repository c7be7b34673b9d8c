#!/usr/bin/env bash
# The run command README.md gives: set up .venv and open petbrowser on the demo
# project and store (created on first run under the user data folder).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -e .
exec .venv/bin/petbrowser --demo "$@"
