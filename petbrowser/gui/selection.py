"""What is selected in the class tree, as plain data the actions and commands read."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSortFilterProxyModel
from PySide6.QtWidgets import QTreeView

from petbrowser.gui.class_tree import Role

__all__ = ["Row", "Selection", "read_selection", "select_source_index"]

#: ``(kind, class name, hash)``: kind is "class" or "version"; hash only for versions.
Row = tuple[str, str, str | None]


@dataclass(frozen=True)
class Selection:
    rows: tuple[Row, ...] = ()
    current: Row | None = None  # the tree's current (focus) row

    @property
    def versions(self) -> list[Row]:
        return [r for r in self.rows if r[0] == "version"]

    @property
    def one_version(self) -> tuple[str, str] | None:
        """``(class, hash)`` when exactly one version is selected (or focused, with at most one row)."""
        versions = self.versions
        if len(versions) == 1 and versions[0][2]:
            return versions[0][1], versions[0][2]
        cur = self.current
        if cur is not None and cur[0] == "version" and cur[2] and len(self.rows) <= 1:
            return cur[1], cur[2]
        return None

    @property
    def classes(self) -> list[str]:
        """The selected class rows' names, in selection order."""
        return list(dict.fromkeys(name for kind, name, _ in self.rows if kind == "class"))

    @property
    def scope(self) -> str | None:
        """The class the user is looking at: the only one selected (a class row or
        its versions), else the focused row's class; None when nothing is selected."""
        names = list(dict.fromkeys(name for _, name, _ in self.rows))
        if len(names) == 1:
            return names[0]
        if names and self.current is not None and self.current[1] in names:
            return self.current[1]
        return None


def _row(idx: QModelIndex) -> Row:
    kind = idx.data(Role.KIND)
    return (kind, idx.data(Role.CLASS_NAME), idx.data(Role.HASH) if kind == "version" else None)


def read_selection(tree: QTreeView) -> Selection:
    rows = tuple(_row(i) for i in tree.selectionModel().selectedRows(0))
    cur = tree.currentIndex()
    return Selection(rows, _row(cur) if cur.isValid() else None)


def select_source_index(tree: QTreeView, proxy: QSortFilterProxyModel, src: QModelIndex, extend: bool = False) -> None:
    """Select a source-model index (expanding its class), or nothing if the filter hides it."""
    idx = proxy.mapFromSource(src)
    if not idx.isValid():
        return
    if idx.parent().isValid():
        tree.expand(idx.parent())
    flags = QItemSelectionModel.SelectionFlag.Rows
    flags |= QItemSelectionModel.SelectionFlag.Select if extend else QItemSelectionModel.SelectionFlag.ClearAndSelect
    tree.selectionModel().select(idx, flags)
    tree.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.NoUpdate)
    tree.scrollTo(idx)
