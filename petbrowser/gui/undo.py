"""Undo and redo of ``latest`` moves, one history per class, named and scoped.

Scope (the decision, README "Undo"): undo is **per class**.  Each class has
its own ``QUndoStack``; Ctrl+Z undoes the last move of the class selected in
the tree (a class row or one of its versions), and nothing else.  With no
class selected, it falls back to the class moved most recently — and the
menu text, the tooltip and the message bar all name that class, so no
pointer moves without the user being told which.  A class whose history is
empty disables Undo, and the tooltip says why.

Every entry says exactly what will move: "Undo roll forward of
ThresholdFilter to 3fa2c1d4e5f6" (undoing moves latest back to the hash it
had).  A move of the store is a network call that can lose a
compare-and-swap, so it runs on a worker first (``MoveLatestCommand``) and
the stack is stepped only after it succeeded: the stack's own
``redo()``/``undo()`` are bookkeeping.  A lost race leaves the stack where it
was, overwrites nothing, and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from petbrowser.core.errors import ConflictError, PetBrowserError
from petbrowser.core.models import HistoryEntry, short_hash
from petbrowser.gui.calls import CommandRunner, MoveLatestCommand

__all__ = ["Move", "PointerMove", "UndoHistory"]


@dataclass(frozen=True)
class Move:
    """One move of a class's ``latest`` made from this window.

    ``kind`` names it for people: "push", "roll back", "roll forward", "move".
    The store records a push as ``push`` and any other deliberate move as
    ``rollback`` (DESIGN's history actions).
    """

    name: str
    from_hash: str | None
    to_hash: str
    kind: str = "move"

    @property
    def text(self) -> str:
        return f"{self.kind} of {self.name} to {short_hash(self.to_hash)}"

    @property
    def action(self) -> str:
        return "push" if self.kind == "push" else "rollback"


class PointerMove(QUndoCommand):
    """A move on a class's stack.  Bookkeeping only: the store moved already."""

    def __init__(self, move: Move) -> None:
        super().__init__(move.text)
        self.move = move

    def redo(self) -> None:
        pass

    def undo(self) -> None:
        pass


class UndoHistory(QObject):
    """The per-class stacks, which class Ctrl+Z acts on, and the moves themselves.

    Signals: ``changed()`` when what undo/redo would do changed;
    ``moved(name, text)`` after a move landed (text for the message bar);
    ``failed(error)``; ``conflict(error)`` when the pointer had moved under us.
    """

    changed = Signal()
    moved = Signal(str, str)
    failed = Signal(object)
    conflict = Signal(object)

    def __init__(self, commands: CommandRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.commands = commands
        self._stacks: dict[str, QUndoStack] = {}
        self._recent: list[str] = []  # classes, most recently moved last
        self._scope: str | None = None
        self._busy = False

    # ------------------------------------------------------------ state
    @property
    def scope(self) -> str | None:
        """The class the user is looking at (None: nothing selected)."""
        return self._scope

    def set_scope(self, name: str | None) -> None:
        if name != self._scope:
            self._scope = name
            self.changed.emit()

    def stack(self, name: str) -> QUndoStack:
        """The class's own undo stack (created empty on first use)."""
        if name not in self._stacks:  # every step goes through _touch, which says "changed"
            self._stacks[name] = QUndoStack(self)
        return self._stacks[name]

    def _target(self, redo: bool) -> str | None:
        def able(name: str) -> bool:
            st = self._stacks.get(name)
            return st is not None and (st.canRedo() if redo else st.canUndo())

        if self._scope is not None:
            return self._scope if able(self._scope) else None
        return next((n for n in reversed(self._recent) if able(n)), None)

    def undo_target(self) -> str | None:
        """The class Ctrl+Z would move now."""
        return self._target(redo=False)

    def redo_target(self) -> str | None:
        return self._target(redo=True)

    def can_undo(self) -> bool:
        return not self._busy and self.undo_target() is not None

    def can_redo(self) -> bool:
        return not self._busy and self.redo_target() is not None

    def _text(self, redo: bool) -> str:
        name = self._target(redo)
        if name is None:
            return ""
        st = self.stack(name)
        return f"Redo {st.redoText()}" if redo else f"Undo {st.undoText()}"

    def undo_text(self) -> str:
        """"Undo roll back of X to 3fa2c1…", or "" when there is nothing to undo."""
        return self._text(redo=False)

    def redo_text(self) -> str:
        return self._text(redo=True)

    def _tip(self, redo: bool) -> str:
        """The tooltip: what moves, to where, and why nothing would when disabled."""
        verb = "redo" if redo else "undo"
        name = self._target(redo)
        if name is None:
            if self._scope is not None:
                return f"Nothing to {verb} for {self._scope}: {verb} follows the selected class"
            return f"Nothing to {verb}"
        move = self._top(name, redo)
        where = short_hash(move.to_hash if redo else move.from_hash)
        note = "" if name == self._scope else " (the class moved last: nothing is selected)"
        return f"{self._text(redo)}: latest of {name} goes {'to' if redo else 'back to'} {where}{note}"

    def undo_tip(self) -> str:
        return self._tip(redo=False)

    def redo_tip(self) -> str:
        return self._tip(redo=True)

    def _top(self, name: str, redo: bool) -> Move:
        st = self.stack(name)
        cmd = st.command(st.index() if redo else st.index() - 1)
        assert isinstance(cmd, PointerMove)
        return cmd.move

    # ------------------------------------------------------------ moves
    def record(self, move: Move) -> None:
        """A move already made in the store (a push): undoable from now on."""
        self.stack(move.name).push(PointerMove(move))
        self._touch(move.name)

    def move(self, move: Move) -> None:
        """Make the move (compare-and-swap against ``move.from_hash``), then record it."""
        cmd = MoveLatestCommand(move.name, move.to_hash, move.from_hash, move.action)
        past = {"roll back": "Rolled back", "roll forward": "Rolled forward"}.get(move.kind, "Moved")
        text = (
            f"{past} {move.name} to {short_hash(move.to_hash)} "
            f"(was {short_hash(move.from_hash) or 'no pointer'}; Ctrl+Z moves it back)"
        )
        self._run(cmd, lambda: self.record(move), text)

    def undo(self) -> None:
        """Move the scoped class's latest back to where its last move found it (CAS)."""
        self._step(redo=False)

    def redo(self) -> None:
        self._step(redo=True)

    def _step(self, redo: bool) -> None:
        name = self._target(redo)
        if name is None:
            return
        move = self._top(name, redo)
        if not redo and move.from_hash is None:
            self.failed.emit(PetBrowserError(f"cannot undo: {name} had no latest pointer before"))
            return
        if redo:
            cmd = MoveLatestCommand(name, move.to_hash, move.from_hash, "redo")
            text = f"Redid {move.text}"
        else:
            cmd = MoveLatestCommand(name, str(move.from_hash), move.to_hash, "undo")
            text = f"Undid {move.text}: latest of {name} is {short_hash(move.from_hash)} again"
        if name != self._scope:
            verb = "redo" if redo else "undo"
            text += f" ({name} was not selected: with nothing selected, {verb} follows the class moved last)"
        stack = self.stack(name)
        self._run(cmd, lambda: (stack.redo() if redo else stack.undo(), self._touch(name)), text)

    def clear(self) -> None:
        """Forget every stack (another store was opened)."""
        for st in self._stacks.values():
            st.deleteLater()
        self._stacks.clear()
        self._recent.clear()
        self._scope = None
        self.changed.emit()

    def _touch(self, name: str) -> None:
        if name in self._recent:
            self._recent.remove(name)
        self._recent.append(name)
        self.changed.emit()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.changed.emit()

    def _run(self, cmd: MoveLatestCommand, on_ok, text: str) -> None:
        if self._busy:
            self.failed.emit(PetBrowserError("another pointer move is still running; try again in a moment"))
            return

        def done(_entry: HistoryEntry) -> None:
            self._busy = False  # before anyone hears of it: the next undo may follow at once
            on_ok()
            self.moved.emit(cmd.name, text)

        def error(exc: PetBrowserError) -> None:
            self._set_busy(False)
            (self.conflict if isinstance(exc, ConflictError) else self.failed).emit(exc)

        def finished() -> None:
            if self._busy:  # dropped (another store was opened meanwhile)
                self._set_busy(False)

        if self.commands.execute(cmd, on_result=done, on_error=error, on_finished=finished) is not None:
            self._set_busy(True)
