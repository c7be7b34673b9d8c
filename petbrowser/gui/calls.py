"""How a command's one manager call runs on a worker, and the calls the model layers make.

:class:`Command` is the worker half of every user action (``commands.py``
adds what the UI thread does before and after); :class:`CommandRunner` runs
it on the task pool against the manager of the moment.  The session (listing,
statuses, safety badges) and the undo history (pointer moves) run the
commands defined here, so neither depends on the user-action layer above.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from petbrowser.core.errors import PetBrowserError
from petbrowser.core.models import ClassInfo, VersionFlags
from petbrowser.gui.workers import Task, TaskContext, TaskRunner

if TYPE_CHECKING:
    from petbrowser.core.manager import HistoryEntry, LocalStatus, PetClassManager

__all__ = [
    "CheckPicklesCommand",
    "Command",
    "CommandRunner",
    "ListClassesCommand",
    "LocalStatusCommand",
    "MoveLatestCommand",
]


class Command:
    """One user action.  ``run`` is the worker half: exactly one manager call."""

    #: What the status bar says while it runs.
    label = ""
    #: Whether Esc may drop its answer (a push or a move either happens or not: never).
    cancellable = True
    #: Whether it acts on the open store (its answer is dropped if another store was opened).
    needs_manager = True

    def run(self, manager: PetClassManager | None, ctx: TaskContext) -> Any:
        raise NotImplementedError


class CommandRunner(QObject):
    """Runs commands on the task pool against the manager of the moment.

    An answer computed for a manager that is no longer open (the user opened
    another store meanwhile) is dropped, so no command has to check.
    """

    def __init__(
        self, tasks: TaskRunner, manager: Callable[[], PetClassManager | None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._manager = manager

    def execute(
        self,
        cmd: Command,
        *,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[PetBrowserError], None] | None = None,
        on_partial: Callable[[list], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> Task | None:
        manager = self._manager() if cmd.needs_manager else None
        if cmd.needs_manager and manager is None:
            return None

        def current(fn: Callable[..., None] | None) -> Callable[..., None] | None:
            if fn is None or not cmd.needs_manager:
                return fn
            return lambda *args: fn(*args) if self._manager() is manager else None

        return self.tasks.submit(
            lambda ctx: cmd.run(manager, ctx),
            label=cmd.label,
            on_result=current(on_result),
            on_error=current(on_error),
            on_partial=current(on_partial),
            on_finished=on_finished,
            cancellable=cmd.cancellable,
        )


class ListClassesCommand(Command):
    """Every class and version of the store, streamed class by class (``on_partial``)."""

    label = "Listing the store"

    #: How long the reads wait for the provisional tree to be drawn, at most.
    SHOWN_WAIT_S = 2.0
    #: Handed over (as a partial result) once every provisional class is: the
    #: window then knows the tree it draws is the whole one, and sets ``shown``.
    HANDED_OVER = "provisional classes handed over"

    def __init__(self, shown: threading.Event | None = None) -> None:
        #: Set by the window once the classes handed over so far are on screen.
        self.shown = shown

    def run(self, manager: PetClassManager, ctx: TaskContext) -> list[ClassInfo]:
        # provisional: a first open shows the whole tree at once, details filling in;
        # the reads wait (without the interpreter lock) until that tree is drawn
        shown = self.shown

        def wait() -> None:
            assert shown is not None
            ctx.partial(self.HANDED_OVER)  # what the window has is all it gets before the reads
            deadline = time.monotonic() + self.SHOWN_WAIT_S
            while not shown.wait(0.05) and time.monotonic() < deadline:
                ctx.check()  # a listing dropped meanwhile (window closed, store changed) ends here

        return manager.list_classes(
            on_class=ctx.partial, provisional=True, before_reads=wait if shown is not None else None
        )


class LocalStatusCommand(Command):
    """The local classes against the listing, in one child process."""

    label = "Checking local classes"

    def __init__(self, classes: list[ClassInfo]) -> None:
        self.classes = classes

    def run(self, manager: PetClassManager, ctx: TaskContext) -> LocalStatus:
        return manager.local_status(classes=self.classes)


class CheckPicklesCommand(Command):
    """Walk pickles without metadata statically; one :class:`VersionFlags` per version, as found."""

    label = "Checking pickles without metadata"

    def __init__(self, versions: list[tuple[str, str]]) -> None:
        self.versions = versions

    def run(self, manager: PetClassManager, ctx: TaskContext) -> list[VersionFlags]:
        return manager.check_pickles(self.versions, on_flags=ctx.partial)


class MoveLatestCommand(Command):
    """Move ``latest`` by compare-and-swap against the hash the caller last saw."""

    cancellable = False  # a move either happens or not; never drop its answer

    def __init__(self, name: str, to_hash: str, expected: str | None, action: str) -> None:
        self.name, self.to_hash, self.expected, self.action = name, to_hash, expected, action
        self.label = f"Moving latest of {name}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> HistoryEntry:
        return manager.move_latest(self.name, self.to_hash, expected=self.expected, action=self.action)
