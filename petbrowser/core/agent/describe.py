"""The "describe" dict of a live class (docs/internals.md).

It is what ``<hash>.meta.json`` stores and what the diff compares, so it is
built where the class lives: in the project's interpreter, stdlib only.
"""

from __future__ import annotations

import functools
import inspect
import platform
from typing import Any

from .disasm import method_table
from .hashing import SKIPPED_ATTRIBUTES, stable_repr

__all__ = ["describe_class"]


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
