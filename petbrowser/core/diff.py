"""Structural diff of two class descriptions (``core.models.ClassDescription``).

A text diff of two whole disassemblies says *that* something changed; this
says *what*: bases, class attributes, and per method whether it was added,
removed or changed, with its signature change (defaults included), its
bytecode diff and its own source diff (extracted with ``ast`` from each
side's class source).  Comparison is on normalized disassembly, so a change
of whitespace, comments or line positions is "no changes".  Only changed
methods are diffed, which keeps a 200-method class fast.

:func:`side_by_side` pairs the lines of two texts with intraline change spans
for the GUI's diff view.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
import threading
from typing import Any

from petbrowser.core.agent.hashing import RUNTIME_ATTRIBUTES, runtime_only
from petbrowser.core.models import ClassDescription, ClassDiff, MethodDiff, MethodInfo, Row

__all__ = [
    "RUNTIME_ATTRIBUTES",
    "ClassDiff",
    "MethodDiff",
    "Row",
    "diff_describe",
    "method_sources",
    "side_by_side",
]

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.\d+)?(?:(?:a|b|rc)\d+)?$")


# --------------------------------------------------------------- side by side
def _char_spans(left: str, right: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    sm = difflib.SequenceMatcher(None, left, right, autojunk=True)
    ls: list[tuple[int, int]] = []
    rs: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            ls.append((i1, i2))
        if j2 > j1:
            rs.append((j1, j2))
    return ls, rs


def side_by_side(a_lines: list[str], b_lines: list[str]) -> list[Row]:
    """Rows pairing ``a_lines`` with ``b_lines``; changed pairs carry character spans."""
    rows: list[Row] = []
    sm = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=True)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            rows.extend(Row("equal", a_lines[i], b_lines[j1 + i - i1]) for i in range(i1, i2))
        elif tag == "delete":
            rows.extend(
                Row("delete", a_lines[i], None, [(0, len(a_lines[i]))]) for i in range(i1, i2)
            )
        elif tag == "insert":
            rows.extend(
                Row("insert", None, b_lines[j], [], [(0, len(b_lines[j]))]) for j in range(j1, j2)
            )
        else:
            n = max(i2 - i1, j2 - j1)
            for k in range(n):
                left = a_lines[i1 + k] if i1 + k < i2 else None
                right = b_lines[j1 + k] if j1 + k < j2 else None
                if left is not None and right is not None:
                    ls, rs = _char_spans(left, right)
                    rows.append(Row("replace", left, right, ls, rs))
                elif left is not None:
                    rows.append(Row("delete", left, None, [(0, len(left))]))
                elif right is not None:
                    rows.append(Row("insert", None, right, [], [(0, len(right))]))
    return rows


# ------------------------------------------------------------ method sources
#: One AST construction at a time in this process: CPython 3.11 keeps the AST
#: constructor's recursion depth per interpreter, so two threads building trees
#: at once (a restore plan diffing classes while the window diffs another) can
#: fail with "SystemError: AST constructor recursion depth mismatch"
#: (python/cpython gh-106905; seen here planning a restore).
_AST_LOCK = threading.Lock()


def method_sources(class_source: str | None) -> dict[str, str]:
    """Each method's own source text (decorators included), keyed like the method table.

    Property accessors decorated ``@x.setter`` / ``@x.deleter`` are keyed
    ``x.setter`` / ``x.deleter``.  Returns ``{}`` when the source does not parse.
    """
    if not class_source:
        return {}
    text = textwrap.dedent(class_source)
    try:
        with _AST_LOCK:
            tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef)), None)
    if cls is None:
        return {}
    lines = text.splitlines()
    out: dict[str, str] = {}
    for node in cls.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        key = node.name
        for deco in node.decorator_list:
            if isinstance(deco, ast.Attribute) and deco.attr in ("setter", "deleter"):
                key = f"{node.name}.{deco.attr}"
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        end = node.end_lineno or node.lineno
        out[key] = textwrap.dedent("\n".join(lines[start - 1 : end]))
    return out


# -------------------------------------------------------------------- diffs
def _minor(version: Any) -> str | None:
    if not isinstance(version, str):
        return None
    m = _VERSION.match(version.strip())
    return f"{m.group(1)}.{m.group(2)}" if m else None


#: What static inspection says when the bytecode fits several versions: "3.11 or 3.12".
_RANGE = re.compile(r"^\d+\.\d+(?:, \d+\.\d+)* or \d+\.\d+$")


def _python_mismatch(raw_a: Any, raw_b: Any, a_label: str, b_label: str) -> str | None:
    """Whether two versions come from different Pythons, said as surely as it is known."""
    if raw_a in (None, "", "unknown") or raw_b in (None, "", "unknown"):
        return None
    va, vb = _minor(raw_a) or raw_a, _minor(raw_b) or raw_b
    sets = []
    for v in (va, vb):
        if isinstance(v, str) and _RANGE.match(v):
            sets.append(set(re.findall(r"\d+\.\d+", v)))
        else:
            sets.append({v})
    if sets[0] == sets[1] and len(sets[0]) == 1:
        return None
    if not sets[0] & sets[1]:
        return f"{a_label} was made by Python {va}, {b_label} by {vb}: bytecode differs for that reason alone"
    if sets[0] == sets[1]:
        return None  # the same range on both sides: nothing to say either way
    return (
        f"{a_label} was made by Python {va}, {b_label} by {vb}: they may come from "
        "different Pythons, whose bytecode differs"
    )


def _udiff(a: str | None, b: str | None, a_label: str, b_label: str) -> list[str]:
    return list(
        difflib.unified_diff(
            (a or "").splitlines(),
            (b or "").splitlines(),
            fromfile=a_label,
            tofile=b_label,
            lineterm="",
            n=3,
        )
    )


def _method_diff(
    name: str,
    old: MethodInfo | None,
    new: MethodInfo | None,
    src_a: dict[str, str],
    src_b: dict[str, str],
    a_label: str,
    b_label: str,
) -> MethodDiff:
    labels = (f"{name} ({a_label})", f"{name} ({b_label})")
    if old is None or new is None:
        entry = new if old is None else old
        assert entry is not None
        return MethodDiff(
            name,
            "added" if old is None else "removed",
            entry.kind,
            signature_change=(
                (old and old.signature, new and new.signature) if entry.signature is not None else None
            ),
            bytecode_diff=_udiff(old and old.disassembly, new and new.disassembly, *labels),
            source_diff=_udiff(src_a.get(name), src_b.get(name), *labels)
            if (name in src_a or name in src_b)
            else [],
        )
    kind_change = (old.kind, new.kind) if old.kind != new.kind else None
    sig_change = (old.signature, new.signature) if old.signature != new.signature else None
    same_code = old.disassembly == new.disassembly
    if same_code and not kind_change and not sig_change:
        return MethodDiff(name, "unchanged", new.kind)
    source_diff: list[str] = []
    skey = name.split("/", 1)[0]  # nested code (a lambda...) shows its method's source
    if skey in src_a and skey in src_b and src_a[skey] != src_b[skey]:
        source_diff = _udiff(src_a[skey], src_b[skey], *labels)
    return MethodDiff(
        name,
        "changed",
        new.kind,
        kind_change=kind_change,
        signature_change=sig_change,
        bytecode_diff=[] if same_code else _udiff(old.disassembly, new.disassembly, *labels),
        source_diff=source_diff,
    )


def diff_describe(
    a: ClassDescription,
    b: ClassDescription,
    *,
    a_label: str = "A",
    b_label: str = "B",
    notes: tuple[str, ...] | list[str] = (),
) -> ClassDiff:
    """Compare two descriptions: ``a`` is the old side, ``b`` the new one.

    ``notes`` (what the code alone does not say: unsafe, by reference, a
    digest mismatch) are kept on the result, each once.
    """
    result = ClassDiff(b.class_name or a.class_name, a_label, b_label)
    result.notes.extend(dict.fromkeys(notes))
    result.python_mismatch = _python_mismatch(a.python_version, b.python_version, a_label, b_label)
    for key, old, new in (("module", a.module, b.module), ("qualname", a.qualname, b.qualname)):
        if old and new and old != new:
            result.identity_changes.append(f"{key} {old} -> {new}")
    for side, label in ((a, a_label), (b, b_label)):
        if side.by_reference:
            result.no_code.append(f"{label}: this version holds no code: it names {side.defined_as}")
    if result.no_code:
        # Nothing to compare: listing the other side's methods as "added" would be a lie.
        return result
    if a.bases != b.bases:
        result.bases_changed = (list(a.bases), list(b.bases))

    attrs_a = {k: v for k, v in a.attributes.items() if not runtime_only(k, v)}
    attrs_b = {k: v for k, v in b.attributes.items() if not runtime_only(k, v)}
    for name in sorted(attrs_a.keys() | attrs_b.keys()):
        if name not in attrs_b:
            result.attributes_removed[name] = attrs_a[name]
        elif name not in attrs_a:
            result.attributes_added[name] = attrs_b[name]
        elif attrs_a[name] != attrs_b[name]:
            result.attributes_changed[name] = (attrs_a[name], attrs_b[name])

    meth_a, meth_b = a.methods, b.methods
    # Per-method sources are extracted lazily: only when some method changed.
    needs_src = any(meth_a.get(n) != meth_b.get(n) for n in meth_a.keys() | meth_b.keys())
    src_a = method_sources(a.source) if needs_src else {}
    src_b = method_sources(b.source) if needs_src else {}
    shown: set[str] = set()
    for name in sorted(meth_a.keys() | meth_b.keys()):
        md = _method_diff(name, meth_a.get(name), meth_b.get(name), src_a, src_b, a_label, b_label)
        root = name.split("/", 1)[0]
        if md.source_diff and md.status == "changed":
            if root in shown:
                md.source_diff = []  # the enclosing method's source diff already shows it
            shown.add(root)
        result.methods.append(md)
    if a.source and b.source and a.source != b.source:
        result.source_diff = _udiff(a.source, b.source, a_label, b_label)
    return result
