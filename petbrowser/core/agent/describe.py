"""The "describe" dict of a live class (docs/internals.md).

It is what ``<hash>.meta.json`` stores and what crosses every process
boundary (the agent's answers, the scan worker's reports), so it is built
where the class lives: in the project's interpreter, stdlib only.
:func:`describe_dict` is the one place its shape is written down; the parent
turns it into ``core.models.ClassDescription`` once, when it arrives.
"""

from __future__ import annotations

import ast
import functools
import inspect
import linecache
import platform
import sys
from typing import Any

from .disasm import method_table
from .hashing import SKIPPED_ATTRIBUTES, stable_repr

__all__ = ["describe_class", "describe_dict"]


def describe_dict(
    *,
    class_name: str | None,
    module: str | None,
    qualname: str | None,
    bases: list[str] | tuple[str, ...] = (),
    python_version: str | None = None,
    source: str | None = None,
    methods: dict[str, dict[str, Any]] | None = None,
    attributes: dict[str, str] | None = None,
    globals: list[str] | tuple[str, ...] | None = None,
    by_reference: bool = False,
) -> dict[str, Any]:
    """The describe dict: the one builder of its shape, for the agent, the static
    scan and ``ClassDescription.to_json``.

    ``globals`` (the names a pickle references) exists only for a static walk,
    and ``by_reference`` only when true, so a live class's dict, a sidecar's and
    a scanned pickle's keep the keys they have always had.
    """
    doc: dict[str, Any] = {
        "class_name": class_name,
        "module": module,
        "qualname": qualname,
        "bases": list(bases),
        "python_version": python_version,
        "source": source,
        "methods": dict(methods or {}),
        "attributes": dict(attributes or {}),
    }
    if globals is not None:
        doc["globals"] = list(globals)
    if by_reference:
        doc["by_reference"] = True
    return doc


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


#: file -> (the linecache lines it was parsed from, first line of each class by qualname)
_CLASS_STARTS: dict[str, tuple[list[str], dict[str, int]]] = {}


def _class_starts(lines: list[str]) -> dict[str, int]:
    """0-based first line (decorators included) of every class in a file, by qualname.

    The same search as ``inspect.findsource`` (first match in source order,
    ``<locals>`` for function scopes), done once per file instead of once per
    class: before Python 3.13 ``inspect.getsource(cls)`` parses the whole
    module for every class, which made scanning a 300-class module quadratic
    (over the child's 60 s timeout; see docs/performance.md).
    """
    starts: dict[str, int] = {}

    def visit(node: ast.AST, stack: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, [*stack, child.name, "<locals>"])
            elif isinstance(child, ast.ClassDef):
                first = child.decorator_list[0].lineno if child.decorator_list else child.lineno
                starts.setdefault(".".join([*stack, child.name]), first - 1)
                visit(child, [*stack, child.name])
            else:
                visit(child, stack)

    visit(ast.parse("".join(lines)), [])
    return starts


def _fast_source(cls: type) -> str | None:
    module = sys.modules.get(cls.__module__)
    file = inspect.getsourcefile(cls)
    if module is None or not file:
        return None
    linecache.checkcache(file)
    lines = linecache.getlines(file, module.__dict__)
    if not lines:
        return None
    cached = _CLASS_STARTS.get(file)
    if cached is None or cached[0] is not lines:
        cached = (lines, _class_starts(lines))
        _CLASS_STARTS[file] = cached
    start = cached[1].get(cls.__qualname__)
    if start is None:
        return None
    return "".join(inspect.getblock(lines[start:]))


def _source(cls: type) -> str | None:
    try:
        fast = _fast_source(cls)
    except (OSError, TypeError, IndexError, SyntaxError, ValueError):
        fast = None
    if fast is not None:
        return fast
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError, IndexError):
        return None


def describe_class(cls: type) -> dict[str, Any]:
    """Everything browsing needs about ``cls`` without unpickling it later."""
    return describe_dict(
        class_name=cls.__name__,
        module=cls.__module__,
        qualname=cls.__qualname__,
        bases=[f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__],
        python_version=platform.python_version(),
        source=_source(cls),
        methods=method_table(cls),
        attributes=_attributes(cls),
    )
