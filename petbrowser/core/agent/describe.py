"""The "describe" dict of a live class (docs/internals.md).

It is what ``<hash>.meta.json`` stores and what the diff compares, so it is
built where the class lives: in the project's interpreter, stdlib only.
"""

from __future__ import annotations

import functools
import inspect
import platform
import types
from typing import Any

from .hashing import SKIPPED_ATTRIBUTES, stable_repr

__all__ = ["describe_class", "method_table"]


def _signature(fn: Any) -> str | None:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return None


def _fallback_method_table(cls: type) -> dict[str, dict[str, Any]]:
    """Method kinds and signatures without disassembly (used when disasm is absent)."""
    table: dict[str, dict[str, Any]] = {}

    def add(key: str, kind: str, fn: Any) -> None:
        table[key] = {"kind": kind, "signature": _signature(fn), "disassembly": None}
        code = getattr(inspect.unwrap(fn), "__code__", None) if callable(fn) else None
        if isinstance(code, types.CodeType):
            add_nested(key, code)

    def add_nested(parent: str, code: types.CodeType) -> None:
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                key = f"{parent}/{const.co_name}"
                n = 2
                while key in table:
                    key = f"{parent}/{const.co_name}#{n}"
                    n += 1
                table[key] = {"kind": "code", "signature": None, "disassembly": None}
                add_nested(key, const)

    for name, value in sorted(cls.__dict__.items()):
        if isinstance(value, staticmethod):
            add(name, "staticmethod", value.__func__)
        elif isinstance(value, classmethod):
            add(name, "classmethod", value.__func__)
        elif isinstance(value, property):
            if value.fget is not None:
                add(name, "property", value.fget)
            if value.fset is not None:
                add(f"{name}.setter", "property", value.fset)
            if value.fdel is not None:
                add(f"{name}.deleter", "property", value.fdel)
        elif isinstance(value, functools.cached_property):
            add(name, "property", value.func)
        elif isinstance(value, types.FunctionType):
            add(name, "function", value)
    return table


def method_table(cls: type) -> dict[str, dict[str, Any]]:
    """The "methods" part: from disasm when it is there, else kinds and signatures only."""
    try:
        from . import disasm
    except ImportError:
        return _fallback_method_table(cls)
    return disasm.method_table(cls)


def _attributes(cls: type) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in sorted(cls.__dict__.items()):
        if name in SKIPPED_ATTRIBUTES or (name.startswith("__") and name.endswith("__")):
            continue
        if callable(value) or isinstance(
            value, (staticmethod, classmethod, property, functools.cached_property)
        ):
            continue
        if inspect.isdatadescriptor(value) or inspect.ismethoddescriptor(value):
            continue  # __slots__ members and the like: not plain values
        out[name] = stable_repr(value)
    return out


def _source(cls: type) -> str | None:
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError, IndexError):
        return None


def describe_class(cls: type) -> dict[str, Any]:
    """Everything browsing needs about ``cls`` without unpickling it later."""
    return {
        "class_name": cls.__name__,
        "module": cls.__module__,
        "qualname": cls.__qualname__,
        "bases": [f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__],
        "python_version": platform.python_version(),
        "source": _source(cls),
        "methods": method_table(cls),
        "attributes": _attributes(cls),
    }
