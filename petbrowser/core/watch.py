"""Noticing what others change in a store, for the price of one listing per poll.

Each poll lists ``plugins/`` once and compares every object's fingerprint
with the last poll's: ``(size, ETag)`` on S3 (``ListObjectsV2`` returns both),
``(size, mtime)`` on disk.  An unchanged store costs that listing and nothing
else.  On S3, after the first poll, that listing leaves the history records
out (``S3Storage.list_pruned``: a third of the keys or more); a class's
records are listed (one request) only when its pointer moved, in this poll
or the last, or a move of it waits for its record.  Only what changed is
read: a new history record (who moved which pointer where, and when), a new
version's metadata (who pushed it), or a pointer that moved without a record
(LabChain writes none).  A pointer that petbrowser moved (it carries
``updated_at``) waits one poll for the record its mover writes right after
it, so the move is told once, with its action.

The window's live updates poll this on a timer off the UI thread; ``petbrowser
watch`` prints the same changes as lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import PetBrowserError
from petbrowser.core.models import ObjectInfo, StoreChange
from petbrowser.core.store.common import FATAL_ERRORS, short, text_field
from petbrowser.core.store.records import parse_history
from petbrowser.core.timeline import causal_order
from petbrowser.core.times import format_age, parse_utc

__all__ = ["StoreWatcher", "describe_change", "change_lines"]

Fingerprint = tuple[int, Any]


def _fingerprint(o: ObjectInfo) -> Fingerprint:
    return (o.size, o.etag if o.etag is not None else o.modified)


class StoreWatcher:
    """Polls one store; :meth:`poll` returns what changed since the last poll.

    The first poll only takes the baseline and returns nothing.  Not thread
    safe: one poller at a time (the window's timer, the CLI loop).
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self._seen: dict[str, Fingerprint] | None = None
        self._latest: dict[str, str] = {}  # the pointer each class was last seen moving to
        self._unrecorded: dict[str, str] = {}  # a move reported from the pointer alone
        # A petbrowser mover writes its record just after the pointer: such a move
        # waits one poll for it (class -> (pointer, poll it was seen in)).
        self._pending: dict[str, tuple[Any, int]] = {}
        self._moves: dict[str, tuple[str | None, str]] = {}  # the last recorded move told
        #: How many listings this watcher made (one per poll).
        self.listings = 0
        # S3: each class's history records as last listed (pruned polls carry them over)
        self._records: dict[str, dict[str, Fingerprint]] = {}
        self._moved: set[str] = set()  # classes whose pointer moved in the last poll

    def describe(self, change: StoreChange, now: datetime | None = None) -> str:
        """One line for people (:func:`describe_change`), for the status bar."""
        return describe_change(change, now)

    def lines(self, changes: Sequence[StoreChange], now: datetime | None = None) -> list[str]:
        """Lines for one poll's changes (:func:`change_lines`)."""
        return change_lines(changes, now)

    @property
    def started(self) -> bool:
        return self._seen is not None

    def poll(self) -> list[StoreChange]:
        """List the store once; describe what differs from the last poll."""
        # Keys are only taken apart when they changed: parsing all 61,000 keys of
        # a 1,000 x 20 store cost half as much again as listing them.
        now = self._listing()
        self.listings += 1
        before, self._seen = self._seen, now
        if before is None:
            return []
        if before == now:
            return self._flush_pending()
        touched: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        changed = [("added_", k) for k in now.keys() - before.keys()]
        changed += [("removed_", k) for k in before.keys() - now.keys()]
        changed += [("changed_", k) for k in now.keys() & before.keys() if now[k] != before[k]]
        for how, key in changed:
            p = layout.parse_key(key)
            if p is not None:
                touched[p.class_name][how + p.kind].append(key)
        still = _class_names(now)
        changes: list[StoreChange] = []
        for name in sorted(touched):
            changes += self._class_changes(name, touched[name], name in still, now)
        return changes + self._flush_pending()

    def _listing(self) -> dict[str, Fingerprint]:
        """Every object's fingerprint; on S3 the history records of the classes whose
        pointer did not move are the last poll's (see the module docstring)."""
        storage = self.store.storage
        lister = getattr(storage, "list_pruned", None)
        if lister is None or self._seen is None:  # disk, or the baseline: everything
            now = {o.key: _fingerprint(o) for o in storage.list(layout.PLUGINS)}
            self._records = _records_by_class(now) if lister is not None else {}
            return now
        folders: list[str] = []
        now = {o.key: _fingerprint(o) for o in lister(layout.PLUGINS, layout.HISTORY_DIR, folders.append)}
        if not getattr(storage, "prunes", False):  # the server cannot prune: the records are listed
            self._records = _records_by_class(now)
            return now
        before = self._seen
        present = _class_names(now) | _class_names(folders)
        plugins = layout.PLUGINS  # plain keys: a folder that is no class name is still listed, never parsed
        latest = {n: f"{plugins}{n}/{layout.LATEST}" for n in present}
        moved = {n for n in present if now.get(latest[n]) != before.get(latest[n])}
        for name in sorted(present & (moved | self._moved | self._pending.keys())):
            prefix = f"{plugins}{name}/{layout.HISTORY_DIR}/"
            self._records[name] = {o.key: _fingerprint(o) for o in storage.list(prefix)}
        self._moved = moved
        for name in [n for n in self._records if n not in present]:
            del self._records[name]
        for records in self._records.values():
            now.update(records)
        return now

    def _flush_pending(self) -> list[StoreChange]:
        """Moves whose record did not follow within a poll: reported from the pointer."""
        out = []
        for name, (ptr, seen_at) in sorted(self._pending.items()):
            if seen_at < self.listings:
                del self._pending[name]
                out.append(self._unrecorded_move(name, ptr))
        return out

    def _unrecorded_move(self, name: str, ptr: Any) -> StoreChange:
        change = StoreChange(
            "latest_moved", name, hash=ptr.hash,
            from_hash=self._latest.get(name) or ptr.previous,
            by=ptr.updated_by, at=ptr.updated_at, recorded=False,
        )  # fmt: skip
        self._latest[name] = ptr.hash
        self._unrecorded[name] = ptr.hash
        return change

    # ------------------------------------------------------------- helpers
    def _class_changes(
        self, name: str, t: dict[str, list[str]], exists: bool, now: dict[str, Fingerprint]
    ) -> list[StoreChange]:
        if not exists:
            self._latest.pop(name, None)
            self._unrecorded.pop(name, None)
            self._pending.pop(name, None)
            return [StoreChange("class_removed", name)]
        out: list[StoreChange] = []
        for key in sorted(t["removed_pkl"]):
            out.append(StoreChange("version_removed", name, hash=_hash_of(key)))
        for key in sorted(t["added_pkl"]):
            h = _hash_of(key)
            meta = (
                self._quiet(lambda h=h: self.store.read_meta(name, h))
                if _meta_key(name, h) in now
                else None
            )
            out.append(
                StoreChange(
                    "version_added",
                    name,
                    hash=h,
                    by=text_field(meta, "pushed_by") if meta else None,
                    at=text_field(meta, "pushed_at") if meta else None,
                )
            )
        records = []
        for key in t["added_history"]:
            obj = ObjectInfo(key=key, size=now[key][0])
            entry = self._quiet(
                lambda obj=obj: parse_history(self.store.storage.read(obj.key), obj, name)
            )
            if entry is not None:
                records.append(entry)
        for e in causal_order(records):
            pending = self._pending.get(name)
            if pending is not None and pending[0].hash == e.to_hash:
                del self._pending[name]  # the record followed its pointer: report it
            if self._moves.get(name) == (e.from_hash, e.to_hash):
                continue  # the same move again: a record re-created after a crash
            self._moves[name] = (e.from_hash, e.to_hash)
            if self._unrecorded.get(name) == e.to_hash:
                del self._unrecorded[name]  # its move was already reported from the pointer
            else:
                out.append(
                    StoreChange(
                        "latest_moved", name, hash=e.to_hash, from_hash=e.from_hash,
                        by=e.by or None, at=e.at, action=e.action, recorded=True,
                    )
                )  # fmt: skip
            self._latest[name] = e.to_hash
        if (t["added_latest"] or t["changed_latest"]) and not records:
            ptr = self._quiet(lambda: self.store.read_pointer(name))
            if ptr is not None and ptr.hash != self._latest.get(name):
                if ptr.updated_at and name not in self._pending:
                    self._pending[name] = (ptr, self.listings)  # its record is on its way
                else:
                    self._pending.pop(name, None)
                    out.append(self._unrecorded_move(name, ptr))
        if t["removed_latest"]:
            self._latest.pop(name, None)
            out.append(StoreChange("pointer_removed", name))
        return out

    @staticmethod
    def _quiet(fn: Any) -> Any:
        """``fn()``, or None when the object vanished or is unreadable (the next poll tells)."""
        try:
            return fn()
        except FATAL_ERRORS:
            raise
        except PetBrowserError:
            return None


def _class_names(keys: Any) -> set[str]:
    """The class folders ``plugins/<name>/...`` keys lie in."""
    cut = len(layout.PLUGINS)
    return {k[cut:].partition("/")[0] for k in keys if k.startswith(layout.PLUGINS) and "/" in k[cut:]}


def _records_by_class(now: dict[str, Fingerprint]) -> dict[str, dict[str, Fingerprint]]:
    """The history records of a full listing, per class."""
    out: dict[str, dict[str, Fingerprint]] = defaultdict(dict)
    cut = len(layout.PLUGINS)
    for key, fp in now.items():
        name, _, rest = key[cut:].partition("/")
        if rest.startswith(f"{layout.HISTORY_DIR}/") and key.startswith(layout.PLUGINS):
            out[name][key] = fp
    return dict(out)


def _hash_of(key: str) -> str:
    p = layout.parse_key(key)
    assert p is not None and p.hash is not None
    return p.hash


def _meta_key(name: str, h: str) -> str:
    return layout.meta_key(name, h)


def describe_change(change: StoreChange, now: datetime | None = None) -> str:
    """One line for people: ``Tagger: latest moved to 3fa2c1 by alice@lab (push), 12 s ago``."""
    at = parse_utc(change.at)
    when = ""
    if at is not None:
        when = ", " + format_age(((now or datetime.now(timezone.utc)) - at).total_seconds())
    by = f" by {change.by}" if change.by else ""
    c = change.class_name
    if change.kind == "latest_moved" and change.from_hash == change.hash:
        return f"{c}: latest ({short(change.hash)}) rewritten in place{by}{when}"
    if change.kind == "latest_moved":
        frm = f" (was {short(change.from_hash)})" if change.from_hash else ""
        how = f" ({change.action})" if change.action else ""
        unrec = "" if change.recorded else " without a history record"
        return f"{c}: latest moved to {short(change.hash)}{frm}{by}{how}{unrec}{when}"
    if change.kind == "version_added":
        return f"{c}: new version {short(change.hash)}{' pushed' + by if by else ''}{when}"
    if change.kind == "version_removed":
        return f"{c}: version {short(change.hash)} was deleted from the store"
    if change.kind == "pointer_removed":
        return f"{c}: its latest pointer was deleted"
    if change.kind == "class_removed":
        return f"{c}: the class was deleted from the store"
    return f"{c}: {change.kind}"


def change_lines(changes: Sequence[StoreChange], now: datetime | None = None) -> list[str]:
    """Lines for a batch of changes; a new version that a push in the same batch
    made latest is said once, by the move."""
    pushed = {
        (c.class_name, c.hash) for c in changes if c.kind == "latest_moved" and c.action == "push"
    }
    return [
        describe_change(c, now)
        for c in changes
        if not (c.kind == "version_added" and (c.class_name, c.hash) in pushed)
    ]
