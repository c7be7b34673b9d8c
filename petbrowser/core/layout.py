"""Where things live in a store (DESIGN.md, "Store layout").

```
plugins/<Class>/<hash>.pkl
plugins/<Class>/<hash>.meta.json
plugins/<Class>/latest.json
plugins/<Class>/history/<time>-<hash>.json
```

Every key is built and parsed here, so the rest of the code never splices
strings and a listing is classified the same way everywhere.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import NamedTuple

from petbrowser.core.names import is_hash, validate_class_name, validate_hash

__all__ = [
    "PLUGINS",
    "KeyParts",
    "class_prefix",
    "format_history_time",
    "history_key",
    "history_prefix",
    "latest_key",
    "meta_key",
    "parse_history_name",
    "parse_key",
    "version_key",
]

PLUGINS = "plugins/"
PKL_SUFFIX = ".pkl"
META_SUFFIX = ".meta.json"
LATEST = "latest.json"
HISTORY_DIR = "history"
#: Sortable UTC time with microseconds: lexical order is time order.
HISTORY_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_HISTORY_TIME = re.compile(r"[0-9]{8}T[0-9]{12}Z")


class KeyParts(NamedTuple):
    """A key under ``plugins/`` taken apart.

    ``kind`` is ``pkl``, ``meta``, ``latest``, ``history`` or ``other`` (an
    object petbrowser does not know); ``hash`` is the version's hash (for
    ``history``, the hash the move went to), or None.
    ``class_name`` is the folder name as found, NOT validated: the caller
    decides how to report an invalid one.
    """

    class_name: str
    kind: str
    hash: str | None


def class_prefix(cls: str) -> str:
    return f"{PLUGINS}{validate_class_name(cls)}/"


def version_key(cls: str, h: str) -> str:
    return f"{class_prefix(cls)}{validate_hash(h)}{PKL_SUFFIX}"


def meta_key(cls: str, h: str) -> str:
    return f"{class_prefix(cls)}{validate_hash(h)}{META_SUFFIX}"


def latest_key(cls: str) -> str:
    return f"{class_prefix(cls)}{LATEST}"


def history_prefix(cls: str) -> str:
    return f"{class_prefix(cls)}{HISTORY_DIR}/"


def format_history_time(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime(HISTORY_TIME_FORMAT)


def history_key(cls: str, at: datetime, h: str) -> str:
    """Key of one pointer move; ``at`` (UTC, microseconds) first so keys sort by time."""
    return f"{history_prefix(cls)}{format_history_time(at)}-{validate_hash(h)}.json"


def parse_history_name(name: str) -> tuple[str, str] | None:
    """``(time, hash)`` of a history object's file name, or None if it is not one."""
    if not name.endswith(".json"):
        return None
    stem = name[: -len(".json")]
    at, sep, h = stem.rpartition("-")
    if not sep or not is_hash(h):
        return None
    if not _is_history_time(at):
        return None
    return at, h


def _is_history_time(at: str) -> bool:
    """True when ``at`` parses with HISTORY_TIME_FORMAT.

    For the exact 8+T+12+Z digit form petbrowser writes, the ``datetime``
    constructor accepts exactly what strptime accepts (every field is then
    two digits wide, microseconds six) at a fraction of the cost: a listing
    checks one per history object.  Any other form goes through strptime.
    """
    if _HISTORY_TIME.fullmatch(at):
        try:
            datetime(
                int(at[0:4]),
                int(at[4:6]),
                int(at[6:8]),
                int(at[9:11]),
                int(at[11:13]),
                int(at[13:15]),
                int(at[15:21]),
            )
        except ValueError:
            return False
        return True
    try:
        datetime.strptime(at, HISTORY_TIME_FORMAT)
    except ValueError:
        return False
    return True


def parse_key(key: str) -> KeyParts | None:
    """Classify a key; None for keys outside ``plugins/<Class>/``."""
    if not key.startswith(PLUGINS):
        return None
    rest = key[len(PLUGINS) :]
    cls, sep, name = rest.partition("/")
    if not sep or not cls or not name:
        return None
    if name == LATEST:
        return KeyParts(cls, "latest", None)
    if name.startswith(HISTORY_DIR + "/"):
        leaf = name[len(HISTORY_DIR) + 1 :]
        parsed = parse_history_name(leaf) if "/" not in leaf else None
        return KeyParts(cls, "history", parsed[1]) if parsed else KeyParts(cls, "other", None)
    if "/" in name:
        return KeyParts(cls, "other", None)
    if name.endswith(META_SUFFIX) and is_hash(name[: -len(META_SUFFIX)]):
        return KeyParts(cls, "meta", name[: -len(META_SUFFIX)])
    if name.endswith(PKL_SUFFIX) and is_hash(name[: -len(PKL_SUFFIX)]):
        return KeyParts(cls, "pkl", name[: -len(PKL_SUFFIX)])
    return KeyParts(cls, "other", None)
