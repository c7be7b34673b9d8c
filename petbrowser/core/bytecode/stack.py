"""Stack depth of decoded bytecode, as the version's compiler computed ``co_stacksize``.

CPython's compiler walks the control-flow graph with ``stack_effect`` and
requires every instruction to be reached with one stack depth; the deepest
point becomes ``co_stacksize``.  Re-walking the decoded instructions with a
candidate version's stack effects must therefore find one depth per
instruction, never a negative one, never shallower than the exception
handler covering it unwinds to (3.11+), and a maximum no deeper than
``co_stacksize``.  Bytecode read with the wrong instruction set usually
breaks one of these (a 3.12 generator's StopIteration handler read as 3.11,
say).  One pass, each instruction visited once: linear in the code's size.
"""

from __future__ import annotations

from .instr import Decoded, Inconsistent
from .spec import Spec

__all__ = ["check_stack"]

_NO_FALLTHROUGH = frozenset(
    {
        "RETURN_VALUE",
        "RETURN_CONST",
        "RAISE_VARARGS",
        "RERAISE",
        "JUMP_FORWARD",
        "JUMP_ABSOLUTE",
        "JUMP_BACKWARD",
        "JUMP_BACKWARD_NO_INTERRUPT",
    }
)


def check_stack(decoded: Decoded, spec: Spec) -> int:
    """The deepest stack the code reaches; :class:`Inconsistent` if no compiler of ``spec`` made it."""
    instrs = decoded.instrs
    index = {ins.offset: i for i, ins in enumerate(instrs)}
    # instruction index -> (handler index, depth the handler starts at, the entry's depth)
    handler_of: dict[int, tuple[int, int, int]] = {}
    for start, end, target, depth, lasti in decoded.entries:
        for offset in range(start, end, 2):
            i = index.get(offset)
            if i is not None:
                handler_of[i] = (index[target], depth + 1 + int(lasti), depth)
    call_finally = spec.op("CALL_FINALLY")
    # A generator is resumed with the sent value on the stack: 3.10's GEN_START
    # pops it, 3.11+'s RETURN_GENERATOR is followed by the POP_TOP that does.
    resumed = {spec.op("RETURN_GENERATOR")} - {-1} if spec.minor in (11, 12) else set()
    start = 1 if instrs and instrs[0].opname == "GEN_START" else 0
    depths: list[int | None] = [None] * len(instrs)
    todo: list[tuple[int, int]] = [(0, start)]
    deepest = 0
    effect_of = spec.stack_effect
    last = len(instrs) - 1
    while todo:
        i, d = todo.pop()
        seen = depths[i]
        if seen is not None:
            if seen != d:
                raise Inconsistent(
                    f"byte {instrs[i].offset} is reached with stack depths {seen} and {d}"
                )
            continue
        if d < 0:
            raise Inconsistent(f"the stack underflows at byte {instrs[i].offset}")
        depths[i] = d
        if d > deepest:
            deepest = d
        ins = instrs[i]
        if i in handler_of:  # the handler unwinds the stack to the entry's depth
            handler, hd, base = handler_of[i]
            if base > d:
                raise Inconsistent(
                    f"an exception handler deeper than the stack at byte {ins.offset}"
                )
            todo.append((handler, hd))
        opcode = ins.opcode
        effect = effect_of(opcode, ins.arg, False)
        if effect is None:
            raise Inconsistent(
                f"{ins.opname} {ins.arg} has no stack effect in Python {spec.version}"
            )
        if opcode in resumed:
            effect += 1
        if ins.target is not None and opcode != call_finally:
            jump = effect_of(opcode, ins.arg, True)
            todo.append((index[ins.target], d + (jump if jump is not None else effect)))
        if ins.opname not in _NO_FALLTHROUGH:
            if i >= last:
                raise Inconsistent("the code runs off its end")
            todo.append((i + 1, d + effect))
    return deepest
