"""The store's objects taken apart: a listing grouped per class folder, and
the sidecar and history documents parsed (never unpickled)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from petbrowser.core import layout
from petbrowser.core.bounded import load_json
from petbrowser.core.errors import (
    IntegrityError,
)
from petbrowser.core.models import (
    HistoryEntry,
    ObjectInfo,
)
from petbrowser.core.names import is_hash
from petbrowser.core.store.common import ACTIONS, short


@dataclass
class ClassObjects:
    """What one listing pass found in one ``plugins/<Class>/`` folder."""

    name: str
    pkls: dict[str, ObjectInfo] = field(default_factory=dict)
    metas: dict[str, ObjectInfo] = field(default_factory=dict)
    latest: ObjectInfo | None = None
    history: list[ObjectInfo] = field(default_factory=list)
    other: list[ObjectInfo] = field(default_factory=list)


def group_objects(objects: Iterable[ObjectInfo]) -> dict[str, ClassObjects]:
    groups: dict[str, ClassObjects] = {}
    for obj in objects:
        parts = layout.parse_key(obj.key)
        if parts is None:
            continue
        g = groups.setdefault(parts.class_name, ClassObjects(parts.class_name))
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


#: A sidecar holds source and disassembly: large for a big class, never this large.
MAX_META_BYTES = 32 * 1024 * 1024
#: One pointer move: a few hundred bytes.
MAX_HISTORY_BYTES = 64 * 1024


def parse_meta(data: bytes, name: str, h: str) -> dict[str, Any]:
    """A sidecar, parsed with size and depth bounds; IntegrityError if it is not one."""
    try:
        meta = load_json(data, MAX_META_BYTES)
    except ValueError as exc:
        raise IntegrityError(f"metadata of {name} {short(h)} is not readable JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise IntegrityError(f"metadata of {name} {short(h)} is not a JSON object")
    return meta


#: Sidecar fields a listing does not keep: the bulk of every sidecar, read
#: again (``Store.read_meta``) when one version is inspected.  Keeping them
#: for 20,000 versions held ~130 MB in the GUI process (docs/performance.md).
LISTING_DROPS: Final = frozenset({"source", "methods", "attributes", "globals"})


def listing_meta(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """A sidecar as a listing keeps it: without source and disassembly."""
    if meta is None:
        return None
    return {k: v for k, v in meta.items() if k not in LISTING_DROPS}


def parse_history(data: bytes, obj: ObjectInfo, name: str) -> HistoryEntry:
    try:
        doc = load_json(data, MAX_HISTORY_BYTES)
    except ValueError:
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


def history_body(doc: dict[str, Any]) -> bytes:
    """The bytes of one history record (one JSON document, as DESIGN.md's layout wants)."""
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")
