"""The store (and project) open in the window: its manager, its tree model, its freshness.

The session is the window's model layer (git-cola's ``cola/models``): it
keeps the ``ClassTreeModel`` in step with the store (a streamed listing, the
local statuses, the static safety badges) and re-checks the statuses when a
module file is saved.  It knows no widget; the window renders what it emits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from petbrowser.core.errors import PetBrowserError
from petbrowser.core.models import ClassInfo, VersionFlags
from petbrowser.gui.calls import (
    CheckPicklesCommand,
    CommandRunner,
    ListClassesCommand,
    LocalStatusCommand,
)
from petbrowser.gui.class_tree import ClassTreeModel
from petbrowser.gui.file_watcher import ModuleWatcher
from petbrowser.gui.live_updates import LiveUpdates
from petbrowser.gui.open_target import OpenTarget, strip_userinfo
from petbrowser.gui.workers import Task, TaskRunner

if TYPE_CHECKING:
    from petbrowser.core.manager import LocalStatus, PetClassManager

__all__ = ["Session"]

#: Classes of a streamed listing applied per event-loop turn.  Each turn
#: costs the tree a relayout and a repaint (~45 ms), while adding 500 classes
#: to the model costs ~2 ms (class_tree.py): 40 per turn spent 1.6 s of a
#: 1,000-class fill on repaints, 500 spends 0.1 s (docs/performance.md).
LISTING_CHUNK = 500
#: How long details for classes already on screen gather before they are applied.
DETAILS_COALESCE_MS = 400
#: Versions without metadata (LabChain's) checked for unsafe calls after a
#: listing, so the "unsafe" badge shows before anyone selects the version.
SAFETY_SCAN_LIMIT = 500


class Session(QObject):
    """Signals: ``opened``, ``listing_finished``, ``statuses_updated``,
    ``summary_changed(text)``, ``error(exc, context)``,
    ``problems(text, hint, detail)`` (classes the store cannot read fully),
    ``store_changed(changes)`` (others pushed or moved: the listing is refreshed
    in place right after)."""

    opened = Signal()
    closing = Signal()  # the open store is about to be replaced or closed (target still set)
    closed = Signal()
    listing_finished = Signal()
    listing_failed = Signal()
    statuses_updated = Signal()
    summary_changed = Signal(str)
    error = Signal(object, str)
    problems = Signal(str, str, str)
    store_changed = Signal(object)  # list[StoreChange] made by others

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager: PetClassManager | None = None
        self.target: OpenTarget | None = None
        self.classes: list[ClassInfo] = []
        self.commands = CommandRunner(tasks, lambda: self.manager, self)
        self.model = ClassTreeModel(self)
        self.watcher = ModuleWatcher(self)
        self.watcher.changed.connect(self.refresh_status)
        self.live = LiveUpdates(self.commands, self)
        self.live.changed.connect(self._on_store_changed)
        self.live.set_busy_check(lambda: self._listing is not None and self._listing in self.commands.tasks.active)
        self._listing: Task | None = None
        self._status_task: Task | None = None
        self._status_again = False
        self._files_known = False
        self._safety: Task | None = None
        self._problems_shown: tuple | None = None
        #: Runs work that may wait until the listing is on screen (the window
        #: passes one that waits for the tree's next paint): the next turn by default.
        self.after_shown: Callable[[Callable[[], None]], None] = lambda work: QTimer.singleShot(0, self, work)

    # ------------------------------------------------------------ open/close
    @property
    def has_modules(self) -> bool:
        return self.manager is not None and self.manager.has_modules

    def open(self, manager: PetClassManager, target: OpenTarget | None = None) -> None:
        """Show an already-built manager: forget the old store, list the new one."""
        self._stop()
        self.manager, self.target = manager, target
        self.opened.emit()
        self.refresh()
        self.live.start(manager)

    def close(self) -> None:
        self._stop()
        self.commands.tasks.cancel_all()
        self.manager = self.target = None
        self.closed.emit()

    def _stop(self) -> None:
        if self.manager is not None:
            self.closing.emit()
        self.live.stop()
        for task in (self._listing, self._safety):
            if task is not None:
                task.cancel()
        self._listing = self._safety = None
        self.classes = []
        self.model.clear()
        self.watcher.clear()
        self._files_known = False
        self._problems_shown = None

    @property
    def name(self) -> str:
        """The window title's name: the project's, else the store's URL."""
        if self.manager is not None and self.manager.name:
            return strip_userinfo(self.manager.name)
        return self.target.label if self.target else "store"

    def _on_store_changed(self, changes: list) -> None:
        """Others changed the store: say what, then relist in place (selection and expansion stay)."""
        self.store_changed.emit(changes)
        self.refresh()

    # --------------------------------------------------------------- listing
    def refresh(self) -> None:
        """Reload the listing (incrementally, as classes are read), then the statuses."""
        if self.manager is None:
            return
        if self._listing is not None:
            self._listing.cancel()
        pending: list[ClassInfo] = []
        task: list[Task | None] = [None]
        # Set once what the listing handed over so far is on screen: its reads wait
        # for it (ListClassesCommand), so they do not compete with drawing the tree.
        shown = threading.Event()
        handed_over = [False]  # every provisional class is on its way: the next paint shows them all

        def partial(batch: list[ClassInfo | str]) -> None:
            if ListClassesCommand.HANDED_OVER in batch:
                handed_over[0] = True
                batch = [c for c in batch if c != ListClassesCommand.HANDED_OVER]
                if not batch and not pending:
                    apply_some()  # all of them are in the model already: wait for their paint
                    return
            if not pending:
                # Classes already shown (a first open's provisional tree) take their
                # details in bulk a little later: one layout change per batch
                # (ClassTreeModel._update_in_place), not one row change per class.
                on_screen = all(self.model.has_class(c.name) for c in batch)
                QTimer.singleShot(DETAILS_COALESCE_MS if on_screen else 0, self, apply_some)
            pending.extend(batch)

        def apply_some() -> None:
            # A few classes per event-loop turn: a large batch applied at once
            # would freeze the window for a noticeable moment.
            if self._listing is not task[0] or task[0] is None:
                pending.clear()
                return
            chunk = pending[:LISTING_CHUNK]
            del pending[:LISTING_CHUNK]
            if chunk:
                self.model.upsert_classes(chunk)
                self.summary_changed.emit(self.summary())
            if pending:
                QTimer.singleShot(0, self, apply_some)
            elif handed_over[0] and not shown.is_set():
                # Only now: set earlier (the window caught up with a listing still
                # handing classes over), the reads started beside the last of them
                # and held up drawing the tree by up to a second.
                self.after_shown(shown.set)

        def done(classes: list[ClassInfo]) -> None:
            shown.set()
            pending.clear()  # the complete listing carries them all
            self.classes = list(classes)
            self.model.upsert_classes(self.classes)
            self.model.retain_classes({c.name for c in classes})
            self._report_problems(classes)
            self.summary_changed.emit(self.summary())
            self.listing_finished.emit()
            self.refresh_status()
            self._scan_safety(classes)
            # a poll skipped while listing (the first: the baseline), once the tree shows it:
            # a poll walks the whole store
            self.after_shown(self.live.resume)

        def failed(exc: PetBrowserError) -> None:
            shown.set()
            self.summary_changed.emit("Listing failed")
            self.error.emit(exc, "Listing the store")
            self.listing_failed.emit()

        self._listing = task[0] = self.commands.execute(
            ListClassesCommand(shown), on_result=done, on_partial=partial, on_error=failed
        )

    def _report_problems(self, classes: list[ClassInfo]) -> None:
        """A corrupt pointer must not be only a small icon: say it once, non-modally."""
        bad = [c for c in classes if c.problems]
        key = tuple((c.name, tuple(c.problems)) for c in bad)
        if not bad or key == self._problems_shown:
            return
        self._problems_shown = key
        names = ", ".join(c.name for c in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        self.problems.emit(
            f"{len(bad)} class{'es' if len(bad) != 1 else ''} of the store cannot be read fully: {names}.",
            "The other classes work normally; 'petbrowser verify' checks every object.",
            "\n".join(f"{c.name}: {p}" for c in bad for p in c.problems),
        )

    def _scan_safety(self, classes: list[ClassInfo]) -> None:
        """Walk the pickles that have no metadata (static, nothing is loaded) in
        the background and badge the unsafe ones as answers arrive."""
        if self._safety is not None:
            self._safety.cancel()
        todo = [
            (c.name, v.hash)
            for c in classes
            for v in c.versions
            if not v.has_meta and not self.model.knows_flags(c.name, v.hash)
        ][:SAFETY_SCAN_LIMIT]
        if not todo:
            return

        def partial(batch: list[VersionFlags]) -> None:
            for f in batch:
                self.model.set_version_flags(
                    f.class_name, f.hash, unsafe=f.unsafe, by_reference=f.by_reference, python=f.python
                )

        def finished() -> None:
            if self._safety is task:
                self._safety = None

        # each version reports its own error when selected
        task = self.commands.execute(
            CheckPicklesCommand(todo), on_partial=partial, on_error=lambda exc: None, on_finished=finished
        )
        self._safety = task

    # -------------------------------------------------------------- statuses
    def refresh_status(self) -> None:
        """Hash the local modules (child process) and compare with the listing.

        Runs again when a watched file changed while it ran (a save during the
        check), so what the tree shows after the last save is what
        ``petbrowser status`` prints for that file.
        """
        if not self.has_modules:
            return
        if self._status_task is not None:
            self._status_again = True  # one more pass when the running one ends
            return
        before = self.watcher.snapshot()

        def done(status: LocalStatus) -> None:
            self.model.set_statuses(list(status.entries))
            self._files_known = bool(status.files)
            self.watcher.set_files(list(status.files))
            if self.watcher.changed_since(before):
                self._status_again = True
            self.summary_changed.emit(self.summary())
            self.statuses_updated.emit()

        def failed(exc: PetBrowserError) -> None:
            if not self._files_known and self.manager is not None:
                self.watcher.set_files(list(self.manager.module_files()))  # watch for the fix
            self.error.emit(exc, "Checking local classes")

        def finished() -> None:
            self._status_task = None
            if self._status_again:
                self._status_again = False
                self.refresh_status()

        self._status_task = self.commands.execute(
            LocalStatusCommand(list(self.classes)), on_result=done, on_error=failed, on_finished=finished
        )

    # --------------------------------------------------------------- summary
    def summary(self) -> str:
        """"5 classes · 1 out of sync · 1 behind — <store>" for the status bar."""
        statuses = list(self.model.statuses().values())
        names = self.model.class_names()
        parts = [f"{len(names)} class{'es' if len(names) != 1 else ''}"]
        for st, label in (
            ("out_of_sync", "out of sync"), ("behind", "behind"), ("ahead", "ahead"), ("untracked", "untracked")
        ):
            c = statuses.count(st)
            if c:
                parts.append(f"{c} {label}")
        broken = sum(1 for n in names if (info := self.model.class_info(n)) is not None and info.problems)
        if broken:
            parts.append(f"{broken} with problems")
        where = strip_userinfo(self.manager.store_url) if self.manager is not None else ""
        return " · ".join(parts) + (f"   —   {where}" if where else "")
