"""Keeps the tree's selection across refreshes, pushes and the filter.

Qt drops a selected row the moment its model removes it: a refresh that
re-lists a class's versions, a push that adds one, or a filter that hides it.
The keeper remembers what the user selected (as class name and hash, which
survive any re-listing), and once the model has settled selects it again,
or the closest thing still there (the class of a version that is gone).
``settled`` tells the window to redraw the details for what is selected now.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, QTimer, Signal
from PySide6.QtWidgets import QTreeView

from petbrowser.gui.class_tree import ClassTreeModel
from petbrowser.gui.selection import Row, read_selection, select_source_index

__all__ = ["SelectionKeeper"]


class SelectionKeeper(QObject):
    """Remembers the user's selection; re-selects it after the model or the filter changed."""

    settled = Signal()

    def __init__(self, tree: QTreeView, proxy: QSortFilterProxyModel, model: ClassTreeModel) -> None:
        super().__init__(tree)
        self.tree, self.proxy, self.model = tree, proxy, model
        self.rows: tuple[Row, ...] = ()
        self.pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.restore)
        # Made before the tree gets the proxy: these slots must run before the
        # tree's selection model drops the rows (Qt calls slots in connection order).
        for sig in (proxy.rowsAboutToBeRemoved, proxy.layoutAboutToBeChanged, proxy.modelAboutToBeReset):
            sig.connect(self._changing)
        for sig in (proxy.rowsInserted, proxy.rowsRemoved, proxy.layoutChanged, proxy.modelReset):
            sig.connect(self._schedule)

    def watch(self) -> None:
        """Follow the user's selection (once the tree has its model and selection model)."""
        self.tree.selectionModel().selectionChanged.connect(self._remember)

    def forget(self) -> None:
        """Another store: nothing to bring back."""
        self.rows = ()

    def _changing(self, *_: object) -> None:
        self.pending = True
        self._timer.start()

    def _schedule(self, *_: object) -> None:
        self._timer.start()  # rows came back (a filter cleared): maybe the remembered ones

    def _remember(self, *_: object) -> None:
        rows = read_selection(self.tree).rows
        if self.pending and set(rows) < set(self.rows):
            return  # a model update or the filter dropped rows: not the user's choice
        self.rows = rows

    def restore(self) -> None:
        """Select again what was selected before the model changed (what still exists)."""
        self._timer.stop()
        was_pending, self.pending = self.pending, False
        now = read_selection(self.tree).rows
        changed = now != self.rows and bool(self.rows)
        if changed:
            want = self.rows
            extend = False
            for kind, name, code_hash in want:
                src = self.model.version_index(name, code_hash) if kind == "version" and code_hash else None
                if src is None or not src.isValid():
                    src = self.model.class_index(name)
                if src.isValid() and self.proxy.mapFromSource(src).isValid():
                    select_source_index(self.tree, self.proxy, src, extend=extend)
                    extend = True
            self.rows = want  # hidden by the filter: brought back when it is cleared
        if was_pending or changed:
            self.settled.emit()
