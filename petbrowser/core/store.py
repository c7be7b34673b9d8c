"""The class store on top of a byte-level ``Storage``: classes, versions,
the ``latest`` pointer and its history, and ``verify``.

Written once for both backends.  Nothing here unpickles anything: pickles
are only ever walked opcode by opcode (``pickletools.genops``), pointers are
read by an unpickler that refuses every global (``petbrowser.core.pointer``).

Crash consistency, in one place:

- a version is its ``.pkl``; the ``.pkl`` is written before its
  ``.meta.json``, both create-only.  A crash in between leaves a valid
  old-style version without metadata (a later push adds the sidecar); a
  ``.meta.json`` without its ``.pkl`` is never listed as a version (verify
  warns about it).
- a pointer move is a compare-and-swap of ``latest.json`` first, then the
  history object.  The Storage interface cannot delete, so an "intent"
  record written first could never be withdrawn when the CAS loses; writing
  history second means history never claims a move that did not happen.  A
  crash in the window leaves a moved pointer without a record: the JSON
  pointer itself still says ``previous``/``updated_at``/``updated_by``, and
  verify warns "moved without a history record".
"""

from __future__ import annotations

import getpass
import hashlib
import json
import pickletools
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Final

from petbrowser.core import layout
from petbrowser.core.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    CorruptPointerError,
    IntegrityError,
    NotFoundError,
    PetBrowserError,
    StorageError,
    StoreNotFoundError,
    StoreUnreachableError,
    UsageError,
)
from petbrowser.core.models import (
    ClassInfo,
    HistoryEntry,
    ObjectInfo,
    Pointer,
    VerifyIssue,
    VerifyReport,
    VersionInfo,
)
from petbrowser.core.names import is_class_name, is_hash, validate_class_name, validate_hash
from petbrowser.core.pointer import encode_pointer, parse_pointer, sniff_encoding
from petbrowser.core.storage.base import Storage
from petbrowser.core.times import parse_utc

__all__ = ["ACTIONS", "ANY", "MIN_PREFIX", "Store", "short", "sniff_by_reference"]


class _Any:
    """Sentinel type of :data:`ANY`."""

    def __repr__(self) -> str:
        return "ANY"


#: ``move_latest(expected=ANY)``: whatever the pointer is now (still compare-and-swapped).
ANY: Final = _Any()
ACTIONS = ("push", "rollback", "undo", "redo")
MIN_PREFIX = 6
#: Pickles smaller than this are read and sniffed for "by reference" when there is no meta.
SNIFF_LIMIT = 200
#: Errors that mean the whole store is unusable, not one object: they abort a listing.
_FATAL = (StoreUnreachableError, AccessDeniedError, StoreNotFoundError)
_REFERENCE_OPS = {
    "PROTO", "FRAME", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
    "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "STACK_GLOBAL", "GLOBAL", "STOP",
}  # fmt: skip
_BYTES_OPS = {"SHORT_BINBYTES", "BINBYTES", "BINBYTES8"}
_WRAPPER_OPS = {"PROTO", "FRAME", "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "STOP"}


def short(h: str | None) -> str:
    """The 12-character form of a hash shown to people."""
    return h[:12] if h else "-"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso_from_ts(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _history_body(doc: dict[str, Any]) -> bytes:
    """The bytes of one history record (one JSON document, as DESIGN.md's layout wants)."""
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def _ts(text: str | None) -> float | None:
    at = parse_utc(text)
    return at.timestamp() if at is not None else None


def _text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) else None


def _default_user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def walk_pickle(data: bytes) -> list[str]:
    """Opcode names of ``data``, read without executing anything.

    Raises ``ValueError`` for a truncated or malformed pickle.
    """
    ops: list[str] = []
    for op, _arg, _pos in pickletools.genops(data):
        ops.append(op.name)
    if not ops or ops[-1] != "STOP":
        raise ValueError("pickle ends before its STOP opcode")
    return ops


def sniff_by_reference(data: bytes) -> bool | None:
    """True when the pickle only names one global (``module.Class``) and holds no code.

    That is how pickle stores a class from an importable module; loading it
    just imports the module.  A pickle that only wraps one bytes object (a
    storage layer that pickles the cloudpickle bytes again) is judged by the
    pickle inside.  None when the bytes are not a readable pickle.
    """
    try:
        ops = walk_pickle(data)
        args = [arg for op, arg, _pos in pickletools.genops(data)]
    except Exception:  # noqa: BLE001 - genops raises several types on garbage
        return None
    payload = [a for op, a in zip(ops, args, strict=True) if op in _BYTES_OPS]
    if len(payload) == 1 and all(op in _WRAPPER_OPS | _BYTES_OPS for op in ops):
        return sniff_by_reference(payload[0])
    globals_ = sum(1 for op in ops if op in ("STACK_GLOBAL", "GLOBAL"))
    return globals_ == 1 and all(op in _REFERENCE_OPS for op in ops)


@dataclass
class _ClassObjects:
    """What one listing pass found in one ``plugins/<Class>/`` folder."""

    name: str
    pkls: dict[str, ObjectInfo] = field(default_factory=dict)
    metas: dict[str, ObjectInfo] = field(default_factory=dict)
    latest: ObjectInfo | None = None
    history: list[ObjectInfo] = field(default_factory=list)
    other: list[ObjectInfo] = field(default_factory=list)


def _group(objects: Iterable[ObjectInfo]) -> dict[str, _ClassObjects]:
    groups: dict[str, _ClassObjects] = {}
    for obj in objects:
        parts = layout.parse_key(obj.key)
        if parts is None:
            continue
        g = groups.setdefault(parts.class_name, _ClassObjects(parts.class_name))
        if parts.kind == "pkl":
            g.pkls[parts.hash] = obj  # type: ignore[index]
        elif parts.kind == "meta":
            g.metas[parts.hash] = obj  # type: ignore[index]
        elif parts.kind == "latest":
            g.latest = obj
        elif parts.kind == "history":
            g.history.append(obj)
        else:
            g.other.append(obj)
    return groups


def _parse_meta(data: bytes, name: str, h: str) -> dict[str, Any]:
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        meta = None
    if not isinstance(meta, dict):
        raise IntegrityError(f"metadata of {name} {short(h)} is not a JSON object")
    return meta


#: Sidecar fields a listing does not keep: the bulk of every sidecar, read
#: again (``Store.read_meta``) when one version is inspected.  Keeping them
#: for 20,000 versions held ~130 MB in the GUI process (docs/performance.md).
_LISTING_DROPS: Final = frozenset({"source", "methods", "attributes", "globals"})


def _listing_meta(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """A sidecar as a listing keeps it: without source and disassembly."""
    if meta is None:
        return None
    return {k: v for k, v in meta.items() if k not in _LISTING_DROPS}


def _batches(
    jobs: list[tuple[Any, Callable[[], Any]]], workers: int
) -> list[tuple[Any, Callable[[], Any]]]:
    """Group ``jobs`` into batch jobs returning ``[(tag, result, error), ...]``.

    Why: one future per object (21,000 for 1,000 classes x 20 versions) cost
    more in submit and lock traffic than the reads themselves on disk.
    Batches stay small enough (about four per worker, at most 32 reads) that
    latency-bound S3 reads still run ``workers`` at a time.  Store-level
    errors still stop everything (they propagate out of the batch).
    """
    size = max(1, min(32, len(jobs) // (workers * 4)))
    if size == 1:
        return [(tag, _single(tag, fn)) for tag, fn in jobs]

    def run(chunk: list[tuple[Any, Callable[[], Any]]]) -> list[Any]:
        out = []
        for tag, fn in chunk:
            try:
                out.append((tag, fn(), None))
            except _FATAL:
                raise
            except PetBrowserError as exc:
                out.append((tag, None, exc))
        return out

    return [
        (i, lambda c=jobs[i : i + size]: run(c)) for i in range(0, len(jobs), size)
    ]


def _single(tag: Any, fn: Callable[[], Any]) -> Callable[[], list[Any]]:
    def run() -> list[Any]:
        try:
            return [(tag, fn(), None)]
        except _FATAL:
            raise
        except PetBrowserError as exc:
            return [(tag, None, exc)]

    return run


def _parse_history(data: bytes, obj: ObjectInfo, name: str) -> HistoryEntry:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        doc = None
    ok = (
        isinstance(doc, dict)
        and isinstance(doc.get("at"), str)
        and doc.get("action") in ACTIONS
        and is_hash(doc.get("to"))
        and (doc.get("from") is None or is_hash(doc.get("from")))
        and isinstance(doc.get("by", ""), str)
    )
    if not ok:
        raise IntegrityError(f"history record '{obj.key}' is not a valid pointer move")
    return HistoryEntry(
        at=doc["at"],
        action=doc["action"],
        from_hash=doc.get("from"),
        to_hash=doc["to"],
        by=doc.get("by", ""),
        class_name=name,
        key=obj.key,
    )


class Store:
    """Classes, versions, pointer and history of one store.

    Every method is one blocking call, safe to run on a worker thread; reads
    fan out over at most ``max_workers`` concurrent requests.
    """

    def __init__(self, storage: Storage, *, user: str | None = None, max_workers: int = 16) -> None:
        self.storage = storage
        self.user = user or _default_user()
        self.max_workers = max(1, max_workers)
        # Versions are immutable (create-only), so what a listing learnt about
        # one stays true: a refresh re-reads only pointers and new versions.
        self._version_cache: dict[tuple[str, str, str], Any] = {}
        self._cache_lock = threading.Lock()

    @property
    def url(self) -> str:
        return str(getattr(self.storage, "url", ""))

    # ------------------------------------------------------------ plumbing
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
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs))) as pool:
            pending: dict[Future[Any], Any] = {pool.submit(fn): tag for tag, fn in jobs}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        tag = pending.pop(fut)
                        try:
                            result, error = fut.result(), None
                        except _FATAL:
                            raise
                        except PetBrowserError as exc:
                            result, error = None, exc
                        on_done(tag, result, error)
            finally:
                for fut in pending:
                    fut.cancel()

    def _read_token(self, key: str) -> tuple[bytes, str] | None:
        try:
            return self.storage.read_with_token(key)
        except StoreNotFoundError:
            raise
        except NotFoundError:
            return None

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
        groups = _group(self.storage.list(layout.PLUGINS))
        return self._build(groups, on_class, with_pointers=with_pointers, with_meta=with_meta)

    def get_class(self, name: str) -> ClassInfo:
        """One class, from a listing of its own prefix only; NotFoundError if absent."""
        validate_class_name(name)
        groups = _group(self.storage.list(layout.class_prefix(name)))
        g = groups.get(name)
        if g is None or (not g.pkls and g.latest is None):
            raise NotFoundError(f"class '{name}' is not in store {self.url}")
        return self._build({name: g}, None)[0]

    def _build(
        self,
        groups: dict[str, _ClassObjects],
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
                                "meta", n, h, lambda: _listing_meta(self.read_meta(n, h))
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

        self._run(_batches(jobs, self.max_workers), on_batch)
        return [built[n] for n in sorted(built)]

    def _assemble(
        self,
        g: _ClassObjects,
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
                        pushed_at=_text(meta, "pushed_at") or _iso_from_ts(obj.modified),
                        pushed_by=_text(meta, "pushed_by"),
                        python_version=_text(meta, "python_version"),
                        hash_scheme=_text(meta, "hash_scheme"),
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
                        pushed_at=_iso_from_ts(obj.modified),
                    )
                )

        def newest_first(v: VersionInfo) -> tuple[float, str]:
            ts = _ts(v.pushed_at)
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

    # -------------------------------------------------------------- reads
    def read_pointer(self, name: str) -> Pointer | None:
        """The parsed ``latest.json`` with its CAS token; None when there is none."""
        got = self._read_token(layout.latest_key(name))
        if got is None:
            return None
        data, token = got
        return replace(parse_pointer(data, name), token=token)

    def read_pkl(self, name: str, h: str) -> bytes:
        """The raw ``.pkl`` bytes (never unpickled here)."""
        try:
            return self.storage.read(layout.version_key(name, h))
        except StoreNotFoundError:
            raise
        except NotFoundError:
            raise NotFoundError(
                f"version {short(h)} of '{name}' is not in store {self.url}"
            ) from None

    def _cached(self, kind: str, name: str, h: str, fetch: Callable[[], Any]) -> Any:
        """``fetch()`` once per immutable version fact; None results are not kept."""
        key = (kind, name, h)
        with self._cache_lock:
            if key in self._version_cache:
                return self._version_cache[key]
        value = fetch()
        if value is not None:
            with self._cache_lock:
                self._version_cache[key] = value
        return value

    def read_meta(self, name: str, h: str) -> dict[str, Any] | None:
        """The version's ``.meta.json``; None for versions without one; IntegrityError if garbled."""
        got = self._read_token(layout.meta_key(name, h))
        return None if got is None else _parse_meta(got[0], name, h)

    # ------------------------------------------------------------- writes
    def write_version(self, name: str, h: str, pkl: bytes, meta: dict[str, Any] | None) -> bool:
        """Store a version, create-only; True if the ``.pkl`` was new.

        An existing ``.pkl`` is never overwritten: identical bytes make this a
        no-op (False), different bytes raise IntegrityError.  The ``.pkl`` goes
        first, its ``.meta.json`` second (see the module docstring); a meta
        that is already there is kept as is.
        """
        vkey = layout.version_key(name, h)
        if meta is not None:
            want = meta.get("pkl_sha256")
            if want is not None and want != hashlib.sha256(pkl).hexdigest():
                raise IntegrityError(
                    f"metadata of {name} {short(h)} does not match its pickle bytes"
                )
        created = True
        try:
            self.storage.create(vkey, pkl)
        except AlreadyExistsError:
            created = False
            if self.storage.read(vkey) != pkl:
                raise IntegrityError(
                    f"version {short(h)} of '{name}' already exists with different bytes; not overwritten"
                ) from None
        if meta is not None:
            body = (json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")
            try:
                self.storage.create(layout.meta_key(name, h), body)
            except AlreadyExistsError:
                pass
        return created

    def move_latest(
        self,
        name: str,
        to_hash: str,
        expected: str | None | object = ANY,
        action: str = "rollback",
    ) -> HistoryEntry:
        """Move ``latest`` of ``name`` to the existing version ``to_hash``.

        ``expected`` is the hash the caller last saw (None: there must be no
        pointer yet; ANY: whatever is there now).  Either way the write is a
        compare-and-swap against the pointer actually read, so a concurrent
        move raises ConflictError(expected=..., actual=...) and changes
        nothing.  The pointer keeps its encoding (LabChain's pickled dict
        stays a pickled dict).  Then the history record is written (order
        and crash window: module docstring).  Moving to where the pointer
        already is writes nothing and returns an entry with ``key == ""``.
        """
        from petbrowser.core.errors import ConflictError

        validate_class_name(name)
        validate_hash(to_hash)
        if action not in ACTIONS:
            raise UsageError(f"unknown pointer action {action!r} (one of {', '.join(ACTIONS)})")
        if expected is not ANY and expected is not None:
            validate_hash(expected)
        if not self.storage.exists(layout.version_key(name, to_hash)):
            raise NotFoundError(f"version {short(to_hash)} of '{name}' is not in store {self.url}")

        key = layout.latest_key(name)
        got = self._read_token(key)
        current: Pointer | None = None
        token: str | None = None
        encoding = "json"
        if got is not None:
            data, token = got
            encoding = sniff_encoding(data)
            try:
                current = parse_pointer(data, name)
                encoding = current.encoding
            except CorruptPointerError:
                if expected is not ANY:
                    raise
                # ANY on a corrupt pointer is the repair path: overwrite it (still CAS).
        actual = current.hash if current is not None else None
        if expected is not ANY and expected != actual:
            raise ConflictError(
                f"latest of '{name}' is {short(actual) if actual else 'unset'}, "
                f"not {short(expected) if expected else 'unset'}: it moved since you looked; reload and retry",  # type: ignore[arg-type]
                expected=expected,  # type: ignore[arg-type]
                actual=actual,
            )
        at = _now()
        if actual == to_hash:
            return HistoryEntry(_iso(at), action, actual, to_hash, self.user, name, "")
        if current is not None:
            self._heal_history(current)

        extra = dict(current.extra) if current is not None else {}
        if encoding == "json":
            extra["action"] = action  # lets the next move rebuild a record lost in a crash
        new = Pointer(
            hash=to_hash,
            class_name=name,
            encoding=encoding,
            updated_at=_iso(at),
            updated_by=self.user,
            previous=actual,
            extra=extra,
        )
        data = encode_pointer(new)
        try:
            self.storage.replace(key, data, token)
        except ConflictError:
            if encoding == "json" and self._holds(key, data):
                # Our write landed and only its answer was lost (a retried S3 PUT then
                # fails If-Match): the JSON pointer carries our time and user, so it is ours.
                return self._record(name, at, action, actual, to_hash)
            now = self.read_pointer_quietly(name)
            raise ConflictError(
                f"latest of '{name}' moved while you were moving it (now {short(now) if now else 'unset'}); "
                "nothing was changed",
                expected=actual,
                actual=now,
            ) from None
        return self._record(name, at, action, actual, to_hash)

    def _heal_history(self, current: Pointer) -> None:
        """Write the history record of the move that set ``current``, if a crash lost it.

        A move is compare-and-swap on ``latest.json`` first, history record
        second; a process killed in between leaves a pointer whose move is not
        recorded.  petbrowser's JSON pointers carry the time, user, previous
        hash and action of the move that wrote them, and the record's key is
        derived from that time, so the next move re-creates the record
        (create-only: a record that exists is left alone).  LabChain's pickled
        pointers carry none of this and are left as they are.
        """
        if current.encoding != "json" or not current.updated_at or not current.updated_by:
            return
        at = parse_utc(current.updated_at)
        if at is None:
            return
        action = current.extra.get("action")
        if action not in ACTIONS:
            action = "rollback"
        doc = {
            "at": _iso(at),
            "action": action,
            "from": current.previous,
            "to": current.hash,
            "by": current.updated_by,
            "class_name": current.class_name,
            "recovered": True,
        }
        hkey = layout.history_key(current.class_name, at, current.hash)
        try:
            if not self.storage.exists(hkey):
                self.storage.create(hkey, _history_body(doc))
        except AlreadyExistsError:
            pass  # written meanwhile by the mover itself or another healer

    def _same_move(self, hkey: str, doc: dict[str, Any]) -> bool:
        """True when the record at ``hkey`` describes the move ``doc`` describes."""
        try:
            have = json.loads(self.storage.read(hkey).decode("utf-8"))
        except (PetBrowserError, UnicodeDecodeError, ValueError):
            return False
        fields = ("at", "action", "from", "to", "by")
        return isinstance(have, dict) and all(have.get(f) == doc[f] for f in fields)

    def _holds(self, key: str, data: bytes) -> bool:
        """True when ``key`` holds exactly ``data`` (False when unreadable)."""
        try:
            return self.storage.read(key) == data
        except PetBrowserError:
            return False

    def read_pointer_quietly(self, name: str) -> str | None:
        """The pointer's hash, or None when absent or unreadable (for messages)."""
        try:
            ptr = self.read_pointer(name)
        except PetBrowserError:
            return None
        return ptr.hash if ptr is not None else None

    def _record(
        self, name: str, at: datetime, action: str, frm: str | None, to: str
    ) -> HistoryEntry:
        doc = {
            "at": _iso(at),
            "action": action,
            "from": frm,
            "to": to,
            "by": self.user,
            "class_name": name,
        }
        for _attempt in range(5):
            hkey = layout.history_key(name, at, to)
            try:
                self.storage.create(hkey, _history_body(doc))
                return HistoryEntry(doc["at"], action, frm, to, self.user, name, hkey)
            except AlreadyExistsError:
                if self._same_move(hkey, doc):
                    # our own record whose answer was lost, or one the next mover
                    # already re-created from the pointer (_heal_history): written once
                    return HistoryEntry(doc["at"], action, frm, to, self.user, name, hkey)
                at = _now()  # same microsecond as another record: take a fresh time
                doc["at"] = _iso(at)
            except PetBrowserError as exc:
                raise StorageError(
                    f"latest of '{name}' now is {short(to)}, but its history record could not be written: {exc.message}"
                ) from None
        raise StorageError(
            f"latest of '{name}' now is {short(to)}, but its history record could not be written"
        )

    # ------------------------------------------------------------ history
    def history(self, name: str) -> list[HistoryEntry]:
        """Pointer moves of ``name``, oldest first; unreadable records are skipped
        (``verify`` reports them)."""
        objs = [
            o for o in self.storage.list(layout.history_prefix(name))
            if (p := layout.parse_key(o.key)) is not None and p.kind == "history"
        ]  # fmt: skip
        entries: list[HistoryEntry] = []

        def on_done(tag: ObjectInfo, result: Any, error: PetBrowserError | None) -> None:
            if result is not None:
                entries.append(result)

        self._run(
            [(o, lambda o=o: _parse_history(self.storage.read(o.key), o, name)) for o in objs],
            on_done,
        )
        entries.sort(key=lambda e: e.key)
        return entries

    # ------------------------------------------------------------ resolve
    def resolve(self, name: str, ref: str) -> str:
        """The full hash for ``ref``: ``latest``, a full hash, or a unique prefix (>= 6 hex)."""
        validate_class_name(name)
        ref = (ref or "").strip()
        if ref == "latest":
            ptr = self.read_pointer(name)
            if ptr is None:
                if not any(True for _ in self.storage.list(layout.class_prefix(name))):
                    raise NotFoundError(f"class '{name}' is not in store {self.url}")
                raise NotFoundError(f"'{name}' has no latest pointer")
            if not self.storage.exists(layout.version_key(name, ptr.hash)):
                raise CorruptPointerError(
                    f"latest.json of '{name}' points to {short(ptr.hash)}, which is not in the store"
                )
            return ptr.hash
        low = ref.lower()
        if not low or any(c not in "0123456789abcdef" for c in low):
            raise UsageError(f"{ref[:80]!r} is not a hash, a hash prefix or 'latest'")
        if len(low) < MIN_PREFIX:
            raise UsageError(
                f"hash prefix {ref!r} is too short: give at least {MIN_PREFIX} characters"
            )
        if len(low) > 64:
            raise UsageError(f"{ref[:80]!r} is longer than a hash")
        groups = _group(self.storage.list(layout.class_prefix(name)))
        g = groups.get(name)
        hashes = sorted(g.pkls) if g is not None else []
        if not hashes and (g is None or g.latest is None):
            raise NotFoundError(f"class '{name}' is not in store {self.url}")
        matches = [h for h in hashes if h.startswith(low)]
        if not matches:
            raise NotFoundError(f"no version of '{name}' starts with {low}")
        if len(matches) > 1:
            raise UsageError(
                f"hash prefix {low} of '{name}' is ambiguous: "
                + ", ".join(short(h) for h in matches)
            )
        return matches[0]

    # ------------------------------------------------------------- verify
    def verify(self, on_progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Check every object under ``plugins/`` without unpickling anything.

        Problems: a pointer that does not parse or points nowhere, metadata
        that does not parse or does not match its pickle (size, sha256, hash),
        a truncated or unreadable pickle or object, a pickle whose loading would
        call something beyond cloudpickle's rebuilding (safe_pickle; never
        loaded).  Warnings: by-reference
        pickles, versions without metadata, metadata without a pickle, stray
        temporary/lock files, unexpected objects, unreadable history records,
        a pointer that moved without a history record.
        """
        objects = list(self.storage.list(layout.PLUGINS))
        groups = _group(objects)
        issues: list[VerifyIssue] = []
        checked = sum(1 for o in objects if layout.parse_key(o.key) is not None)

        def problem(key: str, msg: str) -> None:
            issues.append(VerifyIssue("problem", key, msg))

        def warning(key: str, msg: str) -> None:
            issues.append(VerifyIssue("warning", key, msg))

        list_internal = getattr(self.storage, "list_internal", None)
        if list_internal is not None:
            for obj in list_internal(layout.PLUGINS):
                checked += 1
                warning(obj.key, "stray temporary or lock file (left by an interrupted write)")

        jobs: list[tuple[Any, Callable[[], Any]]] = []
        last_moves: dict[str, list[HistoryEntry]] = defaultdict(list)
        for name, g in sorted(groups.items()):
            if not is_class_name(name):
                warning(f"plugins/{name}/", "not a valid class name; its objects are not read")
                continue
            for obj in g.other:
                warning(obj.key, "unexpected object in a class folder")
            for h in g.metas.keys() - g.pkls.keys():
                warning(g.metas[h].key, "metadata without its .pkl (an interrupted push?)")
            if g.latest is not None:
                jobs.append(((name, "pointer", g.latest.key), lambda n=name: self.read_pointer(n)))
            for h, obj in g.pkls.items():
                jobs.append(
                    (
                        (name, "pkl", obj.key),
                        lambda n=name, h=h, g=g: self._check_version(n, h, h in g.metas),
                    )
                )
            for obj in g.history:
                jobs.append(
                    (
                        (name, "history", obj.key),
                        lambda n=name, o=obj: _parse_history(self.storage.read(o.key), o, n),
                    )
                )

        total = len(jobs)
        done = 0
        pointers: dict[str, Pointer | None] = {}

        def on_done(tag: tuple[str, str, str], result: Any, error: PetBrowserError | None) -> None:
            nonlocal done
            name, kind, key = tag
            done += 1
            if kind == "pointer":
                if error is not None:
                    problem(key, error.message)
                else:
                    pointers[name] = result
                    if result is not None and result.hash not in groups[name].pkls:
                        problem(key, f"points to {short(result.hash)}, which is not in the store")
            elif kind == "pkl":
                if error is not None:
                    problem(key, error.message)
                else:
                    for level, msg in result:
                        issues.append(VerifyIssue(level, key, msg))
            elif kind == "history":
                if error is not None:
                    warning(key, error.message)
                else:
                    last_moves[name].append(result)
            if on_progress is not None:
                on_progress(done, total)

        self._run(jobs, on_done)
        for name, moves in last_moves.items():
            ptr = pointers.get(name)
            last = max(moves, key=lambda e: e.key)
            if ptr is not None and ptr.hash != last.to_hash:
                warning(
                    layout.latest_key(name),
                    f"latest moved to {short(ptr.hash)} without a history record "
                    f"(last record: {short(last.to_hash)}; moved by another tool, or interrupted)",
                )
        issues.sort(key=lambda i: (i.level != "problem", i.key))
        return VerifyReport(checked=checked, issues=tuple(issues))

    def _check_version(self, name: str, h: str, has_meta: bool) -> list[tuple[str, str]]:
        """(level, message) findings for one version: its pickle against its metadata."""
        found: list[tuple[str, str]] = []
        data = self.read_pkl(name, h)
        try:
            walk_pickle(data)
        except Exception as exc:  # noqa: BLE001 - genops raises several types on garbage
            found.append(("problem", f"truncated or unreadable pickle ({str(exc)[:120]})"))
        else:
            from petbrowser.core.safe_pickle import scan_pickle  # static: loads nothing

            unsafe = scan_pickle(data).unsafe
            if unsafe:
                found.append(
                    ("problem", "unsafe pickle: loading it would call " + ", ".join(unsafe[:5]))
                )
        meta: dict[str, Any] | None = None
        if has_meta:
            try:
                meta = self.read_meta(name, h)
            except IntegrityError as exc:
                found.append(("problem", exc.message))
        if meta is not None:
            size, digest = meta.get("pkl_size"), meta.get("pkl_sha256")
            if size is not None and size != len(data):
                found.append(("problem", f"size {len(data)} does not match the recorded {size}"))
            if digest is not None and digest != hashlib.sha256(data).hexdigest():
                found.append(("problem", "sha256 does not match the recorded digest"))
            if meta.get("hash") not in (None, h):
                found.append(
                    ("problem", f"metadata is for another hash ({str(meta.get('hash'))[:80]})")
                )
        elif not has_meta:
            found.append(("warning", "no metadata (written by LabChain or an older tool)"))
        by_ref = meta.get("by_reference") if meta is not None else None
        if by_ref is None and len(data) < SNIFF_LIMIT:
            by_ref = sniff_by_reference(data)
        if by_ref is True:
            found.append(("warning", "pickled by reference: names the class, no code captured"))
        return found
