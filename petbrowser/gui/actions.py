"""Every user action of the main window, in one place.

Each action is one ``QAction`` (icon, shortcut, tooltip, status tip) that the
toolbar, the menus and the context menu all share, so enabling, disabling and
relabelling happens once and every entry point agrees.  Triggering one builds
a command (``commands.py``); this module only says which actions apply to
what is selected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from petbrowser.gui.icons import icon

if TYPE_CHECKING:
    from petbrowser.gui.selection import Selection
    from petbrowser.gui.session import Session
    from petbrowser.gui.undo import UndoHistory

__all__ = ["Actions", "fill_menu"]


def fill_menu(menu: QMenu | QToolBar, entries: list[QAction | QMenu | None]) -> None:
    """Add actions, submenus and (for None) separators, in order."""
    for e in entries:
        if e is None:
            menu.addSeparator()
        elif isinstance(e, QMenu) and isinstance(menu, QMenu):
            menu.addMenu(e)
        elif isinstance(e, QAction):
            menu.addAction(e)


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
        self.undo = make("&Undo", "undo", Std.Undo, "Undo the last move of the selected class's latest")
        self.redo = make("&Redo", "redo", "Ctrl+Shift+Z", "Redo the move of the selected class that was undone")
        for a in (self.undo, self.redo):
            a.setIconText(a.text().replace("&", ""))  # the toolbar stays short; the menu names the move
        self.cancel = make("Cancel", None, "Esc", "Stop the running operation")
        self.cancel.setEnabled(False)  # until something that can be stopped runs
        # Compare
        self.compare_selected = make(
            "Compare &selected", "diff", "Ctrl+D", "Diff the two selected versions (ctrl-click two rows)"
        )
        self.compare_latest = make("Compare with &latest", "diff", None, "Diff this version against latest")
        self.compare_local = make("Compare with l&ocal", "local", None, "Diff this version against your local class")
        self.copy_hash = make(
            "&Copy hash", None, "Ctrl+Shift+C", "Copy the selected version's full hash (a class: its latest)"
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
        # The diff (View menu; window-wide keys, so no tabbing to the buttons)
        self.diff_mode = make("Diff: source ⇄ &bytecode", None, "Ctrl+B", "Switch the diff between source and bytecode")
        self.diff_unified = make("Diff: &unified (one column)", None, "Ctrl+U", "Show the diff in one column")
        self.diff_wrap = make("Diff: &wrap long lines", None, None, "Wrap long lines in the unified diff")
        for a in (self.diff_unified, self.diff_wrap):
            a.setCheckable(True)

    def store_actions(self) -> list[QAction]:
        """Actions that need an open store (disabled on the welcome view)."""
        return [
            self.refresh, self.push, self.pull, self.make_latest, self.compare_selected,
            self.compare_latest, self.compare_local, self.copy_hash, self.find, self.close_store,
        ]

    def nothing_open(self) -> None:
        """The state before the window can open anything: store actions and undo/redo off."""
        for act in (*self.store_actions(), self.undo, self.redo):
            act.setEnabled(False)

    def update(self, session: Session, sel: Selection, history: UndoHistory) -> None:
        """Enable what applies to the open store and the selection."""
        has_store = session.manager is not None
        for act in self.store_actions():
            act.setEnabled(has_store)
        self.show_history(history, has_store)
        if not has_store:
            return
        model = session.model
        one = sel.one_version
        info = model.class_info(one[0]) if one else None
        entry = model.status_entry(one[0]) if one else None
        is_latest = one is not None and info is not None and one[1] == info.latest
        self.pull.setEnabled(one is not None)
        self.make_latest.setEnabled(one is not None and not is_latest)
        self.compare_latest.setEnabled(one is not None and not is_latest)
        self.compare_local.setEnabled(
            one is not None and session.has_modules and entry is not None and entry.status != "remote_only"
        )
        self.compare_selected.setEnabled(len(sel.versions) in (1, 2))
        self.copy_hash.setEnabled(self.hash_to_copy(session, sel) is not None)
        self.push.setEnabled(session.has_modules)

    @staticmethod
    def hash_to_copy(session: Session, sel: Selection) -> str | None:
        """The selected version's hash, or the latest of a selected class row."""
        if (one := sel.one_version) is not None:
            return one[1]
        if len(sel.rows) == 1 and sel.rows[0][0] == "class":
            info = session.model.class_info(sel.rows[0][1])
            return info.latest if info is not None else None
        return None

    def show_history(self, history: UndoHistory, enabled: bool = True) -> None:
        """Undo/Redo say exactly what they would move (menu text, tooltip, status tip)."""
        for act, text, tip, can, default, keys in (
            (self.undo, history.undo_text(), history.undo_tip(), history.can_undo(), "Undo", "Ctrl+Z"),
            (self.redo, history.redo_text(), history.redo_tip(), history.can_redo(), "Redo", "Ctrl+Shift+Z"),
        ):
            act.setText("&" + (text or default))
            act.setIconText(default)
            act.setToolTip(f"{tip} ({keys})")
            act.setStatusTip(tip)
            act.setEnabled(enabled and can)

    def for_context_menu(self, sel: Selection) -> list[QAction | QMenu | None]:
        """What the tree's context menu offers for this selection (None: a separator)."""
        out: list[QAction | QMenu | None] = []
        versions = sel.versions
        if len(versions) == 2:
            out.append(self.compare_selected)
        elif versions:
            out += [self.compare_latest, self.compare_local, None, self.make_latest, self.pull, self.copy_hash]
        if sel.classes:
            out += [self.push, self.copy_hash] if len(sel.rows) == 1 else [self.push]
        return [*out, None, self.undo, self.redo, None, self.refresh]
