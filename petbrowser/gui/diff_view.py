"""Side-by-side diff of two versions of a class: source or bytecode.

The diffing itself is core's (``petbrowser.core.diff``): this widget only
lays the aligned rows out in two CodeViews, tints them, and navigates
between changes.  The laid-out text of each mode is built once per pair of
versions and cached, so switching modes or scrolling a 200-method class
never recomputes a diff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from petbrowser.gui.code_view import CodeView
from petbrowser.gui.icons import icon
from petbrowser.gui.theme import diff_colors, is_dark

__all__ = ["DiffView", "MODES", "summary_text"]

MODES: tuple[str, ...] = ("source", "bytecode")

#: Method statuses in the order the list shows them: what changed comes first.
_STATUS_ORDER = {"changed": 0, "added": 1, "removed": 2, "unchanged": 3}
_ROLE_NAME = Qt.ItemDataRole.UserRole + 1


# --------------------------------------------------------------------- helpers
def summary_text(statuses: Iterable[str]) -> str:
    """``"3 methods changed, 1 added, 0 removed"`` for a list of method statuses."""
    counts = {"changed": 0, "added": 0, "removed": 0}
    for status in statuses:
        if status in counts:
            counts[status] += 1
    n = counts["changed"]
    return f"{n} method{'' if n == 1 else 's'} changed, {counts['added']} added, {counts['removed']} removed"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _spans(spans: Any) -> list[tuple[int, int]]:
    """Char ranges as (start, end) pairs, whatever tuple/object shape core hands out."""
    out: list[tuple[int, int]] = []
    for span in spans or ():
        if isinstance(span, (tuple, list)) and len(span) >= 2:
            start, end = int(span[0]), int(span[1])
        else:
            start, end = int(_get(span, "start", 0)), int(_get(span, "end", 0))
        if end > start:
            out.append((start, end))
    return out


def _lines(text: str | None) -> list[str]:
    return text.splitlines() if text else []


def _core_diff() -> Any:
    from petbrowser.core import diff

    return diff


def _compute_class_diff(a: dict[str, Any], b: dict[str, Any], a_label: str, b_label: str) -> Any:
    """Ask core for the ClassDiff of two describe dicts."""
    return _core_diff().diff_describe(a, b, a_label=a_label, b_label=b_label)


@dataclass
class _Side:
    """One laid-out side of one mode."""

    lines: list[str] = field(default_factory=list)
    numbers: list[int | None] = field(default_factory=list)
    tints: dict[int, str] = field(default_factory=dict)  # row -> diff_colors key
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # row, start, end


@dataclass
class _Layout:
    """Both sides of one mode, the changed blocks and where each method starts."""

    left: _Side = field(default_factory=_Side)
    right: _Side = field(default_factory=_Side)
    changes: list[range] = field(default_factory=list)
    method_rows: dict[str, int] = field(default_factory=dict)
    language: str = "python"
    note: str = ""

    @property
    def row_count(self) -> int:
        return len(self.left.lines)

    def add_rows(self, rows: Sequence[Any], numbered: bool = True) -> None:
        """Append core's aligned rows, numbering each side's real lines from 1."""
        n_left = n_right = 0
        for row in rows:
            kind = _get(row, "kind", "equal")
            left, right = _get(row, "left"), _get(row, "right")
            index = len(self.left.lines)
            has_left = kind != "insert" and left is not None
            has_right = kind != "delete" and right is not None
            n_left += has_left
            n_right += has_right
            self.left.lines.append(left if has_left else "")
            self.right.lines.append(right if has_right else "")
            self.left.numbers.append(n_left if has_left and numbered else None)
            self.right.numbers.append(n_right if has_right and numbered else None)
            if kind == "equal":
                continue
            self.left.tints[index] = "delete_line" if has_left else "filler"
            self.right.tints[index] = "insert_line" if has_right else "filler"
            if kind == "replace":
                self.left.spans += [(index, s, e) for s, e in _spans(_get(row, "left_spans"))]
                self.right.spans += [(index, s, e) for s, e in _spans(_get(row, "right_spans"))]

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


# --------------------------------------------------------------------- widget
class DiffView(QWidget):
    """Compares two versions of a class; see ``set_describes``.

    Signals: ``methodSelected(str)`` when the user picks a method in the list.
    """

    methodSelected = Signal(str)  # noqa: N815 - Qt naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._a: dict[str, Any] | None = None
        self._b: dict[str, Any] | None = None
        self._texts: tuple[str, str, str] | None = None  # a, b, language (set_texts)
        self._class_diff: Any = None
        self._mode = "source"
        self._layouts: dict[str, _Layout] = {}
        self._shown: _Layout | None = None
        self._current_change = -1
        self._last_nav_value: int | None = None
        self._syncing = False
        self._class_notes = ""
        self._build_ui()
        self.clear()

    # ------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        self.summary_label = QLabel()
        bold = QFont(self.summary_label.font())
        bold.setBold(True)
        self.summary_label.setFont(bold)
        self.header_label = QLabel()
        self.header_label.setWordWrap(True)
        self.header_label.setTextFormat(Qt.TextFormat.PlainText)
        self.header_icon = QLabel()
        self.header_icon.setPixmap(icon("warning").pixmap(16, 16))

        self.source_button = QToolButton(text="Source", checkable=True)
        self.bytecode_button = QToolButton(text="Bytecode", checkable=True)
        self.source_button.setToolTip("Compare the captured source text")
        self.bytecode_button.setToolTip("Compare the normalized disassembly of every method")
        self._mode_group = QButtonGroup(self)
        self._mode_group.setExclusive(True)
        for button, mode in ((self.source_button, "source"), (self.bytecode_button, "bytecode")):
            self._mode_group.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m))

        self.next_action = QAction("Next change", self)
        self.next_action.setShortcuts([QKeySequence(Qt.Key.Key_F8), QKeySequence("Alt+Down")])
        self.next_action.setToolTip("Next change (F8, Alt+Down)")
        self.next_action.triggered.connect(self.next_change)
        self.prev_action = QAction("Previous change", self)
        self.prev_action.setShortcuts([QKeySequence("Shift+F8"), QKeySequence("Alt+Up")])
        self.prev_action.setToolTip("Previous change (Shift+F8, Alt+Up)")
        self.prev_action.triggered.connect(self.previous_change)
        for action in (self.next_action, self.prev_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # F8 from the tree too
            self.addAction(action)
        self.next_button = QToolButton()
        self.next_button.setDefaultAction(self.next_action)
        self.prev_button = QToolButton()
        self.prev_button.setDefaultAction(self.prev_action)
        self.next_button.setText("Next ▾")
        self.prev_button.setText("Previous ▴")

        # Controls on one row, the summary on its own: it must stay readable
        # when the diff sits in a narrow side pane.
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.source_button)
        bar.addWidget(self.bytecode_button)
        bar.addStretch(1)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        self.summary_label.setWordWrap(True)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.header_icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.header_label, 1)
        self._header_box = QWidget()
        self._header_box.setLayout(header)

        self.method_list = QListWidget()
        self.method_list.setUniformItemSizes(True)
        self.method_list.setAlternatingRowColors(False)
        self.method_list.currentItemChanged.connect(self._on_method_chosen)

        self.left_label = QLabel()
        self.right_label = QLabel()
        for label in (self.left_label, self.right_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.left_view = CodeView()
        self.right_view = CodeView()
        sides = QSplitter(Qt.Orientation.Horizontal)
        for label, view in ((self.left_label, self.left_view), (self.right_label, self.right_view)):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(label)
            column.addWidget(view, 1)
            sides.addWidget(box)
        sides.setChildrenCollapsible(False)

        lv, rv = self.left_view.verticalScrollBar(), self.right_view.verticalScrollBar()
        lv.valueChanged.connect(lambda v: self._sync(rv, v))
        rv.valueChanged.connect(lambda v: self._sync(lv, v))
        lh, rh = self.left_view.horizontalScrollBar(), self.right_view.horizontalScrollBar()
        lh.valueChanged.connect(lambda v: self._sync(rh, v))
        rh.valueChanged.connect(lambda v: self._sync(lh, v))

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        big = QFont(self.empty_label.font())
        big.setPointSizeF(big.pointSizeF() * 1.3)
        self.empty_label.setFont(big)
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(self.method_list)
        self._splitter.addWidget(sides)
        self._splitter.setStretchFactor(0, 1)
        self._splitter.setStretchFactor(1, 4)
        self._splitter.setChildrenCollapsible(False)

        self._stack = QStackedWidget()
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self._splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.summary_label)
        layout.addWidget(self._header_box)
        layout.addWidget(self._stack, 1)

    # ------------------------------------------------------------ public API
    @property
    def mode(self) -> str:
        return self._mode

    @property
    def class_diff(self) -> Any:
        return self._class_diff

    def clear(self) -> None:
        """Forget both versions and show the idle empty state."""
        self._a = self._b = None
        self._texts = None
        self._class_diff = None
        self._layouts = {}
        self._shown = None
        self.method_list.clear()
        self.left_view.set_code("", "text")
        self.right_view.set_code("", "text")
        self.summary_label.setText("")
        self._set_header("")
        self.empty_label.setText("Choose two versions to compare")
        self._stack.setCurrentWidget(self.empty_label)
        self._set_nav_enabled(False)
        self.source_button.setEnabled(False)
        self.bytecode_button.setEnabled(False)

    def set_describes(
        self,
        a: dict[str, Any],
        b: dict[str, Any],
        a_label: str = "A",
        b_label: str = "B",
        class_diff: Any = None,
    ) -> None:
        """Compare two describe dicts (docs/internals.md); ``class_diff`` if core already made it."""
        self.clear()
        self._a, self._b = a, b
        self._class_diff = (
            class_diff if class_diff is not None else _compute_class_diff(a, b, a_label, b_label)
        )
        self.left_label.setText(f"A  {a_label}")
        self.right_label.setText(f"B  {b_label}")
        self._fill_method_list()
        self._fill_header()
        self.source_button.setEnabled(True)
        self.bytecode_button.setEnabled(True)
        if not self._has_changes():
            self.summary_label.setText("No changes")
            detail = (
                "The source differs only in formatting, comments or docstrings."
                if _get(self._class_diff, "source_diff")
                else "Same methods, bytecode and source."
            )
            self.empty_label.setText(f"No changes\n\n{a_label} and {b_label}: {detail}")
            self._stack.setCurrentWidget(self.empty_label)
            self._mode = "source"
            self._sync_mode_buttons()
            self.source_button.setEnabled(False)
            self.bytecode_button.setEnabled(False)
            return
        self.summary_label.setText(
            summary_text(_get(m, "status", "") for m in _get(self._class_diff, "methods", []))
        )
        self._stack.setCurrentWidget(self._splitter)
        has_source = bool(a.get("source")) and bool(b.get("source"))
        self._show_mode(self._mode if has_source or self._mode == "bytecode" else "bytecode")

    def set_texts(
        self, a_text: str, b_text: str, a_label: str = "A", b_label: str = "B",
        language: str = "python",
    ) -> None:  # fmt: skip
        """Compare two plain texts (no method list): a version's source against a file, say."""
        self.clear()
        self._texts = (a_text, b_text, language)
        self.left_label.setText(f"A  {a_label}")
        self.right_label.setText(f"B  {b_label}")
        self.method_list.hide()
        if a_text == b_text:
            self.summary_label.setText("No changes")
            self.empty_label.setText(f"No changes\n\n{a_label} and {b_label} are identical.")
            return
        self._stack.setCurrentWidget(self._splitter)
        layout = _Layout(language=language)
        layout.add_rows(_core_diff().side_by_side(_lines(a_text), _lines(b_text)))
        layout.find_changes()
        n = len(layout.changes)
        self.summary_label.setText(f"{n} changed block{'' if n == 1 else 's'}")
        self._layouts = {"source": layout}
        self._mode = "source"
        self._render(layout)

    def set_mode(self, mode: str) -> None:
        """Show the "source" or the "bytecode" comparison (built once, then cached)."""
        if mode not in MODES:
            raise ValueError(f"unknown diff mode {mode!r}; expected 'source' or 'bytecode'")
        if self._a is None or self._b is None:
            self._mode = mode
            self._sync_mode_buttons()
            return
        if not self._has_changes():
            self._mode = mode
            self._sync_mode_buttons()
            return
        self._show_mode(mode)

    def next_change(self) -> bool:
        """Scroll both sides to the next changed block; False when there is none."""
        return self._go_change(+1)

    def previous_change(self) -> bool:
        """Scroll both sides to the previous changed block; False when there is none."""
        return self._go_change(-1)

    def change_count(self) -> int:
        """Changed blocks in the current mode."""
        return len(self._shown.changes) if self._shown else 0

    def current_change(self) -> int:
        """Index of the change last visited with next/previous (-1: none yet)."""
        return self._current_change

    def select_method(self, name: str) -> bool:
        """Select ``name`` in the list and scroll to it; False if it is not listed."""
        for i in range(self.method_list.count()):
            item = self.method_list.item(i)
            if item.data(_ROLE_NAME) == name:
                self.method_list.setCurrentItem(item)
                return True
        return False

    # ------------------------------------------------------------ building
    def _has_changes(self) -> bool:
        cd = self._class_diff
        if cd is None:
            return False
        value = _get(cd, "has_changes", None)
        if value is not None:
            return bool(value() if callable(value) else value)
        return any(_get(m, "status") != "unchanged" for m in _get(cd, "methods", []))

    def _sorted_methods(self) -> list[Any]:
        methods = list(_get(self._class_diff, "methods", []) or [])
        return sorted(
            methods, key=lambda m: (_STATUS_ORDER.get(_get(m, "status"), 9), _get(m, "name", ""))
        )

    def _fill_method_list(self) -> None:
        self.method_list.show()
        self.method_list.blockSignals(True)
        self.method_list.clear()
        colours = diff_colors(is_dark(self.palette()))
        for method in self._sorted_methods():
            name, status = _get(method, "name", "?"), _get(method, "status", "unchanged")
            kind = _get(method, "kind") or ""
            text = name if kind in ("", "function") else f"{name}  ({kind})"
            sig = _get(method, "signature_change") if status == "changed" else None
            if sig:
                text += "  · signature"
            item = QListWidgetItem(icon(f"diff-{status}"), text)
            item.setData(_ROLE_NAME, name)
            item.setData(Qt.ItemDataRole.UserRole + 2, status)
            if status in colours:
                item.setForeground(QBrush(colours[status]))
            tip = f"{name}: {status}"
            if sig:
                tip += f"\nsignature: {sig[0]}  →  {sig[1]}"
            item.setToolTip(tip)
            self.method_list.addItem(item)
        self.method_list.blockSignals(False)

    def _fill_header(self) -> None:
        notes: list[str] = []
        mismatch = _get(self._class_diff, "python_mismatch")
        if mismatch:
            notes.append(str(mismatch))
        notes += [f"Changed: {c}" for c in _get(self._class_diff, "identity_changes", None) or []]
        attrs = [
            f"{n}: {o} → {v}"
            for n, (o, v) in (_get(self._class_diff, "attributes_changed") or {}).items()
        ]
        attrs += [
            f"+{n} = {v}" for n, v in (_get(self._class_diff, "attributes_added") or {}).items()
        ]
        attrs += [
            f"−{n} = {v}" for n, v in (_get(self._class_diff, "attributes_removed") or {}).items()
        ]
        if attrs:
            notes.append("Class attributes: " + "; ".join(attrs))
        bases = _get(self._class_diff, "bases_changed")
        if bases:
            if isinstance(bases, (tuple, list)) and len(bases) == 2:
                old, new = bases
            elif isinstance(bases, dict):  # ClassDiff.to_json() shape
                old, new = bases.get("old", []), bases.get("new", [])
            else:
                old, new = (self._a or {}).get("bases", []), (self._b or {}).get("bases", [])
            show = ", ".join(old) if isinstance(old, (list, tuple)) else str(old)
            show_new = ", ".join(new) if isinstance(new, (list, tuple)) else str(new)
            notes.append(f"Bases changed: ({show}) → ({show_new})")
        self._class_notes = "\n".join(notes)
        self._set_header(self._class_notes)

    def _set_header(self, text: str) -> None:
        self.header_label.setText(text)
        self._header_box.setVisible(bool(text))

    def _layout_for(self, mode: str) -> _Layout:
        layout = self._layouts.get(mode)
        if layout is None:
            layout = self._build_source() if mode == "source" else self._build_bytecode()
            layout.find_changes()
            self._layouts[mode] = layout
        return layout

    def _build_source(self) -> _Layout:
        a, b = self._a or {}, self._b or {}
        layout = _Layout(language="python")
        missing = [lab for lab, d in (("A", a), ("B", b)) if not d.get("source")]
        if missing:
            layout.note = f"No source captured for {' and '.join(missing)}: the Bytecode view compares what runs."
        layout.add_rows(_core_diff().side_by_side(_lines(a.get("source")), _lines(b.get("source"))))
        # Where each method starts, for the method list.
        defs: dict[str, int] = {}
        for row, (left, right) in enumerate(
            zip(layout.left.lines, layout.right.lines, strict=True)
        ):
            for text in (left, right):
                m = re.match(r"\s*(?:async\s+)?def\s+(\w+)", text) or re.match(
                    r"\s*@(\w+)\.(setter|deleter)\b", text
                )
                if m:
                    key = m.group(1) if m.lastindex == 1 else f"{m.group(1)}.{m.group(2)}"
                    defs.setdefault(key, row)
        for method in _get(self._class_diff, "methods", []) or []:
            name = _get(method, "name", "")
            base = name.split("/")[0]
            if base in defs:
                layout.method_rows[name] = defs[base]
            elif base.split(".")[0] in defs:
                layout.method_rows[name] = defs[base.split(".")[0]]
        return layout

    def _build_bytecode(self) -> _Layout:
        a_methods = (self._a or {}).get("methods") or {}
        b_methods = (self._b or {}).get("methods") or {}
        diff = _core_diff()
        layout = _Layout(language="dis")
        # Class order: by name, so nested code follows its parent (f, f/<lambda>).
        for name in sorted(set(a_methods) | set(b_methods)):
            ma, mb = a_methods.get(name), b_methods.get(name)
            if layout.row_count:
                layout.add_plain("", "")
            layout.method_rows[name] = layout.row_count
            ha, hb = _method_header(name, ma), _method_header(name, mb)
            layout.add_plain(ha, hb, tinted=ma is not None and mb is not None and ha != hb)
            if ma is None or mb is None:  # added/removed: tint the header with the body
                row = layout.row_count - 1
                layout.left.tints[row] = "delete_line" if ma else "filler"
                layout.right.tints[row] = "insert_line" if mb else "filler"
                if ma is None:
                    layout.left.lines[row] = ""
                if mb is None:
                    layout.right.lines[row] = ""
            dis_a = _lines((ma or {}).get("disassembly"))
            dis_b = _lines((mb or {}).get("disassembly"))
            layout.add_rows(diff.side_by_side(dis_a, dis_b))
        return layout

    # ------------------------------------------------------------ showing
    def _show_mode(self, mode: str) -> None:
        self._mode = mode
        self._sync_mode_buttons()
        layout = self._layout_for(mode)
        self._render(layout)
        self._set_header("\n".join(t for t in (self._class_notes, layout.note) if t))
        current = self.method_list.currentItem()
        if current is not None:
            self._scroll_to_method(current.data(_ROLE_NAME))

    def _render(self, layout: _Layout) -> None:
        self._shown = layout
        self._current_change = -1
        self._last_nav_value = None
        colours = diff_colors(is_dark(self.palette()))
        for view, side, span_key in (
            (self.left_view, layout.left, "delete_span"),
            (self.right_view, layout.right, "insert_span"),
        ):
            span_colour = colours[span_key]
            view.set_code(
                "\n".join(side.lines),
                layout.language,
                side.numbers,
                [(row, start, end, span_colour) for row, start, end in side.spans],
            )
            view.set_row_backgrounds(
                {row: _tint_brush(key, colours) for row, key in side.tints.items()}
            )
        self._set_nav_enabled(bool(layout.changes))
        if layout.note and not layout.changes:
            self.summary_label.setText(layout.note)

    def _restyle(self) -> None:
        """Re-tint after a theme switch (the text itself is unchanged)."""
        if self._shown is not None:
            value = self.left_view.verticalScrollBar().value()
            self._render(self._shown)
            self.left_view.verticalScrollBar().setValue(value)
        if self._class_diff is not None and self.method_list.isVisible():
            current = self.method_list.currentItem()
            name = current.data(_ROLE_NAME) if current else None
            self._fill_method_list()
            if name:
                self.method_list.blockSignals(True)
                self.select_method(name)
                self.method_list.blockSignals(False)

    def changeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()

    def _sync_mode_buttons(self) -> None:
        for button, mode in ((self.source_button, "source"), (self.bytecode_button, "bytecode")):
            button.setChecked(self._mode == mode)
            font = button.font()  # Fusion's checked look is faint in dark palettes
            font.setBold(self._mode == mode)
            button.setFont(font)

    def _set_nav_enabled(self, enabled: bool) -> None:
        self.next_action.setEnabled(enabled)
        self.prev_action.setEnabled(enabled)

    def _sync(self, other: Any, value: int) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            other.setValue(value)
        finally:
            self._syncing = False

    def _on_method_chosen(self, current: QListWidgetItem | None, _previous: Any = None) -> None:
        if current is None:
            return
        name = current.data(_ROLE_NAME)
        self._scroll_to_method(name)
        self.methodSelected.emit(name)

    def _scroll_to_method(self, name: str) -> None:
        if self._shown is None:
            return
        row = self._shown.method_rows.get(name)
        if row is None:
            return
        self.left_view.scroll_to_row(row, context=1)
        self.right_view.scroll_to_row(row, context=1)
        self._last_nav_value = None

    def _go_change(self, step: int) -> bool:
        layout = self._shown
        if layout is None or not layout.changes:
            return False
        bar = self.left_view.verticalScrollBar()
        if self._last_nav_value is not None and bar.value() == self._last_nav_value:
            anchor = layout.changes[self._current_change].start
        else:  # not navigated yet, or scrolled since: start from the top visible row
            anchor = self.left_view.top_row() - (1 if step > 0 else 0)
        if step > 0:
            index = next((i for i, c in enumerate(layout.changes) if c.start > anchor), None)
        else:
            index = next(
                (
                    i
                    for i in range(len(layout.changes) - 1, -1, -1)
                    if layout.changes[i].start < anchor
                ),
                None,
            )
        if index is None:
            return False
        change = layout.changes[index]
        self._current_change = index
        for view in (self.left_view, self.right_view):
            view.scroll_to_row(change.start)
            view.set_marked_rows(change)
        self._last_nav_value = bar.value()
        return True


def _method_header(name: str, method: dict[str, Any] | None) -> str:
    if method is None:
        return ""
    kind = method.get("kind") or "function"
    signature = method.get("signature")
    return f"# {name}{signature or ''}  [{kind}]"


def _tint_brush(key: str, colours: dict[str, QColor]) -> QBrush:
    if key == "filler":
        return _hatch_brush(colours["filler"], colours["filler_hatch"])
    return QBrush(colours[key])


def _hatch_brush(background: QColor, line: QColor) -> QBrush:
    """Diagonal hatching on a flat colour: "no line here", distinct from a tint."""
    tile = QPixmap(8, 8)
    tile.fill(background)
    painter = QPainter(tile)
    painter.setPen(line)
    painter.drawLine(0, 7, 7, 0)
    painter.end()
    return QBrush(tile)
