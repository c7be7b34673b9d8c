"""Two versions of a class compared, ready to paint: :class:`~petbrowser.core.models.DiffResult`.

``core.diff`` says *what* changed; a side-by-side view also needs the aligned
rows of both modes (source, and bytecode method by method).  Computing them
here, in the worker that made the comparison, keeps every ``difflib`` pass off
the window's UI thread: the view only lays the rows out.
"""

from __future__ import annotations

from typing import Any

from petbrowser.core import diff
from petbrowser.core.models import DiffResult, MethodRows

__all__ = ["compare_describes", "compare_refs", "method_header", "text_rows"]


def _lines(text: str | None) -> list[str]:
    return text.splitlines() if text else []


def method_header(name: str, method: dict[str, Any] | None) -> str:
    """``# name(signature)  [kind]``: the line above a method's bytecode ("" when absent)."""
    if method is None:
        return ""
    kind = method.get("kind") or "function"
    return f"# {name}{method.get('signature') or ''}  [{kind}]"


def text_rows(a_text: str | None, b_text: str | None) -> tuple[diff.Row, ...]:
    """Two texts paired line by line, changed pairs with character spans."""
    return tuple(diff.side_by_side(_lines(a_text), _lines(b_text)))


def compare_describes(
    a: dict[str, Any],
    b: dict[str, Any],
    a_label: str = "A",
    b_label: str = "B",
    *,
    notes: tuple[str, ...] = (),
) -> DiffResult:
    """Compare two describe dicts (``a`` the old side) and lay out both modes' rows."""
    class_diff = diff.diff_describe(a, b, a_label=a_label, b_label=b_label)
    class_diff.notes.extend(n for n in notes if n not in class_diff.notes)
    a_methods: dict[str, Any] = a.get("methods") or {}
    b_methods: dict[str, Any] = b.get("methods") or {}
    bytecode = []
    # by name, so nested code follows its parent (f, f/<lambda>)
    for name in sorted(set(a_methods) | set(b_methods)):
        ma, mb = a_methods.get(name), b_methods.get(name)
        rows = diff.side_by_side(
            _lines((ma or {}).get("disassembly")), _lines((mb or {}).get("disassembly"))
        )
        bytecode.append(MethodRows(name, method_header(name, ma), method_header(name, mb), tuple(rows)))
    return DiffResult(
        class_name=class_diff.class_name or "", a_label=a_label, b_label=b_label, a=a, b=b,
        class_diff=class_diff, notes=tuple(class_diff.notes),
        source_rows=text_rows(a.get("source"), b.get("source")), bytecode=tuple(bytecode),
    )  # fmt: skip


def compare_refs(manager: Any, name: str, a: str, b: str) -> DiffResult:
    """Compare two refs of a class (hash, prefix, ``latest`` or ``local``), nothing unpickled."""
    from petbrowser.core.inspection import describe_ref

    desc_a, label_a = describe_ref(manager, name, a)
    desc_b, label_b = describe_ref(manager, name, b)
    notes = tuple(dict.fromkeys([*desc_a.get("_notes", []), *desc_b.get("_notes", [])]))
    return compare_describes(desc_a, desc_b, label_a, label_b, notes=notes)
