"""Undoable pointer moves: ``QUndoCommand`` + the controller that runs them.

A move of ``latest`` is a network call, so it cannot run inside
``QUndoCommand.redo()`` on the UI thread, and it can fail (someone else moved
the pointer).  The store is therefore moved first, in a worker, by
:meth:`MoveLatestCommand.apply_redo` / :meth:`apply_undo`; only when that
succeeded does :class:`PointerHistory` step the ``QUndoStack``, whose
``redo()``/``undo()`` are pure bookkeeping.  A lost compare-and-swap leaves the
stack where it was: nothing is overwritten, the view is refreshed, and the
user is told why.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from petbrowser.core.errors import ConflictError, PetBrowserError
from petbrowser.core.models import HistoryEntry
from petbrowser.gui.workers import TaskRunner

__all__ = ["MoveLatestCommand", "PointerHistory"]


class MoveLatestCommand(QUndoCommand):
    """Move ``name``'s latest from ``from_hash`` to ``to_hash`` (and back).

    Each direction is a compare-and-swap against the hash the other direction
    set, so an undo never clobbers a move somebody else made in between.
    """

    def __init__(self, name: str, from_hash: str | None, to_hash: str, action: str = "rollback") -> None:
        super().__init__(f"Make {to_hash[:10]} latest of {name}")
        self.name = name
        self.from_hash = from_hash
        self.to_hash = to_hash
        self.action = action
        self._pushed = False

    # Blocking core calls, run on a worker thread.
    def apply_redo(self, manager) -> HistoryEntry:
        action = "redo" if self._pushed else self.action
        return manager.move_latest(self.name, self.to_hash, expected=self.from_hash, action=action)

    def apply_undo(self, manager) -> HistoryEntry:
        if self.from_hash is None:
            raise PetBrowserError(f"cannot undo: {self.name} had no latest pointer before")
        return manager.move_latest(self.name, self.from_hash, expected=self.to_hash, action="undo")

    # Bookkeeping only: the store was already moved by apply_*.
    def redo(self) -> None:
        self._pushed = True

    def undo(self) -> None:
        pass


class PointerHistory(QObject):
    """Runs pointer moves in workers and keeps a ``QUndoStack`` in step.

    ``moved(name)`` after any successful move, ``failed(error)`` on failure,
    ``conflict(error)`` when the pointer had moved under us.
    """

    moved = Signal(str)
    failed = Signal(object)
    conflict = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, runner: TaskRunner, manager: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._manager = manager
        self.stack = QUndoStack(self)
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_changed.emit(busy)

    def _run(self, fn, label: str, on_ok: Callable[[HistoryEntry], None]) -> None:
        if self._busy:
            self.failed.emit(PetBrowserError("another pointer move is still running; try again in a moment"))
            return
        manager = self._manager()
        if manager is None:
            return
        self._set_busy(True)

        def done(entry: HistoryEntry) -> None:
            on_ok(entry)
            self.moved.emit(entry.class_name or label)

        def error(exc: PetBrowserError) -> None:
            if isinstance(exc, ConflictError):
                self.conflict.emit(exc)
            else:
                self.failed.emit(exc)

        self.runner.submit(
            lambda ctx: fn(manager),
            label=label,
            on_result=done,
            on_error=error,
            on_finished=lambda: self._set_busy(False),
            cancellable=False,  # a move either happens or not; never drop its answer
        )

    def move(self, name: str, from_hash: str | None, to_hash: str, action: str = "rollback") -> None:
        """Make ``to_hash`` latest, expecting the pointer to still be ``from_hash``."""
        cmd = MoveLatestCommand(name, from_hash, to_hash, action)
        self._run(cmd.apply_redo, f"Moving latest of {name}", lambda e: self.stack.push(cmd))

    def undo(self) -> None:
        idx = self.stack.index()
        if idx <= 0:
            return
        cmd = self.stack.command(idx - 1)
        assert isinstance(cmd, MoveLatestCommand)
        self._run(cmd.apply_undo, f"Undoing move of {cmd.name}", lambda e: self.stack.undo())

    def redo(self) -> None:
        idx = self.stack.index()
        if idx >= self.stack.count():
            return
        cmd = self.stack.command(idx)
        assert isinstance(cmd, MoveLatestCommand)
        self._run(cmd.apply_redo, f"Redoing move of {cmd.name}", lambda e: self.stack.redo())

    def clear(self) -> None:
        """Forget the stack (another store was opened)."""
        self.stack.clear()
