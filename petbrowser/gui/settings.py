"""What the window remembers between runs: layout, theme, the selection per target.

Only layout and names are stored (QSettings): never a credential (targets go
through ``OpenTarget.to_dict``, which strips them).  Recent targets have their
own module, ``recent.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

from petbrowser.gui.open_target import OpenTarget

if TYPE_CHECKING:
    from petbrowser.gui.class_tree import ClassTreeView

__all__ = [
    "TREE_HEADER_KEY",
    "WindowLayout",
    "ask_before_push",
    "diff_options",
    "save_diff_options",
    "load_theme",
    "restore_geometry",
    "save_geometry",
    "remember_selection",
    "save_theme",
    "save_timeline_wanted",
    "timeline_wanted",
    "selection_for",
    "set_ask_before_push",
]

#: Bumped when the tree's columns change, so an old saved layout is not reapplied.
TREE_HEADER_KEY = "window/tree-header-v2"
THEME_KEY = "view/theme"


#: The tree columns the user hid from the header's menu (column numbers).
HIDDEN_COLUMNS_KEY = "window/tree-hidden-columns"


class WindowLayout:
    """Geometry, toolbar state, the splitter, the tree's columns (widths and the
    ones the user hid), the diff's unified/wrap choice."""

    def __init__(self, window: QMainWindow, splitter: QSplitter, tree: ClassTreeView) -> None:
        self.window, self.splitter, self.tree = window, splitter, tree
        self.header: QHeaderView = tree.header()
        tree.columns_changed.connect(self.save_columns)

    def restore(self) -> None:
        s = QSettings()
        for key, apply in (  # the geometry was restored with the frame (restore_geometry)
            ("window/state", self.window.restoreState),
            ("window/splitter", self.splitter.restoreState),
            (TREE_HEADER_KEY, self.header.restoreState),
        ):
            _restore_saved(s, key, apply)
        hidden = str(s.value(HIDDEN_COLUMNS_KEY, ""))
        self.tree.set_user_hidden({int(c) for c in hidden.split(",") if c.strip().isdigit()})

    def save_columns(self) -> None:
        QSettings().setValue(HIDDEN_COLUMNS_KEY, ",".join(str(c) for c in sorted(self.tree.user_hidden)))

    def save(self) -> None:
        s = QSettings()
        save_geometry(self.window)
        s.setValue("window/state", self.window.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue(TREE_HEADER_KEY, self.header.saveState())
        self.save_columns()


GEOMETRY_KEY = "window/geometry"


def _restore_saved(s: QSettings, key: str, apply: Callable[[QByteArray], object]) -> None:
    """Apply a saved Qt state blob, if one was saved (anything else under ``key`` is ignored)."""
    value = s.value(key)
    if isinstance(value, QByteArray) and not value.isEmpty():
        apply(value)


def restore_geometry(window: QMainWindow) -> None:
    """The window's size and place as last left: before it is first shown, so it never jumps."""
    _restore_saved(QSettings(), GEOMETRY_KEY, window.restoreGeometry)


def save_geometry(window: QMainWindow) -> None:
    QSettings().setValue(GEOMETRY_KEY, window.saveGeometry())


TIMELINE_KEY = "view/timeline"


def timeline_wanted() -> bool:
    """Whether the Timeline shows with an open store (the user's last choice; shown at first)."""
    return str(QSettings().value(TIMELINE_KEY, "1")) != "0"


def save_timeline_wanted(wanted: bool) -> None:
    QSettings().setValue(TIMELINE_KEY, "1" if wanted else "0")


def diff_options() -> tuple[bool, bool]:
    """The diff's (unified, wrap) as last chosen."""
    s = QSettings()
    return str(s.value("diff/unified", "0")) == "1", str(s.value("diff/wrap", "0")) == "1"


def save_diff_options(unified: bool, wrap: bool) -> None:
    s = QSettings()
    s.setValue("diff/unified", "1" if unified else "0")
    s.setValue("diff/wrap", "1" if wrap else "0")


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


def _push_key(store_url: str) -> str:
    from petbrowser.gui.open_target import strip_userinfo

    return "push/no-confirm/" + strip_userinfo(store_url).replace("/", "|")


def ask_before_push(store_url: str) -> bool:
    """Whether a push to this store asks first (until "Don't ask again" was ticked for it)."""
    return str(QSettings().value(_push_key(store_url), "")) != "1"


def set_ask_before_push(store_url: str, ask: bool) -> None:
    if ask:
        QSettings().remove(_push_key(store_url))
    else:
        QSettings().setValue(_push_key(store_url), "1")
