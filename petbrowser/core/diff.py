"""Structural diff of two class descriptions (the "describe" dicts of docs/internals.md).

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
from dataclasses import dataclass, field
from typing import Any

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

#: Class attributes the interpreter (or ``abc``) creates at run time: a live
#: class has them, a pickle rebuilds them empty, and none of them is code.
RUNTIME_ATTRIBUTES = frozenset(
    {
        "_abc_impl",  # ABCMeta's C cache (3.7+)
        "_abc_registry",  # _py_abc's caches
        "_abc_cache",
        "_abc_negative_cache",
        "_abc_negative_cache_version",
        "__abstractmethods__",
        "__dict__",
        "__weakref__",
    }
)
#: LabChain stamps ``cls._hash = "<its hash>"`` on a class it pushes or pulls.
_LABCHAIN_STAMP = re.compile(r"^'[0-9a-f]{64}'$")


def _runtime_only(name: str, value: str) -> bool:
    """True for an attribute that says nothing about the class's code."""
    return name in RUNTIME_ATTRIBUTES or (name == "_hash" and bool(_LABCHAIN_STAMP.match(value)))


# --------------------------------------------------------------- side by side
@dataclass(frozen=True)
class Row:
    """One row of a side-by-side view; spans are ``(start, end)`` character ranges."""

    kind: str  # equal | replace | insert | delete
    left: str | None
    right: str | None
    left_spans: list[tuple[int, int]] = field(default_factory=list)
    right_spans: list[tuple[int, int]] = field(default_factory=list)


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
def method_sources(class_source: str | None) -> dict[str, str]:
    """Each method's own source text (decorators included), keyed like the method table.

    Property accessors decorated ``@x.setter`` / ``@x.deleter`` are keyed
    ``x.setter`` / ``x.deleter``.  Returns ``{}`` when the source does not parse.
    """
    if not class_source:
        return {}
    text = textwrap.dedent(class_source)
    try:
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
@dataclass
class MethodDiff:
    """One method across the two sides."""

    name: str
    status: str  # added | removed | changed | unchanged
    kind: str | None
    kind_change: tuple[str | None, str | None] | None = None
    signature_change: tuple[str | None, str | None] | None = None
    bytecode_diff: list[str] = field(default_factory=list)
    source_diff: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "kind": self.kind,
            "kind_change": list(self.kind_change) if self.kind_change else None,
            "signature_change": list(self.signature_change) if self.signature_change else None,
            "bytecode_diff": list(self.bytecode_diff),
            "source_diff": list(self.source_diff),
        }


@dataclass
class ClassDiff:
    """What changed between two versions of a class; see :func:`diff_describe`."""

    class_name: str | None
    a_label: str
    b_label: str
    python_mismatch: str | None = None
    identity_changes: list[str] = field(default_factory=list)  # module / qualname moves
    bases_changed: tuple[list[str], list[str]] | None = None
    attributes_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    attributes_added: dict[str, str] = field(default_factory=dict)
    attributes_removed: dict[str, str] = field(default_factory=dict)
    methods: list[MethodDiff] = field(default_factory=list)
    source_diff: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "B is flagged unsafe: ..."
    #: A side pickled by reference holds no code to compare: said in one line each.
    no_code: list[str] = field(default_factory=list)

    @property
    def changed_methods(self) -> list[MethodDiff]:
        return [m for m in self.methods if m.status != "unchanged"]

    @property
    def has_changes(self) -> bool:
        """True when the code differs; a source diff of formatting alone does not count."""
        return bool(
            self.identity_changes
            or self.bases_changed
            or self.attributes_changed
            or self.attributes_added
            or self.attributes_removed
            or self.changed_methods
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "class_name": self.class_name,
            "a": self.a_label,
            "b": self.b_label,
            "has_changes": self.has_changes,
            "python_mismatch": self.python_mismatch,
            "identity_changes": list(self.identity_changes),
            "bases_changed": (
                {"old": self.bases_changed[0], "new": self.bases_changed[1]}
                if self.bases_changed
                else None
            ),
            "attributes": {
                "changed": {
                    k: {"old": o, "new": n} for k, (o, n) in self.attributes_changed.items()
                },
                "added": dict(self.attributes_added),
                "removed": dict(self.attributes_removed),
            },
            "methods": [m.to_json() for m in self.methods],
            "source_diff": list(self.source_diff),
            "notes": list(self.notes),
            "no_code": list(self.no_code),
        }

    def format_text(self, source: bool = True, bytecode: bool = True) -> str:
        """Human-readable report; ``"no changes"`` when the code is the same."""
        out = [f"{self.class_name or '?'}: {self.a_label} -> {self.b_label}"]
        if self.python_mismatch:
            out.append(f"note: {self.python_mismatch}")
        if self.no_code:
            out.extend(f"note: {n}" for n in self.notes if "pickled by reference" not in n)
            out.extend(self.no_code)
            out.extend(f"changed: {c}" for c in self.identity_changes)
            return "\n".join(out)
        out.extend(f"note: {n}" for n in self.notes)
        if not self.has_changes:
            suffix = (
                " (the source differs only in formatting, comments or docstrings)"
                if self.source_diff
                else ""
            )
            out.append("no changes" + suffix)
            return "\n".join(out)
        out.extend(f"changed: {c}" for c in self.identity_changes)
        if self.bases_changed:
            old, new = self.bases_changed
            out.append(f"bases: ({', '.join(old)}) -> ({', '.join(new)})")
        for name, (old, new) in self.attributes_changed.items():
            out.append(f"~ attribute {name}: {old} -> {new}")
        out.extend(f"+ attribute {n} = {v}" for n, v in self.attributes_added.items())
        out.extend(f"- attribute {n} = {v}" for n, v in self.attributes_removed.items())
        for m in self.changed_methods:
            mark = {"added": "+", "removed": "-", "changed": "~"}[m.status]
            out.append(f"{mark} {m.kind or 'method'} {m.name} ({m.status})")
            if m.kind_change:
                out.append(f"    kind: {m.kind_change[0]} -> {m.kind_change[1]}")
            if m.signature_change:
                out.append(f"    signature: {m.signature_change[0]} -> {m.signature_change[1]}")
            if source and m.source_diff:
                out.append("    source:")
                out.extend("      " + line for line in m.source_diff)
            if bytecode and m.bytecode_diff:
                out.append("    bytecode:")
                out.extend("      " + line for line in m.bytecode_diff)
        if source and self.source_diff and not any(m.source_diff for m in self.methods):
            out.append("class source:")
            out.extend("  " + line for line in self.source_diff)
        return "\n".join(out)


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
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    src_a: dict[str, str],
    src_b: dict[str, str],
    a_label: str,
    b_label: str,
) -> MethodDiff:
    if old is None or new is None:
        entry = new if old is None else old
        status = "added" if old is None else "removed"
        dis_a = None if old is None else old.get("disassembly")
        dis_b = None if new is None else new.get("disassembly")
        return MethodDiff(
            name,
            status,
            (entry or {}).get("kind"),
            signature_change=(
                (
                    None if old is None else old.get("signature"),
                    None if new is None else new.get("signature"),
                )
                if (entry or {}).get("signature") is not None
                else None
            ),
            bytecode_diff=_udiff(dis_a, dis_b, f"{name} ({a_label})", f"{name} ({b_label})"),
            source_diff=_udiff(
                src_a.get(name), src_b.get(name), f"{name} ({a_label})", f"{name} ({b_label})"
            )
            if (name in src_a or name in src_b)
            else [],
        )
    kind_change = (old.get("kind"), new.get("kind")) if old.get("kind") != new.get("kind") else None
    sig_change = (
        (old.get("signature"), new.get("signature"))
        if old.get("signature") != new.get("signature")
        else None
    )
    same_code = old.get("disassembly") == new.get("disassembly")
    if same_code and not kind_change and not sig_change:
        return MethodDiff(name, "unchanged", new.get("kind"))
    labels = (f"{name} ({a_label})", f"{name} ({b_label})")
    source_diff: list[str] = []
    skey = name.split("/", 1)[0]  # nested code (a lambda...) shows its method's source
    if skey in src_a and skey in src_b and src_a[skey] != src_b[skey]:
        source_diff = _udiff(src_a[skey], src_b[skey], *labels)
    return MethodDiff(
        name,
        "changed",
        new.get("kind"),
        kind_change=kind_change,
        signature_change=sig_change,
        bytecode_diff=[]
        if same_code
        else _udiff(old.get("disassembly"), new.get("disassembly"), *labels),
        source_diff=source_diff,
    )


def diff_describe(
    a: dict[str, Any], b: dict[str, Any], *, a_label: str = "A", b_label: str = "B"
) -> ClassDiff:
    """Compare two describe dicts: ``a`` is the old side, ``b`` the new one."""
    result = ClassDiff(b.get("class_name") or a.get("class_name"), a_label, b_label)
    result.python_mismatch = _python_mismatch(
        a.get("python_version"), b.get("python_version"), a_label, b_label
    )
    for key in ("module", "qualname"):
        if a.get(key) and b.get(key) and a.get(key) != b.get(key):
            result.identity_changes.append(f"{key} {a.get(key)} -> {b.get(key)}")
    for side, label in ((a, a_label), (b, b_label)):
        if side.get("by_reference"):
            named = f"{side.get('module') or '?'}.{side.get('qualname') or side.get('class_name') or '?'}"
            result.no_code.append(f"{label}: this version holds no code: it names {named}")
    if result.no_code:
        # Nothing to compare: listing the other side's methods as "added" would be a lie.
        return result
    bases_a, bases_b = list(a.get("bases") or []), list(b.get("bases") or [])
    if bases_a != bases_b:
        result.bases_changed = (bases_a, bases_b)

    attrs_a = {k: v for k, v in (a.get("attributes") or {}).items() if not _runtime_only(k, str(v))}
    attrs_b = {k: v for k, v in (b.get("attributes") or {}).items() if not _runtime_only(k, str(v))}
    for name in sorted(attrs_a.keys() | attrs_b.keys()):
        if name not in attrs_b:
            result.attributes_removed[name] = attrs_a[name]
        elif name not in attrs_a:
            result.attributes_added[name] = attrs_b[name]
        elif attrs_a[name] != attrs_b[name]:
            result.attributes_changed[name] = (attrs_a[name], attrs_b[name])

    meth_a: dict[str, dict[str, Any]] = dict(a.get("methods") or {})
    meth_b: dict[str, dict[str, Any]] = dict(b.get("methods") or {})
    src_a_text, src_b_text = a.get("source"), b.get("source")
    # Per-method sources are extracted lazily: only when some method changed.
    needs_src = any(meth_a.get(n) != meth_b.get(n) for n in meth_a.keys() | meth_b.keys())
    src_a = method_sources(src_a_text) if needs_src else {}
    src_b = method_sources(src_b_text) if needs_src else {}
    shown: set[str] = set()
    for name in sorted(meth_a.keys() | meth_b.keys()):
        md = _method_diff(name, meth_a.get(name), meth_b.get(name), src_a, src_b, a_label, b_label)
        root = name.split("/", 1)[0]
        if md.source_diff and md.status == "changed":
            if root in shown:
                md.source_diff = []  # the enclosing method's source diff already shows it
            shown.add(root)
        result.methods.append(md)
    if src_a_text and src_b_text and src_a_text != src_b_text:
        result.source_diff = _udiff(src_a_text, src_b_text, a_label, b_label)
    return result
