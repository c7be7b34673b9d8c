"""Regenerate tests/data/pyver/: matrix_mod.Probe as pushed by each CPython 3.8-3.13.

    .venv/bin/python -m tests.pyver.make_fixtures

Each ``<minor>.pkl`` is the version petbrowser's real push wrote from that
interpreter, ``<minor>.meta.json`` its sidecar (with that version's own
``dis`` listing of every method).  They let the tests check the static
reading of every version even on a machine that has none of them.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from .interpreters import MINORS, REPO, find_python, make_venv, push_probe

DEST = REPO / "tests" / "data" / "pyver"


def main() -> int:
    DEST.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for minor in MINORS:
            python = find_python(minor)
            if python is None:
                print(f"{minor}: no interpreter, kept as it is", file=sys.stderr)
                continue
            venv = make_venv(python, root / f"venv-{minor}")
            store = root / f"store-{minor}"
            if push_probe(venv, root / f"project-{minor}", store) != 0:
                print(f"{minor}: push failed", file=sys.stderr)
                return 1
            (pkl,) = (store / "plugins" / "Probe").glob("*.pkl")
            shutil.copy(pkl, DEST / f"{minor}.pkl")
            shutil.copy(pkl.with_suffix(".meta.json"), DEST / f"{minor}.meta.json")
            print(f"{minor}: {pkl.stem[:12]} from {python}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
