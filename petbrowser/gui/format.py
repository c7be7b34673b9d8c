"""How the window writes hashes, sizes and times: core's rules (``core.models``), one each.

The CLI writes them with the very same functions, so a version reads the same
in a terminal, the tree, the details, dialogs and messages.
"""

from __future__ import annotations

from datetime import datetime, timezone

from petbrowser.core.models import SHORT_HASH, format_size, local_time, relative_time, short_hash

__all__ = ["SHORT_HASH", "format_size", "local_time", "moment_text", "relative_time", "short_hash"]


def _parse(iso: str | None) -> datetime | None:
    # imported on first use: the window's first paint does not need the facade
    from petbrowser.core.manager import PetClassManager

    return PetClassManager.parse_stamp(iso)


def moment_text(iso: str | None, now: datetime | None = None) -> str:
    """A moment as people name it, in local time: "Tue 14:00" within the last
    week, "Tue 17 Nov 14:00" before that (with the year when it is not this one)."""
    dt = _parse(iso)
    if dt is None:
        return ""
    local = dt.astimezone()
    today = (now or datetime.now(timezone.utc)).astimezone()
    if 0 <= (today.date() - local.date()).days < 7:
        return local.strftime("%a %H:%M")
    if local.year == today.year:
        return local.strftime("%a %d %b %H:%M")
    return local.strftime("%a %d %b %Y %H:%M")
