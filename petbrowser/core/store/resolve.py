"""Turning a ref (latest, a hash, a unique prefix) into a full hash."""

from __future__ import annotations

from petbrowser.core import layout
from petbrowser.core.errors import (
    CorruptPointerError,
    NotFoundError,
    UsageError,
)
from petbrowser.core.names import validate_class_name
from petbrowser.core.store.base import StoreBase
from petbrowser.core.store.common import MIN_PREFIX, short
from petbrowser.core.store.records import group_objects


class ResolveMixin(StoreBase):
    """Turning a ref (latest, a hash, a unique prefix) into a full hash."""

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
        groups = group_objects(self.storage.list(layout.class_prefix(name)))
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
