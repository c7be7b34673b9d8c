"""Put the store back as it was at a moment, and take that back as one step.

Three calls, so a window can show the plan before anything moves and keep
the whole restore as one undo step:

- :func:`plan_restore` reads every class's history and pointer and says, per
  class, where the pointer is now, where it was at the moment, and what that
  changes in the code (from metadata or a static walk: nothing is unpickled);
- :func:`execute_restore` moves each pointer that differs by compare-and-swap
  against the pointer the plan saw, recorded with action ``restore``.  A
  class whose pointer moved since the plan is a conflict that changes nothing
  for it; the others proceed;
- :func:`reverse_batch` moves every pointer a batch moved back where it was,
  again by compare-and-swap (``undo``), and the undo of that again (``redo``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from petbrowser.core.errors import ConflictError, NotFoundError, PetBrowserError
from petbrowser.core.models import (
    CodeChanges,
    HistoryEntry,
    MoveBatch,
    MoveOutcome,
    Pointer,
    RestorePlan,
    RestoreSkip,
    RestoreStep,
)
from petbrowser.core.store.common import FATAL_ERRORS, short
from petbrowser.core.timeline import entry_time, pointer_at

__all__ = ["code_changes", "execute_restore", "plan_restore", "reverse_batch"]

#: Pointer moves of one batch run this many at a time (S3 round trips dominate).
_MOVE_WORKERS = 8


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plan_restore(
    store: Any,
    at: datetime,
    classes: Sequence[str] | None = None,
    *,
    with_changes: bool = True,
) -> RestorePlan:
    """Where every class's (or each named class's) ``latest`` was at ``at``.

    Classes with no record at or before ``at`` are left alone and listed in
    ``skipped`` with the reason (no history at all, created later, records
    start later).  A named class that is not in the store is a NotFoundError.
    ``with_changes=False`` skips describing what each move changes.
    """
    at = at.astimezone(timezone.utc)
    per_class = store.histories(classes or None)
    for name in classes or ():
        if name not in per_class:
            raise NotFoundError(f"class '{name}' is not in store {store.url}")
    first = min((entry_time(es[0]) for es in per_class.values() if es), default=None)
    pointers = _read_pointers(store, sorted(per_class))
    steps: list[RestoreStep] = []
    skipped: list[RestoreSkip] = []
    for name in sorted(per_class):
        entries = per_class[name]
        if not entries:
            skipped.append(
                RestoreSkip(
                    name,
                    "no_history",
                    "no recorded pointer moves (LabChain keeps no history): "
                    "where it pointed then is not known",
                )
            )
            continue
        move = pointer_at(entries, at)
        if move is None:
            head = entries[0]
            if head.from_hash is None:
                skipped.append(
                    RestoreSkip(
                        name,
                        "created_after",
                        f"created after that moment (first pushed {head.at} by {head.by or '?'})",
                        head.at,
                    )
                )
            else:
                skipped.append(
                    RestoreSkip(
                        name,
                        "no_record_before",
                        f"its records start at {head.at}; where it pointed before is not recorded",
                        head.at,
                    )
                )
            continue
        ptr = pointers.get(name)
        if isinstance(ptr, PetBrowserError):
            skipped.append(RestoreSkip(name, "unreadable", ptr.message, entries[0].at))
            continue
        steps.append(RestoreStep(name, ptr.hash if ptr is not None else None, move.to_hash))
    if with_changes:
        steps = _with_changes(store, steps)
    return RestorePlan(
        at=_iso(at),
        steps=tuple(steps),
        skipped=tuple(skipped),
        first_record_at=_iso(first) if first is not None else None,
    )


def _read_pointers(store: Any, names: list[str]) -> dict[str, Pointer | PetBrowserError | None]:
    return store.gather((n, lambda n=n: store.read_pointer(n)) for n in names)


def _with_changes(store: Any, steps: list[RestoreStep]) -> list[RestoreStep]:
    """Each moving step with what it changes, described concurrently."""
    found = store.gather(
        (s.class_name, lambda s=s: code_changes(store, s.class_name, s.now, s.then))
        for s in steps
        if s.moves
    )
    changes = {
        name: CodeChanges(note=c.message) if isinstance(c, PetBrowserError) else c
        for name, c in found.items()
    }
    return [
        RestoreStep(s.class_name, s.now, s.then, changes.get(s.class_name)) if s.moves else s
        for s in steps
    ]


def code_changes(store: Any, name: str, old: str | None, new: str) -> CodeChanges:
    """What moving ``name`` from version ``old`` to ``new`` changes, without unpickling.

    Methods by their top-level name (a change inside a lambda or
    comprehension is a change of the method holding it) and class
    attributes; a note when either side holds no code or was made by another
    Python (then bytecode differs for that reason alone).
    """
    from petbrowser.core.diff import diff_describe
    from petbrowser.core.inspection import inspect_version

    if old is None:
        return CodeChanges(note="the class has no latest pointer now")
    try:
        a = inspect_version(store, name, old)
        b = inspect_version(store, name, new)
    except FATAL_ERRORS:
        raise
    except PetBrowserError as exc:
        return CodeChanges(note=f"could not be described: {exc.message}")
    diff = diff_describe(a.describe, b.describe)
    methods: dict[str, str] = {}
    for m in diff.changed_methods:
        root, _, nested = m.name.partition("/")
        if nested:
            methods.setdefault(root, "changed")
        else:
            methods[root] = m.status
    attrs = [(n, "changed") for n in diff.attributes_changed]
    attrs += [(n, "added") for n in diff.attributes_added]
    attrs += [(n, "removed") for n in diff.attributes_removed]
    notes = [
        f"{short(r.hash)} holds no code (pickled by reference)" for r in (a, b) if r.by_reference
    ]
    if diff.python_mismatch:
        notes.append(diff.python_mismatch)
    return CodeChanges(
        methods=tuple(sorted(methods.items())),
        attributes=tuple(sorted(attrs)),
        note="; ".join(notes) or None,
    )


def execute_restore(store: Any, plan: RestorePlan) -> MoveBatch:
    """Move every pointer of ``plan`` that differs, each by compare-and-swap.

    Each move expects the pointer the plan saw: a class moved since then is
    a ``conflict`` outcome that changed nothing for it, and the others still
    move.  Every move is recorded in its class's history as ``restore``.
    """
    moves = [(s.class_name, s.now, s.then) for s in plan.moves]
    return MoveBatch("restore", _apply(store, moves, "restore"), at=plan.at)


def reverse_batch(store: Any, batch: MoveBatch, action: str = "undo") -> MoveBatch:
    """Move every pointer ``batch`` moved back where it was (compare-and-swap).

    ``action`` is ``undo`` for taking back a restore and ``redo`` for taking
    back that undo: ``reverse_batch(reverse_batch(b), "redo")`` makes ``b``
    again.  A pointer moved by someone else since ``batch`` is a conflict
    for that class only.  A class that had no pointer before cannot lose it
    again: that outcome is ``failed``, saying so.
    """
    moves: list[tuple[str, str | None, str | None]] = [
        (o.class_name, o.to_hash, o.from_hash) for o in batch.moved
    ]
    return MoveBatch(action, _apply(store, moves, action), at=batch.at)


def _apply(
    store: Any, moves: list[tuple[str, str | None, str | None]], action: str
) -> tuple[MoveOutcome, ...]:
    """Run ``(class, expected, to)`` moves concurrently; one outcome each, in order."""

    def one(name: str, expected: str | None, to: str | None) -> MoveOutcome:
        if to is None:
            return MoveOutcome(
                name, expected, "", "failed",
                f"{name} had no latest pointer before; a pointer cannot be removed",
            )  # fmt: skip
        try:
            entry: HistoryEntry = store.move_latest(name, to, expected=expected, action=action)
        except ConflictError as exc:
            return MoveOutcome(name, expected, to, "conflict", exc.message, actual=exc.actual)
        except PetBrowserError as exc:
            return MoveOutcome(name, expected, to, "failed", exc.message)
        return MoveOutcome(name, expected, to, "moved", entry=entry)

    if not moves:
        return ()
    with ThreadPoolExecutor(max_workers=min(_MOVE_WORKERS, len(moves))) as pool:
        return tuple(pool.map(lambda m: one(*m), moves))
