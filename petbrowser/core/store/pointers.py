"""Reading and moving the latest pointer (compare-and-swap) and recording each move."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import (
    AlreadyExistsError,
    ConflictError,
    CorruptPointerError,
    NotFoundError,
    PetBrowserError,
    StorageError,
    StoreNotFoundError,
    UsageError,
)
from petbrowser.core.models import (
    HistoryEntry,
    Pointer,
)
from petbrowser.core.names import is_class_name, validate_class_name, validate_hash
from petbrowser.core.pointer import (
    WRITE_ENCODING,
    encode_pointer,
    parse_pointer,
    written_by_petbrowser,
)
from petbrowser.core.store.base import StoreBase
from petbrowser.core.store.common import ACTIONS, ANY, iso_utc, short, utc_now
from petbrowser.core.store.fanout import batches
from petbrowser.core.store.records import history_body
from petbrowser.core.structs import replace
from petbrowser.core.times import parse_utc


class PointerMixin(StoreBase):
    """Reading and moving the latest pointer (compare-and-swap) and recording each move."""

    # -------------------------------------------------------------- reads
    def read_pointer(self, name: str) -> Pointer | None:
        """The parsed ``latest.json`` with its CAS token; None when there is none."""
        got = self._read_token(layout.latest_key(name))
        if got is None:
            return None
        data, token = got
        return replace(parse_pointer(data, name), token=token)

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
        nothing.  The new pointer is always LabChain's readable form (a
        pickled dict of strings, ``core.pointer``), whatever the old one was.
        Then the history record is written (order and crash window: module
        docstring).  Moving to where the pointer already is writes nothing
        and returns an entry with ``key == ""``.
        """
        validate_class_name(name)
        validate_hash(to_hash)
        if action not in ACTIONS or action == "repair":
            moves = ", ".join(a for a in ACTIONS if a != "repair")
            raise UsageError(f"unknown pointer action {action!r} (one of {moves})")
        if expected is not ANY and expected is not None:
            validate_hash(expected)
        if not self.storage.exists(layout.version_key(name, to_hash)):
            raise NotFoundError(f"version {short(to_hash)} of '{name}' is not in store {self.url}")

        key = layout.latest_key(name)
        got = self._read_token(key)
        current: Pointer | None = None
        token: str | None = None
        if got is not None:
            data, token = got
            try:
                current = parse_pointer(data, name)
            except CorruptPointerError:
                if expected is not ANY:
                    raise
                # ANY on a corrupt pointer is the repair path: overwrite it (still CAS).
        actual = current.hash if current is not None else None
        self._check_expected(name, expected, actual)
        if actual == to_hash:
            return HistoryEntry(iso_utc(utc_now()), action, actual, to_hash, self.user, name, "")
        return self._write_move(name, current, token, to_hash, action)

    def repair_pointer(self, name: str, expected: str | None | object = ANY) -> HistoryEntry:
        """Rewrite a JSON pointer of petbrowser 0.1.0 in LabChain's readable form.

        The hash stays; the rewrite is a compare-and-swap like any move and is
        recorded with action ``repair`` (from == to).  A pointer that already
        is a pickled dict is left alone (an entry with ``key == ""``).  A
        pointer that does not parse is not "repaired" here: ``rollback --to``
        overwrites it with a version the caller chose.
        """
        validate_class_name(name)
        if expected is not ANY and expected is not None:
            validate_hash(expected)
        got = self._read_token(layout.latest_key(name))
        if got is None:
            raise NotFoundError(f"'{name}' has no latest pointer in store {self.url}")
        data, token = got
        current = parse_pointer(data, name)
        self._check_expected(name, expected, current.hash)
        if current.encoding == WRITE_ENCODING:
            return HistoryEntry(
                iso_utc(utc_now()), "repair", current.hash, current.hash, self.user, name, ""
            )
        return self._write_move(name, current, token, current.hash, "repair")

    def _check_expected(self, name: str, expected: str | None | object, actual: str | None) -> None:
        if expected is not ANY and expected != actual:
            raise ConflictError(
                f"latest of '{name}' is {short(actual) if actual else 'unset'}, "
                f"not {short(expected) if expected else 'unset'}: it moved since you looked; reload and retry",  # type: ignore[arg-type]
                expected=expected,  # type: ignore[arg-type]
                actual=actual,
            )

    def _write_move(
        self, name: str, current: Pointer | None, token: str | None, to_hash: str, action: str
    ) -> HistoryEntry:
        """Compare-and-swap ``latest.json`` from ``current`` (read with ``token``), then record it."""
        key = layout.latest_key(name)
        actual = current.hash if current is not None else None
        at = utc_now()
        if current is not None:
            self._heal_history(current)
        extra = {k: v for k, v in current.extra.items() if isinstance(v, str)} if current else {}
        extra["action"] = action  # lets the next move rebuild a record lost in a crash
        new = Pointer(
            hash=to_hash,
            class_name=name,
            encoding=WRITE_ENCODING,
            updated_at=iso_utc(at),
            updated_by=self.user,
            previous=actual,
            extra=extra,
        )
        data = encode_pointer(new)
        try:
            self.storage.replace(key, data, token)
        except ConflictError:
            if self._holds(key, data):
                # Our write landed and only its answer was lost (a retried S3 PUT then
                # fails If-Match): the pointer carries our time and user, so it is ours.
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
        recorded.  petbrowser's pointers (pickled, or JSON from 0.1.0) carry
        the time, user, previous hash and action of the move that wrote them,
        and the record's key is derived from that time, so the next move
        re-creates the record (create-only: a record that exists is left
        alone).  LabChain's bare ``{"hash", "class_name"}`` pointers carry none
        of this and are left as they are.
        """
        if not written_by_petbrowser(current) or not current.updated_at or not current.updated_by:
            return
        at = parse_utc(current.updated_at)
        if at is None:
            return
        action = current.extra.get("action")
        if action not in ACTIONS:
            action = "rollback"
        doc = {
            "at": iso_utc(at),
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
                self.storage.create(hkey, history_body(doc))
        except AlreadyExistsError:
            pass  # written meanwhile by the mover itself or another healer

    # ------------------------------------------------- who writes this store
    #: A version without a sidecar younger than this may be one petbrowser is writing.
    WRITING_GRACE_S = 30.0
    #: How long to wait for that sidecar before taking the version for LabChain's.
    SIDECAR_WAIT_S = 3.0

    def sidecar_coming(self, name: str, h: str, modified: float | None) -> bool:
        """Whether a version seen without its sidecar is one petbrowser is pushing right now.

        Why: a push writes the ``.pkl``, then its ``.meta.json``.  Another
        process choosing the hash scheme in between took the bare version for
        LabChain's, hashed the same class the LabChain way and stored it a
        second time (three concurrent pushes of one class, tests/reliability).
        A young version's sidecar is waited for, briefly; an old one's never.
        """
        if modified is None or time.time() - modified > self.WRITING_GRACE_S:
            return False
        key = layout.meta_key(name, h)
        deadline = time.monotonic() + self.SIDECAR_WAIT_S
        while True:
            if self.storage.exists(key):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def labchain_evidence(self, *, wait: bool = False) -> str | None:
        """Why this store looks written by LabChain too; None when only petbrowser wrote it.

        ``wait`` (a push choosing its scheme): a young version without its
        sidecar may be another petbrowser's push in progress, and its sidecar
        is waited for (:meth:`sidecar_coming`).

        LabChain writes versions without petbrowser's ``.meta.json`` and bare
        pickled pointers (no ``updated_at``/``updated_by``).  One listing
        answers the first question; pointers are read (concurrently) only when
        every version has metadata, and the first LabChain pointer found ends
        the answer.  A store that does not exist yet is petbrowser's to create.
        """
        try:
            groups = self._class_objects()
        except StoreNotFoundError:
            return None
        names = [n for n in sorted(groups) if is_class_name(n)]
        for name in names:
            for h in sorted(groups[name].pkls.keys() - groups[name].metas.keys()):
                if not (wait and self.sidecar_coming(name, h, groups[name].pkls[h].modified)):
                    return f"version {short(h)} of {name} has no petbrowser metadata"
        found: list[str] = []

        def on_done(tag: str, result: Any, error: PetBrowserError | None) -> None:
            if isinstance(result, Pointer) and not written_by_petbrowser(result):
                found.append(tag)

        jobs = [(n, lambda n=n: self.read_pointer(n)) for n in names if groups[n].latest is not None]
        self._run(batches(jobs, self.readers), lambda _t, done, _e: [on_done(*d) for d in done])
        if found:
            return f"latest.json of {min(found)} was written by LabChain"
        return None

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
            "at": iso_utc(at),
            "action": action,
            "from": frm,
            "to": to,
            "by": self.user,
            "class_name": name,
        }
        for _attempt in range(5):
            hkey = layout.history_key(name, at, to)
            try:
                self.storage.create(hkey, history_body(doc))
                return HistoryEntry(doc["at"], action, frm, to, self.user, name, hkey)
            except AlreadyExistsError:
                if self._same_move(hkey, doc):
                    # our own record whose answer was lost, or one the next mover
                    # already re-created from the pointer (_heal_history): written once
                    return HistoryEntry(doc["at"], action, frm, to, self.user, name, hkey)
                at = utc_now()  # same microsecond as another record: take a fresh time
                doc["at"] = iso_utc(at)
            except PetBrowserError as exc:
                raise StorageError(
                    f"latest of '{name}' now is {short(to)}, but its history record could not be written: {exc.message}"
                ) from None
        raise StorageError(
            f"latest of '{name}' now is {short(to)}, but its history record could not be written"
        )
