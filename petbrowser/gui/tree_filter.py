"""The filter box over the class tree: what to show, when to expand, where Enter goes."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QObject, QSortFilterProxyModel, QTimer
from PySide6.QtWidgets import QLineEdit, QTreeView

__all__ = ["TreeFilter"]

EXPAND_UP_TO = 15
#: Stores with more classes than this filter after a typing pause, not per key.
DEBOUNCE_FROM = 100
DEBOUNCE_MS = 150
#: A filter expands its matches when at most this many classes match.
EXPAND_MATCHES_UP_TO = 50


class TreeFilter(QObject):
    """Filters ``proxy`` by the text of ``edit`` (debounced on large stores)."""

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

    def _on_text(self, _text: str) -> None:
        if self.model.rowCount() > DEBOUNCE_FROM:
            self._timer.start()  # large store: filter once typing pauses
        else:
            self.apply()

    def apply(self) -> None:
        self._timer.stop()
        text = self.edit.text().strip()
        if text == self.proxy.filterRegularExpression().pattern() and not text:
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

    def focus_tree(self) -> None:
        """Enter in the filter box: go to the first match, keyboard in the tree."""
        if self._timer.isActive():
            self.apply()
        self.tree.setFocus()
        if not self.tree.selectionModel().hasSelection() and self.proxy.rowCount() > 0:
            self.tree.setCurrentIndex(self.proxy.index(0, 0))
