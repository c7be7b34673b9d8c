"""Reading and writing immutable versions (.pkl and .meta.json)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import (
    AlreadyExistsError,
    IntegrityError,
    NotFoundError,
    StoreNotFoundError,
)
from petbrowser.core.store.base import StoreBase
from petbrowser.core.store.common import short
from petbrowser.core.store.records import parse_meta


class VersionsMixin(StoreBase):
    """Reading and writing immutable versions (.pkl and .meta.json)."""

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
        return None if got is None else parse_meta(got[0], name, h)

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
