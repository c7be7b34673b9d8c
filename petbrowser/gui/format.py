"""How the window writes hashes, sizes and times: core's rules (``core.models``), one each.

The CLI writes them with the very same functions, so a version reads the same
in a terminal, the tree, the details, dialogs and messages.
"""

from __future__ import annotations

from petbrowser.core.models import (
    SHORT_HASH,
    format_size,
    local_time,
    moment_text,
    relative_time,
    short_hash,
)

__all__ = ["SHORT_HASH", "format_size", "local_time", "moment_text", "relative_time", "short_hash"]
