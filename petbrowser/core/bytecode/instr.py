"""What decoding yields: instructions, and the two ways decoding refuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Instr", "Decoded", "Inconsistent", "TooLarge"]


class Inconsistent(ValueError):
    """The bytecode cannot have been produced by this Python version."""


class TooLarge(ValueError):
    """The bytecode is larger than :data:`MAX_CODE_UNITS`; it is not decoded."""


class Instr(NamedTuple):
    """One instruction as that version's ``dis.Instruction`` describes it (a tuple: fast)."""

    offset: int
    opcode: int
    opname: str
    arg: int | None
    argrepr: str
    #: jump target (byte offset) as that version's ``dis`` computes it, else None
    target: int | None
    #: index into co_consts for a ``hasconst`` instruction, else None
    const: int | None


@dataclass(frozen=True, slots=True)
class Decoded:
    version: str
    instrs: tuple[Instr, ...]
    #: (start, end, target, depth, lasti) as ``dis._parse_exception_table`` yields them
    entries: tuple[tuple[int, int, int, int, bool], ...]
