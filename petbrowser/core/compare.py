"""Two versions of a class compared, ready to paint: :class:`~petbrowser.core.models.DiffResult`.

``core.diff`` says *what* changed; a side-by-side view also needs the aligned
rows of both modes (source, and bytecode method by method).  Computing them
here, in the worker that made the comparison, keeps every ``difflib`` pass off
the window's UI thread: the view only lays the rows out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from petbrowser.core import diff
from petbrowser.core.models import ClassDescription, DiffResult, MethodInfo, MethodRows, Row

if TYPE_CHECKING:
    from petbrowser.core.manager import PetClassManager

__all__ = ["compare_describes", "compare_refs", "method_header", "text_rows"]


def _lines(text: str | None) -> list[str]:
    return text.splitlines() if text else []


def method_header(name: str, method: MethodInfo | None) -> str:
    """``# name(signature)  [kind]``: the line above a method's bytecode ("" when absent)."""
    return method.header(name) if method is not None else ""


def text_rows(a_text: str | None, b_text: str | None) -> tuple[Row, ...]:
    """Two texts paired line by line, changed pairs with character spans."""
    return tuple(diff.side_by_side(_lines(a_text), _lines(b_text)))


def compare_describes(
    a: ClassDescription,
    b: ClassDescription,
    a_label: str = "A",
    b_label: str = "B",
    *,
    notes: tuple[str, ...] = (),
) -> DiffResult:
    """Compare two descriptions (``a`` the old side) and lay out both modes' rows."""
    class_diff = diff.diff_describe(a, b, a_label=a_label, b_label=b_label, notes=notes)
    bytecode = []
    # by name, so nested code follows its parent (f, f/<lambda>)
    for name in sorted(a.methods.keys() | b.methods.keys()):
        ma, mb = a.methods.get(name), b.methods.get(name)
        rows = diff.side_by_side(
            _lines(ma.disassembly if ma else None), _lines(mb.disassembly if mb else None)
        )
        bytecode.append(MethodRows(name, method_header(name, ma), method_header(name, mb), tuple(rows)))
    return DiffResult(
        class_name=class_diff.class_name or "", a_label=a_label, b_label=b_label, a=a, b=b,
        class_diff=class_diff, notes=tuple(class_diff.notes),
        source_rows=text_rows(a.source, b.source), bytecode=tuple(bytecode),
    )  # fmt: skip


def compare_refs(manager: PetClassManager, name: str, a: str, b: str) -> DiffResult:
    """Compare two refs of a class (hash, prefix, ``latest`` or ``local``), nothing unpickled."""
    from petbrowser.core.inspection import describe_ref

    side_a, side_b = describe_ref(manager, name, a), describe_ref(manager, name, b)
    notes = tuple(dict.fromkeys([*side_a.notes, *side_b.notes]))
    return compare_describes(side_a.describe, side_b.describe, side_a.label, side_b.label, notes=notes)
