"""What the window remembers between runs: layout, theme, the selection per target.

Only layout and names are stored (QSettings): never a credential (targets go
through ``OpenTarget.to_dict``, which strips them).  Recent targets have their
own module, ``recent.py``.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

from petbrowser.gui.open_target import OpenTarget

__all__ = ["TREE_HEADER_KEY", "WindowLayout", "load_theme", "save_theme", "selection_for", "remember_selection"]

#: Bumped when the tree's columns change, so an old saved layout is not reapplied.
TREE_HEADER_KEY = "window/tree-header-v2"
THEME_KEY = "view/theme"


class WindowLayout:
    """Geometry, toolbar state, the splitter and the tree's columns."""

    def __init__(self, window: QMainWindow, splitter: QSplitter, header: QHeaderView) -> None:
        self.window, self.splitter, self.header = window, splitter, header

    def restore(self) -> None:
        s = QSettings()
        for key, apply in (
            ("window/geometry", self.window.restoreGeometry),
            ("window/state", self.window.restoreState),
            ("window/splitter", self.splitter.restoreState),
            (TREE_HEADER_KEY, self.header.restoreState),
        ):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                apply(value)

    def save(self) -> None:
        s = QSettings()
        s.setValue("window/geometry", self.window.saveGeometry())
        s.setValue("window/state", self.window.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue(TREE_HEADER_KEY, self.header.saveState())


def load_theme() -> str:
    return str(QSettings().value(THEME_KEY, "system"))


def save_theme(mode: str) -> None:
    QSettings().setValue(THEME_KEY, mode)


def _selection_key(target: OpenTarget) -> str:
    return "selection/" + json.dumps(target.to_dict(), sort_keys=True).replace("/", "|")


def selection_for(target: OpenTarget | None) -> str | None:
    """The row selected when ``target`` was last shown: ``Class`` or ``Class@hash``."""
    if target is None:
        return None
    return str(QSettings().value(_selection_key(target), "")) or None


def remember_selection(target: OpenTarget | None, kind: str, name: str, code_hash: str | None) -> None:
    if target is not None:
        value = f"{name}@{code_hash}" if kind == "version" and code_hash else name
        QSettings().setValue(_selection_key(target), value)
