"""Which Python minor version produced a class's bytecode, from the bytecode alone.

The constructor's argument count splits 3.8-3.10 (16) from 3.11-3.13 (18).
Within each group, a version is possible for a code object only when
:func:`.decode.decode` finds nothing that version's compiler could not have
produced (opcodes, inline caches, argument ranges, jump targets, line and
exception tables).  All code objects of one pickle come from one Python, so
the class's answer is what every code object allows.  When more than one
version remains (identical bytecode in 3.8 and 3.9 is common for short
methods), the answer says so -- ``"3.8 or 3.9"`` -- instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .code import StaticCode
from .decode import MAX_CODE_UNITS, Inconsistent, decode
from .spec import SPECS, VERSIONS

__all__ = ["Verdict", "detect", "format_versions", "parse_versions", "MAX_TOTAL_UNITS"]

#: Bytecode decoded per class, in code units summed over code objects and candidate
#: versions; past it the remaining code objects are left out (and say so).
MAX_TOTAL_UNITS = 600_000
UNKNOWN = "unknown"


@dataclass
class Verdict:
    """The versions every code object allows (oldest first), and why others were ruled out."""

    versions: tuple[str, ...]
    #: for each ruled-out version, the first thing that ruled it out
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return format_versions(self.versions)


def format_versions(versions: Iterable[str]) -> str:
    """``("3.11",)`` -> ``"3.11"``; two -> ``"3.11 or 3.12"``; none -> ``"unknown"``."""
    vs = list(versions)
    if not vs:
        return UNKNOWN
    if len(vs) == 1:
        return vs[0]
    return ", ".join(vs[:-1]) + " or " + vs[-1]


_VERSION_RE = re.compile(r"\b3\.\d+\b")


def parse_versions(text: str | None) -> tuple[str, ...]:
    """The versions :func:`format_versions` wrote (a metadata ``"3.11.7"`` gives ``("3.11",)``)."""
    if not isinstance(text, str):
        return ()
    found = []
    for m in _VERSION_RE.finditer(text):
        v = m.group(0)
        if v in SPECS and v not in found:
            found.append(v)
    return tuple(found)


def _pool(code: StaticCode) -> list[str]:
    want = 18 if code.arity == 18 else 16 if code.arity == 16 else -1
    return [v for v in VERSIONS if (18 if SPECS[v].minor >= 11 else 16) == want]


def detect(codes: Iterable[StaticCode]) -> Verdict:
    """The versions consistent with every code object of one class.

    A code object larger than :data:`MAX_CODE_UNITS` is no evidence either
    way; once :data:`MAX_TOTAL_UNITS` have been decoded, the rest are skipped
    too (their listing says so).
    """
    possible: set[str] | None = None
    unread: set[str] = set()  # versions of code objects too large to read: no evidence
    reasons: dict[str, str] = {}
    budget = MAX_TOTAL_UNITS
    for code in codes:
        if code.problem:
            return Verdict((), {v: code.problem for v in VERSIONS})
        pool = [v for v in _pool(code) if possible is None or v in possible]
        units = len(code.code) // 2
        if units > MAX_CODE_UNITS:
            unread.update(pool)
            continue
        cost = units * len(pool)
        if cost > budget:
            code.skipped = (
                f"not decoded: the class holds more than {MAX_TOTAL_UNITS:,} instructions to read"
            )
            unread.update(pool)
            continue
        budget -= cost
        allowed: set[str] = set()
        for v in pool:
            try:
                decode(code, SPECS[v])
            except Inconsistent as exc:
                reasons.setdefault(v, f"{code.name}: {exc}")
            else:
                allowed.add(v)
        for v in VERSIONS:
            if v not in _pool(code):
                reasons.setdefault(v, f"{code.name}: {code.arity} constructor arguments")
        possible = allowed if possible is None else possible & allowed
        if not possible:
            break
    if possible is None:  # nothing was read: every version of the right size remains
        possible = unread
    for v in VERSIONS:
        if v not in possible:
            reasons.setdefault(v, "ruled out")
    return Verdict(tuple(v for v in VERSIONS if v in possible), reasons)
