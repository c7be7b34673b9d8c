"""A local cache of what a store listing learnt, so the next listing of an
unchanged store costs the listing alone.

Why it can be trusted: every entry is keyed by a validator the listing
itself returns for free, and is used only while the object still has it.

- Versions are immutable (create-only), so a sidecar's listing fields are
  kept under the sidecar's validator, and the by-reference sniff of a
  version without a sidecar under the ``.pkl``'s validator *and* the
  sniffer's own code digest (:func:`sniffer_version`): new sniffing code
  never inherits an old verdict.
- A pointer changes; its parsed content is kept under its validator, so a
  pointer moved by anyone anywhere has a new one and is read again.

Validators are S3's ETag (``ListObjectsV2`` returns it for every object; the
ETag of a read is used, so content and key always belong together) or, on
disk, ``W/"size-mtime_ns-ctime_ns-inode"`` (``storage.local.weak_etag``).  A
weak validator has a clock's granularity, so a pointer (the one object that
is rewritten) whose times are younger than :data:`RACY_SECONDS` is never
stored: a later move within the same clock tick, in a recycled inode, with
the same size could otherwise look unchanged (git's "racy clean" problem,
solved the same way).  Versions are never rewritten, so their facts are
kept at once.

It is an optimization only.  A missing, corrupt, foreign (another store's,
another format's) or partial file is ignored and rebuilt; nothing in it is
ever preferred to an object whose validator differs; writes to the store
never consult it (pointer moves compare-and-swap on the live object).  Files
are replaced atomically (temporary file, ``os.replace``), so two windows or
processes on one store can only lose each other's additions (a later miss),
never corrupt it; before writing, a file another process changed is merged
in.  One folder per store under the user's cache folder (platformdirs),
named by a digest of the store's identity.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Final

from petbrowser.core.models import Pointer
from petbrowser.core.names import is_class_name, is_hash

__all__ = [
    "FORMAT",
    "RACY_SECONDS",
    "ListingCache",
    "cache_folder",
    "sniffer_version",
    "store_identity",
]

#: Bump when the layout of the files changes: older files are then ignored.
FORMAT: Final = 1
#: Weak validators of objects younger than this are not trusted (module docstring).
RACY_SECONDS: Final = 3.0
#: Environment variable that turns the cache off (``0``), for measurements and debugging.
ENV_SWITCH: Final = "PETBROWSER_LISTING_CACHE"

_MISSING: Final = object()
_sniffer: str | None = None


def sniffer_version() -> str:
    """A digest of the by-reference sniffer's code and of this Python.

    Why not a number someone bumps: a cached safety verdict must follow the
    code that produced it, and a forgotten bump would keep an old verdict.
    Any change to ``store/sniff.py`` (or to the Python whose ``pickletools``
    it uses) changes the digest and invalidates every cached verdict.
    """
    global _sniffer
    if _sniffer is None:
        from petbrowser.core.store import sniff

        h = hashlib.sha256(sys.version.encode())
        for fn in (sniff.sniff_by_reference, sniff.walk_pickle):
            h.update(marshal.dumps(fn.__code__))
        for ops in (sniff._REFERENCE_OPS, sniff._BYTES_OPS, sniff._WRAPPER_OPS):  # noqa: SLF001
            h.update(repr(sorted(ops)).encode())
        _sniffer = h.hexdigest()[:32]
    return _sniffer


def store_identity(storage: Any) -> str:
    """What names one store for the cache: the backend's identity, else its URL."""
    ident = getattr(storage, "cache_identity", None)
    return str(ident) if ident else f"url:{getattr(storage, 'url', '')}"


def cache_folder() -> Path | None:
    """``<user cache>/petbrowser/stores`` (None when the cache is switched off)."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "off", "no", "false"):
        return None
    try:
        import platformdirs

        return platformdirs.user_cache_path("petbrowser") / "stores"
    except Exception:  # noqa: BLE001 - no usable home folder: no cache, still correct
        return None


def _clock() -> float:
    """Now, for the racy check (a seam tests move forward instead of sleeping)."""
    return time.time()


def _trusted(validator: Any, now: float) -> bool:
    """A validator worth storing: strong, or weak and old enough (module docstring)."""
    if not isinstance(validator, str) or not validator:
        return False
    if not validator.startswith('W/"'):
        return True
    try:
        _size, mtime_ns, ctime_ns, _ino = validator[3:-1].split("-")
        newest = max(int(mtime_ns), int(ctime_ns)) / 1e9
    except ValueError:
        return False
    return newest <= now - RACY_SECONDS


def _pointer_doc(p: Pointer) -> dict[str, Any]:
    return {
        "hash": p.hash,
        "class_name": p.class_name,
        "encoding": p.encoding,
        "token": p.token,
        "updated_at": p.updated_at,
        "updated_by": p.updated_by,
        "previous": p.previous,
        "extra": p.extra,
    }


def _opt_str(doc: dict[str, Any], key: str) -> str | None:
    v = doc.get(key)
    if v is not None and not isinstance(v, str):
        raise ValueError(key)
    return v


def _pointer_from(doc: Any, name: str) -> Pointer:
    """A cached pointer, checked as strictly as its shape allows (ValueError if off)."""
    if not isinstance(doc, dict) or doc.get("class_name") != name or not is_hash(doc.get("hash")):
        raise ValueError("not a pointer")
    extra = doc.get("extra") or {}
    if not isinstance(extra, dict) or doc.get("encoding") not in ("json", "pickle"):
        raise ValueError("not a pointer")
    previous = _opt_str(doc, "previous")
    if previous is not None and not is_hash(previous):
        raise ValueError("previous")
    return Pointer(
        hash=doc["hash"],
        class_name=name,
        encoding=doc["encoding"],
        token=_opt_str(doc, "token"),
        updated_at=_opt_str(doc, "updated_at"),
        updated_by=_opt_str(doc, "updated_by"),
        previous=previous,
        extra=extra,
    )


class _File:
    """One JSON document of the cache: loaded whole, replaced atomically."""

    def __init__(self, path: Path, identity: str, kind: str, version: str = "") -> None:
        self.path = path
        self.header = {"format": FORMAT, "store": identity, "kind": kind, "version": version}
        self.seen: tuple[int, int, int] | None = None  # what was on disk when loaded

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self) -> dict[str, Any]:
        """The document's body, or {} when it is missing, corrupt or someone else's."""
        stamp = self._stamp()
        self.seen = stamp
        if stamp is None:
            return {}
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict) or any(doc.get(k) != v for k, v in self.header.items()):
            return {}
        body = doc.get("entries")
        return body if isinstance(body, dict) else {}

    def changed_on_disk(self) -> bool:
        return self._stamp() != self.seen

    def save(self, entries: dict[str, Any]) -> None:
        """Write ``entries`` (temporary file + ``os.replace``: readers see old or new)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            body = json.dumps({**self.header, "entries": entries}, separators=(",", ":"))
            tmp.write_text(body, encoding="utf-8")
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        self.seen = self._stamp()


class ListingCache:
    """The cache of one store (see the module docstring).

    Thread safe: a listing looks entries up on its own thread while another
    listing of the same ``Store`` may be saving.  Lookups return None on a
    miss; ``put_*`` ignore what cannot be trusted; :meth:`save` writes what
    changed and never raises (a cache that cannot be written is just cold).

    A sidecar's facts are its *profile* (the listing fields but the time,
    ``store.records.split_listing_meta``: one dict shared by every version
    with the same fields, read only), its ``pushed_at`` and the time versions
    sort by.  Entries are kept in memory exactly as the file stores them
    (``[validator, profile index, pushed_at, time]``): loading is one
    ``json.loads``, and each entry is checked where it is used
    (:meth:`meta_entry_ok`), so a damaged entry is a miss, never a wrong answer.
    """

    MISSING: Final = _MISSING

    def __init__(self, folder: Path | None, identity: str) -> None:
        """``folder`` None: kept in memory only, for the life of this object."""
        self.identity = identity
        self.folder: Path | None = None
        self._pointers_file: _File | None = None
        self._versions_file: _File | None = None
        self._history_file: _File | None = None
        if folder is not None:
            digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:40]
            self.folder = folder / digest
            self._pointers_file = _File(self.folder / "pointers.json", identity, "pointers")
            self._versions_file = _File(
                self.folder / "versions.json", identity, "versions", sniffer_version()
            )
            self._history_file = _File(self.folder / "history.json", identity, "history")
        self._lock = threading.Lock()
        self._loaded = False
        self._pointers: dict[str, list[Any]] = {}  # name -> [validator, pointer doc]
        # name -> {hash: [validator, profile index, pushed_at, sort time]}
        self._metas: dict[str, dict[str, Any]] = {}
        self._sniffs: dict[str, dict[str, Any]] = {}  # name -> {hash: [validator, verdict]}
        #: The shared profiles, by index (None: one of the wrong shape in the file).
        self.profiles: list[dict[str, Any] | None] = []
        self._profile_index: dict[tuple[Any, ...], int] = {}  # sorted fields -> index
        self._dirty_pointers = False
        self._dirty_versions = False
        # name -> {record key: [validator, at, action, from, to, by]}; loaded on first use
        self._histories: dict[str, dict[str, Any]] = {}
        self._history_loaded = False
        self._dirty_history = False
        #: Pointer hits and misses of this object (tests and benchmarks read them).
        self.stats: dict[str, int] = dict.fromkeys(("pointer_hit", "pointer_miss"), 0)

    @classmethod
    def for_storage(cls, storage: Any, *, persistent: bool = True) -> ListingCache:
        """The cache of ``storage``: under the user's cache folder when ``persistent``
        and the cache is not switched off (:func:`cache_folder`), else in memory."""
        return cls(cache_folder() if persistent else None, store_identity(storage))

    # ---------------------------------------------------------------- load
    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self._pointers_file is None or self._versions_file is None:
            return
        self._pointers = self._valid_pointers(self._pointers_file.load())
        body = self._versions_file.load()
        profiles = body.get("profiles")
        for p in profiles if isinstance(profiles, list) else ():
            ok = _profile_ok(p)
            self.profiles.append(p if ok else None)
            if ok:
                self._profile_index.setdefault(_canonical(p), len(self.profiles) - 1)
        self._metas = self._tables_of(body.get("metas"))
        self._sniffs = self._tables_of(body.get("sniffs"))

    @staticmethod
    def _valid_pointers(body: dict[str, Any]) -> dict[str, list[Any]]:
        out = {}
        for name, entry in body.items():
            if (
                is_class_name(name)
                and isinstance(entry, list)
                and len(entry) == 2
                and isinstance(entry[0], str)
            ):
                out[name] = entry
        return out

    @staticmethod
    def _tables_of(body: Any) -> dict[str, dict[str, Any]]:
        """Per-class tables as loaded (their entries are checked where used)."""
        if not isinstance(body, dict):
            return {}
        return {n: t for n, t in body.items() if isinstance(t, dict)}

    def _share(self, profile: dict[str, Any]) -> int:
        """The index of the one profile with these fields (caller holds the lock)."""
        key = _canonical(profile)
        i = self._profile_index.get(key)
        if i is None:
            i = self._profile_index[key] = len(self.profiles)
            self.profiles.append(profile)
        return i

    # ------------------------------------------------------------- lookups
    def pointer(self, name: str, validator: str | None) -> Pointer | None:
        """The pointer last read from ``latest.json`` while it had ``validator``."""
        with self._lock:
            self._ensure_loaded()
            entry = self._pointers.get(name)
            if validator is None or entry is None or entry[0] != validator:
                self.stats["pointer_miss"] += 1
                return None
            try:
                ptr = _pointer_from(entry[1], name)
            except ValueError:
                del self._pointers[name]
                self.stats["pointer_miss"] += 1
                return None
            self.stats["pointer_hit"] += 1
            return ptr

    def tables(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The class's version facts, unchecked: ``{hash: [validator, profile index,
        pushed_at, sort time]}`` (sidecars) and ``{hash: [validator, verdict]}``
        (sniffed ``.pkl`` files).  Use an entry only when :meth:`meta_entry_ok` /
        :meth:`sniff_entry_ok` say so for the validator the listing returned.
        """
        with self._lock:
            self._ensure_loaded()
            return self._metas.get(name, {}), self._sniffs.get(name, {})

    def meta_entry_ok(self, e: Any, validator: str | None) -> bool:
        """Whether ``e`` is a well-formed sidecar entry kept under ``validator``."""
        if type(e) is not list or len(e) != 4 or validator is None or e[0] != validator:
            return False
        i, pushed_at, ts = e[1], e[2], e[3]
        return (
            type(i) is int
            and 0 <= i < len(self.profiles)
            and self.profiles[i] is not None
            and (pushed_at is None or type(pushed_at) is str)
            and (ts is None or type(ts) is float or type(ts) is int)
        )

    @staticmethod
    def sniff_entry_ok(e: Any, validator: str | None) -> bool:
        """Whether ``e`` is a well-formed sniff entry kept under ``validator``."""
        return (
            type(e) is list
            and len(e) == 2
            and validator is not None
            and e[0] == validator
            and (e[1] is True or e[1] is False or e[1] is None)
        )

    def meta(self, name: str, h: str, validator: str | None) -> list[Any] | None:
        """A version's sidecar entry if it was kept under ``validator``."""
        e = self.tables(name)[0].get(h)
        return e if self.meta_entry_ok(e, validator) else None

    def sniff(self, name: str, h: str, validator: str | None) -> Any:
        """The by-reference verdict on a ``.pkl`` with ``validator``; ``MISSING`` if unknown."""
        e = self.tables(name)[1].get(h)
        return e[1] if self.sniff_entry_ok(e, validator) else _MISSING

    # ------------------------------------------------------- history records
    # Pointer moves are recorded create-only, one object each, and never
    # rewritten: like a version's sidecar, a record's parsed fields are kept
    # under the validator the listing returns for it, so a new window's
    # Timeline reads only the records it has not seen (issue 16).

    def _ensure_history(self) -> None:
        """Load ``history.json`` (caller holds the lock): only the Timeline and
        friends read it, so a plain listing never parses it."""
        if self._history_loaded:
            return
        self._history_loaded = True
        if self._history_file is not None:
            self._histories = self._tables_of(self._history_file.load())

    def history(self, name: str, key: str, validator: str | None) -> tuple[str, str, str | None, str, str] | None:
        """``(at, action, from, to, by)`` of a record last read while it had ``validator``."""
        if not validator:
            return None
        with self._lock:
            self._ensure_history()
            e = self._histories.get(name, {}).get(key)
        if not _history_ok(e, validator):
            return None
        return e[1], e[2], e[3], e[4], e[5]

    def put_history(
        self, name: str, key: str, validator: str | None, fields: tuple[str, str, str | None, str, str]
    ) -> None:
        """Keep a parsed record's ``(at, action, from, to, by)`` under ``validator``."""
        if not validator:
            return
        with self._lock:
            self._ensure_history()
            entry = [validator, *fields]
            table = self._histories.setdefault(name, {})
            if table.get(key) != entry:
                table[key] = entry
                self._dirty_history = True

    def forget_other_records(self, classes: dict[str, set[str]]) -> None:
        """After a complete history listing: drop records the store no longer has."""
        with self._lock:
            self._ensure_history()
            for name in list(self._histories):
                keep = classes.get(name, set())
                table = self._histories[name]
                for key in [k for k in table if k not in keep]:
                    del table[key]
                    self._dirty_history = True
                if not table:
                    del self._histories[name]

    # ----------------------------------------------------------------- puts
    def put_pointer(self, name: str, validator: str | None, pointer: Pointer) -> None:
        if not _trusted(validator, _clock()):
            return
        with self._lock:
            self._ensure_loaded()
            entry = [validator, _pointer_doc(pointer)]
            if self._pointers.get(name) != entry:
                self._pointers[name] = entry
                self._dirty_pointers = True

    def put_meta(
        self,
        name: str,
        h: str,
        validator: str | None,
        profile: dict[str, Any],
        pushed_at: str | None,
        ts: float | None,
    ) -> list[Any]:
        """Keep a sidecar's facts; returns the entry (profile by index in :attr:`profiles`)."""
        with self._lock:
            self._ensure_loaded()
            entry = [validator, self._share(profile), pushed_at, ts]
            if validator:
                self._metas.setdefault(name, {})[h] = entry
                self._dirty_versions = True
        return entry

    def put_sniff(self, name: str, h: str, validator: str | None, verdict: bool | None) -> None:
        if not validator:
            return
        with self._lock:
            self._ensure_loaded()
            self._sniffs.setdefault(name, {})[h] = [validator, verdict]
            self._dirty_versions = True

    @property
    def dirty(self) -> bool:
        """Whether something was learnt that :meth:`save` has not written yet."""
        return self._dirty_pointers or self._dirty_versions or self._dirty_history

    def forget_others(self, classes: dict[str, set[str]]) -> None:
        """After a full listing: drop classes and versions the store no longer has."""
        with self._lock:
            self._ensure_loaded()
            for name in [n for n in self._pointers if n not in classes]:
                del self._pointers[name]
                self._dirty_pointers = True
            for table in (self._metas, self._sniffs):
                for name in list(table):
                    keep = classes.get(name)
                    versions = table[name]
                    gone = [h for h in versions if keep is None or h not in keep]
                    for h in gone:
                        del versions[h]
                        self._dirty_versions = True
                    if not versions:
                        del table[name]

    # ----------------------------------------------------------------- save
    def save(self) -> None:
        """Write what changed since the last save; another process's additions are merged in."""
        with self._lock:
            if self._pointers_file is None or self._versions_file is None:
                return
            try:
                if self._dirty_pointers:
                    if self._pointers_file.changed_on_disk():
                        theirs = self._valid_pointers(self._pointers_file.load())
                        self._pointers = {**theirs, **self._pointers}
                    self._pointers_file.save(self._pointers)
                    self._dirty_pointers = False
                if self._dirty_versions:
                    if self._versions_file.changed_on_disk():
                        self._merge_versions(self._versions_file.load())
                    body = {"profiles": self.profiles, "metas": self._metas, "sniffs": self._sniffs}
                    self._versions_file.save(body)
                    self._dirty_versions = False
                if self._dirty_history and self._history_file is not None:
                    if self._history_file.changed_on_disk():  # records never change: theirs go in too
                        for name, table in self._tables_of(self._history_file.load()).items():
                            mine = self._histories.setdefault(name, {})
                            for key, e in table.items():
                                mine.setdefault(key, e)
                    self._history_file.save(self._histories)
                    self._dirty_history = False
            except (OSError, TypeError, ValueError):
                pass  # a read-only or full disk: the next listing is simply not faster

    def _merge_versions(self, body: dict[str, Any]) -> None:
        """Add what another process wrote (versions are immutable: anything well-formed goes)."""
        raw = body.get("profiles")
        theirs = [p if _profile_ok(p) else None for p in raw] if isinstance(raw, list) else []
        for name, entries in self._tables_of(body.get("metas")).items():
            mine = self._metas.setdefault(name, {})
            for h, e in entries.items():
                if h in mine or type(e) is not list or len(e) != 4:
                    continue
                i = e[1]
                if type(i) is int and 0 <= i < len(theirs) and theirs[i] is not None:
                    mine[h] = [e[0], self._share(theirs[i]), e[2], e[3]]  # type: ignore[arg-type]
        for name, entries in self._tables_of(body.get("sniffs")).items():
            mine = self._sniffs.setdefault(name, {})
            for h, e in entries.items():
                if h not in mine and type(e) is list and len(e) == 2:
                    mine[h] = e


def _history_ok(e: Any, validator: str) -> bool:
    """A well-formed record entry kept under ``validator`` (as ``records.parse_history`` checks a record)."""
    from petbrowser.core.store.common import ACTIONS

    return (
        type(e) is list
        and len(e) == 6
        and e[0] == validator
        and type(e[1]) is str
        and e[2] in ACTIONS
        and (e[3] is None or is_hash(e[3]))
        and is_hash(e[4])
        and type(e[5]) is str
    )


def _canonical(profile: dict[str, Any]) -> tuple[Any, ...]:
    """A profile's fields as one hashable key (its values are text, a bool or None).

    A sorted tuple, not canonical JSON: a first listing shares one profile per
    sidecar read, and ``json.dumps`` there cost ~0.4 s of 20,000 reads."""
    return tuple(sorted(profile.items()))


def _profile_ok(p: Any) -> bool:
    """A profile as ``split_listing_meta`` makes them: text fields, a bool or None."""
    return type(p) is dict and all(
        type(v) is str or (k == "by_reference" and (v is True or v is False or v is None))
        for k, v in p.items()
    )
