"""Time travel in the window: the Timeline dock, restore to a moment, method history, live updates.

This wires the pieces into the main window so ``main_window.py`` stays an
assembler (one line builds this, one adds its menu entries):

- the Timeline dock is (re)loaded on a worker after every listing while it is
  visible (a push, a move, a restore or a live change relists the store), and
  when it is shown after being hidden; selecting a move selects that class
  and version in the tree;
- "Restore the store to this moment…" runs ``RestoreCommand`` (plan on a
  worker, the plan dialog, the moves on a worker, one undo step);
- "History of this method" is offered by the context menus of the diff
  view's method list and the Overview's method table;
- live changes are said in the status bar, and the tree keeps its selection
  and the row at its top across the relisting they cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QMenu

from petbrowser.core.errors import PetBrowserError
from petbrowser.core.models import HistoryEntry, StoreChange, Timeline
from petbrowser.gui import settings
from petbrowser.gui.class_tree import Role
from petbrowser.gui.commands import BlameCommand, RestoreCommand, TimelineCommand
from petbrowser.gui.first_paint import after_next_paint
from petbrowser.gui.live_updates import INTERVAL_CHOICES
from petbrowser.gui.method_history import MethodHistoryDialog, method_in_list, method_in_overview
from petbrowser.gui.timeline_view import TimelineDock

if TYPE_CHECKING:
    from petbrowser.gui.main_window import MainWindow

__all__ = ["TimeTravel"]

#: How long a live change stays in the status bar.
LIVE_MESSAGE_MS = 30000

_Row = tuple[str, str, Any]


def _row(idx: QModelIndex) -> _Row:
    return (idx.data(Role.KIND), idx.data(Role.CLASS_NAME), idx.data(Role.HASH) if idx.data(Role.KIND) == "version" else None)


class TimeTravel(QObject):
    """Signals: ``timeline_loaded()`` after the dock shows a fresh timeline;
    ``method_history_shown(dialog)`` once a method's history is listed;
    ``live_change_shown(text)`` when the status bar told a live change."""

    timeline_loaded = Signal()
    method_history_shown = Signal(object)
    live_change_shown = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.session = window.session
        self.live = window.session.live
        self._stale = True
        self._listing = False  # a store's first listing is running: the Timeline waits for it
        self._loading = False
        self._again = False
        self._kept: tuple[tuple[_Row, ...], _Row | None, _Row | None, int] | None = None
        self._pending_method: tuple[str, str] | None = None
        self._list_attached = False
        self.dialogs: list[MethodHistoryDialog] = []

        self.dock = TimelineDock(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.resizeDocks([self.dock], [300], Qt.Orientation.Vertical)
        self.timeline_action = self.dock.toggleViewAction()
        self.timeline_action.setText("&Timeline")
        self.timeline_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.timeline_action.setStatusTip("Show or hide every pointer move of the store, newest first")
        window.addAction(self.timeline_action)
        self.restore_action = self.dock.restore_action
        window.addAction(self.restore_action)
        # Shown while a store is open, if the user wants it (their last toggle,
        # remembered); the welcome page has no store and so no Timeline.
        self.wanted = settings.timeline_wanted()
        self.timeline_action.triggered.connect(self._set_wanted)
        self.dock.closed_by_user.connect(lambda: self._set_wanted(False))
        self.live_menu = self._build_live_menu()

        self.live.set_active_check(lambda: window.isVisible() and not window.isMinimized())
        window.installEventFilter(self)
        self._connect()

    def _set_wanted(self, wanted: bool) -> None:
        self.wanted = bool(wanted)
        settings.save_timeline_wanted(self.wanted)

    def show_dock(self, store_open: bool) -> None:
        """Show the Timeline with an open store when wanted; hide it on the welcome page."""
        self.dock.setVisible(store_open and self.wanted)

    def menu_entries(self) -> list[QAction | QMenu | None]:
        """What the View menu adds: the Timeline toggle and the live-updates interval."""
        return [None, self.timeline_action, self.live_menu]

    # ------------------------------------------------------------ wiring
    def _connect(self) -> None:
        w, s = self.w, self.session
        s.opened.connect(self._on_opened)
        s.closed.connect(lambda: (self.dock.clear(), self.show_dock(False)))
        s.listing_finished.connect(self._after_listing)
        s.listing_failed.connect(self._after_listing)
        s.store_changed.connect(self._on_store_changed)
        self.live.failed.connect(self._on_poll_failed)
        self.dock.shown.connect(lambda: self._stale and not self._listing and self.load())
        self.dock.entry_selected.connect(self._select_entry)
        self.dock.restore_requested.connect(self.restore_to)
        self.dock.show_change_requested.connect(
            lambda e: w.loader.compare(e.class_name, str(e.from_hash), e.to_hash)
        )
        w.history.reported.connect(lambda text, level, detail: w.app.say(text, level, detail))
        w.history.landed.connect(self.live.expect)
        w.loader.updated.connect(self._on_details)
        overview = w.details.overview
        overview.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        overview.customContextMenuRequested.connect(self._overview_menu)

    def _on_opened(self) -> None:
        # Read once the listing has ended (``_after_listing``), not beside it: both
        # walk the whole store, and in one interpreter they took turns, so the
        # tree of a 20,000-version store appeared a second later (docs/performance.md).
        self._stale = True
        self._listing = True
        self._kept = None
        self.dock.clear("Reading the store's history…")
        self.show_dock(True)  # shown now, read after the listing

    def _after_listing(self) -> None:
        self._restore_tree()
        self._stale = True
        self._listing = False
        if self.dock.isVisible():
            # once the tree shows the listing: reading the history walks the whole store
            after_next_paint(self.w.tree.viewport(), lambda: self._stale and self.load())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.w and event.type() in (QEvent.Type.Show, QEvent.Type.WindowStateChange):
            self.live.resume()  # back on screen: poll now if a poll was skipped while hidden
        return False

    # ------------------------------------------------------------ timeline
    def load(self) -> None:
        """Read the timeline on a worker and show it (again once more if asked meanwhile)."""
        if self.session.manager is None:
            return
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._stale = False
        self.dock.set_loading()

        def done(timeline: Timeline) -> None:
            self.dock.set_timeline(timeline)
            self.timeline_loaded.emit()

        def failed(exc: PetBrowserError) -> None:
            self.dock.set_error(exc.message)  # the dock says it; the rest of the window works on

        def finished() -> None:
            self._loading = False
            if self._again:
                self._again = False
                self.load()

        if self.w.app.execute(TimelineCommand(), on_result=done, on_error=failed, on_finished=finished) is None:
            self._loading = False

    def _select_entry(self, entry: HistoryEntry) -> None:
        """A move selected in the timeline: select the version it made latest (or its class)."""
        self.select_in_tree(entry.class_name, entry.to_hash)

    def select_in_tree(self, name: str, code_hash: str | None) -> None:
        model = self.w.model
        src = model.version_index(name, code_hash) if code_hash else QModelIndex()
        if not src.isValid():
            src = model.class_index(name)
        if not src.isValid():
            self.w.statusBar().showMessage(f"{name} is not in the store any more", 5000)
            return
        if not self.w.proxy.mapFromSource(src).isValid():
            self.w.filter_edit.clear()  # the filter hides it: show everything again
        self.w.select_index(src)

    # ------------------------------------------------------------- restore
    def restore_to(self, entry: HistoryEntry) -> None:
        """"Restore the store to this moment": right after ``entry`` was recorded."""
        try:
            cmd = RestoreCommand.right_after(entry)
        except PetBrowserError as exc:
            self.w.show_error(exc, "Restoring")
            return
        self.w.run(cmd)

    # ------------------------------------------------------ method history
    def open_method_history(self, name: str, method: str) -> MethodHistoryDialog:
        """Show the versions in which ``method`` of ``name`` changed (read on a worker)."""
        dialog = MethodHistoryDialog(name, method, self.w)
        alive = [True]
        dialog.destroyed.connect(lambda *_: alive.__setitem__(0, False))
        dialog.destroyed.connect(lambda *_: dialog in self.dialogs and self.dialogs.remove(dialog))
        dialog.diff_requested.connect(self._open_step)
        dialog.version_requested.connect(self.select_in_tree)
        self.dialogs.append(dialog)
        dialog.show()

        def done(blame: Any) -> None:
            if alive[0]:
                dialog.set_blame(blame)
                self.method_history_shown.emit(dialog)

        def failed(exc: PetBrowserError) -> None:
            if alive[0]:
                dialog.set_error(exc.message)

        self.w.app.execute(BlameCommand(name, method), on_result=done, on_error=failed)
        return dialog

    def _open_step(self, name: str, old: str, new: str, method: str) -> None:
        self._pending_method = (name, method)
        self.w.loader.compare(name, old, new)

    def _on_details(self, kind: str) -> None:
        if kind != "diff":
            return
        view = self.w.details.diff.view
        if not self._list_attached:
            self._list_attached = True
            view.method_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.method_list.customContextMenuRequested.connect(self._diff_list_menu)
        if self._pending_method is not None:
            name, method = self._pending_method
            self._pending_method = None
            if view.result is not None and view.result.class_name == name:
                view.select_method(method)

    def _history_action(self, menu: QMenu, name: str, method: str) -> QAction:
        act = QAction(f"History of {method}…", menu)
        act.setStatusTip(f"The versions of {name} in which {method} changed, and the diff of each step")
        act.triggered.connect(lambda: self.open_method_history(name, method))
        return act

    def method_menu_for_list(self, pos: QPoint) -> QMenu:
        """The diff view's method-list menu at ``pos`` (viewport coordinates)."""
        view = self.w.details.diff.view
        menu = QMenu(self.w)
        method = method_in_list(view.method_list, pos)
        if view.result is not None and method:
            menu.addAction(self._history_action(menu, view.result.class_name, method))
        return menu

    def _diff_list_menu(self, pos: QPoint) -> None:
        menu = self.method_menu_for_list(pos)
        if not menu.isEmpty():
            menu.popup(self.w.details.diff.view.method_list.viewport().mapToGlobal(pos))
            self._menu = menu

    def method_menu_for_overview(self, pos: QPoint) -> QMenu:
        """The Overview's menu at ``pos``: copy/select all, plus the method's history on a method row."""
        overview = self.w.details.overview
        menu = overview.createStandardContextMenu(pos)
        one = self.w.selection().one_version
        method = method_in_overview(overview, pos) if one else None
        if one and method:
            act = self._history_action(menu, one[0], method)
            first = menu.actions()[0] if menu.actions() else None
            if first is None:
                menu.addAction(act)
            else:
                menu.insertAction(first, act)
                menu.insertSeparator(first)
        return menu

    def _overview_menu(self, pos: QPoint) -> None:
        menu = self.method_menu_for_overview(pos)
        menu.popup(self.w.details.overview.viewport().mapToGlobal(pos))
        self._menu = menu

    # -------------------------------------------------------- live updates
    def _build_live_menu(self) -> QMenu:
        menu = QMenu("&Live updates", self.w)
        menu.setStatusTip("How often the window checks the store for what others push and move")
        group = QActionGroup(menu)
        group.setExclusive(True)
        self.live_actions: dict[int, QAction] = {}
        for seconds in INTERVAL_CHOICES:
            text = "&Off" if not seconds else (f"Every {seconds} s" if seconds < 60 else "Every &minute")
            act = QAction(text, menu)
            act.setCheckable(True)
            act.setChecked(seconds == self.live.interval)
            act.setStatusTip(
                "Do not check the store for others' changes (F5 still refreshes)"
                if not seconds
                else f"List the store every {seconds} s while the window is shown (one listing when nothing changed)"
            )
            act.triggered.connect(lambda _=False, s=seconds: self.live.set_interval(s, remember=True))
            group.addAction(act)
            menu.addAction(act)
            self.live_actions[seconds] = act
        return menu

    def _on_store_changed(self, changes: list[StoreChange]) -> None:
        lines = self.live.describe(changes)
        if lines:
            text = lines[0] + (f"  (+{len(lines) - 1} more change{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else "")
            self.w.statusBar().showMessage(text, LIVE_MESSAGE_MS)
            self.w.statusBar().setToolTip("\n".join(lines))
            self.live_change_shown.emit(text)
        self._keep_tree()

    def _on_poll_failed(self, exc: PetBrowserError) -> None:
        """A poll could not list the store: one line, and the next poll tries again."""
        again = f"trying again in {self.live.interval} s" if self.live.interval else "F5 tries again"
        self.w.statusBar().showMessage(f"Live updates: the store could not be listed ({exc.message}); {again}", LIVE_MESSAGE_MS)

    def _keep_tree(self) -> None:
        """Before a relisting: remember the selection and the row at the top of the tree."""
        tree = self.w.tree
        rows = tuple(_row(i) for i in tree.selectionModel().selectedRows(0))
        cur = tree.currentIndex()
        top = tree.indexAt(QPoint(1, 1))
        self._kept = (rows, _row(cur) if cur.isValid() else None, _row(top) if top.isValid() else None,
                      tree.verticalScrollBar().value())  # fmt: skip

    def _source_index(self, row: _Row | None) -> QModelIndex:
        if row is None:
            return QModelIndex()
        kind, name, h = row
        model = self.w.model
        return model.version_index(name, h) if kind == "version" and h else model.class_index(name)

    def _restore_tree(self) -> None:
        """After the relisting a live change caused: the same rows selected, the same row on top."""
        if self._kept is None:
            return
        rows, current, top, scroll = self._kept
        self._kept = None
        tree = self.w.tree
        now = tuple(_row(i) for i in tree.selectionModel().selectedRows(0))
        if rows and now != rows:
            for i, row in enumerate(rows):
                src = self._source_index(row)
                if src.isValid():
                    self.w.select_index(src, extend=i > 0)
            if current is not None and (cur := self.w.proxy.mapFromSource(self._source_index(current))).isValid():
                tree.selectionModel().setCurrentIndex(cur, QItemSelectionModel.SelectionFlag.NoUpdate)
        top_idx = self.w.proxy.mapFromSource(self._source_index(top))
        if top_idx.isValid():
            tree.scrollTo(top_idx, QAbstractItemView.ScrollHint.PositionAtTop)
        else:
            tree.verticalScrollBar().setValue(scroll)
