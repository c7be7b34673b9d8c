"""Side-by-side diff of two versions of a class: source or bytecode.

The comparing is core's (``PetClassManager.compare``) and the laying out is
``gui/diff_layout.py``'s, both done on a worker by the compare command: this
widget only hands the laid-out rows to two CodeViews, tints them, and
navigates between changes.  Switching modes or scrolling a 200-method class
never recomputes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

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
from petbrowser.gui.diff_layout import MODES, Layout, build_layouts, text_layout, unified_layout
from petbrowser.gui.icons import icon
from petbrowser.gui.theme import diff_colors, is_dark

if TYPE_CHECKING:
    from petbrowser.core.manager import ClassDescription, ClassDiff, DiffResult

__all__ = ["DiffView", "MODES", "summary_text"]

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


# --------------------------------------------------------------------- widget
class DiffView(QWidget):
    """Compares two versions of a class; see ``set_describes``.

    Signals: ``methodSelected(str)`` when the user picks a method in the list.
    """

    methodSelected = Signal(str)  # noqa: N815 - Qt naming
    optionsChanged = Signal(bool, bool)  # noqa: N815 - (unified, wrap), to remember them

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: DiffResult | None = None
        self._class_diff: ClassDiff | None = None
        self._mode = "source"
        self._unified = False  # one column ("- old", "+ new") instead of two
        self._wrap = False  # long lines wrap (one column only: two sides must stay row-aligned)
        self._layouts: dict[str, Layout] = {}
        self._shown: Layout | None = None
        self._current_change = -1
        self._last_nav_value: int | None = None
        self._syncing = False
        self._class_notes = ""
        self._labels = ("A", "B")  # plain texts' labels (a result carries its own)
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
        # A tool button shows its action's icon text: short words that never elide
        # into "Previ…hange" in a narrow pane.
        self.next_action.setIconText("▼ Next")
        self.prev_action.setIconText("▲ Previous")
        self.next_button = QToolButton()
        self.next_button.setDefaultAction(self.next_action)
        self.prev_button = QToolButton()
        self.prev_button.setDefaultAction(self.prev_action)

        self.unified_button = QToolButton(text="Unified", checkable=True)
        self.unified_button.setToolTip("One column: each changed line as old (-) then new (+); fits a narrow pane")
        self.unified_button.toggled.connect(self.set_unified)
        self.wrap_button = QToolButton(text="Wrap", checkable=True)
        self.wrap_button.setToolTip(
            "Wrap long lines (unified view; side by side the two columns scroll in step instead)"
        )
        self.wrap_button.toggled.connect(self.set_wrap)
        self.wrap_button.setEnabled(False)

        # Two short rows of controls, then the summary on its own: everything
        # stays readable when the diff sits in a narrow side pane.
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.source_button)
        bar.addWidget(self.bytecode_button)
        bar.addSpacing(12)
        bar.addWidget(self.unified_button)
        bar.addWidget(self.wrap_button)
        bar.addStretch(1)
        nav = QHBoxLayout()
        nav.setContentsMargins(0, 0, 0, 0)
        nav.addWidget(self.summary_label, 1)
        nav.addWidget(self.prev_button, 0, Qt.AlignmentFlag.AlignTop)
        nav.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignTop)
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
            self._right_box = box
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
        layout.addLayout(nav)
        layout.addWidget(self._header_box)
        layout.addWidget(self._stack, 1)
        # Keyboard: Enter on a version lands on the mode buttons, and Tab walks
        # the controls before the (long) method list and code.
        self.setFocusProxy(self.source_button)
        order = [self.source_button, self.bytecode_button, self.unified_button, self.wrap_button,
                 self.prev_button, self.next_button, self.method_list, self.left_view, self.right_view]  # fmt: skip
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)
        for button in order[:6]:
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ------------------------------------------------------------ public API
    @property
    def mode(self) -> str:
        return self._mode

    @property
    def unified(self) -> bool:
        return self._unified

    @property
    def wrap(self) -> bool:
        return self._wrap

    @property
    def class_diff(self) -> ClassDiff | None:
        return self._class_diff

    @property
    def result(self) -> DiffResult | None:
        """The comparison shown (None: idle, or two plain texts)."""
        return self._result

    def clear(self) -> None:
        """Forget both versions and show the idle empty state."""
        self._result = None
        self._class_diff = None
        self._layouts = {}
        self._shown = None
        self.method_list.clear()
        self.left_view.set_code("", "text")
        self.right_view.set_code("", "text")
        self.summary_label.setText("")
        self._class_notes = ""
        self._set_header("")
        self.empty_label.setText("Choose two versions to compare")
        self._stack.setCurrentWidget(self.empty_label)
        self._set_nav_enabled(False)
        self.source_button.setEnabled(False)
        self.bytecode_button.setEnabled(False)

    def set_result(self, result: DiffResult, layouts: dict[str, Layout] | None = None) -> None:
        """Show a comparison; ``layouts`` as the compare command built them on its worker
        (built here when missing: a direct use of the widget, not the window's path)."""
        self.clear()
        self._result = result
        self._class_diff = result.class_diff
        self._layouts = dict(layouts) if layouts is not None else build_layouts(result)
        a_label, b_label = result.a_label, result.b_label
        self._set_side_labels()
        self._fill_method_list()
        self._fill_header()
        self.source_button.setEnabled(True)
        self.bytecode_button.setEnabled(True)
        no_code = list(result.class_diff.no_code)
        if no_code:  # a by-reference side: nothing to compare, and not "no changes" either
            self.summary_label.setText("No code to compare")
            self.empty_label.setText("No code to compare\n\n" + "\n".join(no_code))
            self._stack.setCurrentWidget(self.empty_label)
            self.source_button.setEnabled(False)
            self.bytecode_button.setEnabled(False)
            return
        if not result.class_diff.has_changes:
            self.summary_label.setText("No changes")
            detail = (
                "The source differs only in formatting, comments or docstrings."
                if result.class_diff.source_diff
                else "Same methods, bytecode and source."
            )
            self.empty_label.setText(f"No changes\n\n{a_label} and {b_label}: {detail}")
            self._stack.setCurrentWidget(self.empty_label)
            self._mode = "source"
            self._sync_mode_buttons()
            self.source_button.setEnabled(False)
            self.bytecode_button.setEnabled(False)
            return
        self.summary_label.setText(summary_text(m.status for m in result.class_diff.methods))
        self._stack.setCurrentWidget(self._splitter)
        has_source = bool(result.a.source) and bool(result.b.source)
        self._show_mode(self._mode if has_source or self._mode == "bytecode" else "bytecode")

    def set_describes(
        self, a: ClassDescription, b: ClassDescription, a_label: str = "A", b_label: str = "B"
    ) -> None:
        """Compare two class descriptions right here, on this thread."""
        from petbrowser.core.manager import PetClassManager

        self.set_result(PetClassManager.compare_describes(a, b, a_label, b_label))

    def set_texts(
        self, a_text: str, b_text: str, a_label: str = "A", b_label: str = "B",
        language: str = "python",
    ) -> None:  # fmt: skip
        """Compare two plain texts (no method list): a version's source against a file, say."""
        self.clear()
        self._labels = (a_label, b_label)
        self._set_side_labels()
        self.method_list.hide()
        if a_text == b_text:
            self.summary_label.setText("No changes")
            self.empty_label.setText(f"No changes\n\n{a_label} and {b_label} are identical.")
            return
        from petbrowser.core.manager import PetClassManager

        self._stack.setCurrentWidget(self._splitter)
        layout = text_layout(PetClassManager.compare_texts(a_text, b_text), language)
        n = len(layout.changes)
        self.summary_label.setText(f"{n} changed block{'' if n == 1 else 's'}")
        self._layouts = {"source": layout, "source/unified": unified_layout(layout)}
        self._mode = "source"
        self._render(self._layout_for("source"))

    def set_mode(self, mode: str) -> None:
        """Show the "source" or the "bytecode" comparison (laid out once, on the worker)."""
        if mode not in MODES:
            raise ValueError(f"unknown diff mode {mode!r}; expected 'source' or 'bytecode'")
        if self._class_diff is None or not self._class_diff.has_changes:
            self._mode = mode
            self._sync_mode_buttons()
            return
        self._show_mode(mode)

    def toggle_mode(self) -> None:
        """Source ⇄ bytecode (Ctrl+B): the one key instead of tabbing to the buttons."""
        self.set_mode("bytecode" if self._mode == "source" else "source")

    def set_unified(self, on: bool) -> None:
        """One column (old then new line) or two side by side; wrapping needs one column."""
        self._unified = bool(on)
        self._sync_mode_buttons()
        self.wrap_button.setEnabled(self._unified)
        self._right_box.setVisible(not self._unified)
        self._apply_wrap()
        if self._shown is not None and self._stack.currentWidget() is self._splitter and self._mode in self._layouts:
            self._show_mode(self._mode)
        self.optionsChanged.emit(self._unified, self._wrap)

    def set_wrap(self, on: bool) -> None:
        """Wrap long lines in the unified column (side by side scrolls in step instead)."""
        self._wrap = bool(on)
        self._sync_mode_buttons()
        self._apply_wrap()
        self.optionsChanged.emit(self._unified, self._wrap)

    def _apply_wrap(self) -> None:
        self.left_view.set_wrap(self._wrap and self._unified)
        self._set_side_labels()

    def _set_side_labels(self) -> None:
        a, b = (self._result.a_label, self._result.b_label) if self._result is not None else self._labels
        if self._unified:
            self.left_label.setText(f"−  {a}   +  {b}")
        else:
            self.left_label.setText(f"A  {a}")
        self.right_label.setText(f"B  {b}")

    def _layout_for(self, mode: str) -> Layout:
        return self._layouts.get(f"{mode}/unified", self._layouts[mode]) if self._unified else self._layouts[mode]

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
    def _sorted_methods(self) -> list[Any]:
        methods = list(self._class_diff.methods) if self._class_diff is not None else []
        nested = {m.name.split("/")[0] for m in methods if "/" in m.name and m.status != "unchanged"}

        def status(m: Any) -> str:
            return "changed" if m.status == "unchanged" and m.name in nested else m.status

        return sorted(methods, key=lambda m: (_STATUS_ORDER.get(status(m), 9), m.name))

    def _fill_method_list(self) -> None:
        self.method_list.show()
        self.method_list.blockSignals(True)
        self.method_list.clear()
        colours = diff_colors(is_dark(self.palette()))
        # A method whose own code is the same but whose lambda or comprehension
        # changed is highlighted in the source: it must not read "unchanged".
        nested = {m.name.split("/")[0] for m in self._sorted_methods() if "/" in m.name and m.status != "unchanged"}
        for method in self._sorted_methods():
            name, status, kind = method.name, method.status, method.kind or ""
            text = name if kind in ("", "function") else f"{name}  ({kind})"
            sig = method.signature_change if status == "changed" else None
            if sig:
                text += "  · signature"
            if status == "unchanged" and name in nested:
                status = "changed"
                text += "  · inner code changed"
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
        cd = self._class_diff
        if cd is None:
            return
        # what the code alone does not say (unsafe, by reference, digest mismatch) comes first
        notes: list[str] = list(cd.notes)
        if cd.python_mismatch:
            notes.append(cd.python_mismatch)
        notes += [f"Changed: {c}" for c in cd.identity_changes]
        attrs = [f"{n}: {o} → {v}" for n, (o, v) in cd.attributes_changed.items()]
        attrs += [f"+{n} = {v}" for n, v in cd.attributes_added.items()]
        attrs += [f"−{n} = {v}" for n, v in cd.attributes_removed.items()]
        if attrs:
            notes.append("Class attributes: " + "; ".join(attrs))
        if cd.bases_changed:
            old, new = cd.bases_changed
            notes.append(f"Bases changed: ({', '.join(old)}) → ({', '.join(new)})")
        self._class_notes = "\n".join(notes)
        self._set_header(self._class_notes)

    def _set_header(self, text: str) -> None:
        self.header_label.setText(text)
        self._header_box.setVisible(bool(text))

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

    def _render(self, layout: Layout) -> None:
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
        for button, on in (
            (self.source_button, self._mode == "source"),
            (self.bytecode_button, self._mode == "bytecode"),
            (self.unified_button, self._unified),
            (self.wrap_button, self._wrap),
        ):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
            font = button.font()  # Fusion's checked look is faint in dark palettes
            font.setBold(on)
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
