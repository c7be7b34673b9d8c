"""Work around PySide6 builds whose void methods drop a reference to ``None``.

Measured with PySide6 6.12.0 on CPython 3.11: every call of a C++ method
returning ``void`` (``QWidget.update``, ``QSyntaxHighlighter.setFormat``,
``QPainter.fillRect`` ...) decrements ``None``'s reference count without
having incremented it.  CPython 3.12+ makes ``None`` immortal, so nothing
happens there; on 3.11, after a few thousand calls the count reaches zero and
the process aborts with "Fatal Python error: none_dealloc".  A code viewer
that colours a 4000-line disassembly makes tens of thousands of such calls.

When (and only when) the leak is measured on a CPython older than 3.12, this
raises ``None``'s count by 2**48 once, which is what 3.12's immortality
amounts to: ``None`` is never deallocated anyway.
"""

from __future__ import annotations

import sys

__all__ = ["guard_none_refcount", "void_calls_leak_none"]

_BOOST = 1 << 48
_state = {"applied": False}


def void_calls_leak_none() -> bool:
    """Whether calling a void Qt method lowers ``None``'s reference count."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= 64


def guard_none_refcount() -> bool:
    """Make ``None`` effectively immortal if this PySide6 leaks it; True if applied.

    Idempotent and cheap; call it once before building widgets (petbrowser's
    GUI modules call it on import).
    """
    if _state["applied"]:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not void_calls_leak_none():
        return False
    import ctypes  # only here: loading it cost every start ~5 ms (the first frame waits)

    refcnt = ctypes.c_ssize_t.from_address(id(None))
    # getrefcount() counts its own argument; refuse to touch memory that is
    # not the plain ob_refcnt field we expect (e.g. a Py_TRACE_REFS build).
    if refcnt.value != sys.getrefcount(None) - 1:
        return False
    refcnt.value += _BOOST
    _state["applied"] = True
    return True
