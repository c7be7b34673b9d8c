"""The main window: class tree, details, actions, and the workers behind them.

Every core call goes through ``self.runner`` (a thread pool), so the window
stays responsive on a slow network or a hanging project import; results are
applied to the model as they arrive.  Interactive questions (confirm a move,
pull options, unsafe pickles) are methods tests can replace.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QFileSystemWatcher,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from petbrowser import __version__
from petbrowser.core.errors import ConfigError, PetBrowserError, UnsafePickleError
from petbrowser.core.models import ClassInfo, StatusEntry, VersionInfo
from petbrowser.gui.actions import Actions
from petbrowser.gui.class_tree import (
    ClassFilterProxy,
    ClassTreeModel,
    ClassTreeView,
    Role,
    short_hash,
)
from petbrowser.gui.commands import PointerHistory
from petbrowser.gui.details import DetailsPanel
from petbrowser.gui.icons import app_icon
from petbrowser.gui.messages import MessageBar
from petbrowser.gui.open_target import OpenTarget, strip_userinfo
from petbrowser.gui.welcome import WelcomeView
from petbrowser.gui.workers import ProgressIndicator, Task, TaskRunner

if TYPE_CHECKING:  # the dialogs are imported when first shown: start-up never needs them
    from petbrowser.gui.confirm_move import ConfirmMoveDialog

__all__ = ["MainWindow", "demo_dir"]

RECENT_KEY = "recent/targets"
LAST_KEY = "recent/last"
MAX_RECENT = 10
#: Bumped when the tree's columns change, so an old saved layout is not reapplied.
TREE_HEADER_KEY = "window/tree-header-v2"
WATCH_DEBOUNCE_MS = 300
PUSHABLE = ("out_of_sync", "untracked", "behind")
EXPAND_UP_TO = 15
#: Stores with more classes than this filter after a typing pause, not per key.
FILTER_DEBOUNCE_FROM = 100
FILTER_DEBOUNCE_MS = 150
#: A filter expands its matches when at most this many classes match.
FILTER_EXPAND_UP_TO = 50
#: Classes of a streamed listing applied per event-loop turn.
LISTING_CHUNK = 40
#: Versions without metadata (LabChain's) checked for unsafe calls after a
#: listing, so the "unsafe" badge shows before anyone selects the version.
SAFETY_SCAN_LIMIT = 500


def demo_dir() -> Path:
    """Where ``--demo`` creates the demo (the user data folder)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("petbrowser", "petbrowser")) / "demo"


def _module_files(project: Any, scanned: list[str]) -> list[str]:
    """Files to watch: what the scan reported, plus the configured module paths
    (so a module that currently fails to import is still watched)."""
    files = {str(Path(f).resolve()) for f in scanned if f}
    root = Path(getattr(project, "root", "."))
    for spec in getattr(project, "modules", []) or []:
        if spec.endswith(".py"):
            candidates = [root / spec]
        else:
            rel = Path(*spec.split("."))
            candidates = [root / f"{rel}.py", root / rel / "__init__.py", root / "src" / f"{rel}.py"]
        files.update(str(c.resolve()) for c in candidates if c.is_file())
    return sorted(files)


_NO_INFO = ClassInfo("", (), None)


def _is_older(a: VersionInfo | None, b: VersionInfo | None) -> bool | None:
    """Whether ``a`` was pushed before ``b`` (None: unknown or the same second)."""
    if a is None or b is None or not a.pushed_at or not b.pushed_at or a.pushed_at == b.pushed_at:
        return None
    return a.pushed_at < b.pushed_at


class MainWindow(QMainWindow):
    """The petbrowser window.  Signals let tests (and the app) follow progress."""

    store_opened = Signal()
    listing_finished = Signal()
    statuses_updated = Signal()
    details_updated = Signal(str)  # "class" | "version" | "diff" | "history"
    error_shown = Signal(object)
    operation_finished = Signal(str)  # "push" | "pull" | "move"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("petbrowser")
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.manager: Any = None
        self.target: OpenTarget | None = None
        self.classes: list[ClassInfo] = []
        self._listing: Task | None = None
        self._status_task: Task | None = None
        self._status_again = False
        self._detail_token = 0
        self._history_for: str | None = None
        self._restore_selection: str | None = None
        self._watched: dict[str, tuple[int, int] | None] = {}
        self._watch_files_known = False
        self._expanded_once = False
        self._problems_shown: tuple | None = None
        self._safety_task: Task | None = None

        self.runner = TaskRunner(self)
        self.pointer_history = PointerHistory(self.runner, lambda: self.manager, self)
        self.actions = Actions(self)
        self._build_ui()
        self._build_menus()
        self._connect()
        self._restore_window_state()
        self._update_actions()
        self.show_welcome()

    # ================================================================ UI
    def _build_ui(self) -> None:
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.setSpacing(4)
        self.message_bar = MessageBar(central)
        lay.addWidget(self.message_bar)
        self.stack = QStackedWidget(central)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.welcome = WelcomeView(self.stack)
        self.stack.addWidget(self.welcome)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.stack)
        left = QWidget(self.splitter)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(4)
        self.filter_edit = QLineEdit(left)
        self.filter_edit.setPlaceholderText("Filter classes, hashes, authors…  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(self.actions.find.icon(), QLineEdit.ActionPosition.LeadingPosition)
        self.filter_edit.setToolTip("Show only classes or versions whose name, hash or author contains this text")
        ll.addWidget(self.filter_edit)
        self.model = ClassTreeModel(self)
        self.proxy = ClassFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.tree = ClassTreeView(left)
        self.tree.setModel(self.proxy)
        ll.addWidget(self.tree, 1)
        self.details = DetailsPanel(self.splitter)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([720, 560])
        # the diff view's own minimum must not push the tree off screen
        self.details.setMinimumWidth(320)
        self.splitter.setChildrenCollapsible(False)
        self.stack.addWidget(self.splitter)

        tb = QToolBar("Main", self)
        tb.setObjectName("main-toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a = self.actions
        for act in (a.refresh, None, a.push, a.pull, a.make_latest, None, a.undo, a.redo, None, a.compare_selected):
            if act is None:
                tb.addSeparator()
            else:
                tb.addAction(act)
        self.addToolBar(tb)
        self.toolbar = tb

        self.summary_label = QLabel(self)
        self.statusBar().addWidget(self.summary_label, 1)
        self.progress = ProgressIndicator(self.runner, self)
        self.statusBar().addPermanentWidget(self.progress)

        self.watcher = QFileSystemWatcher(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(WATCH_DEBOUNCE_MS)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)

    def _build_menus(self) -> None:
        a = self.actions
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([a.open_project, a.open_store, a.open_demo])
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        m.addActions([a.close_store, a.quit])
        m = mb.addMenu("&Edit")
        m.addActions([a.undo, a.redo])
        m.addSeparator()
        m.addActions([a.copy_hash, a.find])
        m = mb.addMenu("&Store")
        m.addActions([a.refresh, a.push, a.pull, a.make_latest])
        m.addSeparator()
        m.addActions([a.compare_selected, a.compare_latest, a.compare_local])
        m.addSeparator()
        m.addAction(a.cancel)
        m = mb.addMenu("&View")
        tm = m.addMenu("&Theme")
        tm.addActions(list(a.theme_actions.values()))
        m.addSeparator()
        m.addAction(self.toolbar.toggleViewAction())
        m = mb.addMenu("&Help")
        m.addAction(a.about)

    def _connect(self) -> None:
        a = self.actions
        a.open_project.triggered.connect(self.ask_open_project)
        a.open_store.triggered.connect(self.ask_open_store)
        a.open_demo.triggered.connect(self.open_demo)
        a.close_store.triggered.connect(self.close_store)
        a.quit.triggered.connect(self.close)
        a.refresh.triggered.connect(self.refresh)
        a.push.triggered.connect(self.push_selected)
        a.pull.triggered.connect(self.pull_selected)
        a.make_latest.triggered.connect(self.make_selected_latest)
        a.undo.triggered.connect(self.pointer_history.undo)
        a.redo.triggered.connect(self.pointer_history.redo)
        a.cancel.triggered.connect(self.runner.cancel_all)
        a.compare_selected.triggered.connect(self.compare_selected)
        a.compare_latest.triggered.connect(lambda: self.compare_with("latest"))
        a.compare_local.triggered.connect(lambda: self.compare_with("local"))
        a.copy_hash.triggered.connect(self.copy_hash)
        a.find.triggered.connect(lambda: (self.filter_edit.setFocus(), self.filter_edit.selectAll()))
        a.theme_group.triggered.connect(lambda act: self.set_theme(act.data()))
        a.about.triggered.connect(self.show_about)

        self.welcome.open_project_requested.connect(self.ask_open_project)
        self.welcome.open_store_requested.connect(self.ask_open_store)
        self.welcome.open_demo_requested.connect(self.open_demo)
        self.welcome.open_recent_requested.connect(self.open_target)

        self.filter_edit.textChanged.connect(self._on_filter)
        self.filter_edit.returnPressed.connect(self._focus_tree)
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._on_selection_changed())
        self.tree.context_menu_requested.connect(self._context_menu)
        self.tree.doubleClicked.connect(lambda idx: self.details.setCurrentIndex(DetailsPanel.OVERVIEW))
        self.tree.open_requested.connect(self._open_details)

        ph = self.pointer_history
        ph.stack.canUndoChanged.connect(lambda _: self._update_actions())
        ph.stack.canRedoChanged.connect(lambda _: self._update_actions())
        ph.stack.undoTextChanged.connect(lambda t: a.undo.setToolTip(f"Undo: {t} (Ctrl+Z)" if t else "Undo (Ctrl+Z)"))
        ph.stack.redoTextChanged.connect(lambda t: a.redo.setToolTip(f"Redo: {t} (Ctrl+Shift+Z)" if t else "Redo (Ctrl+Shift+Z)"))
        ph.busy_changed.connect(lambda _: self._update_actions())
        ph.moved.connect(self._on_pointer_moved)
        ph.failed.connect(lambda exc: self.show_error(exc, "Moving latest"))
        ph.conflict.connect(self._on_conflict)
        self.runner.busy_changed.connect(lambda label: a.cancel.setEnabled(bool(label)))

        self.watcher.fileChanged.connect(self._on_file_changed)
        self.watcher.directoryChanged.connect(self._on_dir_changed)
        self._debounce.timeout.connect(self.refresh_status)
        self._filter_timer.timeout.connect(self._apply_filter)

    # ========================================================== settings
    def _restore_window_state(self) -> None:
        s = QSettings()
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        split = s.value("window/splitter")
        if isinstance(split, QByteArray) and not split.isEmpty():
            self.splitter.restoreState(split)
        header = s.value(TREE_HEADER_KEY)
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.tree.header().restoreState(header)
        mode = str(s.value("view/theme", "system"))
        if mode in self.actions.theme_actions:
            self.actions.theme_actions[mode].setChecked(True)
        self._refresh_recent_menu()

    def save_settings(self) -> None:
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue(TREE_HEADER_KEY, self.tree.header().saveState())
        self._save_selection()
        s.sync()

    def _selection_key(self) -> str | None:
        if self.target is None:
            return None
        return "selection/" + json.dumps(self.target.to_dict(), sort_keys=True).replace("/", "|")

    def _save_selection(self) -> None:
        key = self._selection_key()
        sel = self.selected()
        if key and sel:
            kind, name, h = sel[0]
            QSettings().setValue(key, f"{name}@{h}" if kind == "version" else name)

    def recent_targets(self) -> list[OpenTarget]:
        try:
            items = json.loads(str(QSettings().value(RECENT_KEY, "[]")))
        except ValueError:
            return []
        out = [OpenTarget.from_dict(d) for d in items] if isinstance(items, list) else []
        return [t for t in out if t is not None]

    def _remember(self, target: OpenTarget) -> None:
        s = QSettings()
        items = [t for t in self.recent_targets() if t != target]
        items.insert(0, target)
        s.setValue(RECENT_KEY, json.dumps([t.to_dict() for t in items[:MAX_RECENT]]))
        s.setValue(LAST_KEY, json.dumps(target.to_dict()))
        if target.storage and not target.project_dir:
            from petbrowser.gui.connect_dialog import remember_store

            remember_store(target, s)
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        targets = self.recent_targets()
        for t in targets:
            act = self.recent_menu.addAction(t.label)
            act.setToolTip(t.description)
            act.setStatusTip(t.description)
            act.triggered.connect(lambda _=False, t=t: self.open_target(t))
        self.recent_menu.setEnabled(bool(targets))
        self.welcome.set_recent(targets)

    def set_theme(self, mode: str) -> None:
        from petbrowser.gui.theme import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, mode=mode)
        QSettings().setValue("view/theme", mode)
        if mode in self.actions.theme_actions:
            self.actions.theme_actions[mode].setChecked(True)

    # ============================================================ opening
    def show_welcome(self) -> None:
        self.welcome.set_recent(self.recent_targets())
        self.stack.setCurrentWidget(self.welcome)
        self.setWindowTitle("petbrowser")
        self._update_actions()

    def ask_open_project(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open project folder", str(Path.home()))
        if d:
            self.open_target(OpenTarget(project_dir=d))

    def ask_open_store(self) -> None:
        from petbrowser.gui.connect_dialog import ConnectDialog

        dlg = ConnectDialog(self.runner, self, initial=self.target if self.target and self.target.storage else None)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            t = dlg.target()
            if t is not None:
                self.open_target(t)

    def open_demo(self) -> None:
        """Create the demo once under the user data folder, then open it."""
        dest = demo_dir()

        def work(ctx):
            from petbrowser.core.demo import create_demo

            return create_demo(dest)

        self.runner.submit(
            work,
            label="Creating the demo",
            on_result=lambda project_dir: self.open_target(OpenTarget(project_dir=str(project_dir))),
            on_error=lambda exc: self.show_error(exc, "Creating the demo"),
            cancellable=False,
        )

    def open_target(self, target: OpenTarget) -> None:
        """Open a project and/or store: the manager is built in a worker."""

        def work(ctx):
            from petbrowser.core.manager import PetClassManager

            if target.project_dir and not target.storage:
                from petbrowser.core.project import Project

                project = Project.load(target.project_dir)
                if project.storage_url is None:
                    # DESIGN: no store configured -> offer the local stores found inside
                    return [str(p) for p in project.find_local_stores()]
            if target.project_dir:
                return PetClassManager.open(
                    target.project_dir,
                    storage=target.storage,
                    endpoint_url=target.endpoint_url,
                    profile=target.profile,
                    region=target.region,
                )
            from petbrowser.core.storage import open_storage

            st = open_storage(
                target.storage, endpoint_url=target.endpoint_url, profile=target.profile, region=target.region
            )
            return PetClassManager(st, None)

        def done(result: Any) -> None:
            if isinstance(result, list):  # candidate stores: the user picks one
                self._offer_stores(target, result)
            else:
                self.open_manager(result, target)

        self.runner.submit(
            work,
            label=f"Opening {target.label}",
            on_result=done,
            on_error=lambda exc: self.show_error(exc, f"Opening {target.label}"),
        )

    def choose_store(self, project_dir: str, stores: list[str]) -> str | None:
        """Ask which of the stores found in the project to open (tests replace this)."""
        from PySide6.QtWidgets import QInputDialog

        item, ok = QInputDialog.getItem(
            self,
            "Choose a store — petbrowser",
            f"{project_dir} sets no store, but these folders hold one.\nOpen which?",
            stores,
            0,
            False,
        )
        return item if ok and item else None

    def _offer_stores(self, target: OpenTarget, stores: list[str]) -> None:
        if not stores:
            self.show_error(
                ConfigError(
                    f"{target.project_dir} sets no store and holds none: set 'storage' in "
                    "[tool.petbrowser] of its pyproject.toml, or use File ▸ Open store…"
                ),
                f"Opening {target.label}",
            )
            return
        chosen = self.choose_store(str(target.project_dir), stores)
        if chosen:
            self.open_target(replace(target, storage=chosen))

    def open_manager(self, manager: Any, target: OpenTarget | None = None) -> None:
        """Show an already-built ``PetClassManager`` (tests pass wrapped storages here)."""
        self._save_selection()
        if self._listing is not None:
            self._listing.cancel()
        self.manager = manager
        self.target = target
        self.classes = []
        self._history_for = None
        self.pointer_history.clear()
        self.model.clear()
        self.details.show_placeholder()
        self.details.diff.clear()
        self.details.show_history([])
        self.message_bar.dismiss()
        self._problems_shown = None
        self._cancel_safety_scan()
        self._set_watch([])
        self._watch_files_known = False
        self._expanded_once = False
        key = self._selection_key()
        self._restore_selection = str(QSettings().value(key, "")) if key else None
        if target is not None:
            self._remember(target)
        self.setWindowTitle(f"{self.display_name()} — petbrowser")
        self.stack.setCurrentWidget(self.splitter)
        self._update_actions()
        self.store_opened.emit()
        self.refresh()

    def display_name(self) -> str:
        project = getattr(self.manager, "project", None)
        if project is not None and getattr(project, "name", None):
            return str(project.name)
        storage = getattr(self.manager, "storage", None)
        return strip_userinfo(str(getattr(storage, "url", None) or (self.target.label if self.target else "store")))

    def close_store(self) -> None:
        self._save_selection()
        self._cancel_safety_scan()
        self.runner.cancel_all()
        self.manager = None
        self.target = None
        self.model.clear()
        self._set_watch([])
        self.pointer_history.clear()
        self.show_welcome()

    # ======================================================= listing etc.
    def refresh(self) -> None:
        """Reload the listing (incrementally) and then the local statuses."""
        manager = self.manager
        if manager is None:
            return
        if self._listing is not None:
            self._listing.cancel()
        self.summary_label.setText("Listing the store…")

        def work(ctx):
            return manager.list_classes(on_class=ctx.partial)

        pending: list[ClassInfo] = []
        task: list[Task | None] = [None]

        def partial(batch: list[ClassInfo]) -> None:
            if manager is not self.manager:
                return
            if not pending:
                QTimer.singleShot(0, apply_some)
            pending.extend(batch)

        def apply_some() -> None:
            # A few classes per event-loop turn: a large batch applied at once
            # would freeze the window for a noticeable moment.
            if manager is not self.manager or self._listing is not task[0]:
                pending.clear()
                return
            chunk = pending[:LISTING_CHUNK]
            del pending[:LISTING_CHUNK]
            self.model.upsert_classes(chunk)
            self._update_summary()
            if pending:
                QTimer.singleShot(0, apply_some)

        def done(classes: list[ClassInfo]) -> None:
            pending.clear()  # the complete listing carries them all
            if manager is not self.manager:
                return
            self.classes = list(classes)
            self.model.upsert_classes(self.classes)
            self.model.retain_classes({c.name for c in classes})
            self._report_problems(classes)
            self._after_listing()
            self._scan_safety(classes)

        def failed(exc: PetBrowserError) -> None:
            if manager is self.manager:
                self.summary_label.setText("Listing failed")
                self.show_error(exc, "Listing the store")

        self._listing = task[0] = self.runner.submit(
            work, label="Listing the store", on_result=done, on_partial=partial, on_error=failed
        )

    def _cancel_safety_scan(self) -> None:
        if self._safety_task is not None:
            self._safety_task.cancel()
            self._safety_task = None

    def _scan_safety(self, classes: list[ClassInfo]) -> None:
        """Walk the pickles that have no metadata (static, nothing is loaded)
        in the background and badge the unsafe ones as answers arrive."""
        self._cancel_safety_scan()
        manager = self.manager
        todo = [
            (c.name, v.hash)
            for c in classes
            for v in c.versions
            if not v.has_meta and not self.model.knows_flags(c.name, v.hash)
        ][:SAFETY_SCAN_LIMIT]
        if manager is None or not todo:
            return

        def work(ctx):
            for name, h in todo:
                ctx.check()
                try:
                    result = manager.inspect(name, h)
                except PetBrowserError:
                    continue  # shown when the user selects it
                python = (getattr(result, "describe", None) or {}).get("python_version")
                ctx.partial((name, h, bool(getattr(result, "unsafe", None)), getattr(result, "by_reference", None), python))
            return len(todo)

        def partial(batch: list) -> None:
            if manager is self.manager:
                for name, h, unsafe, by_ref, python in batch:
                    self.model.set_version_flags(name, h, unsafe=unsafe, by_reference=by_ref, python=python)

        def finished() -> None:
            if self._safety_task is task:
                self._safety_task = None

        task = self.runner.submit(
            work,
            label="Checking pickles without metadata",
            on_partial=partial,
            on_error=lambda exc: None,  # each version reports its own error when selected
            on_finished=finished,
        )
        self._safety_task = task

    def _report_problems(self, classes: list[ClassInfo]) -> None:
        """A corrupt pointer must not be only a small icon: say it once, non-modally."""
        bad = [c for c in classes if c.problems]
        key = tuple((c.name, tuple(c.problems)) for c in bad)
        if not bad or key == getattr(self, "_problems_shown", None):
            return
        self._problems_shown = key
        names = ", ".join(c.name for c in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        detail = "\n".join(f"{c.name}: {p}" for c in bad for p in c.problems)
        self.message_bar.show_message(
            f"{len(bad)} class{'es' if len(bad) != 1 else ''} of the store cannot be read fully: {names}.",
            level="warning",
            hint="The other classes work normally; 'petbrowser verify' checks every object.",
            detail=detail,
        )

    def _after_listing(self) -> None:
        if not self._expanded_once:
            self._expanded_once = True
            if self.model.rowCount() <= EXPAND_UP_TO:  # small stores: show every version at once
                self.tree.expandAll()
        self._update_summary()
        self._reselect()
        self._update_actions()
        self.listing_finished.emit()
        self.refresh_status()
        # keep the details of the current selection fresh (badges, history, diff)
        if self.tree.selectionModel().hasSelection():
            self._on_selection_changed()

    def _reselect(self) -> None:
        if self.tree.selectionModel().hasSelection():
            return
        want = self._restore_selection
        if not want:
            return
        name, _, h = want.partition("@")
        src = self.model.version_index(name, h) if h else self.model.class_index(name)
        if not src.isValid():
            return
        self._restore_selection = None
        self.select_index(src)

    def select_index(self, src: QModelIndex, extend: bool = False) -> None:
        """Select a source-model index (expanding its class)."""
        idx = self.proxy.mapFromSource(src)
        if not idx.isValid():
            return
        if idx.parent().isValid():
            self.tree.expand(idx.parent())
        flags = QItemSelectionModel.SelectionFlag.Rows
        flags |= QItemSelectionModel.SelectionFlag.Select if extend else QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.tree.selectionModel().select(idx, flags)
        self.tree.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.tree.scrollTo(idx)

    def refresh_status(self) -> None:
        """Hash the local modules (child process) and compare with the listing."""
        manager = self.manager
        project = getattr(manager, "project", None)
        if manager is None or project is None or not getattr(project, "modules", None):
            return
        if self._status_task is not None:
            self._status_again = True  # one more pass when the running one ends
            return
        classes = list(self.classes)
        need_files = not self._watch_files_known

        def work(ctx):
            files: list[str] = []
            if need_files:
                try:
                    files = [lc.file for lc in manager.scan() if getattr(lc, "file", None)]
                except PetBrowserError:
                    files = []
            return manager.check_status(classes=classes), files

        def done(result: tuple[list[StatusEntry], list[str]]) -> None:
            if manager is not self.manager:
                return
            entries, files = result
            self.model.set_statuses(entries)
            if need_files:
                self._watch_files_known = bool(files)
                self._set_watch(_module_files(project, files))
            self._update_summary()
            self._update_actions()
            self.statuses_updated.emit()

        def failed(exc: PetBrowserError) -> None:
            if manager is not self.manager:
                return
            if need_files and not self._watched:
                self._set_watch(_module_files(project, []))
            self.show_error(exc, "Checking local classes")

        def finished() -> None:
            self._status_task = None
            if self._status_again:
                self._status_again = False
                self.refresh_status()

        self._status_task = self.runner.submit(
            work, label="Checking local classes", on_result=done, on_error=failed, on_finished=finished
        )

    def _update_summary(self) -> None:
        statuses = list(self.model.statuses().values())
        n = len(self.model.class_names())
        parts = [f"{n} class{'es' if n != 1 else ''}"]
        for st, label in (("out_of_sync", "out of sync"), ("behind", "behind"), ("untracked", "untracked")):
            c = statuses.count(st)
            if c:
                parts.append(f"{c} {label}")
        broken = sum(1 for name in self.model.class_names() if (self.model.class_info(name) or _NO_INFO).problems)
        if broken:
            parts.append(f"{broken} with problems")
        where = strip_userinfo(str(getattr(getattr(self.manager, "storage", None), "url", "") or ""))
        self.summary_label.setText(" · ".join(parts) + (f"   —   {where}" if where else ""))

    # ============================================================ watching
    def _set_watch(self, files: list[str]) -> None:
        old = self.watcher.files() + self.watcher.directories()
        if old:
            self.watcher.removePaths(old)
        self._watched = {f: self._stat(f) for f in files}
        if files:
            self.watcher.addPaths([f for f in files if os.path.exists(f)])
            self.watcher.addPaths(sorted({str(Path(f).parent) for f in files}))

    @staticmethod
    def _stat(path: str) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def watched_files(self) -> list[str]:
        return sorted(self._watched)

    def _on_file_changed(self, path: str) -> None:
        # Editors that save by rename drop the watch: put it back.
        if path not in self.watcher.files() and os.path.exists(path):
            self.watcher.addPath(path)
        self._watched[path] = self._stat(path)
        self._debounce.start()

    def _on_dir_changed(self, _dir: str) -> None:
        changed = False
        for f, old in list(self._watched.items()):
            now = self._stat(f)
            if now != old:
                self._watched[f] = now
                changed = True
            if now is not None and f not in self.watcher.files():
                self.watcher.addPath(f)
        if changed:
            self._debounce.start()

    # =========================================================== selection
    def selected(self) -> list[tuple[str, str, str | None]]:
        """Selected rows as ``(kind, class name, hash)``, in selection order."""
        out = []
        for idx in self.tree.selectionModel().selectedRows(0):
            kind = idx.data(Role.KIND)
            out.append((kind, idx.data(Role.CLASS_NAME), idx.data(Role.HASH) if kind == "version" else None))
        return out

    def selected_version(self) -> tuple[str, str] | None:
        sel = [s for s in self.selected() if s[0] == "version"]
        if len(sel) == 1 and sel[0][2]:
            return sel[0][1], sel[0][2]
        cur = self.tree.currentIndex()
        if cur.isValid() and cur.data(Role.KIND) == "version" and len(self.selected()) <= 1:
            return cur.data(Role.CLASS_NAME), cur.data(Role.HASH)
        return None

    def _on_selection_changed(self) -> None:
        self._update_actions()
        sel = self.selected()
        self._detail_token += 1
        versions = [s for s in sel if s[0] == "version"]
        if len(versions) == 2 and versions[0][1] == versions[1][1] and len(sel) == 2:
            name = versions[0][1]
            a, b = versions[0][2], versions[1][2]
            # older on the left: the listing is newest first
            va = self.model.version_index(name, a).data(Role.VERSION)
            vb = self.model.version_index(name, b).data(Role.VERSION)
            older, newer = (b, a) if _is_older(vb, va) else (a, b)
            self._run_diff(name, older, newer)
            return
        if len(sel) != 1:
            return
        kind, name, h = sel[0]
        self._load_history(name)
        if kind == "class":
            self.details.show_class(name, self.model.class_info(name), self.model.status_entry(name))
            self.details_updated.emit("class")
        elif h:
            self._load_version(name, h)

    def _current(self, token: int) -> bool:
        return token == self._detail_token

    def _load_version(self, name: str, h: str) -> None:
        manager, token = self.manager, self._detail_token
        idx = self.model.version_index(name, h)
        version: VersionInfo | None = idx.data(Role.VERSION)
        if version is None:
            return
        self.details.show_loading(short_hash(h))

        def done(result: Any) -> None:
            unsafe = getattr(result, "unsafe", None)
            by_ref = getattr(result, "by_reference", None)
            python = (getattr(result, "describe", None) or {}).get("python_version")
            self.model.set_version_flags(name, h, unsafe=bool(unsafe), by_reference=by_ref, python=python)
            if not self._current(token):
                return
            badges = self.model.version_index(name, h).data(Role.BADGES) or []
            self.details.show_version(version, result, badges)
            self.details_updated.emit("version")

        self.runner.submit(
            lambda ctx: manager.inspect(name, h),
            label=f"Inspecting {name} {short_hash(h)}",
            on_result=done,
            on_error=lambda exc: self._current(token) and self.show_error(exc, f"Inspecting {name}"),
        )

    def _load_history(self, name: str) -> None:
        manager = self.manager
        if manager is None:
            return
        self._history_for = name

        def done(entries: list) -> None:
            if self._history_for == name and manager is self.manager:
                self.details.show_history(entries)
                self.details_updated.emit("history")

        self.runner.submit(
            lambda ctx: manager.history(name),
            label=f"Reading the history of {name}",
            on_result=done,
            on_error=lambda exc: self.show_error(exc, f"Reading the history of {name}"),
        )

    # ================================================================ diff
    def _run_diff(self, name: str, a: str, b: str) -> None:
        manager, token = self.manager, self._detail_token
        self.details.diff.clear(f"Comparing {name} {self._ref_label(a)} → {self._ref_label(b)}…")
        self.details.setCurrentIndex(DetailsPanel.DIFF)

        def work(ctx):
            from petbrowser.core.diff import diff_describe
            from petbrowser.core.inspection import describe_ref

            desc_a, label_a = describe_ref(manager, name, a)
            ctx.check()
            desc_b, label_b = describe_ref(manager, name, b)
            return desc_a, desc_b, label_a, label_b, diff_describe(
                desc_a, desc_b, a_label=label_a, b_label=label_b
            )

        def done(result: tuple) -> None:
            if not self._current(token):
                return
            self.details.show_diff(name, *result)
            self.details_updated.emit("diff")

        self.runner.submit(
            work,
            label=f"Comparing {name}",
            on_result=done,
            on_error=lambda exc: self._current(token) and self.show_error(exc, f"Comparing {name}"),
        )

    @staticmethod
    def _ref_label(ref: str) -> str:
        return ref if ref in ("latest", "local") else short_hash(ref)

    def compare_selected(self) -> None:
        versions = [s for s in self.selected() if s[0] == "version"]
        if len(versions) == 2 and versions[0][1] == versions[1][1]:
            self._detail_token += 1
            self._run_diff(versions[0][1], versions[0][2], versions[1][2])
        elif len(versions) == 1 and self.actions.compare_latest.isEnabled():
            self.compare_with("latest")
        elif len(versions) == 1 and self.actions.compare_local.isEnabled():
            self.compare_with("local")  # the latest itself: what differs locally is the question
        else:
            self.message_bar.show_message(
                "Select two versions of one class to compare them (ctrl-click the second one).", level="info"
            )

    def compare_with(self, ref: str) -> None:
        sel = self.selected_version()
        if sel is None:
            return
        self._detail_token += 1
        self._run_diff(sel[0], sel[1], ref)

    # ========================================================== operations
    def push_selected(self) -> None:
        """Push the selected local classes, or every class that is not synced."""
        manager = self.manager
        if manager is None:
            return
        names = []
        for kind, name, _ in self.selected():
            entry = self.model.status_entry(name)
            if kind == "class" and entry is not None and entry.status in PUSHABLE and name not in names:
                names.append(name)
        all_ = not names
        if all_ and not any(s in ("out_of_sync", "untracked") for s in self.model.statuses().values()):
            self.message_bar.show_message("Nothing to push: every local class is in the store.", level="info")
            return
        label = ", ".join(names) if names else "every out-of-sync class"

        def done(results: list) -> None:
            parts = [f"{r.name} {getattr(r, 'status', '')} {short_hash(getattr(r, 'hash', ''))}" for r in results]
            self.message_bar.show_message(
                "Pushed: " + ("; ".join(parts) if parts else "nothing to do"), level="info"
            )
            self.operation_finished.emit("push")
            self.refresh()

        self.runner.submit(
            lambda ctx: manager.push(names or None, all_=all_),
            label=f"Pushing {label}",
            on_result=done,
            on_error=lambda exc: (self.show_error(exc, "Pushing"), self.refresh()),
            cancellable=False,
        )

    def ask_pull_options(self, name: str, h: str) -> tuple[bool, str | None] | None:
        """Ask how to pull: ``(go, restore_dir)`` or None when cancelled."""
        box = QMessageBox(self)
        box.setWindowTitle("Pull — petbrowser")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(f"Pull {name} {short_hash(h)}?")
        box.setInformativeText(
            "petbrowser checks the snapshot's digest and rebuilds the class in a separate process "
            "of the project's interpreter; nothing is loaded into this window. You can also write "
            "the version's source into a folder of your project to review or reuse it."
        )
        pull_btn = box.addButton("Pull", QMessageBox.ButtonRole.AcceptRole)
        restore_btn = box.addButton("Pull and restore source…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(pull_btn)
        box.exec()
        clicked = box.clickedButton()
        if clicked is pull_btn:
            return True, None
        if clicked is restore_btn:
            project = getattr(self.manager, "project", None)
            start = str(getattr(project, "root", Path.home()))
            d = QFileDialog.getExistingDirectory(self, "Restore the source into", start)
            return (True, d) if d else None
        return None

    def confirm_unsafe(self, name: str, h: str, exc: UnsafePickleError) -> bool:
        """Explicit, informed yes before loading a flagged pickle."""
        box = QMessageBox(self)
        box.setWindowTitle("Unsafe version — petbrowser")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(f"{name} {short_hash(h)} cannot be verified as safe to load.")
        calls = ", ".join(exc.offending) if exc.offending else "(no digest to check)"
        box.setInformativeText(
            f"{exc.message}\n\nLoading runs code from the store in a child process of your "
            f"project's interpreter, with your permissions. It would call: {calls}.\n\n"
            "Load it only if you trust whoever pushed it."
        )
        load = box.addButton("Load anyway", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is load

    def pull_selected(self) -> None:
        sel = self.selected_version()
        if sel is None or self.manager is None:
            return
        choice = self.ask_pull_options(*sel)
        if choice is None:
            return
        self._run_pull(sel[0], sel[1], choice[1], allow_unsafe=False)

    def _run_pull(self, name: str, h: str, restore_dir: str | None, *, allow_unsafe: bool) -> None:
        manager = self.manager

        def done(result: Any) -> None:
            lines = [f"Pulled {name} {short_hash(h)}"]
            if getattr(result, "verified", False):
                lines.append("digest verified")
            methods = getattr(result, "methods", None)
            if methods is not None:
                lines.append(f"{len(methods)} methods rebuilt")
            restored = getattr(result, "restored_path", None)
            if restored:
                lines.append(f"source written to {restored}")
            warnings = list(getattr(result, "warnings", []) or [])
            self.message_bar.show_message(
                ", ".join(lines), level="warning" if warnings else "info", detail="\n".join(warnings)
            )
            self.operation_finished.emit("pull")

        def failed(exc: PetBrowserError) -> None:
            if isinstance(exc, UnsafePickleError) and not allow_unsafe:
                if self.confirm_unsafe(name, h, exc):
                    self._run_pull(name, h, restore_dir, allow_unsafe=True)
                    return
            self.show_error(exc, f"Pulling {name}")

        self.runner.submit(
            lambda ctx: manager.pull(name, h, restore_dir=restore_dir, allow_unsafe=allow_unsafe),
            label=f"Pulling {name} {short_hash(h)}",
            on_result=done,
            on_error=failed,
            cancellable=False,
        )

    def confirm_move(self, dialog: ConfirmMoveDialog) -> bool:
        """Show the make-latest confirmation (tests replace this)."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def make_selected_latest(self) -> None:
        sel = self.selected_version()
        if sel is None or self.manager is None:
            return
        self.make_latest(*sel)

    def make_latest(self, name: str, to_hash: str) -> None:
        """Confirm (with the diff summary), then move latest through the undo stack."""
        manager = self.manager
        info = self.model.class_info(name)
        from_hash = info.latest if info else None
        if from_hash == to_hash:
            self.message_bar.show_message(f"{short_hash(to_hash)} is already the latest of {name}.")
            return
        versions = {v.hash: v for v in (info.versions if info else ())}
        backwards = _is_older(versions.get(to_hash), versions.get(from_hash or ""))

        def ask(class_diff: Any, error: str | None) -> None:
            if manager is not self.manager:
                return
            from petbrowser.gui.confirm_move import ConfirmMoveDialog

            dlg = ConfirmMoveDialog(
                name, from_hash, to_hash,
                from_version=versions.get(from_hash or ""), to_version=versions.get(to_hash),
                class_diff=class_diff, diff_error=error, backwards=backwards, parent=self,
            )
            if self.confirm_move(dlg):
                self.pointer_history.move(name, from_hash, to_hash, action="rollback")

        if from_hash is None:
            ask(None, "the class has no latest pointer yet")
            return
        self.runner.submit(
            lambda ctx: manager.diff(name, from_hash, to_hash),
            label=f"Comparing {name}",
            on_result=lambda d: ask(d, None),
            on_error=lambda exc: ask(None, exc.message),
        )

    def _on_pointer_moved(self, name: str) -> None:
        self.operation_finished.emit("move")
        self.refresh()

    def _on_conflict(self, exc: PetBrowserError) -> None:
        self.show_error(exc, "Moving latest")
        self.refresh()

    def copy_hash(self) -> None:
        sel = self.selected_version()
        if sel is not None:
            QGuiApplication.clipboard().setText(sel[1])
            self.statusBar().showMessage(f"Copied {sel[1]}", 3000)

    # ============================================================ the rest
    def show_error(self, exc: BaseException, context: str = "") -> None:
        self.message_bar.show_error(exc, context)
        self.error_shown.emit(exc)

    def _on_filter(self, _text: str) -> None:
        if self.model.rowCount() > FILTER_DEBOUNCE_FROM:
            self._filter_timer.start()  # large store: filter once typing pauses
        else:
            self._apply_filter()

    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        text = self.filter_edit.text().strip()
        if text == self.proxy.filterRegularExpression().pattern() and not text:
            return
        large = self.model.rowCount() > EXPAND_UP_TO
        if large:
            # Rows coming back under expanded parents cost QTreeView a relayout
            # each (seconds on a 300-class store): re-filter collapsed.
            self.tree.collapseAll()
        self.proxy.setFilterFixedString(text)
        if (text and self.proxy.rowCount() <= FILTER_EXPAND_UP_TO) or (not text and not large):
            self.tree.expandAll()
        sel = self.tree.selectionModel().selectedRows(0)
        if sel:
            self.tree.scrollTo(sel[0])

    def _focus_tree(self) -> None:
        """Enter in the filter box: go to the first match, keyboard in the tree."""
        if self._filter_timer.isActive():
            self._apply_filter()
        self.tree.setFocus()
        if not self.tree.selectionModel().hasSelection() and self.proxy.rowCount() > 0:
            first = self.proxy.index(0, 0)
            self.tree.setCurrentIndex(first)

    def _open_details(self, _index: QModelIndex) -> None:
        """Enter on a version: keyboard into the details (Shift+Tab comes back)."""
        page = self.details.currentWidget()
        (page.focusProxy() or page).setFocus(Qt.FocusReason.OtherFocusReason)

    def _context_menu(self, global_pos) -> None:
        a = self.actions
        menu = QMenu(self)
        sel = self.selected()
        versions = [s for s in sel if s[0] == "version"]
        if len(versions) == 2:
            menu.addAction(a.compare_selected)
        elif versions:
            menu.addActions([a.compare_latest, a.compare_local])
            menu.addSeparator()
            menu.addActions([a.make_latest, a.pull, a.copy_hash])
        if any(k == "class" for k, _, _ in sel):
            menu.addAction(a.push)
        menu.addSeparator()
        menu.addAction(a.refresh)
        menu.popup(global_pos)
        self._menu = menu  # keep it alive while shown

    def _update_actions(self) -> None:
        a = self.actions
        has_store = self.manager is not None
        for act in a.store_actions():
            act.setEnabled(has_store)
        if not has_store:
            a.undo.setEnabled(False)
            a.redo.setEnabled(False)
            return
        project = getattr(self.manager, "project", None)
        sel = self.selected()
        versions = [s for s in sel if s[0] == "version"]
        one_version = self.selected_version()
        a.pull.setEnabled(one_version is not None)
        latest = None
        if one_version is not None:
            info = self.model.class_info(one_version[0])
            latest = info.latest if info else None
        a.make_latest.setEnabled(one_version is not None and one_version[1] != latest)
        a.compare_latest.setEnabled(one_version is not None and one_version[1] != latest)
        a.compare_local.setEnabled(
            one_version is not None and project is not None
            and self.model.status_entry(one_version[0]) is not None
            and self.model.status_entry(one_version[0]).status != "remote_only"
        )
        a.compare_selected.setEnabled(len(versions) in (1, 2))
        a.copy_hash.setEnabled(one_version is not None)
        a.push.setEnabled(project is not None and bool(getattr(project, "modules", None)))
        busy = self.pointer_history.busy
        try:
            can_undo, can_redo = self.pointer_history.stack.canUndo(), self.pointer_history.stack.canRedo()
        except RuntimeError:  # the stack is being destroyed with the window
            return
        a.undo.setEnabled(can_undo and not busy)
        a.redo.setEnabled(can_redo and not busy)

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About petbrowser",
            f"<h3>petbrowser {__version__}</h3><p>Browse, compare and roll back the class versions "
            "of a LabChain class store. Nothing from the store is executed just because you browse it.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        self.runner.shutdown(3000)
        super().closeEvent(event)

    def wait_idle(self, timeout_ms: int = 30000) -> bool:
        """Block (processing nothing) until the pool is idle: for scripts, not the UI."""
        return self.runner.pool.waitForDone(timeout_ms)
