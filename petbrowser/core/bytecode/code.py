"""A pickled code object, kept as the data its constructor would have received.

cloudpickle pickles a code object as ``types.CodeType(*args)``: 16 arguments
on CPython 3.8-3.10, 18 on 3.11-3.13.  Building the real object would hand
store bytes to this interpreter (whose ``dis`` a crafted code object can
crash), and 3.11, 3.12 and 3.13 take the same 18 arguments for different
instruction sets anyway.  So the arguments are checked for type and kept as
a :class:`StaticCode`; :mod:`.verdict` and :mod:`.decode` read it as data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["StaticCode", "MAX_CONST_DEPTH"]

MAX_CONST_DEPTH = 20

# Constructor layouts, by argument count (see cloudpickle's ``_code_reduce``).
_LAYOUT_16 = (
    "argcount", "posonlyargcount", "kwonlyargcount", "nlocals", "stacksize", "flags",
    "code", "consts", "names", "varnames", "filename", "name", "firstlineno",
    "linetable", "freevars", "cellvars",
)  # fmt: skip
_LAYOUT_18 = (
    "argcount", "posonlyargcount", "kwonlyargcount", "nlocals", "stacksize", "flags",
    "code", "consts", "names", "varnames", "filename", "name", "qualname", "firstlineno",
    "linetable", "exceptiontable", "freevars", "cellvars",
)  # fmt: skip
_INTS = (
    "argcount",
    "posonlyargcount",
    "kwonlyargcount",
    "nlocals",
    "stacksize",
    "flags",
    "firstlineno",
)
_BYTES = ("code", "linetable", "exceptiontable")
_NAMES = ("names", "varnames", "freevars", "cellvars")
_TEXTS = ("filename", "name", "qualname")


class StaticCode:
    """What ``types.CodeType(*args)`` would have been built from; never built.

    ``problem`` says why the arguments cannot be a code object of 3.8-3.13
    (wrong count or types); such a code is shown, never decoded.
    """

    def __init__(self, args: tuple[Any, ...], plain: Callable[[Any], Any] | None = None) -> None:
        self.arity = len(args)
        self.problem: str | None = None
        self.argcount = self.posonlyargcount = self.kwonlyargcount = 0
        self.nlocals = self.stacksize = self.flags = self.firstlineno = 0
        self.code = self.linetable = self.exceptiontable = b""
        self.consts: tuple[Any, ...] = ()
        self.names: tuple[str, ...] = ()
        self.varnames: tuple[str, ...] = ()
        self.freevars: tuple[str, ...] = ()
        self.cellvars: tuple[str, ...] = ()
        self.filename = ""
        self.name = next(
            (a for a in args[9:13] if isinstance(a, str) and not a.endswith(".py")), "?"
        )
        self.qualname = self.name
        #: per-version results of :func:`.decode.decode` (it is pure: memoized here)
        self.decoded: dict[str, Any] = {}
        #: why this code object was left undecoded (over the class's budget), else None
        self.skipped: str | None = None
        layout = {16: _LAYOUT_16, 18: _LAYOUT_18}.get(self.arity)
        if layout is None:
            self.problem = (
                f"a code object of {self.arity} constructor arguments "
                "(CPython 3.8-3.10 pickle 16, 3.11-3.13 pickle 18)"
            )
            return
        values = dict(zip(layout, args, strict=True))
        for key, value in values.items():
            wrong = (
                (key in _INTS and (type(value) is not int or not 0 <= value < 2**31))
                or (key in _BYTES and type(value) is not bytes)
                or (key in _NAMES and not _text_tuple(value))
                or (key in _TEXTS and type(value) is not str)
                or (key == "consts" and type(value) is not tuple)
            )
            if wrong:
                self.problem = (
                    f"its {key} is a {type(value).__name__}, not what a code object holds"
                )
                return
        for key, value in values.items():
            setattr(self, key, value)
        if self.arity == 16:
            self.qualname = self.name
        self.consts = tuple(_plain(c, plain, 0) for c in self.consts)

    @property
    def localsplus(self) -> tuple[str, ...]:
        """3.11+ local slots: variables, then cells that are not arguments, then free variables."""
        own = set(self.varnames)
        return self.varnames + tuple(c for c in self.cellvars if c not in own) + self.freevars

    def __repr__(self) -> str:  # what disasm.const_repr prints for a code constant
        return f"<code {self.name}>"


def _text_tuple(value: Any) -> bool:
    return type(value) is tuple and all(type(v) is str for v in value)


def _plain(value: Any, plain: Callable[[Any], Any] | None, depth: int) -> Any:
    """A constant as the literal it stands for (e.g. a pickled ``complex(1, 2)`` call)."""
    if depth > MAX_CONST_DEPTH:
        return value
    if type(value) is tuple:
        return tuple(_plain(v, plain, depth + 1) for v in value)
    if type(value) is frozenset:
        try:
            return frozenset(_plain(v, plain, depth + 1) for v in value)
        except TypeError:
            return value
    return plain(value) if plain is not None else value
