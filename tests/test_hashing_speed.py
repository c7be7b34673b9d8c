"""pb1's faster encoder (issue 16) gives the same bytes as before, on every Python.

pb1 names versions in existing stores: a faster encoder that changed one byte
would turn every stored class "out of sync".  The encoder before the change is
kept verbatim in tests/data/pb1_reference.py; tests/data/pb1_compare.py hashes
the standard library's classes and a corpus of awkward signatures with both
and compares petbrowser's own signature text with ``inspect``'s.  It runs
under this interpreter and under every other CPython 3.8+ found in pyenv
(the agent runs in the project's interpreter, whichever that is).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
PYENV = Path.home() / ".pyenv" / "versions"


def _interpreters() -> list[str]:
    found = [sys.executable]
    for minor in range(8, 14):
        for candidate in sorted(PYENV.glob(f"3.{minor}.*/bin/python")):
            if f"{sys.version_info[0]}.{sys.version_info[1]}." not in str(candidate):
                found.append(str(candidate))
                break
    return found


@pytest.mark.parametrize("python", _interpreters(), ids=lambda p: Path(p).parents[1].name)
def test_fast_pb1_and_signatures_match_the_reference_over_the_standard_library(python: str) -> None:
    out = subprocess.run(
        [python, str(DATA / "pb1_compare.py")], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["classes"] > 500 and report["functions"] > 2000, report
    assert report["diffs"] == [], report


def test_the_corpus_really_exercises_the_fallbacks_and_every_parameter_kind() -> None:
    """The fast path is taken for plain functions and inspect for the rest, and
    both print what inspect prints (a mutation of either would show above)."""
    import inspect

    sys.path.insert(0, str(DATA))
    try:
        import signature_corpus as corpus
    finally:
        sys.path.remove(str(DATA))
    from petbrowser.core.agent import hashing

    calls = []
    original = hashing._signature
    hashing._signature = lambda fn, **kw: calls.append(fn.__name__) or original(fn, **kw)
    try:
        for fn in vars(corpus.Corpus).values():
            fn = getattr(fn, "__func__", fn)
            if inspect.isfunction(fn):
                assert hashing._plain_signature(fn) == original(fn, follow_wrapped=False)
    finally:
        hashing._signature = original
    assert {"decorated", "with_signature_attr", "with_attribute"} <= set(calls)
    assert "posonly" not in calls and "annotated" not in calls
