"""Method history: in which versions each method of a class changed.

Versions are walked in the order they were pushed (``pushed_at`` from the
metadata, else the object's time).  Each version's methods come from its
metadata or, without one (LabChain's), from a static walk of its pickle:
nothing is unpickled.  A method is its own normalized bytecode plus that of
the code nested in it (a lambda, a comprehension), so a change inside a
comprehension is a change of the method.  A method that disappears while
another appears in the same version is followed as a rename when their code
is the same, or close (difflib ratio >= :data:`RENAME_SIMILARITY`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from petbrowser.core.errors import NotFoundError, PetBrowserError
from petbrowser.core.models import Blame, ClassDescription, MethodChange, MethodHistory, VersionInfo
from petbrowser.core.store.common import short
from petbrowser.core.times import parse_utc

__all__ = ["RENAME_SIMILARITY", "blame"]

#: How alike a removed and an added method must be to count as one renamed method.
RENAME_SIMILARITY = 0.75


@dataclass(frozen=True)
class _Method:
    """One method of one version, as compared."""

    kind: str | None
    signature: str | None
    code: str  # own disassembly + nested entries, the method's own name factored out


@dataclass
class _Lineage:
    """One method followed through the versions, across renames."""

    names: list[str]  # oldest first
    changes: list[MethodChange] = field(default_factory=list)  # oldest first
    present: bool = True


def _methods(describe: ClassDescription) -> dict[str, _Method]:
    """The description's methods by top-level name, nested code folded in."""
    raw = describe.methods
    out: dict[str, _Method] = {}
    for key in sorted(k for k in raw if "/" not in k):
        m = raw[key]
        parts = [m.disassembly or ""]
        for sub in sorted(k for k in raw if k.startswith(key + "/")):
            parts.append(f"# {sub[len(key) :]}\n{raw[sub].disassembly or ''}")
        code = "\n".join(parts).replace(f"{key}/", "/")
        out[key] = _Method(m.kind, m.signature, code)
    return out


def _what(old: _Method, new: _Method, python_changed: bool) -> tuple[str, ...]:
    what = []
    if old.code != new.code:
        what.append("bytecode")
    if old.signature != new.signature:
        what.append("signature")
    if old.kind != new.kind:
        what.append("kind")
    if what and python_changed and "bytecode" in what:
        what.append("python")
    return tuple(what)


def _similarity(a: _Method, b: _Method) -> float:
    if a.kind != b.kind:
        return 0.0
    if a.code == b.code:
        return 1.0
    return difflib.SequenceMatcher(None, a.code.splitlines(), b.code.splitlines()).ratio()


def _pair_renames(removed: dict[str, _Method], added: dict[str, _Method]) -> list[tuple[str, str]]:
    """(old, new) pairs, the most alike first, each name used once."""
    scored = sorted(
        ((-_similarity(removed[r], added[a]), r, a) for r in removed for a in added),
        key=lambda t: t[0],
    )
    pairs: list[tuple[str, str]] = []
    used_r: set[str] = set()
    used_a: set[str] = set()
    for neg, r, a in scored:
        if -neg < RENAME_SIMILARITY:
            break
        if r in used_r or a in used_a:
            continue
        used_r.add(r)
        used_a.add(a)
        pairs.append((r, a))
    return pairs


def _order(versions: Sequence[VersionInfo]) -> list[VersionInfo]:
    def key(v: VersionInfo) -> tuple[float, str]:
        at = parse_utc(v.pushed_at)
        return (at.timestamp() if at is not None else 0.0, v.hash)

    return sorted(versions, key=key)


def blame(store: Any, name: str, method: str | None = None) -> Blame:
    """Per method of ``name`` (or the one ``method``, under any name it had),
    the versions in which it was added, changed, renamed or removed, newest first."""
    from petbrowser.core.inspection import inspect_version

    info = store.get_class(name)
    versions = _order(info.versions)
    described = store.gather((v.hash, lambda h=v.hash: inspect_version(store, name, h)) for v in versions)

    notes: list[str] = []
    lineages: list[_Lineage] = []
    live: dict[str, _Lineage] = {}  # name in the previous version -> lineage
    prev: dict[str, _Method] | None = None
    prev_python: str | None = None
    prev_hash: str | None = None
    read: list[str] = []
    for v in versions:
        res = described.get(v.hash)
        if isinstance(res, PetBrowserError) or res is None:
            msg = res.message if isinstance(res, PetBrowserError) else "not read"
            notes.append(f"{short(v.hash)}: could not be read ({msg}); skipped")
            continue
        if res.by_reference:
            notes.append(f"{short(v.hash)}: pickled by reference, holds no code; skipped")
            continue
        if res.report.error and not res.describe.methods:
            notes.append(f"{short(v.hash)}: {res.report.error}; skipped")
            continue
        cur = _methods(res.describe)
        python = _minor(res.describe.python_version)
        python_changed = bool(prev_python and python and prev_python != python)
        if python_changed:
            notes.append(
                f"{short(v.hash)} was made by Python {python}, the version before it by "
                f"{prev_python}: its bytecode differs for that reason alone"
            )
        read.append(v.hash)

        def change(
            kind: str,
            method_name: str,
            v: VersionInfo = v,
            previous: str | None = prev_hash,
            **kw: Any,
        ) -> MethodChange:
            return MethodChange(
                v.hash, v.pushed_at, v.pushed_by, kind, method_name, previous=previous, **kw
            )

        before = prev or {}
        removed = {n: m for n, m in before.items() if n not in cur}
        added = {n: m for n, m in cur.items() if n not in before}
        nxt: dict[str, _Lineage] = {}
        for n in sorted(cur.keys() & before.keys()):
            lin = live[n]
            what = _what(before[n], cur[n], python_changed)
            if what:
                lin.changes.append(change("changed", n, what=what))
            nxt[n] = lin
        for old, new in _pair_renames(removed, added):
            lin = live[old]
            lin.names.append(new)
            what = tuple(
                w for w in _what(removed[old], added[new], python_changed) if w != "python"
            )
            lin.changes.append(change("renamed", new, old_name=old, what=what))
            nxt[new] = lin
            del removed[old], added[new]
        for n in sorted(removed):
            lin = live[n]
            lin.present = False
            lin.changes.append(change("removed", n))
        for n in sorted(added):
            lin = _Lineage([n])
            lin.changes.append(change("added", n))
            lineages.append(lin)
            nxt[n] = lin
        live, prev, prev_python, prev_hash = nxt, cur, python or prev_python, v.hash

    histories = [
        MethodHistory(
            name=lin.names[-1],
            present=lin.present,
            names=tuple(reversed(lin.names)),
            changes=tuple(reversed(lin.changes)),
        )
        for lin in lineages
    ]
    histories.sort(key=lambda m: (not m.present, m.name))
    if method is not None:
        histories = [m for m in histories if method in m.names]
        if not histories:
            known = sorted({n for lin in lineages for n in lin.names})
            raise NotFoundError(
                f"no method '{method}' in any version of {name}"
                + (f" (methods: {', '.join(known)})" if known else "")
            )
    return Blame(name, tuple(read), tuple(histories), tuple(notes))


def _minor(version: Any) -> str | None:
    if not isinstance(version, str):
        return None
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None
