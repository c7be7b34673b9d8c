"""Undo and redo of one class's pointer, read from its recorded history.

The command line keeps no state between runs, so the undo stack is rebuilt
from the history records every time, with the rules every editor uses:

- a new move (``push``, ``rollback``, ``restore``) goes on the *done* stack and
  empties the *undone* stack: after a new move there is nothing to redo;
- ``undo`` reverts the top of *done* (moves the pointer from that move's
  ``to`` back to its ``from``, recorded as ``undo``) and puts it on *undone*;
- ``redo`` re-applies the top of *undone* (recorded as ``redo``) and puts it
  back on *done*.

So undo after an undo steps one move further back (like Ctrl+Z twice), and
the way to take back an undo is redo.  A ``repair`` (same hash) is not a
move.  An ``undo``/``redo`` record that does not match its stack (written by
a tool that kept other state) counts as a new move.  Every step is a
compare-and-swap against where the record says the pointer is, so a pointer
moved without a record, or by someone else meanwhile, is a conflict that
changes nothing.  The window's undo of a restore writes one ``undo`` record
per class, which this reading agrees with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from petbrowser.core.errors import ConflictError, NotFoundError
from petbrowser.core.models import HistoryEntry, UndoState
from petbrowser.core.store.common import short
from petbrowser.core.timeline import is_repair

__all__ = ["redo_class", "undo_class", "undo_state"]


def _stacks(entries: Sequence[HistoryEntry]) -> tuple[list[HistoryEntry], list[HistoryEntry]]:
    done: list[HistoryEntry] = []
    undone: list[HistoryEntry] = []
    for e in entries:
        if is_repair(e):
            continue  # a repair rewrites the pointer in place: nothing to undo or redo
        top = done[-1] if done else None
        if e.action == "undo" and top and (top.to_hash, top.from_hash) == (e.from_hash, e.to_hash):
            undone.append(done.pop())
        elif (
            e.action == "redo"
            and undone
            and (undone[-1].from_hash, undone[-1].to_hash) == (e.from_hash, e.to_hash)
        ):
            done.append(undone.pop())
        else:
            done.append(e)
            undone.clear()
    return done, undone


def undo_state(name: str, entries: Sequence[HistoryEntry]) -> UndoState:
    """What undo and redo of ``name`` would do, given its history in causal order."""
    done, undone = _stacks(entries)
    return UndoState(name, done[-1] if done else None, undone[-1] if undone else None)


def undo_class(store: Any, name: str) -> HistoryEntry:
    """Revert the last move of ``name`` that is not undone yet (compare-and-swap)."""
    state = undo_state(name, store.history(name))
    move = state.undo
    if move is None:
        raise NotFoundError(f"nothing to undo for {name}: no recorded pointer move")
    if move.from_hash is None:
        raise NotFoundError(
            f"nothing to undo for {name}: its first recorded move created the pointer "
            f"({short(move.to_hash)}, {move.at}); there is no earlier version to go back to"
        )
    return _step(store, name, move.to_hash, move.from_hash, "undo", move)


def redo_class(store: Any, name: str) -> HistoryEntry:
    """Re-apply the move of ``name`` the last undo reverted (compare-and-swap)."""
    state = undo_state(name, store.history(name))
    move = state.redo
    if move is None:
        raise NotFoundError(
            f"nothing to redo for {name}: no undo since its last move "
            "(a new push, rollback or restore discards what was undone)"
        )
    return _step(store, name, move.from_hash, move.to_hash, "redo", move)


def _step(
    store: Any, name: str, expected: str | None, to: str | None, action: str, move: HistoryEntry
) -> HistoryEntry:
    assert to is not None
    try:
        return store.move_latest(name, to, expected=expected, action=action)  # type: ignore[no-any-return]
    except ConflictError as exc:
        now = short(exc.actual) if exc.actual else "unset"
        raise ConflictError(
            f"cannot {action} the {move.action} of {name} ({move.at}, {move.by or '?'}): "
            f"latest is {now}, not {short(expected)} as recorded (moved by someone else or "
            "without a record); nothing changed",
            expected=expected,
            actual=exc.actual,
        ) from None
