"""The main window: it assembles the widgets and wires actions to commands.

What happens when an action fires lives in ``commands.py`` (one command per user
action, its manager call on a worker); the store's state in ``session.py``; the
details tabs in ``details_loader.py``; undo/redo in ``undo.py``; questions in ``prompts.py``.

The window is built in two parts.  The *frame* -- menus, toolbar, status bar
and the welcome page -- is all the first frame shows; the *body* -- the tree,
the details tabs, the Timeline, the session and undo history, and the modules
behind them (the core models among them) -- is what a store needs.  The app
builds the frame, paints it, then builds the body (``MainWindow(staged=True)``):
the window is on screen sooner (docs/performance.md, GUI first paint).
Anything that needs the body asks for it first (``ensure_built``), so a click
or a shortcut in between still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from petbrowser.gui import recent, settings
from petbrowser.gui.actions import Actions, fill_menu
from petbrowser.gui.first_paint import after_first_paint, after_next_paint
from petbrowser.gui.icons import app_icon
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.welcome import WelcomeView
from petbrowser.gui.workers import ProgressIndicator, TaskRunner

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit, QSplitter

    from petbrowser.core.manager import PetClassManager
    from petbrowser.gui import commands as cmds
    from petbrowser.gui.class_tree import ClassFilterProxy, ClassTreeModel, ClassTreeView
    from petbrowser.gui.details import DetailsPanel
    from petbrowser.gui.details_loader import DetailsLoader
    from petbrowser.gui.messages import MessageBar
    from petbrowser.gui.prompts import Prompts
    from petbrowser.gui.selection import Selection
    from petbrowser.gui.selection_keeper import SelectionKeeper
    from petbrowser.gui.session import Session
    from petbrowser.gui.time_travel import TimeTravel
    from petbrowser.gui.tree_filter import TreeFilter
    from petbrowser.gui.undo import UndoHistory

__all__ = ["MainWindow"]


class MainWindow(QMainWindow):
    """The petbrowser window.  Signals let tests (and the app) follow progress.

    ``staged``: build the body after the frame's first paint (the app does);
    otherwise the whole window is built at once (tests, scripts).
    """

    store_opened = Signal()
    listing_finished = Signal()
    statuses_updated = Signal()
    details_updated = Signal(str)  # "class" | "version" | "diff" | "history"
    error_shown = Signal(object)
    operation_finished = Signal(str)  # "push" | "pull" | "move"
    built = Signal()  # the body is built: tree, details, Timeline, session

    # the body's parts (``_build_body``)
    session: Session
    model: ClassTreeModel
    history: UndoHistory
    prompts: Prompts
    app: cmds.AppContext
    splitter: QSplitter
    filter_edit: QLineEdit
    proxy: ClassFilterProxy
    tree: ClassTreeView
    keeper: SelectionKeeper
    details: DetailsPanel
    message_bar: MessageBar
    tree_filter: TreeFilter
    loader: DetailsLoader
    time_travel: TimeTravel
    layout_settings: settings.WindowLayout

    def __init__(self, parent: QWidget | None = None, *, staged: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("petbrowser")
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.is_built = False
        self._expanded_once = False
        self._restore_selection: str | None = None
        self._typed: dict[str, str] | None = None  # the connect dialog's fields as last left
        self.runner = TaskRunner(self)
        self.actions = Actions(self)
        self._build_frame()
        self._build_menus()
        self._connect_frame()
        settings.restore_geometry(self)
        if (mode := settings.load_theme()) in self.actions.theme_actions:
            self.actions.theme_actions[mode].setChecked(True)
        self.show_welcome()
        if staged:
            after_first_paint(self, self.ensure_built)
        else:
            self.ensure_built()

    @property
    def manager(self) -> PetClassManager | None:
        return self.session.manager if self.is_built else None

    @property
    def target(self) -> OpenTarget | None:
        return self.session.target if self.is_built else None

    # ================================================================ UI
    def _build_frame(self) -> None:
        """What the first frame shows: the welcome page, toolbar, status bar."""
        self.central = QWidget(self)
        lay = QVBoxLayout(self.central)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.setSpacing(4)
        self.stack = QStackedWidget(self.central)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(self.central)
        self.welcome = WelcomeView(self.stack)
        self.stack.addWidget(self.welcome)

        self.toolbar = QToolBar("Toolbar", self)
        self.toolbar.setObjectName("main-toolbar")
        self.toolbar.toggleViewAction().setText("Show &toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a = self.actions
        fill_menu(self.toolbar, [a.refresh, None, a.push, a.pull, a.make_latest, None, a.undo, a.redo, None, a.compare_selected])
        self.addToolBar(self.toolbar)
        self.summary_label = QLabel(self)
        self.filter_label = QLabel(self)  # "Filter 'norm': 1 of 5 classes"
        self.statusBar().addWidget(self.filter_label)
        self.statusBar().addWidget(self.summary_label, 1)
        self.progress = ProgressIndicator(self.runner, self)
        self.statusBar().addPermanentWidget(self.progress)

    def ensure_built(self) -> None:
        """Build the body now unless it is built (idempotent; see the module docstring)."""
        if self.is_built:
            return
        self.is_built = True
        self._build_body()
        self.built.emit()

    def _build_body(self) -> None:
        from PySide6.QtWidgets import QSplitter

        from petbrowser.gui import commands as cmds
        from petbrowser.gui.class_tree import ClassFilterProxy, ClassTreeView
        from petbrowser.gui.details import DetailsPanel
        from petbrowser.gui.details_loader import DetailsLoader
        from petbrowser.gui.messages import MessageBar
        from petbrowser.gui.prompts import Prompts
        from petbrowser.gui.selection_keeper import SelectionKeeper
        from petbrowser.gui.session import Session
        from petbrowser.gui.time_travel import TimeTravel
        from petbrowser.gui.tree_filter import TreeFilter, filter_box
        from petbrowser.gui.undo import UndoHistory

        self.session = Session(self.runner, self)
        self.model = self.session.model
        self.history = UndoHistory(self.session.commands, self)
        self.prompts = Prompts(self, lambda: self.manager.project_root if self.manager else None)
        self.app = cmds.AppContext(self.session, self.history, self.prompts, self)

        central = self.central
        self.message_bar = MessageBar(central)
        self.message_bar.float_over(central)  # over the panes: it never pushes them down
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.stack)
        left = QWidget(self.splitter)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(4)
        self.filter_edit = filter_box(left, self.actions.find.icon())
        ll.addWidget(self.filter_edit)
        self.proxy = ClassFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.tree = ClassTreeView(left)
        self.keeper = SelectionKeeper(self.tree, self.proxy, self.model)  # before setModel: see there
        self.tree.setModel(self.proxy)
        self.keeper.watch()
        ll.addWidget(self.tree, 1)
        self.details = DetailsPanel(self.splitter)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([780, 500])
        self.splitter.setChildrenCollapsible(False)
        self.stack.addWidget(self.splitter)
        self.tree_filter = TreeFilter(self.filter_edit, self.tree, self.proxy, self.model)

        self.session.after_shown = lambda work: after_next_paint(self.tree.viewport(), work)
        self.loader = DetailsLoader(self.app, self.details, self)
        self.time_travel = TimeTravel(self)  # the Timeline dock, restore, method history, live updates
        fill_menu(self.view_menu, self.time_travel.menu_entries())
        self._connect_body()
        self.layout_settings = settings.WindowLayout(self, self.splitter, self.tree)
        self.layout_settings.restore()
        self.time_travel.show_dock(False)  # the welcome page: no store, no Timeline
        self._update_actions()

    def _build_menus(self) -> None:
        a, mb = self.actions, self.menuBar()
        self.recent_menu = QMenu("Open &recent", self)
        themes = QMenu("&Theme", self)
        themes.addActions(list(a.theme_actions.values()))
        menus = {}
        for title, entries in (
            ("&File", [a.open_project, a.open_store, a.open_demo, self.recent_menu, None, a.close_store, a.quit]),
            ("&Edit", [a.undo, a.redo, None, a.copy_hash, a.find]),
            ("&Store", [a.refresh, a.push, a.pull, a.make_latest, None,
                        a.compare_selected, a.compare_latest, a.compare_local, None, a.cancel]),
            ("&View", [themes, None, self.toolbar.toggleViewAction(), None, a.diff_mode, a.diff_unified, a.diff_wrap]),
            ("&Help", [a.about]),
        ):  # fmt: skip
            menus[title] = mb.addMenu(title)
            fill_menu(menus[title], entries)
        self.view_menu = menus["&View"]  # the body adds the Timeline's entries

    def _connect_frame(self) -> None:
        """What the frame offers before the body exists: open, quit, theme, about."""
        a = self.actions
        a.open_project.triggered.connect(self.ask_open_project)
        a.open_store.triggered.connect(self.ask_open_store)
        a.open_demo.triggered.connect(self.open_demo)
        a.quit.triggered.connect(self.close)
        a.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        a.about.triggered.connect(lambda: (self.ensure_built(), self.prompts.show_about()))
        self.welcome.open_project_requested.connect(self.ask_open_project)
        self.welcome.open_store_requested.connect(self.ask_open_store)
        self.welcome.open_demo_requested.connect(self.open_demo)
        self.welcome.open_recent_requested.connect(self.open_target)

    def _connect_body(self) -> None:
        from petbrowser.gui import commands as cmds
        from petbrowser.gui.details import DetailsPanel

        a, s, app = self.actions, self.session, self.app
        run = self.run
        a.close_store.triggered.connect(self.close_store)
        a.refresh.triggered.connect(lambda: run(cmds.RefreshCommand()))
        a.push.triggered.connect(lambda: run(cmds.PushCommand.for_selection(self.selection().classes, self.session)))
        a.pull.triggered.connect(self.pull_selected)
        a.make_latest.triggered.connect(lambda: (v := self.selected_version()) and run(cmds.MakeLatestCommand(*v)))
        a.undo.triggered.connect(self.history.undo)
        a.redo.triggered.connect(self.history.redo)
        a.cancel.triggered.connect(self.runner.cancel_all)
        a.compare_selected.triggered.connect(self.compare_selected)
        a.compare_latest.triggered.connect(lambda: self.compare_with("latest"))
        a.compare_local.triggered.connect(lambda: self.compare_with("local"))
        a.copy_hash.triggered.connect(self.copy_hash)
        a.find.triggered.connect(lambda: (self.filter_edit.setFocus(), self.filter_edit.selectAll()))

        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._on_selection_changed())
        self.keeper.settled.connect(self._redraw)
        self.tree_filter.status.connect(self.filter_label.setText)
        self.details.diff.bind_actions(a.diff_mode, a.diff_unified, a.diff_wrap)
        self.tree.context_menu_requested.connect(self._context_menu)
        self.tree.doubleClicked.connect(lambda idx: self.details.setCurrentIndex(DetailsPanel.OVERVIEW))
        self.tree.open_requested.connect(self._open_details)

        s.closing.connect(self._save_selection)
        s.opened.connect(self._on_opened)
        s.listing_finished.connect(self._after_listing)
        s.statuses_updated.connect(lambda: (self._update_actions(), self.statuses_updated.emit(), self._redraw_soon()))
        s.summary_changed.connect(self.summary_label.setText)
        s.closed.connect(lambda: (self.summary_label.clear(), self.keeper.forget(), self.loader.reset()))
        s.problems.connect(lambda text, hint, detail: self.message_bar.show_message(
            text, level="warning", hint=hint, detail=detail))  # fmt: skip
        app.message.connect(lambda text, level, detail: self.message_bar.show_message(text, level=level, detail=detail))
        app.error.connect(self.show_error)
        app.finished.connect(self.operation_finished)
        self.history.changed.connect(self._update_actions)
        self.loader.updated.connect(self.details_updated)
        self.runner.busy_changed.connect(lambda _label: a.cancel.setEnabled(self.runner.can_cancel()))

    def run(self, command: cmds.Command) -> None:
        """Do one command (what every action's slot comes down to)."""
        self.ensure_built()
        command.do(self.app)

    # ============================================================ opening
    def show_welcome(self) -> None:
        self._refresh_recent()  # the welcome page's list and the File menu's, from one read
        self.stack.setCurrentWidget(self.welcome)
        self.setWindowTitle("petbrowser")
        self._update_actions()

    def ask_open_project(self) -> None:
        self.ensure_built()
        if folder := self.prompts.open_folder("Open project folder"):
            self.open_target(OpenTarget(project_dir=folder))

    def ask_open_store(self) -> None:
        from petbrowser.gui.connect_dialog import ConnectDialog

        self.ensure_built()
        initial = self.target if self.target and self.target.storage else None
        dlg = ConnectDialog(self.runner, self, initial, self._typed)
        accepted = dlg.exec() == QDialog.DialogCode.Accepted
        self._typed = dlg.fields()  # what was typed, for the next time (accepted or not)
        if accepted and (t := dlg.target()) is not None:
            self.open_target(t)

    def open_demo(self) -> None:
        """Create the demo once under the user data folder, then open it."""
        from petbrowser.gui import commands as cmds

        self.run(cmds.CreateDemoCommand(cmds.demo_dir()))

    def open_target(self, target: OpenTarget) -> None:
        """Open a project and/or store: the manager is built in a worker."""
        from petbrowser.gui import commands as cmds

        self.run(cmds.OpenCommand(target))

    def open_manager(self, manager: PetClassManager, target: OpenTarget | None = None) -> None:
        """Show an already-built ``PetClassManager`` (tests pass wrapped storages here)."""
        self.ensure_built()
        self.session.open(manager, target)

    def _on_opened(self) -> None:
        self.history.clear()
        self.loader.reset()
        self.keeper.forget()
        self.message_bar.dismiss()
        self._expanded_once = False
        self._restore_selection = settings.selection_for(self.target)
        if self.target is not None:
            recent.remember(self.target)
            self._refresh_recent()
        self.setWindowTitle(f"{self.session.name} — petbrowser")
        self.stack.setCurrentWidget(self.splitter)
        self._update_actions()
        self.store_opened.emit()

    def close_store(self) -> None:
        self.session.close()
        self.history.clear()
        self.show_welcome()

    def _refresh_recent(self) -> None:
        targets = recent.recent_targets()
        recent.fill_menu(self.recent_menu, targets, self.open_target)
        self.welcome.set_recent(targets)

    def set_theme(self, mode: str) -> None:
        from petbrowser.gui.theme import apply_theme

        if isinstance(app := QApplication.instance(), QApplication):
            apply_theme(app, mode=mode)
        settings.save_theme(mode)
        if mode in self.actions.theme_actions:
            self.actions.theme_actions[mode].setChecked(True)

    # ======================================================= listing
    def _after_listing(self) -> None:
        if not self._expanded_once:
            self._expanded_once = True
            from petbrowser.gui.tree_filter import EXPAND_UP_TO

            if self.model.rowCount() <= EXPAND_UP_TO:  # small stores: show every version at once
                self.tree.expandAll()
        self._reselect()
        self._update_actions()
        self.listing_finished.emit()
        self._redraw_soon()  # keep badges, history and diff fresh (after the keeper reselected)

    def _redraw_soon(self) -> None:
        QTimer.singleShot(0, self, self._redraw)

    def _reselect(self) -> None:
        want = self._restore_selection
        if not want or self.tree.selectionModel().hasSelection():
            return
        name, _, h = want.partition("@")
        src = self.model.version_index(name, h) if h else self.model.class_index(name)
        if src.isValid():
            self._restore_selection = None
            self.select_index(src)

    # =========================================================== selection
    def selection(self) -> Selection:
        from petbrowser.gui.selection import Selection, read_selection

        return read_selection(self.tree) if self.is_built else Selection()  # no tree yet: nothing selected

    def selected(self) -> list[tuple[str, str, str | None]]:
        """Selected rows as ``(kind, class name, hash)``, in selection order."""
        return list(self.selection().rows)

    def selected_version(self) -> tuple[str, str] | None:
        return self.selection().one_version

    def select_index(self, src: QModelIndex, extend: bool = False) -> None:
        """Select a source-model index (expanding its class)."""
        from petbrowser.gui.selection import select_source_index

        select_source_index(self.tree, self.proxy, src, extend)

    def _save_selection(self) -> None:
        if rows := self.selected():
            settings.remember_selection(self.target, *rows[0])

    def _on_selection_changed(self, redraw: bool = False) -> None:
        """Show the selection; ``redraw``: the model changed under it, draw it again."""
        if self.keeper.pending or (redraw and self.manager is None):
            return
        sel = self.selection()
        self.history.set_scope(sel.scope)
        self._update_actions()
        (self.loader.refresh if redraw else self.loader.show)(sel)

    def _redraw(self) -> None:
        self._on_selection_changed(redraw=True)

    def _update_actions(self) -> None:
        if self.is_built:
            self.actions.update(self.session, self.selection(), self.history)
        else:
            self.actions.nothing_open()

    # ======================================================== actions
    def compare_selected(self) -> None:
        if not self.loader.compare_selection(self.selection()):
            self.message_bar.show_message(
                "Select two versions of one class to compare them (ctrl-click the second one).", level="info"
            )

    def compare_with(self, ref: str) -> None:
        self.loader.compare_selection(self.selection(), ref)

    def pull_selected(self) -> None:
        sel = self.selected_version()
        if sel is None or self.manager is None or (choice := self.prompts.ask_pull_options(*sel)) is None:
            return
        from petbrowser.gui import commands as cmds

        restore = choice[1]
        self.run(cmds.RestoreSourceCommand(*sel, restore) if restore else cmds.PullCommand(*sel))

    def copy_hash(self) -> None:
        if (h := self.actions.hash_to_copy(self.session, self.selection())) is not None:
            QGuiApplication.clipboard().setText(h)
            self.statusBar().showMessage(f"Copied {h}", 3000)

    def show_error(self, exc: BaseException, context: str = "") -> None:
        self.message_bar.show_error(exc, context)
        self.error_shown.emit(exc)

    def _context_menu(self, global_pos) -> None:
        menu = QMenu(self)
        fill_menu(menu, self.actions.for_context_menu(self.selection()))
        menu.popup(global_pos)
        self._menu = menu  # keep it alive while shown

    def _open_details(self, _index: QModelIndex) -> None:
        """Enter on a version: keyboard into the details (Shift+Tab comes back)."""
        page = self.details.currentWidget()
        (page.focusProxy() or page).setFocus(Qt.FocusReason.OtherFocusReason)

    # ============================================================ the rest
    def watched_files(self) -> list[str]:
        return self.session.watcher.files() if self.is_built else []

    def save_settings(self) -> None:
        if not self.is_built:  # closed before the body was built: only the frame to remember
            settings.save_geometry(self)
            return
        self.layout_settings.save()
        self._save_selection()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        # Cancel everything: what can be stopped is abandoned on its daemon thread at
        # once (a dead S3 endpoint never keeps the app alive); a push or a move in
        # flight gets at most 1.2 s to land.
        self.runner.shutdown(1200 if any(not t.cancellable for t in self.runner.active) else 0)
        super().closeEvent(event)

    def wait_idle(self, timeout_ms: int = 30000) -> bool:
        """Block (processing nothing) until the pool is idle: for scripts, not the UI."""
        return self.runner.pool.waitForDone(timeout_ms)
