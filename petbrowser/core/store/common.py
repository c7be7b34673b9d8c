"""Constants and small helpers every part of the store shares: the ANY
sentinel, the actions a pointer move records, time and user formatting."""

from __future__ import annotations

import getpass
import socket
from datetime import datetime, timezone
from typing import Any, Final

from petbrowser.core.errors import (
    AccessDeniedError,
    StoreNotFoundError,
    StoreUnreachableError,
)
from petbrowser.core.models import short_hash
from petbrowser.core.times import parse_utc


class _Any:
    """Sentinel type of :data:`ANY`."""

    def __repr__(self) -> str:
        return "ANY"


#: ``move_latest(expected=ANY)``: whatever the pointer is now (still compare-and-swapped).
ANY: Final = _Any()
#: What a history record says a pointer move was (DESIGN.md, "Command line").
#: ``repair`` rewrites a pointer in LabChain's readable form without moving it.
ACTIONS = ("push", "rollback", "undo", "redo", "restore", "repair")
MIN_PREFIX = 6
#: Pickles smaller than this are read and sniffed for "by reference" when there is no meta.
SNIFF_LIMIT = 200
#: Errors that mean the whole store is unusable, not one object: they abort a listing.
FATAL_ERRORS = (StoreUnreachableError, AccessDeniedError, StoreNotFoundError)


def short(h: str | None) -> str:
    """The short form of a hash shown to people (models.short_hash), "-" for none."""
    return short_hash(h) if h else "-"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_from_timestamp(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamp_of(text: str | None) -> float | None:
    at = parse_utc(text)
    return at.timestamp() if at is not None else None


def text_field(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) else None


def default_user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
