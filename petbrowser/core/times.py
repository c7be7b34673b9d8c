"""UTC timestamps as the store writes them (ISO 8601 with a ``Z``)."""

from __future__ import annotations

from datetime import datetime, timezone


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
