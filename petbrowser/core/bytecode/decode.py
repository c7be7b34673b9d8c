"""Decode a :class:`StaticCode`'s bytecode with one version's instruction set, in pure Python.

:func:`decode` follows that version's ``dis`` step by step (argument
unpacking, inline caches, how a jump target and an argument's text are
computed), so the instructions it yields are the ones ``dis`` would yield
on that version, and it checks, on the way, everything that version's
compiler guarantees about the code it emits:

- every opcode is one ``co_code`` can hold in that version (no placeholder,
  specialized, instrumented or stray CACHE opcode), every inline cache is
  present and zeroed (3.11+), no argument byte is set on an instruction
  without an argument;
- every constant, name, local and cell index is in range, every comparison,
  binary operator, intrinsic and conversion number exists;
- every jump lands on an instruction inside the code;
- 3.11+ code starts with RESUME (after the cell and generator set-up);
- walked with that version's stack effects, every instruction is reached
  with one stack depth, never a negative one, and the deepest point matches
  ``co_stacksize`` (3.10-3.12; no deeper than it on 3.8, 3.9 and 3.13,
  whose compilers can overestimate);
- the line table has that version's format and covers exactly the code;
  the exception table (3.11+) parses into sorted, non-overlapping entries
  that cover instructions and point at instructions, with a depth no
  deeper than the stack.

A code object that breaks any of these was not produced by that version:
:class:`Inconsistent` names the first thing that failed.  Everything here is
bounded by the size of the input; nothing recurses.
"""

from __future__ import annotations

from .code import StaticCode
from .instr import Decoded, Inconsistent, Instr, TooLarge
from .spec import Spec
from .stack import check_stack

__all__ = ["Instr", "Decoded", "Inconsistent", "TooLarge", "decode", "MAX_CODE_UNITS"]

#: Largest method decoded, in 2-byte code units (the largest method of the
#: whole 3.13 standard library has about 6,000).
MAX_CODE_UNITS = 100_000
_INT_OVERFLOW = 2**31
_FORMAT_VALUE_CONVERTERS = ("", "str", "repr", "ascii")
_FUNCTION_FLAGS = ("defaults", "kwdefaults", "annotations", "closure")


def decode(code: StaticCode, spec: Spec) -> Decoded:
    """The instructions of ``code`` under ``spec``, or :class:`Inconsistent`.

    Memoized on ``code``: detection and rendering decode each code once per version.
    """
    got = code.decoded.get(spec.version)
    if got is None:
        try:
            got = _decode(code, spec)
        except (Inconsistent, TooLarge) as exc:
            got = exc.with_traceback(None)  # kept: its frames would keep every instruction alive
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # never on real code
            got = Inconsistent(f"unreadable ({type(exc).__name__}: {exc})"[:200])
        code.decoded[spec.version] = got
    if isinstance(got, Exception):
        raise got
    return got


def _decode(code: StaticCode, spec: Spec) -> Decoded:
    if code.problem:
        raise Inconsistent(code.problem)
    expected = 18 if spec.minor >= 11 else 16
    if code.arity != expected:
        raise Inconsistent(
            f"{code.arity} constructor arguments (Python {spec.version} pickles {expected})"
        )
    raw = code.code
    n = len(raw)
    if n == 0 or n % 2:
        raise Inconsistent(f"{n} bytes of bytecode (not a whole number of instructions)")
    if n // 2 > MAX_CODE_UNITS:
        raise TooLarge(f"{n // 2:,} instructions (the limit is {MAX_CODE_UNITS:,})")
    _check_line_table(code, spec)  # cheap checks first
    units = _unpack(raw, spec)
    starts = {offset for offset, _, _, _ in units}
    entries = _exception_table(code, spec, starts) if spec.has_exception_table else ()
    instrs = tuple(_resolve(code, spec, units, starts))
    if spec.minor >= 11:
        _check_prologue(instrs, spec)
    decoded = Decoded(spec.version, instrs, entries)
    deepest = check_stack(decoded, spec)
    if deepest > code.stacksize or (10 <= spec.minor <= 12 and deepest != code.stacksize):
        raise Inconsistent(f"a stack {deepest} deep, but co_stacksize says {code.stacksize}")
    return decoded


def _unpack(raw: bytes, spec: Spec) -> list[tuple[int, int, int, int | None]]:
    """``dis._unpack_opargs`` of that version: (offset, opcode, base opcode, arg)."""
    n = len(raw)
    ext_op = spec.op("EXTENDED_ARG")
    signed = spec.minor >= 11
    reset_on_no_arg = spec.minor >= 10
    # 3.10's optimizer turns instructions into NOP/ROT_* and keeps their old argument byte
    strict_no_arg = spec.minor != 10
    genuine, hasarg, deopt, caches = spec.genuine, spec.hasarg, spec.deopt, spec.caches
    out: list[tuple[int, int, int, int | None]] = []
    ext = 0
    i = 0
    while i < n:
        op = raw[i]
        if op not in genuine:
            raise Inconsistent(f"opcode {op} ({spec.opname[op]}) at byte {i}")
        base = deopt.get(op, op)
        if op in hasarg:
            arg: int | None = raw[i + 1] | ext
            ext = (arg << 8) if base == ext_op else 0
            if signed and ext >= _INT_OVERFLOW:
                ext -= 2 * _INT_OVERFLOW
        else:
            if raw[i + 1] and strict_no_arg:
                raise Inconsistent(f"{spec.opname[op]} at byte {i} has an argument byte")
            arg = None
            if reset_on_no_arg:
                ext = 0
        out.append((i, op, base, arg))
        count = caches.get(base, 0)
        i += 2
        if count:
            end = i + 2 * count
            if end > n:
                raise Inconsistent(f"{spec.opname[op]} at byte {i - 2} lacks its inline caches")
            if any(raw[i:end]):
                raise Inconsistent(f"{spec.opname[op]} at byte {i - 2} has non-zero inline caches")
            i = end
    if out and out[-1][2] == ext_op:
        raise Inconsistent("the bytecode ends with EXTENDED_ARG")
    return out


def _name(table: tuple[str, ...], index: int, what: str) -> str:
    if not 0 <= index < len(table):
        raise Inconsistent(f"{what} index {index} out of range ({len(table)})")
    return table[index]


# What an instruction's argument means, decided once per opcode in the order
# of that version's ``_get_instructions_bytes`` (its ``elif`` chain).
(_CONST, _NAME, _GLOBAL, _ATTR, _SUPER_ATTR, _JUMP, _FAST_PAIR, _LOCAL, _COMPARE, _CELL,
 _FORMAT_VALUE, _CONVERT, _FLAGS, _BINARY_OP, _INTRINSIC1, _INTRINSIC2) = range(16)  # fmt: skip
_KINDS: dict[str, dict[int, int]] = {}


def _kinds(spec: Spec) -> dict[int, int]:
    got = _KINDS.get(spec.version)
    if got is not None:
        return got
    minor, op = spec.minor, spec.op
    fast_pairs = {
        op("LOAD_FAST_LOAD_FAST"),
        op("STORE_FAST_LOAD_FAST"),
        op("STORE_FAST_STORE_FAST"),
    }
    out: dict[int, int] = {}
    for base in range(256):
        if base in spec.hasconst:
            kind = _CONST
        elif base in spec.hasname:
            kind = _NAME
            if base == op("LOAD_GLOBAL") and minor >= 11:
                kind = _GLOBAL
            elif base == op("LOAD_ATTR") and minor >= 12:
                kind = _ATTR
            elif base == op("LOAD_SUPER_ATTR"):
                kind = _SUPER_ATTR
        elif base in spec.hasjabs or base in spec.hasjrel:
            kind = _JUMP
        elif base in fast_pairs:
            kind = _FAST_PAIR
        elif base in spec.haslocal or (minor >= 11 and base in spec.hasfree):
            kind = _LOCAL
        elif base in spec.hascompare:
            kind = _COMPARE
        elif base in spec.hasfree:
            kind = _CELL
        elif base == op("FORMAT_VALUE"):
            kind = _FORMAT_VALUE
        elif base == op("CONVERT_VALUE"):
            kind = _CONVERT
        elif base in (op("MAKE_FUNCTION"), op("SET_FUNCTION_ATTRIBUTE")):
            kind = _FLAGS
        elif base == op("BINARY_OP") and minor >= 11:
            kind = _BINARY_OP
        elif base == op("CALL_INTRINSIC_1"):
            kind = _INTRINSIC1
        elif base == op("CALL_INTRINSIC_2"):
            kind = _INTRINSIC2
        else:
            continue
        out[base] = kind
    _KINDS[spec.version] = out
    return out


def _resolve(code: StaticCode, spec: Spec, units: list, starts: set[int]) -> list[Instr]:
    """Argument values and texts, as ``_get_instructions_bytes`` of that version makes them."""
    minor = spec.minor
    kinds = _kinds(spec)
    opname = spec.opname
    names = code.names
    locals_ = code.localsplus if minor >= 11 else code.varnames
    cells = code.cellvars + code.freevars
    n = len(code.code)
    nconsts = len(code.consts)
    null_last = minor >= 13  # 3.13 writes "x + NULL", earlier versions "NULL + x"
    out: list[Instr] = []
    append = out.append
    for offset, opcode, base, arg in units:
        kind = kinds.get(base) if arg is not None else None
        if kind is None:
            append(Instr(offset, opcode, opname[opcode], arg, "", None, None))
            continue
        if arg < 0:
            raise Inconsistent(f"negative argument at byte {offset}")
        argrepr = ""
        target: int | None = None
        const: int | None = None
        if kind == _CONST:
            if arg >= nconsts:
                raise Inconsistent(f"constant index {arg} out of range ({nconsts})")
            const = arg
        elif kind == _NAME:
            argrepr = _name(names, arg, "name")
        elif kind == _GLOBAL:
            argrepr = _name(names, arg >> 1, "name")
            if arg & 1:
                argrepr = f"{argrepr} + NULL" if null_last else f"NULL + {argrepr}"
        elif kind == _ATTR or kind == _SUPER_ATTR:
            argrepr = _name(names, arg >> (1 if kind == _ATTR else 2), "name")
            if arg & 1:
                argrepr = f"{argrepr} + NULL|self" if null_last else f"NULL|self + {argrepr}"
        elif kind == _JUMP:
            target = _jump_target(spec, offset, base, arg)
            if target not in starts or target >= n:
                raise Inconsistent(f"a jump at byte {offset} to {target}, not an instruction")
        elif kind == _FAST_PAIR:
            first = _name(locals_, arg >> 4, "local")
            argrepr = f"{first}, {_name(locals_, arg & 15, 'local')}"
        elif kind == _LOCAL:
            argrepr = _name(locals_, arg, "local")
        elif kind == _COMPARE:
            shift = 5 if minor >= 13 else 4 if minor == 12 else 0
            argrepr = _name(spec.cmp_op, arg >> shift, "comparison")
            if minor >= 13 and arg & 16:
                argrepr = f"bool({argrepr})"
        elif kind == _CELL:
            argrepr = _name(cells, arg, "cell")
        elif kind == _FORMAT_VALUE:
            if arg > 7:
                raise Inconsistent(f"FORMAT_VALUE {arg}")
            argrepr = _FORMAT_VALUE_CONVERTERS[arg & 3]
            if arg & 4:
                argrepr = f"{argrepr}, with format" if argrepr else "with format"
        elif kind == _CONVERT:
            argrepr = _name(_FORMAT_VALUE_CONVERTERS, arg, "conversion")
        elif kind == _FLAGS:
            if arg > 15:
                raise Inconsistent(f"{opname[base]} {arg}")
            argrepr = ", ".join(s for i, s in enumerate(_FUNCTION_FLAGS) if arg & (1 << i))
        elif kind == _BINARY_OP:
            argrepr = _name(spec.nb_ops, arg, "binary operator")
        elif kind == _INTRINSIC1:
            argrepr = _name(spec.intrinsic1, arg, "intrinsic")
        elif kind == _INTRINSIC2:
            argrepr = _name(spec.intrinsic2, arg, "intrinsic")
        append(Instr(offset, opcode, opname[opcode], arg, argrepr, target, const))
    return out


def _jump_target(spec: Spec, offset: int, base: int, arg: int) -> int:
    """Where a jump goes, as that version's ``dis`` (and so the agent) computes it."""
    if spec.minor <= 9:  # byte offsets
        return arg if base in spec.hasjabs else offset + 2 + arg
    if base in spec.hasjabs:
        return arg * 2
    signed = -arg if base in spec.backward else arg
    target = offset + 2 + signed * 2
    if spec.minor >= 12:
        target += 2 * spec.caches.get(base, 0)
    return target


def _varint(table: bytes, pos: int, entry_start: bool = False) -> tuple[int, int]:
    """One exception-table number (6-bit chunks, most significant first).

    Bit 7 marks the first byte of an entry and no other byte.
    """
    n = len(table)
    chunks = 0
    val = 0
    while True:
        if pos >= n:
            raise Inconsistent("the exception table ends inside an entry")
        b = table[pos]
        if bool(b & 128) != (entry_start and chunks == 0):
            raise Inconsistent(f"exception-table byte {pos} is misplaced (entry start mark)")
        val = (val << 6) | (b & 63)
        pos += 1
        chunks += 1
        if chunks > 6:
            raise Inconsistent("an exception-table number longer than 32 bits")
        if not b & 64:
            return val, pos


def _exception_table(code: StaticCode, spec: Spec, starts: set[int]):
    table = code.exceptiontable
    n = len(code.code)
    out: list[tuple[int, int, int, int, bool]] = []
    pos = 0
    last_end = 0
    while pos < len(table):
        start, pos = _varint(table, pos, entry_start=True)
        length, pos = _varint(table, pos)
        target, pos = _varint(table, pos)
        depth_lasti, pos = _varint(table, pos)
        start, end, target = start * 2, (start + length) * 2, target * 2
        if length == 0 or start < last_end or end > n:
            raise Inconsistent(
                "exception-table entries that overlap, are empty or run past the code"
            )
        if start not in starts or end not in starts | {n} or target not in starts:
            raise Inconsistent("an exception-table entry that does not point at instructions")
        depth = depth_lasti >> 1
        if depth > code.stacksize:
            raise Inconsistent("an exception handler deeper than the stack")
        last_end = end
        out.append((start, end, target, depth, bool(depth_lasti & 1)))
    return tuple(out)


def _check_line_table(code: StaticCode, spec: Spec) -> None:
    table = code.linetable
    n = len(code.code)
    if spec.minor <= 9:  # co_lnotab: (byte increment, line increment) pairs
        if len(table) % 2:
            raise Inconsistent("a line-number table of odd length")
        covered = sum(table[0::2])
        if covered >= n and table:
            raise Inconsistent(
                "a line-number table that reaches the end of the code (3.10's format)"
            )
    elif spec.minor == 10:  # co_linetable: (byte span, line delta) pairs covering the code
        if len(table) % 2:
            raise Inconsistent("a line table of odd length")
        if sum(table[0::2]) != n:
            raise Inconsistent(
                "a line table that does not cover the code exactly (3.8/3.9's format)"
            )
    else:  # the 3.11+ location table
        units = _location_units(table)
        if units != n // 2:
            raise Inconsistent("a location table that does not cover the code exactly")


def _location_units(table: bytes) -> int:
    """Code units the 3.11+ location table covers (its entries' lengths summed)."""
    pos, total, n = 0, 0, len(table)
    while pos < n:
        first = table[pos]
        if not first & 128:
            raise Inconsistent(f"location-table entry at byte {pos} lacks its start mark")
        kind = (first >> 3) & 15
        total += (first & 7) + 1
        pos += 1
        if kind == 15:  # no location
            continue
        if kind == 14:  # long form: four varints
            count = 4
        elif kind == 13:  # no column: one varint
            count = 1
        else:  # one-line forms (10-12: two bytes) and short forms (0-9: one byte)
            width = 2 if kind >= 10 else 1
            if pos + width > n or any(b & 128 for b in table[pos : pos + width]):
                raise Inconsistent("a location-table entry is cut short")
            pos += width
            continue
        for _ in range(count):
            while True:
                if pos >= n:
                    raise Inconsistent("a location-table entry is cut short")
                b = table[pos]
                if b & 128:
                    raise Inconsistent("a location-table entry is cut short")
                pos += 1
                if not b & 64:
                    break
    return total


_PROLOGUE = ("COPY_FREE_VARS", "MAKE_CELL", "RETURN_GENERATOR", "POP_TOP", "NOP")


def _check_prologue(instrs: tuple[Instr, ...], spec: Spec) -> None:
    """3.11+ code starts with RESUME, after at most the cell and generator set-up."""
    resume = spec.op("RESUME")
    for ins in instrs:
        if ins.opcode == resume:
            return
        if ins.opname not in _PROLOGUE and ins.opname != "EXTENDED_ARG":
            break
    raise Inconsistent("the code does not start with RESUME")
