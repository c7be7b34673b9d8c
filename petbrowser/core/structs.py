"""The record base of ``core.models``: msgspec's ``Struct``, or dataclasses without it.

Why msgspec: its structs are dataclass-like records whose classes are made
in C and whose instances are a tenth as costly to build (docs/performance.md:
the models' 36 dataclasses cost ~45 ms of the window's first frame, and a
listing builds 40,000 records).  Why a fallback: the static pickle reader
(``safe_pickle``, which returns these records) is also run by a bare
interpreter of another CPython that has the standard library only
(tests/pyver); there the same classes are plain dataclasses, with the same
fields, defaults, equality and immutability.  Use :func:`replace` and
:func:`asdict` from here, never the ``dataclasses`` ones.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Struct", "asdict", "field", "replace", "NATIVE"]

try:
    from msgspec import Struct, field
    from msgspec.structs import asdict, replace

    #: Whether the records are msgspec structs (False: the dataclass fallback).
    NATIVE = True
except ImportError:  # pragma: no cover - exercised by tests/pyver under a bare interpreter
    import dataclasses

    NATIVE = False
    field = dataclasses.field  # type: ignore[assignment]
    asdict = dataclasses.asdict  # type: ignore[assignment]
    replace = dataclasses.replace  # type: ignore[assignment]

    class Struct:  # type: ignore[no-redef]
        """``class X(Struct, frozen=True, gc=False)`` as a dataclass (``gc`` is msgspec's alone)."""

        def __init_subclass__(cls, frozen: bool = False, gc: bool = True, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)
            dataclasses.dataclass(frozen=frozen)(cls)
