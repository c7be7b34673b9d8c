"""How the window writes hashes, sizes and times: one home for each rule.

Plain Python (no Qt), shared by the tree, the details, dialogs and messages,
so a version reads the same everywhere.  The hash rule is core's
(``short_hash``, the CLI's too); timestamps are parsed by core's one parser.
"""

from __future__ import annotations

from datetime import datetime, timezone

from petbrowser.core.models import SHORT_HASH, short_hash

__all__ = ["SHORT_HASH", "format_size", "local_time", "moment_text", "relative_time", "short_hash"]


def _parse(iso: str | None) -> datetime | None:
    # imported on first use: the window's first paint does not need the facade
    from petbrowser.core.manager import PetClassManager

    return PetClassManager.parse_stamp(iso)


def format_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def local_time(iso: str | None) -> str:
    """An ISO UTC stamp in the user's local time, for tooltips and tables."""
    dt = _parse(iso)
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if dt else ""


def relative_time(iso: str | None, now: datetime | None = None) -> str:
    """'3 h ago' style: what a user scanning a list wants to see first."""
    dt = _parse(iso)
    if dt is None:
        return ""
    now = now or datetime.now(timezone.utc)
    secs = (now - dt).total_seconds()
    if secs < 0:
        # clock skew between machines: a few minutes read as "just now";
        # beyond that the date says more than "in the future" (and fits the column)
        return "just now" if secs > -300 else dt.astimezone().strftime("%Y-%m-%d")
    if secs < 60:
        return "just now"
    for limit, div, unit in ((3600, 60, "min"), (86400, 3600, "h"), (86400 * 30, 86400, "d")):
        if secs < limit:
            return f"{int(secs // div)} {unit} ago"
    if secs < 86400 * 365:
        return f"{int(secs // (86400 * 30))} mo ago"
    return dt.astimezone().strftime("%Y-%m-%d")


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
