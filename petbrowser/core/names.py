"""Validation of class names and version hashes.

Names and hashes come from users and from store listings, and both end up in
object keys and file paths; validating them in one place is what keeps a
hostile or broken store from making petbrowser read or write outside
``plugins/<Class>/``.
"""

from __future__ import annotations

import re

from petbrowser.core.errors import InvalidNameError

__all__ = ["HASH_LENGTH", "is_class_name", "is_hash", "validate_class_name", "validate_hash"]

HASH_LENGTH = 64
_HASH_RE = re.compile(r"[0-9a-f]{64}")


def is_class_name(name: object) -> bool:
    """True for a name LabChain could have written: a plain Python identifier.

    ``str.isidentifier`` already excludes ``/``, ``\\``, ``..``, NUL, dots and
    the empty string; the leading-dot and underscore-only checks are spelled
    out so the rule survives a future loosening to dotted names.
    """
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not name.startswith(".")
        and "\x00" not in name
    )


def validate_class_name(name: object) -> str:
    """Return ``name`` or raise ``InvalidNameError`` saying why it is refused."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError("a class name must not be empty")
    if any(c in name for c in "/\\\x00") or ".." in name or name.startswith("."):
        raise InvalidNameError(
            f"class name {name!r} contains a path separator, '..' or a leading dot"
        )
    if not is_class_name(name):
        raise InvalidNameError(f"class name {name!r} is not a Python identifier")
    return name


def is_hash(h: object) -> bool:
    """True for a full version hash: 64 lowercase hex characters."""
    return isinstance(h, str) and _HASH_RE.fullmatch(h) is not None


def validate_hash(h: object) -> str:
    """Return ``h`` or raise ``InvalidNameError`` (a user typed a bad hash)."""
    if not is_hash(h):
        shown = h if isinstance(h, str) and len(h) <= 80 else type(h).__name__
        raise InvalidNameError(f"hash {shown!r} is not {HASH_LENGTH} lowercase hex characters")
    return h  # type: ignore[return-value]
