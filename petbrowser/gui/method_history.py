"""History of one method: the versions in which it changed, and the diff of any step.

"Why does ``fit`` behave differently since last week?" is a question about
one method, not about the class: core's ``blame`` follows the method through
every version (across renames) and says in which versions its normalized
bytecode, signature or kind changed, who pushed them and when.  This dialog
lists those versions; opening a step shows the diff of that version against
the one it was compared with, scrolled to the method.

The context-menu helpers find the method under the mouse in the diff view's
method list and in the Overview's method table, so both offer "History of
this method".
"""

from __future__ import annotations

import html

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.models import Blame, MethodChange, MethodHistory
from petbrowser.gui.format import local_time, relative_time, short_hash
from petbrowser.gui.icons import icon

__all__ = ["MethodHistoryDialog", "method_in_list", "method_in_overview", "root_method"]

#: Where ``DiffView`` keeps a listed method's name (its ``_ROLE_NAME``).
_LIST_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
_CHANGE_ROLE = Qt.ItemDataRole.UserRole + 1

_CHANGE_TEXT = {"added": "added", "changed": "changed", "renamed": "renamed", "removed": "removed"}
_CHANGE_ICON = {"added": "diff-added", "changed": "diff-changed", "renamed": "diff-changed", "removed": "diff-removed"}


def root_method(name: str) -> str:
    """The method a listed entry belongs to: ``predict/<lambda>`` is part of ``predict``."""
    return name.partition("/")[0].strip()


def method_in_list(widget: QListWidget, pos: QPoint) -> str | None:
    """The method of the diff view's list row under ``pos`` (viewport coordinates)."""
    item = widget.itemAt(pos)
    if item is None:
        return None
    name = item.data(_LIST_NAME_ROLE) or item.text().split("  ")[0]
    return root_method(str(name)) or None


def method_in_overview(browser: QTextBrowser, pos: QPoint) -> str | None:
    """The method of the Overview's method table row under ``pos`` (viewport coordinates).

    The Overview is HTML: the methods table is the one with three columns
    (name, kind, signature); its first cell is the name.
    """
    cursor = browser.cursorForPosition(pos)
    table = cursor.currentTable()
    if table is None or table.columns() != 3:
        return None
    cell = table.cellAt(cursor)
    if not cell.isValid():
        return None
    first = table.cellAt(cell.row(), 0)
    c = first.firstCursorPosition()
    c.setPosition(first.lastCursorPosition().position(), QTextCursor.MoveMode.KeepAnchor)
    name = root_method(c.selectedText())
    return name if name.replace("_", "a").isidentifier() or name.endswith(".setter") else None


class MethodHistoryDialog(QDialog):
    """Lists the versions in which one method changed; opens the diff of a step.

    Signals: ``diff_requested(class, old hash, new hash, method)`` and
    ``version_requested(class, hash)`` (select that version in the tree).
    Non-modal: the diff opens in the window behind it.
    """

    diff_requested = Signal(str, str, str, str)
    version_requested = Signal(str, str)

    def __init__(self, class_name: str, method: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_name, self.method = class_name, method
        self.history: MethodHistory | None = None
        self.setWindowTitle(f"History of {class_name}.{method} — petbrowser")
        self.setWindowIcon(icon("diff"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 360)
        lay = QVBoxLayout(self)
        self.title = QLabel(f"<h3>History of {html.escape(class_name)}.{html.escape(method)}</h3>", self)
        lay.addWidget(self.title)
        self.info = QLabel("Reading every version of the class (nothing is unpickled)…", self)
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.table = QTreeWidget(self)
        self.table.setRootIsDecorated(False)
        self.table.setColumnCount(5)
        self.table.setHeaderLabels(["Change", "Version", "When", "By", "What changed"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setAccessibleName("Versions in which the method changed")
        header = self.table.header()
        header.setStretchLastSection(True)
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table, 1)
        self.notes = QLabel(self)
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: gray")
        self.notes.hide()
        lay.addWidget(self.notes)
        self.buttons = QDialogButtonBox(self)
        self.diff_button = QPushButton(icon("diff"), "Open the diff of this step", self)
        self.diff_button.setToolTip("Compare this version with the one before it, at this method")
        self.select_button = QPushButton("Select the version", self)
        self.select_button.setToolTip("Select this version in the tree")
        self.buttons.addButton(self.diff_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.select_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.close)
        lay.addWidget(self.buttons)
        self.diff_button.clicked.connect(self.open_diff)
        self.select_button.clicked.connect(self._select_version)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemActivated.connect(lambda *_: self.open_diff() or self._select_version())
        self._update_buttons()

    # ------------------------------------------------------------ content
    def set_error(self, text: str) -> None:
        self.info.setText(f"The history could not be read: {text}")

    def set_blame(self, blame: Blame) -> None:
        """Show the method's changes (the lineage named like the method, else the first)."""
        chosen = next((m for m in blame.methods if m.name == self.method), None)
        chosen = chosen or next((m for m in blame.methods if self.method in m.names), None)
        self.history = chosen
        self.table.clear()
        if chosen is None:
            self.info.setText(f"{self.method} is in no version of {self.class_name} that could be read.")
            return
        for change in chosen.changes:
            self.table.addTopLevelItem(self._item(change))
        n = len(chosen.changes)
        text = (
            f"{n} version{'s' if n != 1 else ''} in which it changed, newest first "
            f"({len(blame.versions)} versions of {self.class_name} read)."
        )
        others = [x for x in chosen.names if x != chosen.name]
        if others:
            text += f" Also named: {', '.join(others)}."
        if not chosen.present:
            text += f" It is not in the newest version of {self.class_name}."
        self.info.setText(text)
        self.notes.setText("\n".join(blame.notes))
        self.notes.setVisible(bool(blame.notes))
        if self.table.topLevelItemCount():
            self.table.setCurrentItem(self.table.topLevelItem(0))

    def _item(self, c: MethodChange) -> QTreeWidgetItem:
        what = _CHANGE_TEXT.get(c.change, c.change)
        if c.change == "renamed" and c.old_name:
            what = f"renamed from {c.old_name}"
        item = QTreeWidgetItem([what, short_hash(c.hash), local_time(c.pushed_at)[:16], c.pushed_by or "?", ", ".join(c.what)])
        item.setIcon(0, icon(_CHANGE_ICON.get(c.change, "diff-changed")))
        item.setToolTip(1, c.hash)
        item.setToolTip(2, f"{local_time(c.pushed_at)} ({relative_time(c.pushed_at)})")
        item.setData(0, _CHANGE_ROLE, c)
        if c.previous is None:
            item.setToolTip(0, "The first version read: nothing before it to compare with")
        return item

    def changes(self) -> list[MethodChange]:
        return [self.table.topLevelItem(i).data(0, _CHANGE_ROLE) for i in range(self.table.topLevelItemCount())]

    # ------------------------------------------------------------ actions
    def selected_change(self) -> MethodChange | None:
        item = self.table.currentItem()
        return item.data(0, _CHANGE_ROLE) if item is not None else None

    def select_row(self, row: int) -> None:
        self.table.setCurrentItem(self.table.topLevelItem(row))

    def open_diff(self) -> bool:
        """Ask for the diff of the selected step (False: it has no version before it)."""
        c = self.selected_change()
        if c is None or c.previous is None:
            return False
        self.diff_requested.emit(self.class_name, c.previous, c.hash, c.name)
        return True

    def _select_version(self) -> None:
        if (c := self.selected_change()) is not None:
            self.version_requested.emit(self.class_name, c.hash)

    def _update_buttons(self) -> None:
        c = self.selected_change()
        self.diff_button.setEnabled(c is not None and c.previous is not None)
        self.select_button.setEnabled(c is not None)
