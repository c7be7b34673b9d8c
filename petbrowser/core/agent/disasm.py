"""Normalized disassembly: bytecode text that only changes when the code does.

Plain ``dis`` output carries byte offsets, line numbers, memory addresses and
file paths, so two versions of a class that differ only in whitespace,
comments or line positions would look different, and a diff would drown the
one real change in noise.  This module renders each code object as
``OPNAME argrepr`` lines with jump targets as labels (``L1``, ``L2`` ...,
numbered in listing order), constants as stable reprs, nested code objects as
``<code parent/name>`` (they get their own entry in :func:`method_table`), and
line-number-only ``NOP``s, ``CACHE`` and ``EXTENDED_ARG`` dropped.

Standard library only and relative imports only: this module also runs inside
the project's interpreter (the agent) and in petbrowser's own process, where
``safe_pickle`` uses it on code objects rebuilt from a pickle.
"""

from __future__ import annotations

import dis
import functools
import inspect
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

__all__ = [
    "python_tag",
    "describe_code",
    "code_entries",
    "abstract_kind",
    "method_table",
    "const_repr",
    "signature_text",
]

#: Opcodes that carry no meaning of their own once offsets are gone.
_NOISE = frozenset({"CACHE", "NOP", "EXTENDED_ARG"})
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)


def python_tag() -> str:
    """``"3.11"``: bytecode is only comparable within one Python minor version."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def const_repr(value: Any, _depth: int = 0) -> str:
    """A constant as text that is identical in every process (no addresses, sets sorted)."""
    if _depth > 20:
        return "..."
    d = _depth + 1
    if isinstance(value, types.CodeType):
        return f"<code {value.co_name}>"
    if isinstance(value, tuple):
        inner = ", ".join(const_repr(v, d) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, frozenset):
        items = sorted(const_repr(v, d) for v in value)
        return "frozenset({" + ", ".join(items) + "})" if items else "frozenset()"
    if value is None or isinstance(value, (str, bytes, int, float, complex, bool)):
        return repr(value)
    if value is Ellipsis:
        return "Ellipsis"
    try:
        text = repr(value)
    except Exception:  # a hostile or broken __repr__ must not break disassembly
        text = f"<{type(value).__qualname__}>"
    return _ADDRESS.sub("", text)


def _nested_names(code: types.CodeType, path: str) -> dict[int, str]:
    """Key of every nested code constant: ``path/co_name``, ``#2`` for duplicates."""
    names: dict[int, str] = {}
    used: set[str] = set()
    for index, const in enumerate(code.co_consts):
        if isinstance(const, types.CodeType):
            key = f"{path}/{const.co_name}"
            n = 2
            while key in used:
                key = f"{path}/{const.co_name}#{n}"
                n += 1
            used.add(key)
            names[index] = key
    return names


def _jump_target(instr: dis.Instruction) -> int | None:
    target = getattr(instr, "jump_target", None)  # 3.13+
    if target is not None:
        return int(target)
    if instr.opcode in _JUMPS and isinstance(instr.argval, int):
        return instr.argval
    return None


def _const_index(instr: dis.Instruction, code: types.CodeType) -> int | None:
    """Index into co_consts of a LOAD_CONST-like instruction, else None."""
    if instr.opcode in dis.hasconst and isinstance(instr.arg, int):
        if 0 <= instr.arg < len(code.co_consts):
            return instr.arg
    return None


def describe_code(code: types.CodeType, path: str | None = None) -> str:
    """Normalized disassembly of ONE code object (nested code is referenced, not inlined).

    ``path`` is the method-table key of ``code`` (default: its ``co_name``); it
    names nested code constants the way :func:`method_table` keys them.
    """
    path = path if path is not None else code.co_name
    nested = _nested_names(code, path)
    bytecode = dis.Bytecode(code)
    instrs = [i for i in bytecode if i.opname not in _NOISE]
    entries = list(getattr(bytecode, "exception_entries", None) or ())

    # Offsets that need a label, numbered in listing order.
    offsets = [i.offset for i in instrs]

    def forward(t: int) -> int:  # a dropped NOP target moves to the next kept instruction
        return next((o for o in offsets if o >= t), -1)

    placed: dict[int, int] = {}
    for instr in instrs:
        t = _jump_target(instr)
        if t is not None:
            placed[t] = forward(t)
    for entry in entries:  # ``end`` is exclusive: the label after the last covered one
        for t in (entry.start, entry.end, entry.target):
            placed[t] = forward(t)
    order = sorted(set(placed.values()), key=lambda o: (o < 0, o))
    label_of_offset = {o: f"L{n}" for n, o in enumerate(order, 1)}
    labels = {t: label_of_offset[o] for t, o in placed.items()}

    lines: list[str] = []
    for instr in instrs:
        if instr.offset in label_of_offset:
            lines.append(f"{label_of_offset[instr.offset]}:")
        lines.append("  " + _render(instr, code, nested, labels).rstrip())
    if -1 in label_of_offset:
        lines.append(f"{label_of_offset[-1]}:")
    if entries:
        lines.append("ExceptionTable:")
        for e in entries:
            lasti = " lasti" if e.lasti else ""
            lines.append(
                f"  {labels[e.start]} to {labels[e.end]} -> {labels[e.target]} [{e.depth}]{lasti}"
            )
    return "\n".join(lines)


def _render(
    instr: dis.Instruction,
    code: types.CodeType,
    nested: dict[int, str],
    labels: dict[int, str],
) -> str:
    target = _jump_target(instr)
    if target is not None:
        return f"{instr.opname} to {labels[target]}"
    index = _const_index(instr, code)
    if index is not None:
        if index in nested:
            return f"{instr.opname} <code {nested[index]}>"
        return f"{instr.opname} {const_repr(code.co_consts[index])}"
    argrepr = instr.argrepr or ""
    if not argrepr and instr.arg is not None and instr.opcode >= dis.HAVE_ARGUMENT:
        argrepr = str(instr.arg)
    return f"{instr.opname} {_ADDRESS.sub('', argrepr)}"


def signature_text(fn: Any) -> str | None:
    """``str(inspect.signature(fn))`` without addresses, None when there is none."""
    try:
        return _ADDRESS.sub("", str(inspect.signature(fn)))
    except (TypeError, ValueError):
        return None


def _walk(key: str, code: types.CodeType) -> Iterator[tuple[str, types.CodeType]]:
    yield key, code
    for index, child in _nested_names(code, key).items():
        yield from _walk(child, code.co_consts[index])


def code_entries(
    key: str, kind: str, signature: str | None, code: types.CodeType | None
) -> dict[str, dict[str, Any]]:
    """Method-table entries for one method's code and, recursively, its nested code."""
    if code is None:
        return {key: {"kind": kind, "signature": signature, "disassembly": "<no Python bytecode>"}}
    out: dict[str, dict[str, Any]] = {}
    for sub_key, sub_code in _walk(key, code):
        if sub_key == key:
            out[key] = {
                "kind": kind,
                "signature": signature,
                "disassembly": describe_code(code, key),
            }
        else:
            out[sub_key] = {
                "kind": "code",
                "signature": None,
                "disassembly": describe_code(sub_code, sub_key),
            }
    return out


def _code_of(fn: Any) -> types.CodeType | None:
    try:
        target = inspect.unwrap(fn)
    except ValueError:  # a __wrapped__ cycle
        target = fn
    code = getattr(target, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def abstract_kind(kind: str, fn: Any) -> str:
    """``abstract <kind>`` for a function marked ``@abstractmethod``, else ``kind``.

    Why: which methods are abstract is code (pb1 hashes ``__abstractmethods__``),
    but ``@abstractmethod`` leaves the bytecode as it was; without this a diff
    of such a change said "no changes".  The mark is the function's own
    ``__isabstractmethod__``, which the static walk reads from the pickled
    function's ``__dict__`` too (``safe_pickle``).
    """
    try:
        marked = fn.__dict__.get("__isabstractmethod__") is True
    except Exception:  # noqa: BLE001 - not a plain function: no mark
        marked = False
    return f"abstract {kind}" if marked else kind


def method_table(cls: type) -> dict[str, dict[str, Any]]:
    """``{key: {"kind", "signature", "disassembly"}}`` for every method of ``cls``.

    Keys: the method name; ``prop.setter`` / ``prop.deleter`` for property
    accessors; ``parent/co_name`` (``#2`` for duplicates) for nested code.
    Decorated functions are disassembled through ``__wrapped__``, where the
    user's code is.  A kind is prefixed ``abstract`` where :func:`abstract_kind` says.
    """
    table: dict[str, dict[str, Any]] = {}

    def add(key: str, kind: str, fn: Any) -> None:
        table.update(code_entries(key, abstract_kind(kind, fn), signature_text(fn), _code_of(fn)))

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
