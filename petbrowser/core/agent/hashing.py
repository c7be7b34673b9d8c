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
import keyword
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
    "RUNTIME_ATTRIBUTES",
    "runtime_only",
]

SCHEMES = ("pb1", "labchain")

#: Class-dict entries that are bookkeeping, not code.  ``__doc__`` is
#: documentation; ``__firstlineno__`` (3.13+) is a line number.
SKIPPED_ATTRIBUTES = frozenset(
    {"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__", "__firstlineno__"}
)

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

#: Class attributes the interpreter (or ``abc``) creates at run time: a live
#: class has them, a pickle rebuilds them empty, and none of them is code.
#: One rule for the structural diff (``core.diff``) and for pb1.
RUNTIME_ATTRIBUTES = frozenset(
    {
        "_abc_impl",  # ABCMeta's C cache (3.7+)
        "_abc_registry",  # _py_abc's caches
        "_abc_cache",
        "_abc_negative_cache",
        "_abc_negative_cache_version",
        "__abstractmethods__",
        "__dict__",
        "__weakref__",
    }
)
#: LabChain stamps ``cls._hash = "<its hash>"`` on a class it pushes or pulls;
#: matched against the attribute's :func:`stable_repr` (what a description holds).
_LABCHAIN_STAMP = re.compile(r"^'[0-9a-f]{64}'$")


def runtime_only(name: str, text: str) -> bool:
    """True for an attribute that says nothing about the class's code.

    ``text`` is the value's :func:`stable_repr`.  ``_hash`` counts only as
    LabChain's stamp (a quoted 64-hex string): a class's own ``_hash`` of
    any other value is the user's and stays.
    """
    return name in RUNTIME_ATTRIBUTES or (name == "_hash" and bool(_LABCHAIN_STAMP.match(text)))


#: What pb1 leaves out of :data:`RUNTIME_ATTRIBUTES` by name: the ``_py_abc``
#: caches (their content changes with every ``isinstance`` call).  Two stay
#: hashed, because their encoding never carried run-time state and dropping
#: them would re-hash every ABC class already stored under pb1: ``_abc_impl``
#: (encoded as its type name only, the address is stripped) and
#: ``__abstractmethods__`` (which methods are abstract is decided by the code:
#: removing an ``@abstractmethod`` must change the hash).
_PB1_RUNTIME = RUNTIME_ATTRIBUTES - {"_abc_impl", "__abstractmethods__"}


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
_pack = struct.Struct(">Q").pack


def _b(tag: bytes, payload: bytes) -> bytes:
    """Typed, length-prefixed chunk: no two different inputs share a stream."""
    return tag + _pack(len(payload)) + payload


#: Encoded ``_s`` chunks of short texts: names, argument lists and string
#: constants repeat across the methods and classes of a module.  Bounded.
_CHUNKS: dict[tuple[bytes, str], bytes] = {}
_CHUNKS_MAX = 100_000


def _s(tag: bytes, text: str) -> bytes:
    if len(text) > 200:
        return _b(tag, text.encode("utf-8", "surrogatepass"))
    key = (tag, text)
    chunk = _CHUNKS.get(key)
    if chunk is None:
        if len(_CHUNKS) >= _CHUNKS_MAX:
            _CHUNKS.clear()
        chunk = _CHUNKS[key] = _b(tag, text.encode("utf-8", "surrogatepass"))
    return chunk


def _seq(tag: bytes, parts: list[bytes]) -> bytes:
    return _b(tag, b"".join(parts))


_NAME_SEQS: dict[tuple[bytes, tuple[str, ...]], bytes] = {}


def _names(tag: bytes, names: tuple[str, ...]) -> bytes:
    """``_seq(tag, [_s(b"s", n) for n in names])``, remembered per tuple of names."""
    key = (tag, names)
    chunk = _NAME_SEQS.get(key)
    if chunk is None:
        if len(_NAME_SEQS) >= _CHUNKS_MAX:
            _NAME_SEQS.clear()
        chunk = _NAME_SEQS[key] = _seq(tag, [_s(b"s", n) for n in names])
    return chunk


def _signature(fn: Any, *, follow_wrapped: bool = True) -> str:
    try:
        return _ADDRESS.sub("", str(inspect.signature(fn, follow_wrapped=follow_wrapped)))
    except (TypeError, ValueError):
        return "?"


_CO_VARARGS = inspect.CO_VARARGS
_CO_VARKEYWORDS = inspect.CO_VARKEYWORDS


def _plain_signature(fn: types.FunctionType) -> str:
    """``_signature(fn, follow_wrapped=False)`` for a plain function, byte for byte.

    Why: ``inspect.signature`` builds a ``Parameter`` object per argument and
    a ``Signature`` before printing them; for the plain functions a class
    holds, the code object already says everything, and that cost more than
    LabChain's whole hash (docs/performance.md).  This follows
    ``inspect._signature_from_function`` and ``Signature.__str__`` /
    ``Parameter.__str__`` (the same on Python 3.8-3.13), formats annotations
    with ``inspect.formatannotation`` itself, and hands everything unusual to
    ``inspect`` (a function with attributes -- ``__signature__``,
    ``__wrapped__``, a partialmethod --, a subclass, a name inspect would
    refuse).  tests/test_hashing.py compares the two over the standard
    library on every interpreter it finds.
    """
    if type(fn) is not types.FunctionType or fn.__dict__:
        return _signature(fn, follow_wrapped=False)
    co = fn.__code__
    flags = co.co_flags
    npos, nkw = co.co_argcount, co.co_kwonlyargcount
    varargs, varkw = flags & _CO_VARARGS, flags & _CO_VARKEYWORDS
    names = co.co_varnames[: npos + nkw + (1 if varargs else 0) + (1 if varkw else 0)]
    for name in names:
        if name not in _GOOD_NAMES:
            if not name.isidentifier() or keyword.iskeyword(name):
                return _signature(fn, follow_wrapped=False)
            if len(_GOOD_NAMES) < _CHUNKS_MAX:
                _GOOD_NAMES.add(name)
    annotations = fn.__annotations__
    if annotations is None:
        annotations = {}
    elif type(annotations) is not dict:
        return _signature(fn, follow_wrapped=False)
    defaults = fn.__defaults__ or ()
    kwdefaults = fn.__kwdefaults__ or {}
    first_default = npos - len(defaults)
    nposonly = co.co_posonlyargcount
    out: list[str] = []
    for i in range(npos):
        d = defaults[i - first_default] if i >= first_default else _NO_DEFAULT
        out.append(_param(names[i], "", d, annotations) if annotations or d is not _NO_DEFAULT else names[i])
        if i + 1 == nposonly:
            out.append("/")
    rest = npos + nkw
    if varargs:
        out.append(_param(names[rest], "*", _NO_DEFAULT, annotations))
    elif nkw:
        out.append("*")
    for name in names[npos:rest]:
        out.append(_param(name, "", kwdefaults.get(name, _NO_DEFAULT), annotations))
    if varkw:
        out.append(_param(names[-1], "**", _NO_DEFAULT, annotations))
    text = f"({', '.join(out)})"
    if annotations and "return" in annotations:
        text += f" -> {inspect.formatannotation(annotations['return'])}"
    return _ADDRESS.sub("", text) if " at 0x" in text else text


def _param(name: str, prefix: str, default: Any, annotations: dict[str, Any]) -> str:
    """``str(inspect.Parameter)``: ``name``, ``name=default``, ``name: anno = default``."""
    anno = annotations.get(name, _NO_DEFAULT) if annotations else _NO_DEFAULT
    if anno is not _NO_DEFAULT:
        if default is not _NO_DEFAULT:
            return f"{prefix}{name}: {inspect.formatannotation(anno)} = {default!r}"
        return f"{prefix}{name}: {inspect.formatannotation(anno)}"
    if default is not _NO_DEFAULT:
        return f"{prefix}{name}={default!r}"
    return prefix + name


_GOOD_NAMES: set[str] = set()  # argument names inspect accepts (identifiers, not keywords)
_NO_DEFAULT: Any = inspect.Parameter.empty
_NONE = _b(b"k", b"None")


class _Pb1:
    """One pb1 computation; remembers what it visited so cycles terminate."""

    def __init__(self, outer: str) -> None:
        self._seen: set[int] = set()
        self._outer = outer  # qualname of the hashed class: nested classes are inside it

    # constants of code objects --------------------------------------
    def const(self, value: Any) -> bytes:
        # the common exact types first (what the chain below does for them)
        t = type(value)
        if t is str:
            return _s(b"s", value)
        if t is int:
            return _s(b"i", repr(value))
        if value is None:
            return _NONE
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
        consts = co.co_consts
        if strip_doc and consts and isinstance(consts[0], str):
            consts = (None, *consts[1:])
        const = self.const
        parts = [
            _s(b"n", co.co_name),
            _b(b"x", co.co_code),
            _b(b"e", getattr(co, "co_exceptiontable", b"")),
            _s(
                b"a",
                f"{co.co_argcount},{co.co_posonlyargcount},{co.co_kwonlyargcount},{co.co_flags}",
            ),
            _names(b"N", co.co_names),
            _names(b"V", co.co_varnames),
            _names(b"F", co.co_freevars),
            _names(b"C", co.co_cellvars),
            _seq(b"K", [const(c) for c in consts]),
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
            parts.append(_s(b"g", _plain_signature(fn)))
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
            if name in SKIPPED_ATTRIBUTES or name in _PB1_RUNTIME:
                continue
            value = cls.__dict__[name]
            if name == "_hash" and runtime_only(name, stable_repr(value)):
                continue  # LabChain's stamp: a push or pull with LabChain adds it
            parts.append(_seq(b"A", [_s(b"s", name), self.value(value)]))
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
