"""Listing the store: classes, versions and pointers in one pass."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Final

from petbrowser.core import gcpause, layout
from petbrowser.core.cache import ListingCache
from petbrowser.core.errors import (
    NotFoundError,
    PetBrowserError,
)
from petbrowser.core.models import (
    ClassInfo,
    ObjectInfo,
    Pointer,
    VersionInfo,
)
from petbrowser.core.names import is_class_name, validate_class_name
from petbrowser.core.storage.local import LocalStorage
from petbrowser.core.store.base import StoreBase, _validator
from petbrowser.core.store.common import (
    SNIFF_LIMIT,
    short,
    text_field,
    timestamp_of,
)
from petbrowser.core.store.fanout import batches
from petbrowser.core.store.records import (
    ClassObjects,
    group_folders,
    group_objects,
    listing_facts,
)
from petbrowser.core.store.sniff import sniff_by_reference


def _whole_second(ts: float | None) -> int | None:
    """The second ``common.iso_from_timestamp`` prints for ``ts`` (it rounds to µs first)."""
    return math.floor(round(ts, 6)) if ts is not None else None


_TWO: Final = tuple(f"{i:02d}" for i in range(60))
_DAYS: dict[int, str] = {}  # days since 1970 -> "YYYY-MM-DDT"


def _iso_seconds(second: int | None) -> str | None:
    """``common.iso_from_timestamp(ts)``, without ``strftime`` and with each day's date
    made once: the listing formats one per version without a sidecar, and the general
    formatting cost more than the rest of the version's work (docs/performance.md).
    ``second``: ``_whole_second(ts)``."""
    if second is None:
        return None
    day, rest = divmod(second, 86400)
    date = _DAYS.get(day)
    if date is None:
        t = time.gmtime(day * 86400)
        date = _DAYS.setdefault(day, f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T")
    hour, rest = divmod(rest, 3600)
    minute, sec = divmod(rest, 60)
    return f"{date}{_TWO[hour]}:{_TWO[minute]}:{_TWO[sec]}Z"


def _meta_validator(side: ObjectInfo | None, pkl: ObjectInfo) -> str | None:
    """What a sidecar's facts are kept under: its own validator when the listing
    has one (S3's ETag), else its ``.pkl``'s, marked as such (``side`` None: a
    sidecar known by name only, ``records.group_folders``).

    Why the ``.pkl``'s on disk: a sidecar is written create-only right after
    its ``.pkl`` and never rewritten, and a store rebuilt at the same path has
    new ``.pkl`` files (new inodes and times); a ``stat`` per sidecar would
    cost a fifth of a listing (docs/performance.md).
    """
    if side is not None and side.etag is not None:
        return side.etag
    return f"pkl {pkl.etag}" if pkl.etag is not None else None


class ListingMixin(StoreBase):
    """Listing the store: classes, versions and pointers in one pass."""

    #: ``before_reads`` is called only when at least this many reads follow: a few
    #: hundred are over before drawing the tree would have gained anything.
    WAIT_BEFORE_READS = 500

    # ------------------------------------------------------------- listing
    def list_classes(
        self,
        *,
        on_class: Callable[[ClassInfo], None] | None = None,
        with_pointers: bool = True,
        with_meta: bool = True,
        provisional: bool = False,
        before_reads: Callable[[], None] | None = None,
    ) -> list[ClassInfo]:
        """Every class of the store, sorted by name.

        One listing pass of ``plugins/`` gives classes, versions and sizes;
        pointers and metadata are then fetched concurrently and ``on_class``
        is called (on the calling thread) as soon as each class is complete.
        A class folder whose name is not a valid class name is returned with
        no versions and a problem saying so: it is shown, never read.

        What the listing cache (``core/cache.py``) still holds under the
        validator the listing returns is not fetched again: a refresh, or the
        next process's first listing, of an unchanged store is the listing
        alone.

        ``with_meta=False`` skips the one read per version of the sidecars
        (20,000 requests for 1,000 classes x 20 versions) when hashes and
        pointers are all that matter, as for status: ``has_meta`` then still
        comes from the listing, ``pushed_at`` from the object's time.
        ``with_pointers=False`` also skips the pointers (``latest`` is None).

        ``provisional``: before any read, ``on_class`` is also handed each
        class that still needs reads as the listing alone (and the cache)
        knows it -- every version, with the file's time, its pointer if
        cached; who pushed it and with which Python still unknown -- and then,
        as usual, the complete class.  The window shows a first open's whole
        tree at once this way, not after 20,000 sidecar reads.
        ``before_reads`` is called once the provisional classes are handed over,
        before the first of at least :attr:`WAIT_BEFORE_READS` reads (the window
        waits there, briefly, until they are on screen: so many reads would
        otherwise compete with drawing them).
        """
        local = isinstance(self.storage, LocalStorage)
        groups: dict[str, ClassObjects] | None = None
        try:
            # A local listing is CPU-bound and short, and allocates ~60,000 cycle-free
            # objects: the cyclic collector, tripped by them, traversed the growing
            # heap again and again (a fifth of its time, docs/performance.md).
            with gcpause.paused(local):
                if local:
                    # Each class folder's own files: history records are not a listing's
                    # business, and a pointer that is not read needs no stat (only its name).
                    groups = group_folders(
                        layout.PLUGINS,
                        self.storage.list_folders(layout.PLUGINS),  # type: ignore[attr-defined]
                        stat_latest=with_pointers,
                    )
                else:
                    groups = self._class_objects()
                self._listed = groups
                return self._build(
                    groups,
                    on_class,
                    with_pointers=with_pointers,
                    with_meta=with_meta,
                    provisional=provisional,
                    before_reads=before_reads,
                )
        finally:
            cache = self.listing_cache
            if cache.dirty:  # what an unchanged store's listing finds is already there
                if groups is not None:  # a complete listing: what it lacks is gone
                    cache.forget_others({n: set(g.pkls) for n, g in groups.items()})
                cache.save()

    def get_class(self, name: str) -> ClassInfo:
        """One class, from a listing of its own prefix only; NotFoundError if absent."""
        validate_class_name(name)
        groups = group_objects(self.storage.list(layout.class_prefix(name)))
        g = groups.get(name)
        if g is None or (not g.pkls and g.latest is None):
            raise NotFoundError(f"class '{name}' is not in store {self.url}")
        info = self._build({name: g}, None)[0]
        self.listing_cache.save()
        return info

    def _build(
        self,
        groups: dict[str, ClassObjects],
        on_class: Callable[[ClassInfo], None] | None,
        *,
        with_pointers: bool = True,
        with_meta: bool = True,
        provisional: bool = False,
        before_reads: Callable[[], None] | None = None,
    ) -> list[ClassInfo]:
        results: dict[str, dict[tuple[str, str | None], Any]] = defaultdict(dict)
        errors: dict[str, list[str]] = defaultdict(list)
        remaining: dict[str, int] = {}
        built: dict[str, ClassInfo] = {}
        jobs: list[tuple[Any, Callable[[], Any]]] = []
        cache = self.listing_cache

        fields: dict[int, tuple[Any, ...]] = {}  # profile index -> its fields, checked once

        def finish(name: str) -> None:
            info = self._assemble(
                groups[name], results[name], errors[name], meta_fetched=with_meta, fields=fields
            )
            built[name] = info
            if on_class is not None:
                on_class(info)

        for name, g in sorted(groups.items()):
            if not is_class_name(name):
                built[name] = ClassInfo(
                    name=name,
                    versions=(),
                    latest=None,
                    problems=(f"folder 'plugins/{name}' is not a valid class name; not read",),
                )
                if on_class is not None:
                    on_class(built[name])
                continue
            mine: list[tuple[Any, Callable[[], Any]]] = []
            known = results[name]
            if g.latest is not None and with_pointers:
                hit = cache.pointer(name, g.latest.etag)
                if hit is not None:
                    known[("pointer", None)] = hit
                else:
                    mine.append(((name, "pointer", None), lambda n=name: self.read_pointer(n)))
            if with_meta:
                metas, sniffs = cache.tables(name)
                meta_ok, sniff_ok = cache.meta_entry_ok, cache.sniff_entry_ok
                for h, obj in g.pkls.items():
                    if h in g.metas:
                        e = metas.get(h)
                        if e is not None and meta_ok(e, _meta_validator(g.metas[h], obj)):
                            known[("meta", h)] = e
                        else:
                            mine.append(
                                ((name, "meta", h), lambda n=name, h=h: self._listing_meta(n, h))
                            )
                    elif obj.size < SNIFF_LIMIT:
                        e = sniffs.get(h)
                        if e is not None and sniff_ok(e, obj.etag):
                            known[("sniff", h)] = e[1]
                        else:
                            mine.append(((name, "sniff", h), lambda k=obj.key: self._sniff(k)))
            remaining[name] = len(mine)
            jobs.extend(mine)

        for name, count in remaining.items():
            if count == 0:
                finish(name)
            elif provisional and on_class is not None:
                on_class(
                    self._assemble(groups[name], results[name], [], fields=fields, provisional=True)
                )
        if provisional and before_reads is not None and len(jobs) >= self.WAIT_BEFORE_READS:
            before_reads()

        def on_done(
            tag: tuple[str, str, str | None], result: Any, error: PetBrowserError | None
        ) -> None:
            name, kind, h = tag
            if error is not None:
                errors[name].append(error.message)
            else:
                result = self._remember(cache, groups[name], kind, h, result)
                results[name][(kind, h)] = result
            remaining[name] -= 1
            if remaining[name] == 0:
                finish(name)

        def on_batch(_tag: Any, done: list[Any], _error: PetBrowserError | None) -> None:
            for tag, result, error in done:
                on_done(tag, result, error)

        self._run(batches(jobs, self.readers), on_batch)
        return [built[n] for n in sorted(built)]

    def pushed_times(self, versions: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """Each ``(class, hash)``'s sidecar ``pushed_at`` (to the millisecond), None
        without one or when it cannot be read; read concurrently.

        Status reads them for the two versions an ahead/behind answer
        compares; each comes from the listing cache when the last listing's
        objects still validate it, and a read is kept there, so the next
        status of an unchanged store reads no object (issue 16).
        """
        got = self.gather(((n, h), lambda n=n, h=h: self._pushed_at(n, h)) for n, h in versions)
        if self.listing_cache.dirty:
            self.listing_cache.save()
        return {k: None if isinstance(r, PetBrowserError) else r for k, r in got.items()}

    def _pushed_at(self, name: str, h: str) -> str | None:
        g = self._listed.get(name)
        obj = g.pkls.get(h) if g is not None else None
        if g is None or obj is None or h not in g.metas:
            meta = self.read_meta(name, h)
            return text_field(meta, "pushed_at") if meta else None
        cache = self.listing_cache
        entry = cache.meta(name, h, _meta_validator(g.metas[h], obj))
        if entry is None:
            entry = self._remember(cache, g, "meta", h, self._listing_meta(name, h))
        return entry[2] if entry else None

    # ------------------------------------------------- reads and the cache
    def _listing_meta(self, name: str, h: str) -> tuple[Any, str | None]:
        """A sidecar's listing fields ``(profile, pushed_at)`` and the token of the read."""
        got = self._read_fact(layout.meta_key(name, h))
        if got is None:
            return None, None
        return listing_facts(got[0], name, h), got[1]

    def _sniff(self, key: str) -> tuple[bool | None, str | None]:
        """The by-reference verdict on a small ``.pkl`` and the token of the read."""
        got = self._read_fact(key)
        if got is None:
            return None, None
        return sniff_by_reference(got[0]), got[1]

    @staticmethod
    def _remember(
        cache: ListingCache, g: ClassObjects, kind: str, h: str | None, result: Any
    ) -> Any:
        """Keep a fetched fact in the cache; return what the listing uses.

        The validator is the listing's for a weak (disk) one; on S3 it is the
        ETag the read itself returned, so the bytes read and the key they are
        kept under always belong together, even when the object changed
        between the listing and the read.
        """
        if kind == "pointer":
            if result is not None:
                cache.put_pointer(g.name, _validator(g.latest, result.token), result)
            return result
        value, token = result
        if kind == "meta":
            if value is None:
                return None
            profile, pushed_at = value
            ts = timestamp_of(pushed_at)
            side, obj = g.metas.get(h), g.pkls.get(h)  # type: ignore[arg-type]
            strong = side is not None and side.etag is not None and not side.etag.startswith('W/"')
            validator = token if strong else _meta_validator(side, obj) if obj else None
            return cache.put_meta(g.name, h, validator, profile, pushed_at, ts)  # type: ignore[arg-type]
        validator = _validator(g.pkls.get(h), token)  # type: ignore[arg-type]
        if validator is not None:
            cache.put_sniff(g.name, h, validator, value)  # type: ignore[arg-type]
        return value

    def _assemble(
        self,
        g: ClassObjects,
        fetched: dict[tuple[str, str | None], Any],
        problems: list[str],
        *,
        meta_fetched: bool = True,
        fields: dict[int, tuple[Any, ...]] | None = None,
        provisional: bool = False,
    ) -> ClassInfo:
        """One class from what its listing found and what was fetched (or cached) for it.

        ``fields`` remembers each shared profile's checked fields (by index)
        over a whole listing: 20,000 versions share a handful.  ``provisional``:
        the reads are still to come (``list_classes``), so a version whose
        sidecar is not in yet still has one.
        """
        ranked: list[tuple[float, str, VersionInfo]] = []
        if fields is None:
            fields = {}
        profiles = self.listing_cache.profiles
        name = g.name
        for h, obj in g.pkls.items():
            got = fetched.get(("meta", h)) if meta_fetched else None
            if got is not None:
                # a cache entry: [validator, profile index, pushed_at, sort time]
                _, i, pushed_at, ts = got
                meta = profiles[i]
                f = fields.get(i)
                if f is None:
                    by_ref = meta.get("by_reference")
                    f = fields[i] = (
                        by_ref if isinstance(by_ref, bool) else None,
                        text_field(meta, "pushed_by"),
                        text_field(meta, "python_version"),
                        text_field(meta, "hash_scheme"),
                    )
                if not pushed_at or ts is None:
                    # pushed_at from the file time says whole seconds: so does its sort key
                    ts = _whole_second(obj.modified)
                    pushed_at = pushed_at or _iso_seconds(ts)
                v = VersionInfo(name, h, obj.size, True, f[0], pushed_at, f[1], f[2], f[3], meta)
            else:
                ts = _whole_second(obj.modified)
                by_ref = fetched.get(("sniff", h)) if obj.size < SNIFF_LIMIT else False
                # not fetched: the listing still says whether there is a sidecar
                v = VersionInfo(
                    name,
                    h,
                    obj.size,
                    (provisional or not meta_fetched) and h in g.metas,
                    by_ref,
                    _iso_seconds(ts),
                    # no sidecar at all: LabChain wrote it, named by LabChain's hash
                    hash_scheme=None if h in g.metas else "labchain",
                )
            ranked.append((-(ts or 0.0), h, v))
        ranked.sort()  # newest first; the hash breaks ties (hashes are unique)
        versions = tuple(r[2] for r in ranked)
        pointer: Pointer | None = fetched.get(("pointer", None))
        if pointer is not None and pointer.hash not in g.pkls:
            problems.append(
                f"latest.json of '{g.name}' points to {short(pointer.hash)}, which is not in the store"
            )
        if g.metas.keys() - g.pkls.keys():
            problems.append(
                f"{len(g.metas.keys() - g.pkls.keys())} metadata file(s) without a .pkl"
            )
        return ClassInfo(
            name=g.name,
            versions=versions,
            latest=pointer.hash if pointer is not None else None,
            pointer=pointer,
            problems=tuple(problems),
        )
