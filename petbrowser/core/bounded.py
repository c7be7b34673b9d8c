"""Parsing small store documents (pointers, sidecars, history records) with bounds.

A 10 KB ``[[[...]]]`` is a RecursionError in ``json.loads`` and a pickled
pointer whose dict key is a 400,000-deep tuple crashes CPython when the key
is hashed.  Everything here is size-capped, depth-capped and iterative, and
turns every failure into ``ValueError`` so one broken file fails only itself.
"""

from __future__ import annotations

import json
import pickletools
from typing import Any

__all__ = ["MAX_DEPTH", "load_json", "check_depth", "is_plain_pickled_dict"]

#: Deeper than any document petbrowser or LabChain writes (sidecars nest < 10).
MAX_DEPTH = 64

#: Opcodes a pickled dict of strings needs (LabChain's pointer; petbrowser's too).
_DICT_OPS = frozenset(
    {
        "PROTO", "FRAME", "EMPTY_DICT", "MARK", "SETITEM", "SETITEMS", "STOP", "NONE",
        "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
        "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "BINGET", "LONG_BINGET", "GET",
        "DICT", "EMPTY_LIST", "APPEND", "APPENDS",
        # scalars: read, then refused by the pointer's own checks with a precise message
        "BININT", "BININT1", "BININT2", "NEWTRUE", "NEWFALSE", "BINFLOAT",
    }
)  # fmt: skip


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise ValueError when containers in ``value`` nest deeper than ``limit`` (iterative)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            if d >= limit:
                raise ValueError(f"nests more than {limit} levels deep")
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            if d >= limit:
                raise ValueError(f"nests more than {limit} levels deep")
            stack.extend((x, d + 1) for x in v)


def load_json(data: bytes, max_bytes: int) -> Any:
    """``json.loads`` of at most ``max_bytes``, nesting at most :data:`MAX_DEPTH`; ValueError else."""
    if len(data) > max_bytes:
        raise ValueError(f"{len(data):,} bytes is more than the {max_bytes:,} allowed")
    try:
        doc = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nests too deeply to read") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(str(exc)[:120] or "not JSON") from None
    check_depth(doc)
    return doc


def is_plain_pickled_dict(data: bytes, max_ops: int = 10_000) -> bool | None:
    """Whether ``data``'s opcodes can only build flat dicts/lists of scalars (no tuples,
    no globals, no calls), walked without loading.  None: not a readable pickle at all."""
    depth = 0
    try:
        for n, (op, _arg, _pos) in enumerate(pickletools.genops(data)):
            if n > max_ops or op.name not in _DICT_OPS:
                return False
            if op.name in ("MARK", "EMPTY_DICT", "EMPTY_LIST"):
                depth += 1
                if depth > MAX_DEPTH:
                    return False
            if op.name == "STOP":
                return True
    except Exception:  # noqa: BLE001 - garbage is not a pickle
        return None
    return None
