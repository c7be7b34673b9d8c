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
# The slow adversarial and soak suites (crash loops, fault storms, 200 MB files)
# carry the `slow` marker: .ci/run runs them after this; `bash scripts/test.sh -m slow`
# runs them here.  Extra arguments replace the default selection.
if [ $# -eq 0 ]; then
    set -- -m "not slow"
fi
.venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
