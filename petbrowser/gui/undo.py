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

A restore of the store to a moment moves several classes at once and is ONE
step: a :class:`BatchMove` sits on the stack of every class it moved, so
Ctrl+Z with any of them selected (or, with nothing selected, right after the
restore) puts every moved pointer back, each by compare-and-swap ("Undo
restore of 3 classes to Tue 14:00").  It can be undone only while it is the
last move of each of those classes made here (a later move of one of them is
undone first, and the tooltip says which).  A class someone else moved
meanwhile is left as it is and named; the others still move back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from petbrowser.core.errors import ConflictError, PetBrowserError
from petbrowser.core.models import MoveBatch, RestorePlan, short_hash
from petbrowser.gui.calls import Command, CommandRunner, MoveLatestCommand

if TYPE_CHECKING:
    from petbrowser.core.manager import PetClassManager
    from petbrowser.gui.workers import TaskContext

__all__ = [
    "BatchMove",
    "BatchStep",
    "ExecuteRestoreCommand",
    "Move",
    "PointerMove",
    "ReverseMovesCommand",
    "UndoHistory",
    "batch_report",
]


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


@dataclass
class BatchMove:
    """Pointers of several classes moved as one step (a restore of the store to a moment).

    ``batch`` is the set of moves in effect: the restore itself, then the undo
    of it, then the redo of that undo (``PetClassManager.reverse_moves`` of
    each takes it back).  ``names`` are the classes the restore moved: the
    stacks this step sits on.
    """

    label: str  # "restore of 3 classes to Tue 14:00"
    batch: MoveBatch
    names: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.label


class PointerMove(QUndoCommand):
    """A move on a class's stack.  Bookkeeping only: the store moved already."""

    def __init__(self, move: Move) -> None:
        super().__init__(move.text)
        self.move = move

    def redo(self) -> None:
        pass

    def undo(self) -> None:
        pass


class BatchStep(QUndoCommand):
    """One class's entry for a :class:`BatchMove` (the same object on every member's stack)."""

    def __init__(self, batch: BatchMove) -> None:
        super().__init__(batch.label)
        self.move = batch

    def redo(self) -> None:
        pass

    def undo(self) -> None:
        pass


class ExecuteRestoreCommand(Command):
    """Move every pointer of a restore plan (compare-and-swap each, recorded ``restore``)."""

    cancellable = False  # the moves either happen or not; never drop the answer

    def __init__(self, plan: RestorePlan) -> None:
        self.plan = plan
        n = len(plan.moves)
        self.label = f"Restoring {n} class{'es' if n != 1 else ''}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> MoveBatch:
        return manager.execute_restore(self.plan)


class ReverseMovesCommand(Command):
    """Take a batch of moves back as one step (``undo``), or take that back (``redo``)."""

    cancellable = False

    def __init__(self, batch: MoveBatch, action: str, label: str) -> None:
        self.batch, self.action = batch, action
        self.label = f"{'Undoing' if action == 'undo' else 'Redoing'} {label}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> MoveBatch:
        return manager.reverse_moves(self.batch, self.action)


def batch_report(done: str, batch: MoveBatch) -> tuple[str, str, str]:
    """``(text, level, detail)`` for the message bar after a batch of moves.

    The line names every class that did not move and why (someone moved it
    meanwhile: a conflict, nothing overwritten); the detail lists each outcome.
    """
    moved = batch.moved
    text = done
    if not moved:
        text = f"Nothing moved: {done[:1].lower()}{done[1:]} did not happen"
    trouble = [*batch.conflicts, *batch.failed]
    if trouble:
        parts = []
        for o in trouble:
            if o.status == "conflict":
                where = f" (now at {short_hash(o.actual)})" if o.actual else ""
                parts.append(f"{o.class_name} was moved by someone else{where}, left as it is")
            else:
                parts.append(f"{o.class_name}: {o.message}")
        text += "; not moved: " + "; ".join(parts)
    lines = []
    for o in batch.outcomes:
        frm = short_hash(o.from_hash) or "no pointer"
        if o.status == "moved":
            lines.append(f"{o.class_name}: moved {frm} → {short_hash(o.to_hash)}")
        else:
            lines.append(f"{o.class_name}: {o.status} — {o.message}")
    return text, ("warning" if trouble else "info"), "\n".join(lines)


class UndoHistory(QObject):
    """The per-class stacks, which class Ctrl+Z acts on, and the moves themselves.

    Signals: ``changed()`` when what undo/redo would do changed;
    ``moved(name, text)`` after a move landed (text for the message bar);
    ``failed(error)``; ``conflict(error)`` when the pointer had moved under us;
    ``reported(text, level, detail)`` after a batch (a restore, its undo or
    redo), which names each class that did not move; ``landed(pairs)`` with
    the ``(class, hash)`` each pointer moved to from here (live updates then
    do not report this window's own moves as someone else's).
    """

    changed = Signal()
    moved = Signal(str, str)
    failed = Signal(object)
    conflict = Signal(object)
    reported = Signal(str, str, str)
    landed = Signal(object)

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

    def _command(self, name: str, redo: bool) -> QUndoCommand | None:
        """The command undo (or redo) of ``name`` would step over, if any."""
        st = self._stacks.get(name)
        if st is None or not (st.canRedo() if redo else st.canUndo()):
            return None
        return st.command(st.index() if redo else st.index() - 1)

    def blocked_by(self, name: str, redo: bool) -> str | None:
        """The member of ``name``'s next batch step that has a later step of its own (None: free)."""
        cmd = self._command(name, redo)
        if not isinstance(cmd, BatchStep):
            return None
        for member in cmd.move.names:
            other = self._command(member, redo)
            if not isinstance(other, BatchStep) or other.move is not cmd.move:
                return member
        return None

    def _able(self, name: str, redo: bool) -> bool:
        return self._command(name, redo) is not None and self.blocked_by(name, redo) is None

    def _target(self, redo: bool) -> str | None:
        if self._scope is not None:
            return self._scope if self._able(self._scope, redo) else None
        return next((n for n in reversed(self._recent) if self._able(n, redo)), None)

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
            if self._scope is not None and (other := self.blocked_by(self._scope, redo)) is not None:
                step = self._command(self._scope, redo)
                return (
                    f"{verb.capitalize()} {step.text()} first needs the later move of {other} "
                    f"{verb}ne: select {other} and {verb} it"
                )
            if self._scope is not None:
                return f"Nothing to {verb} for {self._scope}: {verb} follows the selected class"
            return f"Nothing to {verb}"
        move = self._top(name, redo)
        note = "" if name == self._scope else " (the class moved last: nothing is selected)"
        if isinstance(move, BatchMove):
            names = _names(move.names)
            where = "to where the restore put them" if redo else "back to where they were"
            return f"{self._text(redo)}: latest of {names} {'goes' if len(move.names) == 1 else 'go'} {where}{note}"
        where = short_hash(move.to_hash if redo else move.from_hash)
        return f"{self._text(redo)}: latest of {name} goes {'to' if redo else 'back to'} {where}{note}"

    def undo_tip(self) -> str:
        return self._tip(redo=False)

    def redo_tip(self) -> str:
        return self._tip(redo=True)

    def _top(self, name: str, redo: bool) -> Move | BatchMove:
        cmd = self._command(name, redo)
        assert isinstance(cmd, PointerMove | BatchStep)
        return cmd.move

    # ------------------------------------------------------------ moves
    def record(self, move: Move) -> None:
        """A move already made in the store (a push): undoable from now on."""
        self.stack(move.name).push(PointerMove(move))
        self._touch(move.name)
        self.landed.emit([(move.name, move.to_hash)])

    def record_batch(self, label: str, batch: MoveBatch) -> BatchMove | None:
        """Moves of several classes made as one step: one undo step on each moved class's stack."""
        names = tuple(o.class_name for o in batch.moved)
        if not names:
            return None
        step = BatchMove(label, batch, names)
        for name in names:
            self.stack(name).push(BatchStep(step))
        for name in names:
            self._touch(name)
        self.landed.emit([(o.class_name, o.to_hash) for o in batch.moved])
        return step

    def restore(self, plan: RestorePlan, moment: str) -> None:
        """Move every pointer of ``plan`` (a restore to ``moment``), then record it as ONE step."""
        cmd = ExecuteRestoreCommand(plan)

        def done(batch: MoveBatch) -> None:
            n = len(batch.moved)
            label = f"restore of {n} class{'es' if n != 1 else ''} to {moment}"
            self.record_batch(label, batch)
            moved = _names(tuple(o.class_name for o in batch.moved))
            text = f"Restored {moved} to {moment} (Ctrl+Z puts {'it' if n == 1 else 'them'} back)"
            self._report_batch(text if n else f"Restore to {moment}", batch)

        self._run(cmd, done)

    def move(self, move: Move) -> None:
        """Make the move (compare-and-swap against ``move.from_hash``), then record it."""
        cmd = MoveLatestCommand(move.name, move.to_hash, move.from_hash, move.action)
        past = {"roll back": "Rolled back", "roll forward": "Rolled forward"}.get(move.kind, "Moved")
        text = (
            f"{past} {move.name} to {short_hash(move.to_hash)} "
            f"(was {short_hash(move.from_hash) or 'no pointer'}; Ctrl+Z moves it back)"
        )
        self._run(cmd, lambda _entry: (self.record(move), self.moved.emit(move.name, text)))

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
        if isinstance(move, BatchMove):
            self._step_batch(name, move, redo)
            return
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
        landed = move.to_hash if redo else str(move.from_hash)

        def done(_entry: Any) -> None:
            stack.redo() if redo else stack.undo()
            self._touch(name)
            self.landed.emit([(name, landed)])
            self.moved.emit(name, text)

        self._run(cmd, done)

    def _step_batch(self, name: str, step: BatchMove, redo: bool) -> None:
        """Undo (or redo) a whole restore: every member's pointer, each by compare-and-swap."""
        action = "redo" if redo else "undo"
        cmd = ReverseMovesCommand(step.batch, action, step.label)

        def done(batch: MoveBatch) -> None:
            if not batch.moved:  # nothing moved back: the step stays where it was
                self._report_batch(f"{action.capitalize()} {step.label}", batch)
                return
            step.batch = batch
            for member in step.names:
                st = self.stack(member)
                st.redo() if redo else st.undo()
            for member in step.names:
                self._touch(member)
            self.landed.emit([(o.class_name, o.to_hash) for o in batch.moved])
            moved = _names(tuple(o.class_name for o in batch.moved))
            if redo:
                text = f"Redid {step.label}: {moved} {'is' if len(batch.moved) == 1 else 'are'} restored again"
            else:
                text = f"Undid {step.label}: {moved} {'is' if len(batch.moved) == 1 else 'are'} back where {'it was' if len(batch.moved) == 1 else 'they were'}"
            if name != self._scope:
                text += f" ({name} was not selected: with nothing selected, {action} follows the class moved last)"
            self._report_batch(text, batch)

        self._run(cmd, done)

    def _report_batch(self, text: str, batch: MoveBatch) -> None:
        line, level, detail = batch_report(text, batch)
        self.reported.emit(line, level, detail)
        first = batch.outcomes[0].class_name if batch.outcomes else ""
        self.moved.emit(first, "")  # refresh the tree; the report above is the message

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

    def _run(self, cmd: Command, on_ok: Callable[[Any], None]) -> None:
        """Run one move (or batch of moves) on a worker; ``on_ok(result)`` records and reports it."""
        if self._busy:
            self.failed.emit(PetBrowserError("another pointer move is still running; try again in a moment"))
            return

        def done(result: Any) -> None:
            self._busy = False  # before anyone hears of it: the next undo may follow at once
            on_ok(result)

        def error(exc: PetBrowserError) -> None:
            self._set_busy(False)
            (self.conflict if isinstance(exc, ConflictError) else self.failed).emit(exc)

        def finished() -> None:
            if self._busy:  # dropped (another store was opened meanwhile)
                self._set_busy(False)

        if self.commands.execute(cmd, on_result=done, on_error=error, on_finished=finished) is not None:
            self._set_busy(True)


def _names(names: tuple[str, ...]) -> str:
    """"Clipper", "Clipper and LinearModel", "Clipper, LinearModel and Normalizer"."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} more classes"
    return f"{', '.join(names[:-1])} and {names[-1]}"
