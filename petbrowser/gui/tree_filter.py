"""The filter box over the class tree: what to show, when to expand, where Enter and Esc go.

It also says what the filter did: a "no matches" line over the empty tree
and ``status(text)`` ("2 of 5 classes match 'norm'") for the status bar, so a
blank tree never reads as an empty store.  The selection survives filtering
(``SelectionKeeper``): clearing the filter brings back what was selected.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QIcon, QKeyEvent, QPalette
from PySide6.QtWidgets import QLabel, QLineEdit, QTreeView, QWidget

__all__ = ["TreeFilter", "filter_box"]

EXPAND_UP_TO = 15
#: Stores with more classes than this filter after a typing pause, not per key.
DEBOUNCE_FROM = 100
DEBOUNCE_MS = 150
#: A filter expands its matches when at most this many classes match.
EXPAND_MATCHES_UP_TO = 50


def filter_box(parent: QWidget, find_icon: QIcon) -> QLineEdit:
    """The filter line edit above the tree."""
    edit = QLineEdit(parent)
    edit.setPlaceholderText("Filter classes, hashes, authors…  (Ctrl+F, Esc clears)")
    edit.setClearButtonEnabled(True)
    edit.addAction(find_icon, QLineEdit.ActionPosition.LeadingPosition)
    edit.setToolTip("Show only classes or versions whose name, hash or author contains this text")
    return edit


class TreeFilter(QObject):
    """Filters ``proxy`` by the text of ``edit`` (debounced on large stores).

    ``status(text)``: what the filter shows ("" when there is no filter).
    """

    status = Signal(str)

    def __init__(
        self, edit: QLineEdit, tree: QTreeView, proxy: QSortFilterProxyModel, model: QAbstractItemModel
    ) -> None:
        super().__init__(edit)
        self.edit, self.tree, self.proxy, self.model = edit, tree, proxy, model
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.apply)
        edit.textChanged.connect(self._on_text)
        edit.returnPressed.connect(self.focus_tree)
        edit.installEventFilter(self)
        self.no_match = QLabel(tree.viewport())
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setWordWrap(True)
        self.no_match.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.no_match.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.no_match.hide()
        tree.viewport().installEventFilter(self)
        for sig in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset, proxy.layoutChanged):
            sig.connect(self._feedback)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.edit and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Escape and self.edit.text():
                # Esc in a filled filter box clears it (before the window's Esc = Cancel)
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.clear()
                return True
        elif obj is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self.no_match.setGeometry(self.tree.viewport().rect().adjusted(12, 12, -12, -12))
        return False

    def clear(self) -> None:
        """Empty the filter now (Esc); the keeper brings the selection back."""
        self.edit.clear()
        self.apply()

    def _on_text(self, _text: str) -> None:
        if self.model.rowCount() > DEBOUNCE_FROM:
            self._timer.start()  # large store: filter once typing pauses
        else:
            self.apply()

    def apply(self) -> None:
        self._timer.stop()
        text = self.edit.text().strip()
        if text == self.proxy.filterRegularExpression().pattern() and not text:
            self._feedback()
            return
        large = self.model.rowCount() > EXPAND_UP_TO
        if large:
            # Rows coming back under expanded parents cost QTreeView a relayout
            # each (seconds on a 300-class store): re-filter collapsed.
            self.tree.collapseAll()
        self.proxy.setFilterFixedString(text)
        if (text and self.proxy.rowCount() <= EXPAND_MATCHES_UP_TO) or (not text and not large):
            self.tree.expandAll()
        if sel := self.tree.selectionModel().selectedRows(0):
            self.tree.scrollTo(sel[0])
        self._feedback()

    def text(self) -> str:
        return self.proxy.filterRegularExpression().pattern()

    def _feedback(self, *_: object) -> None:
        """The "no matches" line and the status bar's count."""
        text = self.text()
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        empty = bool(text) and shown == 0
        if empty:
            self.no_match.setText(f"No class, hash or author matches “{text}”.\nEsc clears the filter.")
            self.no_match.setGeometry(self.tree.viewport().rect().adjusted(12, 12, -12, -12))
        self.no_match.setVisible(empty)
        if not text:
            self.status.emit("")
        else:
            noun = "class" if total == 1 else "classes"
            self.status.emit(f"Filter “{text}”: {shown} of {total} {noun}")

    def focus_tree(self) -> None:
        """Enter in the filter box: go to the first match, keyboard in the tree."""
        if self._timer.isActive():
            self.apply()
        self.tree.setFocus()
        if not self.tree.selectionModel().hasSelection() and self.proxy.rowCount() > 0:
            self.tree.setCurrentIndex(self.proxy.index(0, 0))
