"""Every user action of the main window, in one place.

Each action is one ``QAction`` (icon, shortcut, tooltip, status tip) that the
toolbar, the menus and the context menu all share, so enabling, disabling and
relabelling happens once and every entry point agrees.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from petbrowser.gui.icons import icon

__all__ = ["Actions"]


class Actions:
    """The window's actions; ``main_window`` connects ``triggered`` to its slots."""

    def __init__(self, parent: QWidget) -> None:
        def make(
            text: str,
            icon_name: str | None = None,
            shortcut: QKeySequence | str | None = None,
            tip: str = "",
        ) -> QAction:
            a = QAction(text, parent)
            if icon_name:
                a.setIcon(icon(icon_name))
            if shortcut is not None:
                seq = shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut)
                a.setShortcut(seq)
            full_tip = tip or text.replace("…", "")
            if shortcut is not None:
                full_tip += f" ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            a.setToolTip(full_tip)
            a.setStatusTip(tip or text)
            parent.addAction(a)  # shortcuts work wherever focus is in the window
            return a

        Std = QKeySequence.StandardKey
        # File
        self.open_project = make("Open &project…", "open", Std.Open, "Open a project folder")
        self.open_store = make("Open &store…", "connect", "Ctrl+Shift+O", "Open a local or S3 store")
        self.open_demo = make("Open the &demo", None, None, "Open the demo project and store")
        self.close_store = make("&Close", None, Std.Close, "Close the project and show the welcome view")
        self.quit = make("&Quit", None, Std.Quit, "Quit petbrowser")
        # Store
        self.refresh = make("&Refresh", "refresh", "F5", "Reload classes, versions and statuses")
        self.push = make(
            "&Push", "push", "Ctrl+P",
            "Push the selected local classes (or all out-of-sync ones) as new versions",
        )
        self.pull = make(
            "P&ull…", "pull", "Ctrl+L",
            "Verify the selected version and rebuild it in the project's interpreter",
        )
        self.make_latest = make(
            "&Make latest…", "rollback", "Ctrl+M",
            "Move the class's latest pointer to the selected version (roll back or forward)",
        )
        self.undo = make("&Undo", "undo", Std.Undo, "Undo the last pointer move")
        self.redo = make("&Redo", "redo", "Ctrl+Shift+Z", "Redo the pointer move that was undone")
        self.cancel = make("Cancel", None, "Esc", "Stop the running operation")
        # Compare
        self.compare_selected = make(
            "Compare &selected", "diff", "Ctrl+D", "Diff the two selected versions (ctrl-click two rows)"
        )
        self.compare_latest = make("Compare with &latest", "diff", None, "Diff this version against latest")
        self.compare_local = make("Compare with l&ocal", "local", None, "Diff this version against your local class")
        self.copy_hash = make(
            "&Copy hash", None, "Ctrl+Shift+C", "Copy the selected version's full hash"
        )  # not Ctrl+C: that copies selected text in the code views
        self.find = make("&Filter…", "filter", Std.Find, "Filter classes and versions")
        # View
        self.theme_group = QActionGroup(parent)
        self.theme_group.setExclusive(True)
        self.theme_actions: dict[str, QAction] = {}
        for mode, label in (("system", "&System theme"), ("light", "&Light"), ("dark", "&Dark")):
            a = QAction(label, parent)
            a.setCheckable(True)
            a.setData(mode)
            a.setStatusTip(f"Use the {mode} colour scheme")
            self.theme_group.addAction(a)
            self.theme_actions[mode] = a
        self.theme_actions["system"].setChecked(True)
        self.about = make("&About petbrowser", None, None, "Version and licence")

    def store_actions(self) -> list[QAction]:
        """Actions that need an open store (disabled on the welcome view)."""
        return [
            self.refresh, self.push, self.pull, self.make_latest, self.compare_selected,
            self.compare_latest, self.compare_local, self.copy_hash, self.find, self.close_store,
        ]
