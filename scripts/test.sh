#!/usr/bin/env bash
# The test command README.md gives: set up .venv, then lint, layer contracts and tests.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/test_store_local.py -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check petbrowser tests scripts
echo "== import contracts (lint-imports)"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
