# The pb1 encoder as it was before issue 16 made it faster (petbrowser/core/agent/hashing.py at
# daea42d), kept verbatim as the reference the fast one must match byte for byte
# (tests/test_hashing_speed.py).  Do not edit.
"""Class hashes: petbrowser's stable "pb1" and LabChain's own scheme.

Runs inside the project's interpreter (stdlib only), because bytecode is
produced by the Python that will run it.

"pb1" is a SHA-256 over a typed, length-prefixed encoding of what a class
*does*: module, qualname, bases, metaclass, every method's bytecode,
exception table, constants (nested code objects recursed into, never
``repr``'d), names, local names, argument counts, flags and signature, the
wrapper *and* the wrapped function of decorated methods (plus closure values,
so ``@retry(3)`` -> ``@retry(4)`` counts), and class-level plain attributes by
a stable repr.  Line numbers, file names, position tables, comments and
whitespace never reach it.  Docstrings (the class's ``__doc__`` and a
method's leading docstring) are documentation, not code, and are excluded.
The Python minor version is part of the input since bytecode differs between
versions.

"labchain" reproduces LabChain 1.2.11's ``get_class_hash`` byte for byte, so a
status against a LabChain-written store agrees with LabChain.  It is unstable
across processes for classes holding lambdas, comprehensions or nested
functions (``repr`` of a code object holds its address); that is LabChain's
behaviour and is kept on purpose.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import struct
import sys
import types
from typing import Any

__all__ = [
    "SCHEMES",
    "pb1_hash",
    "labchain_hash",
    "class_hashes",
    "stable_repr",
    "SKIPPED_ATTRIBUTES",
]

SCHEMES = ("pb1", "labchain")

#: Class-dict entries that are bookkeeping, not code.  ``__doc__`` is
#: documentation; ``__firstlineno__`` (3.13+) is a line number.
SKIPPED_ATTRIBUTES = frozenset(
    {"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__", "__firstlineno__"}
)

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def python_minor() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


# ------------------------------------------------------------------ labchain
def labchain_hash(cls: type) -> str:
    """LabChain 1.2.11's ``PetClassManager.get_class_hash``, verbatim in effect."""
    h = hashlib.sha256()
    try:
        h.update(cls.__module__.encode())
        h.update(cls.__qualname__.encode())
        for base in cls.__bases__:
            h.update(base.__module__.encode())
            h.update(base.__qualname__.encode())
        for name, value in sorted(cls.__dict__.items()):
            if inspect.isfunction(value):
                h.update(name.encode())
                h.update(value.__code__.co_code)
                h.update(repr(value.__code__.co_consts).encode())
                h.update(repr(value.__code__.co_names).encode())
                h.update(str(inspect.signature(value)).encode())
        return h.hexdigest()
    except (TypeError, OSError):
        return hashlib.sha256(f"{cls.__module__}.{cls.__qualname__}".encode()).hexdigest()


# ----------------------------------------------------------------- stable repr
def stable_repr(value: Any, _depth: int = 0) -> str:
    """A repr that is the same in every process: sets sorted, addresses dropped."""
    if _depth > 20:
        return "..."
    d = _depth + 1
    if isinstance(value, (frozenset, set)):
        items = sorted(stable_repr(v, d) for v in value)
        return f"{type(value).__name__}({{{', '.join(items)}}})"
    if isinstance(value, dict):
        items = sorted(f"{stable_repr(k, d)}: {stable_repr(v, d)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(stable_repr(v, d) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(stable_repr(v, d) for v in value) + "]"
    if isinstance(value, type):
        return f"<class {value.__module__}.{value.__qualname__}>"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        return (
            f"<function {getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')}>"
        )
    if isinstance(value, types.ModuleType):
        return f"<module {value.__name__}>"
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not break hashing
        text = f"<{type(value).__module__}.{type(value).__qualname__}>"
    return _ADDRESS.sub("", text)


# ----------------------------------------------------------------------- pb1
def _b(tag: bytes, payload: bytes) -> bytes:
    """Typed, length-prefixed chunk: no two different inputs share a stream."""
    return tag + struct.pack(">Q", len(payload)) + payload


def _s(tag: bytes, text: str) -> bytes:
    return _b(tag, text.encode("utf-8", "surrogatepass"))


def _seq(tag: bytes, parts: list[bytes]) -> bytes:
    return _b(tag, b"".join(parts))


def _signature(fn: Any, *, follow_wrapped: bool = True) -> str:
    try:
        return _ADDRESS.sub("", str(inspect.signature(fn, follow_wrapped=follow_wrapped)))
    except (TypeError, ValueError):
        return "?"


class _Pb1:
    """One pb1 computation; remembers what it visited so cycles terminate."""

    def __init__(self, outer: str) -> None:
        self._seen: set[int] = set()
        self._outer = outer  # qualname of the hashed class: nested classes are inside it

    # constants of code objects --------------------------------------
    def const(self, value: Any) -> bytes:
        if isinstance(value, types.CodeType):
            return self.code(value)
        if value is None or value is Ellipsis:
            return _s(b"k", repr(value))
        if isinstance(value, bool):
            return _s(b"o", repr(value))
        if isinstance(value, int):
            return _s(b"i", repr(value))
        if isinstance(value, float):
            return _s(b"f", value.hex() if value == value else "nan")
        if isinstance(value, complex):
            return _s(b"c", repr(value))
        if isinstance(value, str):
            return _s(b"s", value)
        if isinstance(value, bytes):
            return _b(b"b", value)
        if isinstance(value, tuple):
            return _seq(b"t", [self.const(v) for v in value])
        if isinstance(value, frozenset):
            return _seq(b"z", sorted(self.const(v) for v in value))
        return _s(b"r", stable_repr(value))

    def code(self, co: types.CodeType, *, strip_doc: bool = False) -> bytes:
        consts = list(co.co_consts)
        if strip_doc and consts and isinstance(consts[0], str):
            consts[0] = None
        parts = [
            _s(b"n", co.co_name),
            _b(b"x", co.co_code),
            _b(b"e", getattr(co, "co_exceptiontable", b"")),
            _s(
                b"a",
                f"{co.co_argcount},{co.co_posonlyargcount},{co.co_kwonlyargcount},{co.co_flags}",
            ),
            _seq(b"N", [_s(b"s", n) for n in co.co_names]),
            _seq(b"V", [_s(b"s", n) for n in co.co_varnames]),
            _seq(b"F", [_s(b"s", n) for n in co.co_freevars]),
            _seq(b"C", [_s(b"s", n) for n in co.co_cellvars]),
            _seq(b"K", [self.const(c) for c in consts]),
        ]
        return _seq(b"Q", parts)

    # functions and descriptors ---------------------------------------
    def function(self, fn: Any) -> bytes:
        """A function, its closure values, and every function it wraps."""
        if id(fn) in self._seen:
            return _s(b"@", getattr(fn, "__qualname__", "?"))
        self._seen.add(id(fn))
        parts: list[bytes] = []
        if isinstance(fn, types.FunctionType):
            co = fn.__code__
            doc = fn.__doc__
            strip = (
                co.co_name != "<lambda>"
                and isinstance(doc, str)
                and bool(co.co_consts)
                and co.co_consts[0] == doc
            )
            parts.append(self.code(co, strip_doc=strip))
            parts.append(_s(b"g", _signature(fn, follow_wrapped=False)))
            parts.append(self._closure(fn))
            if fn.__kwdefaults__:
                parts.append(_s(b"w", stable_repr(fn.__kwdefaults__)))
        else:  # a callable object (an lru_cache wrapper, a custom decorator class...)
            parts.append(_s(b"o", f"{type(fn).__module__}.{type(fn).__qualname__}"))
            params = getattr(fn, "cache_parameters", None)
            if callable(params):
                try:
                    parts.append(_s(b"r", stable_repr(params())))
                except Exception:  # a foreign cache_parameters: its type name is enough
                    pass
        wrapped = getattr(fn, "__wrapped__", None) if not isinstance(fn, type) else None
        if wrapped is not None:
            parts.append(_seq(b"W", [self.function(wrapped)]))
        return _seq(b"u", parts)

    def _closure(self, fn: types.FunctionType) -> bytes:
        cells = []
        for cell in fn.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:  # an empty cell (a name assigned later)
                cells.append(_s(b"0", "empty"))
                continue
            if isinstance(v, type):
                cells.append(_s(b"T", f"{v.__module__}.{v.__qualname__}"))
            elif callable(v) and (isinstance(v, types.FunctionType) or hasattr(v, "__wrapped__")):
                cells.append(self.function(v))
            else:
                cells.append(_s(b"r", stable_repr(v)))
        return _seq(b"L", cells)

    def value(self, v: Any) -> bytes:
        """One class-dict entry, tagged with the kind of thing it is."""
        if isinstance(v, staticmethod):
            return _seq(b"S", [self.function(v.__func__)])
        if isinstance(v, classmethod):
            return _seq(b"M", [self.function(v.__func__)])
        if isinstance(v, property):
            return _seq(
                b"P",
                [
                    self.function(f) if f is not None else _s(b"k", "None")
                    for f in (v.fget, v.fset, v.fdel)
                ],
            )
        if isinstance(v, functools.cached_property):
            return _seq(b"Y", [self.function(v.func)])
        if isinstance(v, types.FunctionType):
            return self.function(v)
        if callable(v) and not isinstance(v, type) and getattr(v, "__wrapped__", None) is not None:
            return self.function(v)
        if isinstance(v, type):
            return self.klass(v)
        if isinstance(v, functools.partial):
            return _seq(
                b"p",
                [
                    self.function(v.func),
                    _s(b"r", stable_repr(v.args)),
                    _s(b"r", stable_repr(v.keywords)),
                ],
            )
        return _s(b"r", stable_repr(v))

    def klass(self, cls: type, *, top: bool = False) -> bytes:
        """A class: nested classes defined inside are hashed, others referenced."""
        ref = f"{cls.__module__}.{cls.__qualname__}"
        if id(cls) in self._seen or (not top and not self._nested_in_scope(cls)):
            return _s(b"T", ref)
        self._seen.add(id(cls))
        meta = type(cls)
        parts = [
            _s(b"m", cls.__module__),
            _s(b"q", cls.__qualname__),
            _seq(b"B", [_s(b"T", f"{b.__module__}.{b.__qualname__}") for b in cls.__bases__]),
            _s(b"T", f"{meta.__module__}.{meta.__qualname__}"),
        ]
        for name in sorted(cls.__dict__):
            if name in SKIPPED_ATTRIBUTES:
                continue
            parts.append(_seq(b"A", [_s(b"s", name), self.value(cls.__dict__[name])]))
        return _seq(b"Z", parts)

    def _nested_in_scope(self, cls: type) -> bool:
        return cls.__qualname__.startswith(self._outer + ".")


def pb1_hash(cls: type) -> str:
    """petbrowser's stable class hash (see the module docstring)."""
    enc = _Pb1(cls.__qualname__)
    payload = _s(b"v", f"pb1 python {python_minor()}") + enc.klass(cls, top=True)
    return hashlib.sha256(payload).hexdigest()


def class_hashes(cls: type) -> dict[str, str]:
    """Both schemes at once: what scan and dump report."""
    return {"pb1": pb1_hash(cls), "labchain": labchain_hash(cls)}
