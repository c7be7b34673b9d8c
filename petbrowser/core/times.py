"""Times: the store's UTC timestamps, and the moments a user names (``--at``, ``--since``).

The store writes ISO 8601 UTC with a ``Z``.  People name moments in their
own local time ("2026-11-20T14:00") or relative to now ("3d", "2h30m"),
so a time without an offset is local time, and one with an offset (or
``Z``) means what it says.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from petbrowser.core.errors import UsageError

__all__ = ["format_age", "parse_utc", "parse_when"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"(?:(\d+(?:\.\d+)?)\s*([smhdw]))", re.IGNORECASE)
_RELATIVE_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?\s*[smhdw]\s*)+(?:ago)?", re.IGNORECASE)


def parse_utc(text: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text, or None when absent or malformed.

    Python 3.10's ``fromisoformat`` does not take ``Z``; naive times are read
    as UTC, which is what every writer of the store means.
    """
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """The moment ``text`` names, as an aware UTC datetime.

    ISO 8601 (``2026-11-20``, ``2026-11-20T14:00``, ``... 14:00:05``) is local
    time unless it carries an offset or ``Z``; a date alone is its local
    midnight.  Relative times count back from ``now``: ``45s``, ``30m``,
    ``2h``, ``3d``, ``1w``, combined as ``1d12h`` (an ``ago`` is allowed).
    ``now`` (aware) is for tests.  Anything else is a UsageError (exit 2)
    that says which forms work.
    """
    raw = (text or "").strip()
    if not raw:
        raise UsageError(
            "no time given: use ISO 8601 (2026-11-20T14:00) or a relative time (3d, 2h)"
        )
    if raw.lower() == "now":
        return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if _RELATIVE_WHOLE.fullmatch(raw):
        seconds = sum(float(n) * _UNITS[u.lower()] for n, u in _RELATIVE.findall(raw))
        return (now or datetime.now(timezone.utc)).astimezone(timezone.utc) - timedelta(
            seconds=seconds
        )
    iso = raw.replace(" ", "T", 1) if re.fullmatch(r"\d{4}-\d\d-\d\d \d.*", raw) else raw
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        raise UsageError(
            f"{raw[:60]!r} is not a time: use ISO 8601 (2026-11-20T14:00, local time "
            "unless it ends in Z or an offset) or a relative time (45s, 30m, 2h, 3d, 1w)"
        ) from None
    if at.tzinfo is None:
        at = at.astimezone()  # a naive datetime read as this machine's local time
    return at.astimezone(timezone.utc)


def format_age(seconds: float) -> str:
    """``"12 s ago"``, ``"5 min ago"``, ``"3 h ago"``, ``"2 days ago"``: how long since."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 86400:
        return f"{s // 3600} h ago"
    days = s // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"
