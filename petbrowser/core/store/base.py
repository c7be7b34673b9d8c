"""The state every part of the store shares and the fan-out of reads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, TypeVar

from petbrowser.core import layout
from petbrowser.core.cache import ListingCache
from petbrowser.core.errors import (
    NotFoundError,
    PetBrowserError,
    StoreNotFoundError,
)
from petbrowser.core.storage.base import Storage
from petbrowser.core.storage.local import LocalStorage
from petbrowser.core.store.common import FATAL_ERRORS, default_user
from petbrowser.core.store.records import ClassObjects, group_objects

if TYPE_CHECKING:
    from petbrowser.core.models import ObjectInfo

Tag = TypeVar("Tag")
Result = TypeVar("Result")


def _validator(listed: ObjectInfo | None, token: str | None) -> str | None:
    """What a fact read from ``listed`` is kept under: a weak (disk) validator
    from the listing, else the ETag the read returned (``token``; see
    ``StoreBase._read_fact``).  Listing facts and history records use it."""
    if listed is None or listed.etag is None:
        return None
    return listed.etag if listed.etag.startswith('W/"') else token


class StoreBase:
    """State and plumbing every part of :class:`Store` uses."""

    def __init__(
        self,
        storage: Storage,
        *,
        user: str | None = None,
        max_workers: int = 16,
        cache: ListingCache | bool = True,
    ) -> None:
        """``cache``: True for this store's listing cache under the user's cache
        folder (``core/cache.py``), False for one kept in memory by this Store
        only (a refresh still re-reads nothing unchanged), or the one to use."""
        self.storage = storage
        self.user = user or default_user()
        self.max_workers = max(1, max_workers)
        if isinstance(cache, bool):
            cache = ListingCache.for_storage(storage, persistent=cache)
        #: What listings learnt (across processes when persistent).
        self.listing_cache: ListingCache = cache
        # Versions are immutable (create-only), so what a listing learnt about
        # one stays true: a refresh re-reads only pointers and new versions.
        self._version_cache: dict[tuple[str, str, str], Any] = {}
        self._cache_lock = threading.Lock()
        #: The objects of each class the last listing found (what cached facts are checked against).
        self._listed: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return str(getattr(self.storage, "url", ""))

    def _class_objects(self) -> dict[str, ClassObjects]:
        """``plugins/`` grouped per class, without the history records where the
        backend can leave them out (S3: ``list_pruned``; a third of the keys).

        For what needs versions and pointers only; the groups' ``history`` may
        then be empty.
        """
        lister = getattr(self.storage, "list_pruned", None)
        if lister is None:
            return group_objects(self.storage.list(layout.PLUGINS))
        pruned: list[str] = []
        return group_objects(lister(layout.PLUGINS, layout.HISTORY_DIR, pruned.append), pruned)

    # ------------------------------------------------------------ plumbing
    #: Concurrent readers of a store on disk (``readers``).
    LOCAL_READERS = 1

    @property
    def readers(self) -> int:
        """How many reads run at once: ``max_workers`` for a remote store, whose reads
        wait on the network; one on disk, where a read is Python work on a file the
        page cache holds.  There more threads only queue for the interpreter: a
        first listing of 20,000 sidecars took 2.95 s with one reader, 3.3 s with two,
        3.9 s with four, and the window's UI thread queued behind all sixteen for
        every call Qt made into Python, so a first open's tree stayed blank until
        the last sidecar was read (docs/performance.md).  A store on a network
        mount pays for this with serial reads (README, performance section).
        """
        local = isinstance(self.storage, LocalStorage)
        return min(self.max_workers, self.LOCAL_READERS) if local else self.max_workers

    def _run(
        self,
        jobs: list[tuple[Any, Callable[[], Any]]],
        on_done: Callable[[Any, Any, PetBrowserError | None], None],
    ) -> None:
        """Run ``jobs`` (tag, fn) concurrently; ``on_done(tag, result, error)`` on this thread.

        Per-object errors go to ``on_done``; store-level errors (unreachable,
        denied, gone) cancel the rest and propagate.
        """
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=min(self.readers, len(jobs))) as pool:
            pending: dict[Future[Any], Any] = {pool.submit(fn): tag for tag, fn in jobs}
            try:
                # as_completed watches every future once; a wait(FIRST_COMPLETED) loop
                # re-armed a waiter on all pending futures per result: quadratic in the
                # number of batches (0.5 s of a 20,000-sidecar listing, docs/performance.md).
                for fut in as_completed(pending):
                    tag = pending.pop(fut)
                    try:
                        result, error = fut.result(), None
                    except FATAL_ERRORS:
                        raise
                    except PetBrowserError as exc:
                        result, error = None, exc
                    on_done(tag, result, error)
            finally:
                for fut in pending:
                    fut.cancel()

    def gather(self, jobs: Iterable[tuple[Tag, Callable[[], Result]]]) -> dict[Tag, Result | PetBrowserError]:
        """Run ``jobs`` (tag, fn) concurrently, as the store's own reads do: each tag's
        result, or the error reading that one object raised.

        The one fan-out for code outside the store that reads many objects at
        once (restore's pointers, blame's versions); store-level errors
        (unreachable, denied, gone) cancel the rest and propagate.
        """
        out: dict[Tag, Result | PetBrowserError] = {}

        def on_done(tag: Tag, result: Result, error: PetBrowserError | None) -> None:
            out[tag] = error if error is not None else result

        self._run(list(jobs), on_done)
        return out

    def _read_fact(self, key: str) -> tuple[bytes, str | None] | None:
        """An object's bytes and the token of the read (None: the object is gone),
        for a fact a cache keeps (a sidecar's, a sniff verdict, a history record).

        On disk no token: the fact is kept under the listing's own (weak)
        validator (``_validator``), and hashing every sidecar read only to drop
        the digest cost a tenth of a first listing (docs/performance.md).
        """
        if not isinstance(self.storage, LocalStorage):
            return self._read_token(key)
        try:
            return self.storage.read(key), None
        except StoreNotFoundError:
            raise
        except NotFoundError:
            return None

    def _read_token(self, key: str) -> tuple[bytes, str] | None:
        try:
            return self.storage.read_with_token(key)
        except StoreNotFoundError:
            raise
        except NotFoundError:
            return None
