"""The recorded pointer moves of a class, or of every class at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import (
    PetBrowserError,
)
from petbrowser.core.models import (
    HistoryEntry,
    ObjectInfo,
)
from petbrowser.core.names import is_class_name, validate_class_name
from petbrowser.core.store.base import StoreBase, _validator
from petbrowser.core.store.records import group_objects, parse_history
from petbrowser.core.timeline import causal_order


class HistoryMixin(StoreBase):
    """The recorded pointer moves of a class, or of every class at once."""

    # ------------------------------------------------------------ history
    def history(self, name: str) -> list[HistoryEntry]:
        """Pointer moves of ``name``, oldest first; unreadable records are skipped
        (``verify`` reports them).

        "First" is the order the moves happened in: each move starts where the
        one before it ended (compare-and-swap makes them a chain), so a writer
        whose clock runs ahead cannot put its move before the one it followed
        (``core.timeline.causal_order``); time order breaks the remaining ties.
        """
        validate_class_name(name)
        objs = [
            o for o in self.storage.list(layout.history_prefix(name))
            if (p := layout.parse_key(o.key)) is not None and p.kind == "history"
        ]  # fmt: skip
        return self._read_histories({name: objs})[name]

    def histories(
        self,
        names: Iterable[str] | None = None,
        *,
        since: datetime | None = None,
        recorded: set[str] | None = None,
    ) -> dict[str, list[HistoryEntry]]:
        """Every class's pointer moves (oldest first, as :meth:`history`), from one listing.

        Every class of the store is a key, with an empty list when it has no
        record (LabChain's classes).  ``names`` limits it to those classes (one
        listing per class; a name that is not in the store is not a key); ``since`` skips records written before that moment
        without reading them (a record's key starts with its time);
        ``recorded``, when given, receives the classes that have any record at
        all, before ``since`` or not.  Records never change, so each is read
        once per Store.
        """
        if names is None:
            listing: Iterable[ObjectInfo] = self.storage.list(layout.PLUGINS)
            wanted: set[str] | None = None
        else:
            wanted = {validate_class_name(n) for n in names}
            listing = [o for n in sorted(wanted) for o in self.storage.list(layout.class_prefix(n))]
        groups = group_objects(listing)
        cut = layout.format_history_time(since) if since is not None else None
        per_class: dict[str, list[ObjectInfo]] = {}
        for name, g in groups.items():
            if not is_class_name(name) or (wanted is not None and name not in wanted):
                continue
            if not g.pkls and g.latest is None and not g.history:
                continue
            if g.history and recorded is not None:
                recorded.add(name)
            per_class[name] = [
                o for o in g.history if cut is None or o.key.rpartition("/")[2][: len(cut)] >= cut
            ]
        if names is None and since is None:  # every record of the store was listed
            self.listing_cache.forget_other_records(
                {n: {o.key for o in g.history} for n, g in groups.items()}
            )
        return self._read_histories(per_class)

    def _read_record(self, name: str, o: ObjectInfo) -> tuple[HistoryEntry, str | None] | None:
        """A record, parsed, and what it is kept under (``_validator``: bytes and key
        always belong together); None when it is gone."""
        got = self._read_fact(o.key)
        if got is None:
            return None
        data, token = got
        return parse_history(data, o, name), _validator(o, token)

    def _read_histories(self, objs: dict[str, list[ObjectInfo]]) -> dict[str, list[HistoryEntry]]:
        """The records ``objs`` names, parsed: each read once per Store, and once at
        all while the listing cache (``core/cache.py``) still holds it under the
        validator the listing returned: a new window's Timeline of an unchanged
        store reads no record (on S3, one GetObject per recorded move before)."""
        found: dict[str, list[HistoryEntry]] = {name: [] for name in objs}
        jobs = []
        cache = self.listing_cache
        for name, keys in objs.items():
            for o in keys:
                with self._cache_lock:
                    hit = self._version_cache.get(("history", name, o.key))
                if hit is None and (kept := cache.history(name, o.key, o.etag)) is not None:
                    at, action, from_hash, to_hash, by = kept
                    hit = HistoryEntry(at, action, from_hash, to_hash, by, name, o.key)
                    with self._cache_lock:
                        self._version_cache[("history", name, o.key)] = hit
                if hit is not None:
                    found[name].append(hit)
                else:
                    jobs.append(
                        (
                            (name, o),
                            lambda n=name, o=o: self._read_record(n, o),
                        )
                    )

        def on_done(
            tag: tuple[str, ObjectInfo], result: Any, error: PetBrowserError | None
        ) -> None:
            if result is not None:
                name, o = tag
                r, validator = result
                found[name].append(r)
                with self._cache_lock:
                    self._version_cache[("history", name, o.key)] = r
                cache.put_history(name, o.key, validator, (r.at, r.action, r.from_hash, r.to_hash, r.by))

        self._run(jobs, on_done)
        if cache.dirty:
            cache.save()
        return {name: causal_order(entries) for name, entries in found.items()}
