"""Listing the store: classes, versions and pointers in one pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import (
    NotFoundError,
    PetBrowserError,
)
from petbrowser.core.models import (
    ClassInfo,
    Pointer,
    VersionInfo,
)
from petbrowser.core.names import is_class_name, validate_class_name
from petbrowser.core.store.base import StoreBase
from petbrowser.core.store.common import (
    SNIFF_LIMIT,
    iso_from_timestamp,
    short,
    text_field,
    timestamp_of,
)
from petbrowser.core.store.fanout import batches
from petbrowser.core.store.records import ClassObjects, group_objects, listing_meta
from petbrowser.core.store.sniff import sniff_by_reference


class ListingMixin(StoreBase):
    """Listing the store: classes, versions and pointers in one pass."""

    # ------------------------------------------------------------- listing
    def list_classes(
        self,
        *,
        on_class: Callable[[ClassInfo], None] | None = None,
        with_pointers: bool = True,
        with_meta: bool = True,
    ) -> list[ClassInfo]:
        """Every class of the store, sorted by name.

        One listing pass of ``plugins/`` gives classes, versions and sizes;
        pointers and metadata are then fetched concurrently and ``on_class``
        is called (on the calling thread) as soon as each class is complete.
        A class folder whose name is not a valid class name is returned with
        no versions and a problem saying so: it is shown, never read.

        ``with_meta=False`` skips the one read per version of the sidecars
        (20,000 requests for 1,000 classes x 20 versions) when hashes and
        pointers are all that matter, as for status: ``has_meta`` then still
        comes from the listing, ``pushed_at`` from the object's time.
        ``with_pointers=False`` also skips the pointers (``latest`` is None).
        """
        groups = group_objects(self.storage.list(layout.PLUGINS))
        return self._build(groups, on_class, with_pointers=with_pointers, with_meta=with_meta)

    def get_class(self, name: str) -> ClassInfo:
        """One class, from a listing of its own prefix only; NotFoundError if absent."""
        validate_class_name(name)
        groups = group_objects(self.storage.list(layout.class_prefix(name)))
        g = groups.get(name)
        if g is None or (not g.pkls and g.latest is None):
            raise NotFoundError(f"class '{name}' is not in store {self.url}")
        return self._build({name: g}, None)[0]

    def _build(
        self,
        groups: dict[str, ClassObjects],
        on_class: Callable[[ClassInfo], None] | None,
        *,
        with_pointers: bool = True,
        with_meta: bool = True,
    ) -> list[ClassInfo]:
        results: dict[str, dict[tuple[str, str | None], Any]] = defaultdict(dict)
        errors: dict[str, list[str]] = defaultdict(list)
        remaining: dict[str, int] = {}
        built: dict[str, ClassInfo] = {}
        jobs: list[tuple[Any, Callable[[], Any]]] = []

        def finish(name: str) -> None:
            info = self._assemble(groups[name], results[name], errors[name], meta_fetched=with_meta)
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
            if g.latest is not None and with_pointers:
                mine.append(((name, "pointer", None), lambda n=name: self.read_pointer(n)))
            for h, obj in g.pkls.items() if with_meta else ():
                if h in g.metas:
                    mine.append(
                        (
                            (name, "meta", h),
                            lambda n=name, h=h: self._cached(
                                "meta", n, h, lambda: listing_meta(self.read_meta(n, h))
                            ),
                        )
                    )
                elif obj.size < SNIFF_LIMIT:
                    mine.append(
                        (
                            (name, "sniff", h),
                            lambda n=name, h=h, k=obj.key: self._cached(
                                "sniff", n, h, lambda: sniff_by_reference(self.storage.read(k))
                            ),
                        )
                    )
            remaining[name] = len(mine)
            jobs.extend(mine)

        for name, count in remaining.items():
            if count == 0:
                finish(name)

        def on_done(
            tag: tuple[str, str, str | None], result: Any, error: PetBrowserError | None
        ) -> None:
            name, kind, h = tag
            if error is not None:
                errors[name].append(error.message)
            else:
                results[name][(kind, h)] = result
            remaining[name] -= 1
            if remaining[name] == 0:
                finish(name)

        def on_batch(_tag: Any, done: list[Any], _error: PetBrowserError | None) -> None:
            for tag, result, error in done:
                on_done(tag, result, error)

        self._run(batches(jobs, self.max_workers), on_batch)
        return [built[n] for n in sorted(built)]

    def _assemble(
        self,
        g: ClassObjects,
        fetched: dict[tuple[str, str | None], Any],
        problems: list[str],
        *,
        meta_fetched: bool = True,
    ) -> ClassInfo:
        versions: list[VersionInfo] = []
        for h, obj in g.pkls.items():
            meta = fetched.get(("meta", h))
            if isinstance(meta, dict):
                by_ref = meta.get("by_reference")
                versions.append(
                    VersionInfo(
                        class_name=g.name,
                        hash=h,
                        size=obj.size,
                        has_meta=True,
                        by_reference=by_ref if isinstance(by_ref, bool) else None,
                        pushed_at=text_field(meta, "pushed_at") or iso_from_timestamp(obj.modified),
                        pushed_by=text_field(meta, "pushed_by"),
                        python_version=text_field(meta, "python_version"),
                        hash_scheme=text_field(meta, "hash_scheme"),
                        meta=meta,
                    )
                )
            else:
                by_ref = fetched.get(("sniff", h)) if obj.size < SNIFF_LIMIT else False
                versions.append(
                    VersionInfo(
                        class_name=g.name,
                        hash=h,
                        size=obj.size,
                        # not fetched: the listing still says whether there is one
                        has_meta=not meta_fetched and h in g.metas,
                        by_reference=by_ref,
                        pushed_at=iso_from_timestamp(obj.modified),
                        # no sidecar at all: LabChain wrote it, named by LabChain's hash
                        hash_scheme=None if h in g.metas else "labchain",
                    )
                )

        def newest_first(v: VersionInfo) -> tuple[float, str]:
            ts = timestamp_of(v.pushed_at)
            if ts is None:
                ts = g.pkls[v.hash].modified or 0.0
            return (-ts, v.hash)

        versions.sort(key=newest_first)
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
            versions=tuple(versions),
            latest=pointer.hash if pointer is not None else None,
            pointer=pointer,
            problems=tuple(problems),
        )
