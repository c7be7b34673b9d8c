"""The normalized listing of decoded bytecode, line for line what the agent prints.

``core/agent/disasm.py`` renders a live code object with the running
Python's ``dis``; this module renders a :class:`StaticCode` decoded by
:mod:`.decode` with the pusher's instruction set, following the very same
rules (labels numbered in listing order, constants through
:func:`disasm.const_repr`, nested code as ``<code parent/name>``, CACHE, NOP
and EXTENDED_ARG dropped, the exception table last), so a sidecar written on
3.12 and a static reading of the same pickle on any Python agree.
"""

from __future__ import annotations

import bisect
import re

from petbrowser.core.agent import disasm

from .code import StaticCode
from .decode import Decoded, Instr
from .spec import Spec

__all__ = ["describe_decoded", "nested_names"]

_NOISE = frozenset({"CACHE", "NOP", "EXTENDED_ARG"})
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def nested_names(code: StaticCode, path: str) -> dict[int, str]:
    """Key of every nested code constant: ``path/name``, ``#2`` for duplicates (as the agent)."""
    names: dict[int, str] = {}
    used: set[str] = set()
    for index, const in enumerate(code.consts):
        if isinstance(const, StaticCode):
            key = f"{path}/{const.name}"
            n = 2
            while key in used:
                key = f"{path}/{const.name}#{n}"
                n += 1
            used.add(key)
            names[index] = key
    return names


def describe_decoded(code: StaticCode, decoded: Decoded, spec: Spec, path: str) -> str:
    """``disasm.describe_code`` of the code object the pusher had, from its decoded bytecode."""
    nested = nested_names(code, path)
    instrs = [i for i in decoded.instrs if i.opname not in _NOISE]
    offsets = [i.offset for i in instrs]

    def forward(t: int) -> int:  # a dropped NOP target moves to the next kept instruction
        k = bisect.bisect_left(offsets, t)
        return offsets[k] if k < len(offsets) else -1

    placed: dict[int, int] = {}
    for instr in instrs:
        if instr.target is not None:
            placed[instr.target] = forward(instr.target)
    for start, end, target, _, _ in decoded.entries:
        for t in (start, end, target):
            placed[t] = forward(t)
    order = sorted(set(placed.values()), key=lambda o: (o < 0, o))
    label_of_offset = {o: f"L{n}" for n, o in enumerate(order, 1)}
    labels = {t: label_of_offset[o] for t, o in placed.items()}

    lines: list[str] = []
    for instr in instrs:
        if instr.offset in label_of_offset:
            lines.append(f"{label_of_offset[instr.offset]}:")
        lines.append("  " + _render(instr, code, spec, nested, labels).rstrip())
    if -1 in label_of_offset:
        lines.append(f"{label_of_offset[-1]}:")
    if decoded.entries:
        lines.append("ExceptionTable:")
        for start, end, target, depth, lasti in decoded.entries:
            tail = " lasti" if lasti else ""
            lines.append(f"  {labels[start]} to {labels[end]} -> {labels[target]} [{depth}]{tail}")
    return "\n".join(lines)


def _render(
    instr: Instr, code: StaticCode, spec: Spec, nested: dict[int, str], labels: dict[int, str]
) -> str:
    if instr.target is not None:
        return f"{instr.opname} to {labels[instr.target]}"
    if instr.const is not None:
        if instr.const in nested:
            return f"{instr.opname} <code {nested[instr.const]}>"
        return f"{instr.opname} {disasm.const_repr(code.consts[instr.const])}"
    argrepr = instr.argrepr
    if not argrepr and instr.arg is not None and instr.opcode >= spec.have_argument:
        argrepr = str(instr.arg)
    return f"{instr.opname} {_ADDRESS.sub('', argrepr)}"
