"""How a diff is laid out in two columns: plain Python, run on a worker.

Core (``PetClassManager.compare``) pairs the lines; this turns the pairs into
what the two code views paint — line numbers, which rows are tinted, changed
character spans, the changed blocks F8 visits, and where each method starts —
so the UI thread only hands finished text to the views.  No Qt here: the
compare command builds both modes' layouts in the worker that compared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from petbrowser.core.manager import DiffResult, Row

__all__ = [
    "MODES",
    "Layout",
    "Side",
    "build_layouts",
    "bytecode_layout",
    "source_layout",
    "text_layout",
    "unified_layout",
]

MODES: tuple[str, ...] = ("source", "bytecode")

#: A method's first line in a class's source: ``def name`` or a property's ``@name.setter``.
_DEF = re.compile(r"\s*(?:async\s+)?def\s+(\w+)")
_ACCESSOR = re.compile(r"\s*@(\w+)\.(setter|deleter)\b")


@dataclass
class Side:
    """One laid-out side of one mode."""

    lines: list[str] = field(default_factory=list)
    numbers: list[int | None] = field(default_factory=list)
    tints: dict[int, str] = field(default_factory=dict)  # row -> diff_colors key
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # row, start, end


@dataclass
class Layout:
    """Both sides of one mode, the changed blocks and where each method starts."""

    left: Side = field(default_factory=Side)
    right: Side = field(default_factory=Side)
    changes: list[range] = field(default_factory=list)
    method_rows: dict[str, int] = field(default_factory=dict)
    language: str = "python"
    note: str = ""

    @property
    def row_count(self) -> int:
        return len(self.left.lines)

    def add_rows(self, rows: Sequence[Row], numbered: bool = True) -> None:
        """Append core's aligned rows, numbering each side's real lines from 1."""
        n_left = n_right = 0
        for row in rows:
            index = len(self.left.lines)
            has_left = row.kind != "insert" and row.left is not None
            has_right = row.kind != "delete" and row.right is not None
            n_left += has_left
            n_right += has_right
            self.left.lines.append(row.left if has_left else "")
            self.right.lines.append(row.right if has_right else "")
            self.left.numbers.append(n_left if has_left and numbered else None)
            self.right.numbers.append(n_right if has_right and numbered else None)
            if row.kind == "equal":
                continue
            self.left.tints[index] = "delete_line" if has_left else "filler"
            self.right.tints[index] = "insert_line" if has_right else "filler"
            if row.kind == "replace":
                self.left.spans += [(index, s, e) for s, e in row.left_spans if e > s]
                self.right.spans += [(index, s, e) for s, e in row.right_spans if e > s]

    def add_plain(self, left: str, right: str, tinted: bool = False) -> None:
        """Append one unnumbered row (a header or separator)."""
        index = len(self.left.lines)
        self.left.lines.append(left)
        self.right.lines.append(right)
        self.left.numbers.append(None)
        self.right.numbers.append(None)
        if tinted:
            self.left.tints[index] = "delete_line"
            self.right.tints[index] = "insert_line"

    def find_changes(self) -> None:
        """Contiguous runs of tinted rows: what Next/Previous change visit."""
        rows = sorted(set(self.left.tints) | set(self.right.tints))
        self.changes = []
        for row in rows:
            if self.changes and self.changes[-1].stop == row:
                self.changes[-1] = range(self.changes[-1].start, row + 1)
            else:
                self.changes.append(range(row, row + 1))


def _definitions(layout: Layout) -> dict[str, int]:
    """Row of each ``def`` (and property accessor) on either side, first one wins."""
    defs: dict[str, int] = {}
    for row, (left, right) in enumerate(zip(layout.left.lines, layout.right.lines, strict=True)):
        for text in (left, right):
            m = _DEF.match(text)
            if m:
                defs.setdefault(m.group(1), row)
                continue
            m = _ACCESSOR.match(text)
            if m:
                defs.setdefault(f"{m.group(1)}.{m.group(2)}", row)
    return defs


def source_layout(result: DiffResult) -> Layout:
    """The class source side by side, with the row where each listed method starts."""
    layout = Layout(language="python")
    missing = [lab for lab, d in (("A", result.a), ("B", result.b)) if not d.source]
    if missing:
        layout.note = f"No source captured for {' and '.join(missing)}: the Bytecode view compares what runs."
    layout.add_rows(result.source_rows)
    defs = _definitions(layout)
    for method in result.class_diff.methods:
        base = method.name.split("/")[0]  # nested code sits in its parent's source
        if base in defs:
            layout.method_rows[method.name] = defs[base]
        elif base.split(".")[0] in defs:
            layout.method_rows[method.name] = defs[base.split(".")[0]]
    layout.find_changes()
    return layout


def bytecode_layout(result: DiffResult) -> Layout:
    """Every method's normalized disassembly under a header line, side by side."""
    layout = Layout(language="dis")
    for method in result.bytecode:
        if layout.row_count:
            layout.add_plain("", "")
        layout.method_rows[method.name] = layout.row_count
        ha, hb = method.header_a, method.header_b
        layout.add_plain(ha, hb, tinted=bool(ha) and bool(hb) and ha != hb)
        if not ha or not hb:  # added/removed: tint the header with the body
            row = layout.row_count - 1
            layout.left.tints[row] = "delete_line" if ha else "filler"
            layout.right.tints[row] = "insert_line" if hb else "filler"
        layout.add_rows(method.rows)
    layout.find_changes()
    return layout


def text_layout(rows: Sequence[Row], language: str = "python") -> Layout:
    """Two plain texts' rows (no methods)."""
    layout = Layout(language=language)
    layout.add_rows(rows)
    layout.find_changes()
    return layout


def unified_layout(split: Layout) -> Layout:
    """One column from a side-by-side layout: unchanged lines once, a changed line
    as its old ("- ") then its new ("+ ") text, so a narrow pane can show (and
    wrap) a change that two half-width columns would cut off.  Only ``left`` is used."""
    out = Layout(language=split.language, note=split.note)
    side = out.left
    first_row: dict[int, int] = {}
    spans_left: dict[int, list[tuple[int, int]]] = {}
    spans_right: dict[int, list[tuple[int, int]]] = {}
    for row, start, end in split.left.spans:
        spans_left.setdefault(row, []).append((start, end))
    for row, start, end in split.right.spans:
        spans_right.setdefault(row, []).append((start, end))

    def add(text: str, number: int | None, tint: str | None, spans: list[tuple[int, int]]) -> None:
        index = len(side.lines)
        mark = {"delete_line": "- ", "insert_line": "+ "}.get(tint or "", "  ")
        side.lines.append(mark + text if text or tint else "")
        side.numbers.append(number)
        if tint:
            side.tints[index] = tint
            side.spans += [(index, s + 2, e + 2) for s, e in spans]

    for row in range(split.row_count):
        first_row[row] = len(side.lines)
        lt, rt = split.left.tints.get(row), split.right.tints.get(row)
        if lt is None and rt is None:
            add(split.right.lines[row], split.right.numbers[row], None, [])
            continue
        if lt == "delete_line":
            add(split.left.lines[row], split.left.numbers[row], lt, spans_left.get(row, []))
        if rt == "insert_line":
            add(split.right.lines[row], split.right.numbers[row], rt, spans_right.get(row, []))
    out.method_rows = {name: first_row.get(row, 0) for name, row in split.method_rows.items()}
    out.find_changes()
    return out


def build_layouts(result: DiffResult) -> dict[str, Layout]:
    """Every mode of one comparison, side by side and unified ("source/unified"),
    all laid out here on the worker (a class with no changes needs none)."""
    if not result.class_diff.has_changes:
        return {}
    split = {"source": source_layout(result), "bytecode": bytecode_layout(result)}
    return {**split, **{f"{mode}/unified": unified_layout(layout) for mode, layout in split.items()}}
