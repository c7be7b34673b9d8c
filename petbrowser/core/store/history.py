"""The recorded pointer moves of a class."""

from __future__ import annotations

from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import (
    PetBrowserError,
)
from petbrowser.core.models import (
    HistoryEntry,
    ObjectInfo,
)
from petbrowser.core.store.base import StoreBase
from petbrowser.core.store.records import parse_history


class HistoryMixin(StoreBase):
    """The recorded pointer moves of a class."""

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
            [(o, lambda o=o: parse_history(self.storage.read(o.key), o, name)) for o in objs],
            on_done,
        )
        entries.sort(key=lambda e: e.key)
        return entries
