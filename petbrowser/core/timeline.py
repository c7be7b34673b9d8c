"""The store's timeline: every pointer move merged, and where a pointer was at a moment.

A class's history records carry the *writer's* clock, and writers' clocks
disagree.  Compare-and-swap makes the real moves of one class a chain (each
starts where the one before ended), so within a class the order is rebuilt
from that chain (:func:`causal_order`) and the clock only breaks ties.  Across
classes there is no chain, so classes are merged by recorded time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from petbrowser.core.models import HistoryEntry, Timeline
from petbrowser.core.times import parse_utc

__all__ = ["MAX_SKEW", "build_timeline", "causal_order", "entry_time", "is_repair", "pointer_at"]

#: How far apart two records' clocks may be for the chain to reorder them.
#: Beyond this, time order wins (a lost record must not let a much later move
#: jump ahead of an earlier one).
MAX_SKEW = timedelta(hours=1)
#: How many records ahead the chain looks for the move that follows.
_LOOKAHEAD = 64
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def entry_time(entry: HistoryEntry) -> datetime:
    """The recorded time of a move (the start of time when it is unreadable)."""
    at = parse_utc(entry.at)
    if at is None:
        return _EPOCH
    return at.astimezone(timezone.utc)


def causal_order(entries: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    """One class's moves in the order they happened, oldest first.

    Start from time order; whenever the next record by time does not start
    where the pointer is, take the earliest record (within :data:`MAX_SKEW`
    and a few dozen records) that does.  With honest clocks this is plain
    time order; with a writer's clock minutes ahead, its move still comes
    after the move it followed.  Gaps (a move by a tool that records
    nothing) fall back to time order.

    A ``repair`` moves nothing (same hash, new format), so it never moves
    the chain on: one that does not fit where the chain is (its writer's
    clock ran ahead past later moves) goes right after the last move that
    set the hash it repaired, where its compare-and-swap says it happened.
    The last record is then the last real move, as undo, restore and verify
    need.
    """
    pending = sorted(entries, key=lambda e: (entry_time(e), e.key))
    out: list[HistoryEntry] = []
    current: str | None = None
    while pending:
        pick = 0
        head = pending[0]
        if head.from_hash != current:
            limit = entry_time(head) + MAX_SKEW
            for i, e in enumerate(pending[1:_LOOKAHEAD], start=1):
                if entry_time(e) > limit:
                    break
                if e.from_hash == current:
                    pick = i
                    break
        e = pending.pop(pick)
        if is_repair(e):
            if e.from_hash != current:
                out.insert(_after_last_visit(out, e.to_hash), e)
            else:
                out.append(e)
            continue
        out.append(e)
        current = e.to_hash
    return out


def is_repair(entry: HistoryEntry) -> bool:
    """A record of a pointer rewritten in place (``repair``): it moved nothing."""
    return entry.action == "repair" or (entry.from_hash is not None and entry.from_hash == entry.to_hash)


def _after_last_visit(out: list[HistoryEntry], h: str | None) -> int:
    """The index just after the last real move in ``out`` that set the pointer to ``h``
    (the end when none did: the visit was not recorded)."""
    for i in range(len(out) - 1, -1, -1):
        if out[i].to_hash == h and not is_repair(out[i]):
            return i + 1
    return len(out)


def pointer_at(entries: Sequence[HistoryEntry], at: datetime) -> HistoryEntry | None:
    """The move that set the pointer as it was at ``at`` (None: no record by then).

    ``entries`` is one class's history in causal order.  The answer is the
    last move, in that order, recorded at or before ``at``: if a move is known
    to have happened by ``at``, every move before it in the chain had too,
    even when a skewed clock stamped one of those after ``at``.  A move
    recorded exactly at ``at`` counts.  A ``repair`` says where the pointer
    was only when no real move before it in the chain says so.
    """
    found: HistoryEntry | None = None
    for e in entries:
        if entry_time(e) <= at and (found is None or not is_repair(e)):
            found = e
    return found


def build_timeline(
    store: Any, *, since: datetime | None = None, classes: Sequence[str] | None = None
) -> Timeline:
    """Every move of every class (or of ``classes``), newest first, optionally since a moment."""
    recorded: set[str] = set()
    per_class = store.histories(classes or None, since=since, recorded=recorded)
    streams = []
    for _name, entries in sorted(per_class.items()):
        kept = [e for e in entries if since is None or entry_time(e) >= since]
        if kept:
            streams.append(list(reversed(kept)))
    merged = heapq.merge(*streams, key=lambda e: (entry_time(e), e.class_name), reverse=True)
    entries = tuple(merged)
    first = min((entry_time(e) for e in entries), default=None)
    return Timeline(
        entries=entries,
        classes=tuple(sorted(per_class)),
        without_history=tuple(sorted(set(per_class) - recorded)),
        first_record_at=_iso(first) if first is not None else None,
        since=_iso(since) if since is not None else None,
    )


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
